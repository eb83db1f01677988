package video

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"testing"
	"time"

	"sistercity/internal/jobs"
	"sistercity/internal/jobs/jobstest"
	"sistercity/internal/media"
	"sistercity/internal/polltest"
)

// realtimeX264 is x264 fed at the clip's own pace (ffmpeg's realtime filter): an encode that
// takes at least as long as the clip, so that a test can act while it runs.
type realtimeX264 struct{ media.X264 }

func (realtimeX264) ScaleFilter(r media.Rendition) string {
	return "realtime,scale=-2:" + strconv.Itoa(r.Lines)
}

func clipOf(d time.Duration) func(string) error {
	return func(path string) error {
		return media.TestClip(context.Background(), path, media.ClipOptions{Width: 640, Height: 360, Duration: d})
	}
}

func insertOnly(t *testing.T, deps Deps) *jobs.Queue {
	t.Helper()
	q, err := jobs.New(deps.DB, jobs.Config{Workers: 0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// waitVideo polls video id until cond holds (polltest.Until).
func waitVideo(t *testing.T, deps Deps, id int64, what string, cond func(*Video) bool) *Video {
	t.Helper()
	var v *Video
	polltest.Until(t, what, func() (bool, string) {
		var err error
		if v, err = Get(context.Background(), deps.DB.R, id); err != nil {
			t.Fatal(err)
		}
		return cond(v), fmt.Sprintf("processing %s %q", v.Processing, v.Failure)
	})
	return v
}

func retryNow(t *testing.T, deps Deps, q *jobs.Queue, id int64, cutoff time.Time) bool {
	t.Helper()
	var queued bool
	err := deps.DB.InTx(context.Background(), func(tx *sql.Tx) error {
		var err error
		queued, err = Retry(context.Background(), tx, q, id, cutoff)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return queued
}

// liveKeys are the keys video v's rows point at; an HLS stream's segments are accounted to its
// playlist (see outputsOf).
func liveKeys(v *Video) []string {
	out := []string{v.PosterKey, v.ThumbnailKey}
	for _, r := range v.Renditions {
		out = append(out, r.Key, r.HLSKey)
	}
	slices.Sort(out)
	return out
}

// outputsOf are the outputs stored keys belong to: an HLS segment's playlist, else the key.
func outputsOf(keys []string) []string {
	var out []string
	for _, k := range keys {
		if playlist, ok := HLSPlaylistOf(k); ok {
			k = playlist
		}
		out = append(out, k)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// A run that stopped beating (a frozen or cut-off process) is taken over by the editor's
// "process again"; when it comes back and finishes, its results lose: the video keeps the
// renditions of the run that took over, and nothing the stale run stored remains.
func TestStaleRunResultsLose(t *testing.T) {
	deps := newDeps(t)
	q := insertOnly(t, deps)
	v := newVideo(t, deps, clipOf(6*time.Second))
	ctx := context.Background()

	stale := deps
	stale.Encoder = realtimeX264{media.X264{Preset: "ultrafast"}}
	stale.HeartbeatEvery = time.Hour // it never beats again: it cannot notice it lost
	done := make(chan error, 1)
	go func() { done <- ProcessVideo(ctx, stale, v.ID) }()
	claimed := waitVideo(t, deps, v.ID, "the first run to begin", func(v *Video) bool { return v.Processing == ProcProcessing })

	// Silent since its claim: stalled as of now.
	if !retryNow(t, deps, q, v.ID, claimed.HeartbeatAt.Add(time.Millisecond)) {
		t.Fatal("the stalled run could not be taken over")
	}
	if err := ProcessVideo(ctx, deps, v.ID); err != nil {
		t.Fatalf("the run that took over: %v", err)
	}
	var staleErr error
	select {
	case staleErr = <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("the stale run did not end")
	}
	if !errors.Is(staleErr, ErrSuperseded) {
		t.Fatalf("the stale run ended with %v, want ErrSuperseded", staleErr)
	}
	got, err := Get(ctx, deps.DB.R, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Processing != ProcReady || got.Failure != "" || len(got.Renditions) != 1 {
		t.Fatalf("after both runs: processing %s %q, %d renditions", got.Processing, got.Failure, len(got.Renditions))
	}
	stored := outputsOf(keys(t, deps.Store, KeyPrefix(v.ID)))
	if !slices.Equal(stored, liveKeys(got)) {
		t.Errorf("stored %q, want only the live set %q", stored, liveKeys(got))
	}
	// The queue got the editor's job, even though the stale run's job (none here) could still
	// count as running.
	page, err := jobstest.Must(t, deps.DB).List(ctx, jobstest.Filter{Kinds: []string{ProcessArgs{}.Kind()}})
	if err != nil || len(page.Jobs) != 1 {
		t.Fatalf("jobs after the retry: %d %v", len(page.Jobs), err)
	}
}

// A running encode beats; once taken over it notices at its next beat and stops, recording
// nothing: neither a failure nor a file.
func TestTakenOverRunStopsAtItsNextBeat(t *testing.T) {
	deps := newDeps(t)
	q := insertOnly(t, deps)
	v := newVideo(t, deps, clipOf(30*time.Second))
	ctx := context.Background()

	run := deps
	run.Encoder = realtimeX264{media.X264{Preset: "ultrafast"}}
	run.HeartbeatEvery = 50 * time.Millisecond
	done := make(chan error, 1)
	go func() { done <- ProcessVideo(ctx, run, v.ID) }()
	first := waitVideo(t, deps, v.ID, "the run to begin", func(v *Video) bool { return v.Processing == ProcProcessing })
	// Its heartbeat moves on while it encodes.
	beating := waitVideo(t, deps, v.ID, "a heartbeat", func(v *Video) bool { return v.HeartbeatAt.After(first.HeartbeatAt) })
	// A run that beats is not stalled: "process again" refuses it.
	if retryNow(t, deps, q, v.ID, beating.HeartbeatAt.Add(-time.Hour)) {
		t.Fatal("a live run was taken over")
	}
	if !retryNow(t, deps, q, v.ID, time.Now().Add(time.Hour)) {
		t.Fatal("the run could not be taken over")
	}
	var err error
	select {
	case err = <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("the run taken over did not stop")
	}
	if !errors.Is(err, ErrSuperseded) {
		t.Fatalf("the run taken over ended with %v, want ErrSuperseded", err)
	}
	got, err := Get(ctx, deps.DB.R, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Processing != ProcWaiting || got.Failure != "" {
		t.Errorf("the run taken over recorded %s %q; want the video waiting for its new job", got.Processing, got.Failure)
	}
	if left := keys(t, deps.Store, KeyPrefix(v.ID)); len(left) != 0 {
		t.Errorf("the run taken over left %q", left)
	}
}

// RescueStalled queues anew the video whose run went silent (its process was killed), and a
// worker of the queue processes it; a live run is left alone, and a job left over for a video
// already processed does nothing.
func TestRescueStalledThroughTheQueue(t *testing.T) {
	deps := newDeps(t)
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	q, err := jobs.New(deps.DB, jobs.Config{Workers: 1, FetchPollInterval: 100 * time.Millisecond, StopTimeout: 5 * time.Second}, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := Register(q, deps); err != nil {
		t.Fatal(err)
	}
	dead := newVideo(t, deps, clipOf(2*time.Second))
	live := newVideo(t, deps, clipOf(2*time.Second))
	// What a killed worker leaves: the video held by a run whose last beat is long past. The
	// live one beat just now. Silence is death after an hour here, so that the live run is
	// still live at the second look however slow the machine is meanwhile.
	if err := claim(ctx, deps.DB, dead.ID, newRun("killed-job", 1), time.Now().Add(-3*time.Hour), time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := claim(ctx, deps.DB, live.ID, newRun("live-job", 1), time.Now(), time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = q.Stop(sctx)
	})
	n, err := RescueStalled(ctx, deps.DB, q, time.Now(), time.Hour, log)
	if err != nil || n != 1 {
		t.Fatalf("RescueStalled = %d, %v; want 1", n, err)
	}
	ready := waitVideo(t, deps, dead.ID, "the rescued video to be processed", func(v *Video) bool {
		if v.Processing == ProcFailed {
			t.Fatalf("processing failed: %q", v.Failure)
		}
		return v.Processing == ProcReady
	})
	if got, _ := Get(ctx, deps.DB.R, live.ID); got.Processing != ProcProcessing || got.Progress != 0 {
		t.Errorf("the live run's video was touched: %s %d%%", got.Processing, got.Progress)
	}
	if n, err := RescueStalled(ctx, deps.DB, q, time.Now(), time.Hour, log); err != nil || n != 0 {
		t.Errorf("second RescueStalled = %d, %v; want 0", n, err)
	}

	// The killed run's own job, rescued by the queue much later, finds the video processed.
	var leftover jobs.Inserted
	err = deps.DB.InTx(ctx, func(tx *sql.Tx) error {
		leftover, err = q.Insert(ctx, tx, ProcessArgs{VideoID: dead.ID, Source: ready.SourceKey}, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	polltest.Until(t, "the leftover job to complete", func() (bool, string) {
		j, err := jobstest.Must(t, deps.DB).Get(ctx, leftover.ID)
		if err != nil {
			t.Fatal(err)
		}
		return j.State == jobstest.StateCompleted, string(j.State)
	})
	after, err := Get(ctx, deps.DB.R, dead.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(liveKeys(after), liveKeys(ready)) {
		t.Errorf("the leftover job processed the video again: %q → %q", liveKeys(ready), liveKeys(after))
	}
}
