package track_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"sistercity/internal/auth"
	"sistercity/internal/auth/authtest"
	"sistercity/internal/db"
	"sistercity/internal/db/dbtest"
	"sistercity/internal/problem"
	"sistercity/internal/subtitle"
	"sistercity/internal/track"
)

// blockingVTT has a cue that ends where it starts: a validation error, which blocks.
const blockingVTT = "WEBVTT\n\n00:00:00.500 --> 00:00:02.000\n부산\n\n00:00:03.000 --> 00:00:03.000\n블라디보스토크\n"

// warningVTT has only a warning (two cues overlap), which does not block.
const warningVTT = "WEBVTT\n\n00:00:00.500 --> 00:00:02.500\n부산\n\n00:00:02.000 --> 00:00:04.000\n블라디보스토크\n"

// workflowFixture is one video with an editor, and tracks made in a given status.
type workflowFixture struct {
	d      *db.DB
	video  int64
	editor *auth.User
}

func newWorkflowFixture(t *testing.T) *workflowFixture {
	t.Helper()
	d := dbtest.Open(t)
	f := &workflowFixture{d: d, video: newVideo(t, d)}
	err := d.InTx(context.Background(), func(tx *sql.Tx) (err error) {
		f.editor, err = auth.CreateUser(context.Background(), tx, "editor", "", "correct horse battery", auth.RoleEditor)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// track stores a track with the cues of vtt in status.
func (f *workflowFixture) track(t *testing.T, vtt, status string) *track.Track {
	t.Helper()
	tr := &track.Track{VideoID: f.video, Lang: "ko", Kind: subtitle.KindSubtitles, Status: status}
	if err := tr.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := tr.SetCues(parse(t, vtt)); err != nil {
		t.Fatal(err)
	}
	if err := f.d.InTx(context.Background(), func(tx *sql.Tx) error { return track.Create(context.Background(), tx, tr) }); err != nil {
		t.Fatal(err)
	}
	return tr
}

// step runs a review use case on tr as the editor, from the version tr holds.
func (f *workflowFixture) step(use func(context.Context, *sql.Tx, track.Step) error, tr *track.Track, comment string) error {
	return f.d.InTx(context.Background(), func(tx *sql.Tx) error {
		return use(context.Background(), tx, track.Step{Track: tr, Version: tr.Version, Actor: f.editor, Comment: comment, At: time.Now()})
	})
}

// stored reads tr back: its status, version, history and audit entries as the database has them.
func (f *workflowFixture) stored(t *testing.T, tr *track.Track) (*track.Track, []track.Review, []auth.AuditEntry) {
	t.Helper()
	ctx := context.Background()
	got, err := track.Get(ctx, f.d.R, tr.ID)
	if err != nil {
		t.Fatal(err)
	}
	hist, err := track.History(ctx, f.d.R, tr.ID)
	if err != nil {
		t.Fatal(err)
	}
	all, err := authtest.AuditLog(ctx, f.d.R, auth.EntitySubtitleTrack, 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	var mine []auth.AuditEntry
	for _, e := range all {
		if e.EntityID == tr.ID {
			mine = append(mine, e)
		}
	}
	return got, hist, mine
}

// TestValidationBlocksWhoeverCalls: submitting or approving a track whose validation report has
// errors is refused by track itself, with nothing changed, written to the history or audited.
func TestValidationBlocksWhoeverCalls(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status string
		use    func(context.Context, *sql.Tx, track.Step) error
	}{
		{"approve", track.StatusInReview, track.Approve},
		{"submit", track.StatusDraft, track.Submit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newWorkflowFixture(t)
			tr := f.track(t, blockingVTT, tc.status)
			version := tr.Version
			if err := f.step(tc.use, tr, ""); !errors.Is(err, track.ErrBlocked) {
				t.Fatalf("%s with a zero-length cue: %v, want ErrBlocked", tc.name, err)
			}
			got, hist, audit := f.stored(t, tr)
			if got.Status != tc.status || got.Version != version || len(hist) != 0 || len(audit) != 0 {
				t.Errorf("after a blocked %s: status %s version %d (was %d), %d history, %d audit", tc.name,
					got.Status, got.Version, version, len(hist), len(audit))
			}
		})
	}
}

// TestReviewSteps: each step moves the track, keeps its history and writes its audit entry;
// warnings do not block.
func TestReviewSteps(t *testing.T) {
	t.Parallel()
	f := newWorkflowFixture(t)
	tr := f.track(t, warningVTT, track.StatusDraft)
	for _, st := range []struct {
		use     func(context.Context, *sql.Tx, track.Step) error
		action  string
		comment string
		status  string
		review  string // the review comment the track keeps
	}{
		{track.Submit, track.ActionSubmit, "", track.StatusInReview, ""},
		{track.Return, track.ActionReturn, "  두 번째 줄을 고치세요  ", track.StatusDraft, "두 번째 줄을 고치세요"},
		{track.Submit, track.ActionSubmit, "", track.StatusInReview, "두 번째 줄을 고치세요"},
		{track.Approve, track.ActionApprove, "", track.StatusApproved, ""},
		{track.Reopen, track.ActionReopen, "typo", track.StatusDraft, ""},
	} {
		version := tr.Version
		if err := f.step(st.use, tr, st.comment); err != nil {
			t.Fatalf("%s: %v", st.action, err)
		}
		got, hist, audit := f.stored(t, tr)
		if got.Status != st.status || got.ReviewComment != st.review || got.Version != version+1 || tr.Version != got.Version {
			t.Errorf("after %s: status %s comment %q version %d/%d", st.action, got.Status, got.ReviewComment, got.Version, tr.Version)
		}
		last := hist[len(hist)-1]
		if last.Action != st.action || last.UserID != f.editor.ID || last.Comment != strings.TrimSpace(st.comment) {
			t.Errorf("history after %s: %+v", st.action, last)
		}
		if a := audit[0]; a.Action != auth.Action(st.action) || a.Entity != auth.EntitySubtitleTrack || a.UserID != f.editor.ID ||
			!strings.Contains(a.After, `"status":"`+st.status+`"`) {
			t.Errorf("audit after %s: %+v", st.action, a)
		}
	}
}

// TestReviewRefusals: what each step refuses, checked in the order a person fixes it.
func TestReviewRefusals(t *testing.T) {
	t.Parallel()
	f := newWorkflowFixture(t)
	inReview := f.track(t, warningVTT, track.StatusInReview)
	stale := *inReview
	stale.Version--
	for _, tc := range []struct {
		name    string
		use     func(context.Context, *sql.Tx, track.Step) error
		tr      *track.Track
		comment string
		is      error  // the sentinel, or nil for field errors
		field   string // the field refused
	}{
		{"someone else's change first", track.Approve, &stale, "", track.ErrStale, ""},
		{"a return says why", track.Return, inReview, "   ", nil, "comment"},
		{"a comment has a limit", track.Return, inReview, strings.Repeat("ж", track.MaxComment+1), nil, "comment"},
		{"a draft is not approved", track.Approve, f.track(t, warningVTT, track.StatusDraft), "", track.ErrTransition, ""},
		{"an approved track is not submitted", track.Submit, f.track(t, warningVTT, track.StatusApproved), "", track.ErrTransition, ""},
		{"a draft is not reopened", track.Reopen, f.track(t, warningVTT, track.StatusDraft), "", track.ErrTransition, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := f.step(tc.use, tc.tr, tc.comment)
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("got %v, want %v", err, tc.is)
			}
			if fields, ok := problem.AsFields(err); tc.is == nil && (!ok || !fields.Has(tc.field)) {
				t.Errorf("got %v, want an error on %s", err, tc.field)
			}
		})
	}
	if got, hist, audit := f.stored(t, inReview); got.Status != track.StatusInReview || len(hist)+len(audit) != 0 {
		t.Errorf("a refused step changed the track: %s, %d history, %d audit", got.Status, len(hist), len(audit))
	}
}

