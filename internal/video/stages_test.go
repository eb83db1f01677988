package video

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"testing"
	"time"

	"sistercity/internal/media"
)

// The lowest rendition is made first, alone, and the video is watchable with it: a video
// scheduled for a time that has come is published with it, and its files are served, while
// the others are still being made. A run killed then resumes with the others only: the lowest
// is not made again, and nothing half made is left.
func TestLowestRenditionFirst(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	deps := newDeps(t)
	deps.Heights = []int{180, 360}
	q := insertOnly(t, deps)
	v := newVideo(t, deps, clipOf(4*time.Second))

	// In review, then scheduled while the source waits for processing, for a moment that has
	// passed by the time the first rendition is ready.
	at := time.Now().Add(time.Second)
	err := deps.DB.InTx(ctx, func(tx *sql.Tx) error {
		got, err := Get(ctx, tx, v.ID)
		if err != nil {
			return err
		}
		if err := SetState(ctx, tx, got, StateInReview, time.Now()); err != nil {
			return err
		}
		return Schedule(ctx, tx, q, Change{ID: v.ID, Version: got.Version, Now: time.Now()}, at)
	})
	if err != nil {
		t.Fatal(err)
	}

	slow := deps
	slow.Encoder = realtimeX264{media.X264{Preset: "ultrafast"}}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- ProcessVideo(runCtx, slow, v.ID) }()

	// The first stage's rendition, poster and publication are recorded in one transaction, but
	// Get reads the video's row and its renditions in two statements: renditions seen with the
	// row read just before the commit are not the recorded stage yet, so wait for the poster too.
	first := waitVideo(t, deps, v.ID, "the lowest rendition", func(v *Video) bool { return len(v.Renditions) > 0 && v.PosterKey != "" })
	if first.Processing != ProcProcessing || len(first.Renditions) != 1 || first.Renditions[0].Lines != 180 || !first.Processed() {
		t.Fatalf("first stage: processing %s, renditions %+v", first.Processing, first.Renditions)
	}
	if first.State != StatePublished || first.PosterKey == "" || first.Progress <= 0 || first.Progress >= 100 {
		t.Errorf("with its first rendition: state %s, poster %q, progress %d", first.State, first.PosterKey, first.Progress)
	}
	low := first.Renditions[0]
	for _, key := range append(hlsKeys(t, deps, low), low.Key, first.PosterKey) {
		if ok, err := PublicFile(ctx, deps.DB.R, v.ID, key); err != nil || !ok {
			t.Errorf("%s of the published video: public %v, %v", key, ok, err)
		}
	}

	// Killed while it makes the others.
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("the cancelled run succeeded")
		}
	case <-time.After(time.Minute):
		t.Fatal("the cancelled run did not end")
	}
	if !retryNow(t, deps, q, v.ID, time.Now()) {
		t.Fatal("the interrupted run could not be retried")
	}
	if err := ProcessVideo(ctx, deps, v.ID); err != nil {
		t.Fatal(err)
	}
	got, err := Get(ctx, deps.DB.R, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Processing != ProcReady || got.Progress != 100 || len(got.Renditions) != 2 || got.Renditions[1].Lines != 360 {
		t.Fatalf("after the resumed run: processing %s, renditions %+v", got.Processing, got.Renditions)
	}
	if got.Renditions[0].Key != low.Key || got.PosterKey != first.PosterKey {
		t.Errorf("the lowest rendition or the poster was made again: %s, %s", got.Renditions[0].Key, got.PosterKey)
	}
	if stored := outputsOf(keys(t, deps.Store, KeyPrefix(v.ID))); !slices.Equal(stored, liveKeys(got)) {
		t.Errorf("stored %q, want only the live set %q", stored, liveKeys(got))
	}
}

// A scheduled video whose time comes before processing has made anything stays scheduled: the
// publication job leaves it, and it is published when its first rendition is recorded.
func TestScheduledBeforeProcessed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	deps := newDeps(t)
	q := insertOnly(t, deps)
	v := newVideo(t, deps, clipOf(time.Second))
	at := time.Now().Add(time.Hour)
	err := deps.DB.InTx(ctx, func(tx *sql.Tx) error {
		got, err := Get(ctx, tx, v.ID)
		if err != nil {
			return err
		}
		if err := SetState(ctx, tx, got, StateInReview, time.Now()); err != nil {
			return err
		}
		if err := Publish(ctx, tx, Change{ID: v.ID, Version: got.Version, Now: time.Now()}); !errors.Is(err, ErrTransition) {
			t.Errorf("published before processing: %v", err)
		}
		if err := Schedule(ctx, tx, q, Change{ID: v.ID, Version: got.Version, Now: time.Now()}, at); err != nil {
			return err
		}
		return PublishDue(ctx, tx, v.ID, at.Add(time.Minute))
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := Get(ctx, deps.DB.R, v.ID); got.State != StateScheduled {
		t.Fatalf("due without a rendition: %s", got.State)
	}
	if err := ProcessVideo(ctx, deps, v.ID); err != nil {
		t.Fatal(err)
	}
	// Not due yet: still scheduled, now processed; the job publishes it at its time.
	got, _ := Get(ctx, deps.DB.R, v.ID)
	if got.State != StateScheduled || !got.Processed() {
		t.Fatalf("processed before its time: %s", got.State)
	}
	if err := deps.DB.InTx(ctx, func(tx *sql.Tx) error { return PublishDue(ctx, tx, v.ID, at.Add(time.Minute)) }); err != nil {
		t.Fatal(err)
	}
	if got, _ := Get(ctx, deps.DB.R, v.ID); got.State != StatePublished {
		t.Fatalf("at its time: %s", got.State)
	}
}
