package track_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"sistercity/internal/auth"
	"sistercity/internal/db"
	"sistercity/internal/db/dbtest"
	"sistercity/internal/problem"
	"sistercity/internal/subtitle"
	"sistercity/internal/track"
	"sistercity/internal/video"
)

const sampleVTT = "WEBVTT\n\n00:00:00.500 --> 00:00:02.000\n<b>부산</b>과 블라디보스토크\n\n00:00:02.500 --> 00:00:04.000\nВладивосток <script>alert(1)</script>\n"

func newVideo(t *testing.T, d *db.DB) int64 {
	t.Helper()
	v := &video.Video{OriginalLang: "ko", State: video.StateDraft, Texts: []video.Text{{Lang: "ko", Title: "응원 영상"}}}
	if err := d.InTx(context.Background(), func(tx *sql.Tx) error { return video.Create(context.Background(), tx, v) }); err != nil {
		t.Fatal(err)
	}
	return v.ID
}

func parse(t *testing.T, s string) *subtitle.Track {
	t.Helper()
	st, err := subtitle.ParseWebVTTLimit(strings.NewReader(s), subtitle.DefaultMaxInputSize)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestTrackLifecycle(t *testing.T) {
	ctx := context.Background()
	d := dbtest.Open(t)
	vid := newVideo(t, d)
	var editor *auth.User
	var tr *track.Track
	err := d.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		if editor, err = auth.CreateUser(ctx, tx, "ed", "", "correct horse battery", auth.RoleEditor); err != nil {
			return err
		}
		tr = &track.Track{VideoID: vid, Lang: "ko-kr", Kind: subtitle.KindSubtitles, Label: "한국어", Default: true, Status: track.StatusDraft}
		if err := tr.Validate(); err != nil {
			return err
		}
		if err := tr.SetCues(parse(t, sampleVTT)); err != nil {
			return err
		}
		return track.Create(ctx, tx, tr)
	})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Lang != "ko-KR" {
		t.Errorf("lang = %q, want canonical ko-KR", tr.Lang)
	}
	got, err := track.Get(ctx, d.R, tr.ID)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(got.VTT, "<script") {
		t.Errorf("stored VTT keeps markup WebVTT does not allow:\n%s", got.VTT)
	}
	if got.CueCount != 2 || got.DoneCount != 2 || got.Progress() != 100 || !got.Default {
		t.Errorf("counts %d/%d default %v", got.DoneCount, got.CueCount, got.Default)
	}
	if !strings.Contains(got.PlainText, "부산과 블라디보스토크") {
		t.Errorf("plain text %q", got.PlainText)
	}
	st, err := got.Cues()
	if err != nil || len(st.Cues) != 2 || st.Cues[1].Start != 2500*time.Millisecond {
		t.Fatalf("cues back: %v %+v", err, st)
	}

	// Nothing public before approval; search finds only approved text.
	if pub, _ := track.ForVideo(ctx, d.R, vid, true); len(pub) != 0 {
		t.Errorf("a draft is public")
	}
	if ids, _ := track.SearchVideos(ctx, d.R, "ВЛАДИВОСТОК", 10); len(ids) != 0 {
		t.Errorf("search found a draft")
	}
	// A stale save is refused.
	stale := *got
	move := func(tr *track.Track, action string) error {
		return d.InTx(ctx, func(tx *sql.Tx) error {
			step := map[string]func(context.Context, *sql.Tx, track.Step) error{track.ActionSubmit: track.Submit, track.ActionApprove: track.Approve}[action]
			return step(ctx, tx, track.Step{Track: tr, Version: tr.Version, Actor: editor, Comment: "ok", At: time.Now()})
		})
	}
	if err := move(got, track.ActionApprove); !errors.Is(err, track.ErrTransition) {
		t.Errorf("approve a draft: %v, want ErrTransition", err)
	}
	for _, a := range []string{track.ActionSubmit, track.ActionApprove} {
		if err := move(got, a); err != nil {
			t.Fatalf("%s: %v", a, err)
		}
	}
	if err := d.InTx(ctx, func(tx *sql.Tx) error { return track.Update(ctx, tx, &stale) }); !errors.Is(err, track.ErrStale) {
		t.Errorf("stale update: %v, want ErrStale", err)
	}
	if err := d.InTx(ctx, func(tx *sql.Tx) error { return track.SaveCues(ctx, tx, got) }); !errors.Is(err, track.ErrNotEditable) {
		t.Errorf("editing an approved track: %v", err)
	}
	if pub, _ := track.ForVideo(ctx, d.R, vid, true); len(pub) != 1 {
		t.Errorf("approved track not public")
	}
	ids, err := track.SearchVideos(ctx, d.R, "ВЛАДИВОСТОК", 10)
	if err != nil || len(ids) != 1 || ids[0] != vid {
		t.Errorf("search by Cyrillic in another case: %v %v", ids, err)
	}
	if ids, _ := track.SearchVideos(ctx, d.R, "100%", 10); len(ids) != 0 {
		t.Errorf("%% is not escaped in search")
	}
	hist, err := track.History(ctx, d.R, tr.ID)
	if err != nil || len(hist) != 2 || hist[1].Action != track.ActionApprove {
		t.Errorf("history %+v %v", hist, err)
	}

	// A second default track of the same kind takes the default over.
	err = d.InTx(ctx, func(tx *sql.Tx) error {
		ru := &track.Track{VideoID: vid, Lang: "ru", Kind: subtitle.KindSubtitles, Default: true, SourceTrackID: tr.ID, TranslatorID: editor.ID}
		blank := parse(t, sampleVTT)
		for _, c := range blank.Cues[1:] {
			c.Text = ""
		}
		if err := ru.SetCues(blank); err != nil {
			return err
		}
		if ru.DoneCount != 1 || ru.Progress() != 50 {
			t.Errorf("translation progress %d%%", ru.Progress())
		}
		return track.Create(ctx, tx, ru)
	})
	if err != nil {
		t.Fatal(err)
	}
	all, _ := track.ForVideo(ctx, d.R, vid, false)
	defaults := 0
	for _, x := range all {
		if x.Default {
			defaults++
			if x.Lang != "ru" {
				t.Errorf("default is %s, want ru", x.Lang)
			}
		}
	}
	if defaults != 1 {
		t.Errorf("%d default tracks", defaults)
	}
	if work, _ := track.AssignedTo(ctx, d.R, editor.ID); len(work) != 1 || work[0].Lang != "ru" {
		t.Errorf("assigned work %v", work)
	}
}