// machine is a translation service in the test: it writes each text in capitals, or fails.
type machine struct{ err error }

func (m machine) Translate(_ context.Context, texts []string, from, to string) ([]string, error) {
	if m.err != nil {
		return nil, m.err
	}
	out := make([]string, len(texts))
	for i, s := range texts {
		out[i] = strings.ToUpper(s) + " <" + from + "→" + to + ">"
	}
	return out, nil
}

// TestNewTranslation: a translation is a draft with the source's timings and empty text (or the
// machine's), captions become subtitles, its label is the language's own name, and it is
// audited; a refused order changes nothing.
func TestNewTranslation(t *testing.T) {
	t.Parallel()
	f := newWorkflowFixture(t)
	ctx := context.Background()
	src := f.track(t, sampleVTT, track.StatusApproved)
	src.Kind = subtitle.KindCaptions
	if err := f.d.InTx(ctx, func(tx *sql.Tx) error { return track.Update(ctx, tx, src) }); err != nil {
		t.Fatal(err)
	}
	var viewer, disabled *auth.User
	err := f.d.InTx(ctx, func(tx *sql.Tx) (err error) {
		if viewer, err = auth.CreateUser(ctx, tx, "viewer", "", "correct horse battery", auth.RoleViewer); err != nil {
			return err
		}
		if disabled, err = auth.CreateUser(ctx, tx, "gone", "", "correct horse battery", auth.RoleTranslator); err != nil {
			return err
		}
		return auth.SetDisabled(ctx, tx, disabled.ID, true)
	})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("empty draft", func(t *testing.T) {
		tr, mErr, err := track.NewTranslation(ctx, f.d, src, track.TranslationOrder{Lang: " ru ", TranslatorID: f.editor.ID, Actor: f.editor})
		if err != nil || mErr != nil {
			t.Fatal(err, mErr)
		}
		got, _, audit := f.stored(t, tr)
		if got.Lang != "ru" || got.Kind != subtitle.KindSubtitles || got.Label != "русский" || got.Status != track.StatusDraft ||
			got.SourceTrackID != src.ID || got.TranslatorID != f.editor.ID || got.CueCount != 2 || got.DoneCount != 0 {
			t.Errorf("translation %+v", got)
		}
		cues, _ := got.Cues()
		srcCues, _ := src.Cues()
		for i := range cues.Cues {
			if cues.Cues[i].Start != srcCues.Cues[i].Start || cues.Cues[i].End != srcCues.Cues[i].End {
				t.Errorf("cue %d timing %v–%v", i+1, cues.Cues[i].Start, cues.Cues[i].End)
			}
		}
		if len(audit) != 1 || audit[0].Action != auth.ActionCreate || audit[0].UserID != f.editor.ID {
			t.Errorf("audit %+v", audit)
		}
	})
	t.Run("machine", func(t *testing.T) {
		tr, mErr, err := track.NewTranslation(ctx, f.d, src, track.TranslationOrder{Lang: "en", Machine: machine{}, Actor: f.editor})
		if err != nil || mErr != nil {
			t.Fatal(err, mErr)
		}
		if tr.DoneCount != 2 || !strings.Contains(tr.PlainText, "<ko→en>") || strings.Contains(tr.VTT, "<ko") {
			t.Errorf("machine text not kept, or not escaped as cue text:\n%s", tr.VTT)
		}
	})
	t.Run("machine failure leaves the cues empty", func(t *testing.T) {
		down := errors.New("service down")
		tr, mErr, err := track.NewTranslation(ctx, f.d, src, track.TranslationOrder{Lang: "ja", Machine: machine{err: down}, Actor: f.editor})
		if err != nil || !errors.Is(mErr, down) || tr.DoneCount != 0 {
			t.Errorf("got %v, %v, %d cues done", err, mErr, tr.DoneCount)
		}
	})
	t.Run("refusals", func(t *testing.T) {
		before, _ := track.ForVideo(ctx, f.d.R, f.video, false)
		for _, tc := range []struct {
			order track.TranslationOrder
			field string
		}{
			{track.TranslationOrder{Lang: "ko"}, "lang"},
			{track.TranslationOrder{Lang: "not a tag!"}, "lang"},
			{track.TranslationOrder{Lang: "en-" + strings.Repeat("a", 40)}, "lang"},
			{track.TranslationOrder{Lang: "de", TranslatorID: viewer.ID}, "translator"},
			{track.TranslationOrder{Lang: "de", TranslatorID: disabled.ID}, "translator"},
			{track.TranslationOrder{Lang: "de", TranslatorID: -1}, "translator"},
			{track.TranslationOrder{Lang: "de", TranslatorID: 999999}, "translator"},
		} {
			_, _, err := track.NewTranslation(ctx, f.d, src, tc.order)
			if fields, ok := problem.AsFields(err); !ok || !fields.Has(tc.field) {
				t.Errorf("%+v: %v, want an error on %s", tc.order, err, tc.field)
			}
		}
		if after, _ := track.ForVideo(ctx, f.d.R, f.video, false); len(after) != len(before) {
			t.Errorf("a refused order made a track: %d → %d", len(before), len(after))
		}
	})
}

