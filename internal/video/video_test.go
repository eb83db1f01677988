package video

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sistercity/internal/blob"
	"sistercity/internal/db"
	"sistercity/internal/db/dbtest"
	"sistercity/internal/media"
	"sistercity/internal/media/mediatest"
)

func newDeps(t *testing.T) Deps {
	t.Helper()
	store, err := blob.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return Deps{DB: dbtest.Open(t), Store: store, WorkDir: filepath.Join(t.TempDir(), "work"),
		Encoder: media.X264{Preset: "ultrafast"}, ProgressEvery: time.Millisecond}
}

// newVideo stores a source file made by write and creates a draft video for it.
func newVideo(t *testing.T, deps Deps, write func(path string) error) *Video {
	t.Helper()
	ctx := context.Background()
	src := filepath.Join(t.TempDir(), "source.mp4")
	if err := write(src); err != nil {
		t.Fatal(err)
	}
	v := &Video{OriginalLang: "ru", State: StateDraft, Texts: []Text{
		{Lang: "ru", Title: "Видеообращение Владивостока"}, {Lang: "ko", Title: "블라디보스토크 응원 영상"}}}
	v.Normalize()
	if err := v.Validate(); err != nil {
		t.Fatal(err)
	}
	err := deps.DB.InTx(ctx, func(tx *sql.Tx) error {
		if err := Create(ctx, tx, v); err != nil {
			return err
		}
		f, err := os.Open(src)
		if err != nil {
			return err
		}
		defer f.Close()
		key := SourceKey(v.ID, "source.mp4")
		if err := deps.Store.Put(ctx, key, f); err != nil {
			return err
		}
		return AttachSource(ctx, tx, v.ID, key)
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func keys(t *testing.T, s blob.Store, prefix string) []string {
	t.Helper()
	var out []string
	for a, err := range s.List(context.Background(), prefix) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, a.Key)
	}
	return out
}

func TestProcessVideoEndToEnd(t *testing.T) {
	ctx := context.Background()
	deps := newDeps(t)
	v := newVideo(t, deps, func(p string) error {
		return media.TestClip(ctx, p, media.ClipOptions{Width: 640, Height: 360, Duration: 2 * time.Second})
	})
	if err := ProcessVideo(ctx, deps, v.ID); err != nil {
		t.Fatal(err)
	}
	got, err := Get(ctx, deps.DB.R, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Processing != ProcReady || got.Progress != 100 || len(got.Renditions) != 1 || got.Renditions[0].Lines != 360 {
		t.Fatalf("after processing: %+v", got)
	}
	if got.Duration < 1900*time.Millisecond || got.Duration > 2100*time.Millisecond {
		t.Errorf("duration %v", got.Duration)
	}
	r := got.Renditions[0]
	if r.Width != 640 || r.Height != 360 || r.Size <= 0 || r.Bitrate <= 0 || !strings.HasPrefix(r.Key, "videos/") {
		t.Errorf("rendition %+v", r)
	}
	first := keys(t, deps.Store, KeyPrefix(v.ID))
	stream := len(hlsKeys(t, deps, r))
	if len(first) != 3+stream {
		t.Fatalf("stored %v, want rendition, its HLS stream, poster, thumbnail", first)
	}
	// A second run (a retry after a crash that came after the last record) finds every
	// rendition made from the source: it encodes nothing again and keeps the set.
	if err := ProcessVideo(ctx, deps, v.ID); err != nil {
		t.Fatal(err)
	}
	if second := keys(t, deps.Store, KeyPrefix(v.ID)); !slices.Equal(second, first) {
		t.Fatalf("after a re-run: %v, want %v", second, first)
	}
	again, _ := Get(ctx, deps.DB.R, v.ID)
	if again.Processing != ProcReady || again.Renditions[0].Key != r.Key || again.PosterKey != got.PosterKey {
		t.Errorf("after a re-run: %+v", again)
	}
	if left, _ := os.ReadDir(deps.WorkDir); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	// Publishing works once ready, and the workflow is enforced.
	err = deps.DB.InTx(ctx, func(tx *sql.Tx) error {
		if err := SaveWorkflow(ctx, tx, Workflow{ReviewRequired: true}); err != nil {
			return err
		}
		if err := SetState(ctx, tx, again, StatePublished, time.Now()); !errors.Is(err, ErrReviewRequired) {
			t.Errorf("draft → published with a review required: %v", err)
		}
		if err := SetState(ctx, tx, again, StateInReview, time.Now()); err != nil {
			return err
		}
		return SetState(ctx, tx, again, StatePublished, time.Now())
	})
	if err != nil {
		t.Fatal(err)
	}
	list, total, err := List(ctx, deps.DB.R, Filter{States: []string{StatePublished}})
	if err != nil || total != 1 || list[0].ID != v.ID {
		t.Fatalf("published list: %v %d %v", list, total, err)
	}
}

func TestProcessVideoRejectsBadFiles(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		write func(string) error
		code  media.Code
	}{
		{"renamed document", func(p string) error { return os.WriteFile(p, []byte("%PDF-1.4 not a video\n"), 0o600) }, media.CodeNotVideo},
		{"empty", func(p string) error { return os.WriteFile(p, nil, 0o600) }, media.CodeEmpty},
		{"sound only", func(p string) error { return media.TestClip(ctx, p, media.ClipOptions{NoVideo: true}) }, media.CodeNoVideoStream},
		// A display matrix of 45°, which no player shows upright: refused at probe, with the
		// angle named, before anything is encoded or published.
		{"turned 45°", func(p string) error {
			if err := media.TestClip(ctx, p, media.ClipOptions{}); err != nil {
				return err
			}
			return mediatest.TiltMP4(p, 45)
		}, media.CodeRotation},
	} {
		t.Run(tc.name, func(t *testing.T) {
			deps := newDeps(t)
			v := newVideo(t, deps, tc.write)
			err := ProcessVideo(ctx, deps, v.ID)
			var me *media.Error
			if !errors.Is(err, ErrRejected) || !errors.As(err, &me) || me.Code != tc.code {
				t.Fatalf("err = %v, want rejected with %s", err, tc.code)
			}
			if tc.code == media.CodeRotation && !strings.Contains(err.Error(), "rotation 45° is not a multiple of 90°") {
				t.Errorf("err = %v, want the angle named", err)
			}
			got, _ := Get(ctx, deps.DB.R, v.ID)
			if got.Processing != ProcFailed || !strings.HasPrefix(got.Failure, string(tc.code)) || len(got.Renditions) != 0 {
				t.Errorf("after rejection: processing %q failure %q renditions %d", got.Processing, got.Failure, len(got.Renditions))
			}
			if k := keys(t, deps.Store, KeyPrefix(v.ID)); len(k) != 0 {
				t.Errorf("left behind: %v", k)
			}
			// The rejected source itself goes too; the reason stays.
			if got.SourceKey != "" {
				t.Errorf("source key %q kept after rejection", got.SourceKey)
			}
			if k := keys(t, deps.Store, "sources/"); len(k) != 0 {
				t.Errorf("rejected source left behind: %v", k)
			}
			if left, _ := os.ReadDir(deps.WorkDir); len(left) != 0 {
				t.Errorf("temporary files left: %v", left)
			}
			err = deps.DB.InTx(ctx, func(tx *sql.Tx) error {
				if err := SetState(ctx, tx, got, StateInReview, time.Now()); err != nil {
					return err
				}
				return SetState(ctx, tx, got, StatePublished, time.Now())
			})
			if !errors.Is(err, ErrTransition) {
				t.Errorf("publishing a rejected video: %v", err)
			}
		})
	}
}

func TestValidateAndTransitions(t *testing.T) {
	v := &Video{OriginalLang: "ko", State: StateDraft, Texts: []Text{{Lang: "en", Title: "x"}, {Lang: "EN", Title: "y"}}}
	v.Normalize()
	err := v.Validate()
	if err == nil || !strings.Contains(err.Error(), "video.error.original_missing") {
		t.Errorf("validate: %v", err)
	}
	v = &Video{OriginalLang: "ru", State: StateDraft, Texts: []Text{{Lang: "ru", Title: "Видео"}, {Lang: "sr-Latn", Title: "Video"}}}
	v.Normalize()
	if err := v.Validate(); err != nil {
		t.Errorf("any BCP 47 language: %v", err)
	}
	if v.Title("ko") != "Видео" || v.TitleLang("ko") != "ru" || v.TitleLang("sr-Latn") != "sr-Latn" {
		t.Errorf("fallback: %q %q", v.Title("ko"), v.TitleLang("ko"))
	}
	for _, c := range []struct {
		from, to string
		ok       bool
	}{{StatePlanned, StateDraft, true}, {StateDraft, StatePublished, true}, {StateInReview, StateScheduled, true},
		{StatePublished, StateDraft, false}, {StateWithdrawn, StateDraft, true}, {StatePlanned, StatePublished, false}} {
		if CanMove(c.from, c.to) != c.ok {
			t.Errorf("%s → %s: want %v", c.from, c.to, c.ok)
		}
	}
}

// TestWorkflowOffer: each state offers only the steps possible from it; a draft may be
// published in one step unless the office requires a review; nothing that makes the video
// public is offered before it is processed.
func TestWorkflowOffer(t *testing.T) {
	t.Parallel()
	ready := []Rendition{{Lines: 360}}
	for _, c := range []struct {
		state  string
		review bool
		proc   string
		want   []string
	}{
		{StatePlanned, false, ProcNone, []string{StateDraft, StateWithdrawn}},
		{StateDraft, false, ProcReady, []string{StatePublished, StateScheduled, StateInReview, StatePlanned, StateWithdrawn}},
		{StateDraft, true, ProcReady, []string{StateInReview, StatePlanned, StateWithdrawn}},
		{StateDraft, false, ProcProcessing, []string{StateInReview, StatePlanned, StateWithdrawn}},
		{StateInReview, true, ProcReady, []string{StatePublished, StateScheduled, StateUnlisted, StateDraft, StateWithdrawn}},
		{StateInReview, false, ProcFailed, []string{StateDraft, StateWithdrawn}},
		{StateScheduled, false, ProcReady, []string{StatePublished, StateInReview, StateWithdrawn}},
		{StatePublished, true, ProcReady, []string{StateUnlisted, StateWithdrawn}},
		{StateUnlisted, false, ProcReady, []string{StatePublished, StateWithdrawn}},
		{StateWithdrawn, true, ProcReady, []string{StateDraft}},
	} {
		v := &Video{State: c.state, Processing: c.proc}
		if c.proc == ProcReady {
			v.Renditions = ready
		}
		if got := (Workflow{ReviewRequired: c.review}).Offer(v); !slices.Equal(got, c.want) {
			t.Errorf("%s (review %v, %s): offered %v, want %v", c.state, c.review, c.proc, got, c.want)
		}
	}
}

var _ = db.ErrNotFound