func TestTrackValidate(t *testing.T) {
	tr := &track.Track{Lang: "not a tag!", Kind: "karaoke", Label: strings.Repeat("x", 200), Status: "done"}
	f, ok := problem.AsFields(tr.Validate())
	if !ok {
		t.Fatal("want field errors")
	}
	for _, field := range []string{"lang", "kind", "label", "status"} {
		if !f.Has(field) {
			t.Errorf("no error for %s", field)
		}
	}
}

func TestPlainCueText(t *testing.T) {
	for _, tt := range []struct{ text, want string }{
		{"<ruby>釜山<rt>부산</rt></ruby>과 블라디보스토크", "釜山(부산)과 블라디보스토크"},
		{"<i>two</i>\nlines  with   spaces", "two lines with spaces"},
		{"&lt;sigh&gt; fine &amp; well", "<sigh> fine & well"},
		{strings.Repeat("<b>", 300) + "deep" + strings.Repeat("</b>", 300), "deep"},
	} {
		if got := track.PlainCueText(tt.text); got != tt.want {
			t.Errorf("PlainCueText(%.40q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

// TestApprovedForVideos lists the approved tracks of several videos at once, by video, in
// ForVideo's order, without their cues; drafts and other videos' tracks stay out.
func TestApprovedForVideos(t *testing.T) {
	ctx := context.Background()
	d := dbtest.Open(t)
	a, b, other := newVideo(t, d), newVideo(t, d), newVideo(t, d)
	add := func(vid int64, lang, status string) {
		tr := &track.Track{VideoID: vid, Lang: lang, Kind: subtitle.KindSubtitles, Label: lang, Status: status}
		if err := tr.SetCues(parse(t, sampleVTT)); err != nil {
			t.Fatal(err)
		}
		if err := d.InTx(ctx, func(tx *sql.Tx) error { return track.Create(ctx, tx, tr) }); err != nil {
			t.Fatal(err)
		}
	}
	add(a, "ru", track.StatusApproved)
	add(a, "ko", track.StatusApproved)
	add(a, "en", track.StatusDraft)
	add(b, "en", track.StatusApproved)
	add(other, "ko", track.StatusApproved)
	got, err := track.ApprovedForVideos(ctx, d.R, []int64{a, b})
	if err != nil {
		t.Fatal(err)
	}
	langs := func(ts []*track.Track) (out []string) {
		for _, tr := range ts {
			out = append(out, tr.Lang)
			if tr.VTT != "" || tr.UpdatedAt.IsZero() || tr.ID == 0 {
				t.Errorf("track %d: VTT loaded or fields missing: %+v", tr.ID, tr)
			}
		}
		return out
	}
	if len(got) != 2 || strings.Join(langs(got[a]), ",") != "ko,ru" || strings.Join(langs(got[b]), ",") != "en" {
		t.Errorf("got %v", got)
	}
	if none, err := track.ApprovedForVideos(ctx, d.R, nil); err != nil || len(none) != 0 {
		t.Errorf("no videos: %v %v", none, err)
	}
}