// TestFillByMachine: the machine fills the empty cues of a draft translation and keeps the
// translator's, audited; a failing service, a stale version, a track in review or one without
// a source change nothing.
func TestFillByMachine(t *testing.T) {
	t.Parallel()
	f := newWorkflowFixture(t)
	ctx := context.Background()
	src := f.track(t, sampleVTT, track.StatusApproved)
	tr, _, err := track.NewTranslation(ctx, f.d, src, track.TranslationOrder{Lang: "ru", Actor: f.editor})
	if err != nil {
		t.Fatal(err)
	}
	cues, _ := tr.Cues()
	cues.Cues[0].Text = "Пусан и Владивосток"
	if err := tr.SetCues(cues); err != nil {
		t.Fatal(err)
	}
	if err := f.d.InTx(ctx, func(tx *sql.Tx) error { return track.SaveCues(ctx, tx, tr) }); err != nil {
		t.Fatal(err)
	}
	fill := func(tr *track.Track, version int64, m machine) (int, error) {
		return track.FillByMachine(ctx, f.d, tr, version, m, f.editor)
	}

	down := errors.New("service down")
	if _, err := fill(tr, tr.Version, machine{err: down}); !errors.Is(err, track.ErrMachine) || !errors.Is(err, down) {
		t.Errorf("failing service: %v", err)
	}
	if _, err := fill(tr, tr.Version-1, machine{}); !errors.Is(err, track.ErrStale) {
		t.Errorf("stale: %v", err)
	}
	if _, err := fill(src, src.Version, machine{}); !errors.Is(err, track.ErrNoSource) {
		t.Errorf("no source: %v", err)
	}
	if got, _, audit := f.stored(t, tr); got.Version != tr.Version || got.DoneCount != 1 || len(audit) != 1 {
		t.Fatalf("a refused fill changed the track: v%d/%d, %d done, %d audit", got.Version, tr.Version, got.DoneCount, len(audit))
	}

	n, err := fill(tr, tr.Version, machine{})
	if err != nil || n != 1 {
		t.Fatalf("fill: %d, %v", n, err)
	}
	got, _, audit := f.stored(t, tr)
	if got.DoneCount != 2 || !strings.Contains(got.PlainText, "Пусан и Владивосток") || !strings.Contains(got.PlainText, "<ko→ru>") ||
		got.Version != tr.Version || audit[0].Action != auth.ActionMachineTranslate {
		t.Errorf("after the fill: v%d, %d done, %q, audit %+v", got.Version, got.DoneCount, got.PlainText, audit[0])
	}
	if n, err := fill(tr, tr.Version, machine{}); err != nil || n != 0 {
		t.Errorf("nothing left: %d, %v", n, err)
	}
	if err := f.step(track.Submit, tr, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := fill(tr, tr.Version, machine{}); !errors.Is(err, track.ErrNotEditable) {
		t.Errorf("in review: %v", err)
	}
}
