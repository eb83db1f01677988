package main

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"sistercity/internal/blob"
	"sistercity/internal/db"
	"sistercity/internal/db/dbtest"
	"sistercity/internal/jobs"
	"sistercity/internal/jobs/jobstest"
	"sistercity/internal/media"
	"sistercity/internal/video"
)

// TestServeKilledMidEncodeRescuedByHeartbeat: `sistercity serve` is killed with SIGKILL while
// ffmpeg encodes; started again with the default --rescue-after (hours), it notices within
// --encode-stale-after that the encode stopped beating and processes the video anew, without
// waiting for the queue's rescue. The killed job still counts as running in the queue; the
// video ends with one set of renditions and nothing of the killed run left.
func TestServeKilledMidEncodeRescuedByHeartbeat(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dataDir, dbURL := dbtest.Migrated(t)
	d, err := db.Open(ctx, dbURL, dataDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	store, err := blob.Open(ctx, "", dataDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	queue, err := jobs.New(d, jobs.Config{Workers: 0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	listed := jobstest.Must(t, d)
	clip := filepath.Join(t.TempDir(), "message.mp4")
	if err := media.TestClip(ctx, clip, media.ClipOptions{Width: 640, Height: 360, Duration: 16 * time.Second}); err != nil {
		t.Fatal(err)
	}
	v := &video.Video{OriginalLang: "ko", State: video.StateDraft, Texts: []video.Text{{Lang: "ko", Title: "부산 응원 영상"}}}
	err = d.InTx(ctx, func(tx *sql.Tx) error {
		if err := video.Create(ctx, tx, v); err != nil {
			return err
		}
		f, err := os.Open(clip)
		if err != nil {
			return err
		}
		defer f.Close()
		key := video.SourceKey(v.ID, "message.mp4")
		if err := store.Put(ctx, key, f); err != nil {
			return err
		}
		if err := video.AttachSource(ctx, tx, v.ID, key); err != nil {
			return err
		}
		return video.EnqueueProcessing(ctx, tx, queue, v.ID)
	})
	if err != nil {
		t.Fatal(err)
	}
	get := func() *video.Video {
		t.Helper()
		got, err := video.Get(ctx, d.R, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	processJobs := func() []jobstest.Info {
		t.Helper()
		page, err := listed.List(ctx, jobstest.Filter{Kinds: []string{video.ProcessArgs{}.Kind()}})
		if err != nil {
			t.Fatal(err)
		}
		return page.Jobs
	}

	// Short beats, so that the test does not wait minutes; the queue's own rescue keeps its
	// default of hours. Silence of 20 s (40 beats) is taken as death: a live encode whose beat
	// waits seconds for a busy machine's database is not taken over.
	args := []string{"--data-dir", dataDir, "--workers", "1", "--encode-heartbeat", "500ms", "--encode-stale-after", "20s"}
	if dbURL != "" {
		args = append(args, "--database-url", dbURL)
	}
	first, _ := startServeChild(t, args...)
	encoding := func() bool {
		outs, _ := filepath.Glob(filepath.Join(dataDir, "tmp", "video-*", "out", "*"))
		for _, o := range outs {
			if fi, err := os.Stat(o); err == nil && fi.Size() > 0 {
				return true
			}
		}
		return false
	}
	waitFor(t, serveStartBound, "the encode to begin", func() bool {
		got := get()
		if got.Processing == video.ProcReady || got.Processing == video.ProcFailed {
			t.Fatalf("processing ended (%s %q) before the kill: make the clip longer", got.Processing, got.Failure)
		}
		return got.Processing == video.ProcProcessing && (got.Progress > 0 || encoding())
	})
	first.kill()
	killed := processJobs()
	if len(killed) != 1 || killed[0].State != jobstest.StateRunning || get().Processing != video.ProcProcessing {
		t.Fatalf("after kill -9: jobs %+v, video %s", killed, get().Processing)
	}
	// The dead process led the queue, whose leader runs the rescue; its lease would lapse by
	// itself. Ending it now, as the lapse would, keeps the test short.
	if _, err := d.W.ExecContext(ctx, "DELETE FROM river_leader"); err != nil {
		t.Fatal(err)
	}

	second := startServeProcess(t, args...)
	waitFor(t, serveStartBound, "processing after the restart", func() bool {
		got := get()
		if got.Processing == video.ProcFailed {
			t.Fatalf("processing failed after the restart: %q", got.Failure)
		}
		return got.Processing == video.ProcReady
	})
	second.stop(t)

	// Rescued by the heartbeat, not by the queue: the killed job still counts as running, and
	// a second job did the work.
	var running, completed int
	for _, j := range processJobs() {
		switch {
		case j.ID == killed[0].ID && j.State == jobstest.StateRunning:
			running++
		case j.State == jobstest.StateCompleted:
			completed++
		}
	}
	if running != 1 || completed != 1 {
		t.Errorf("processing jobs: %+v; want the killed one still running and one completed", processJobs())
	}
	got := get()
	live := []string{got.PosterKey, got.ThumbnailKey}
	for _, r := range got.Renditions {
		live = append(live, r.Key, r.HLSKey)
	}
	var stored []string
	for a, err := range store.List(ctx, video.KeyPrefix(v.ID)) {
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, storedOwner(a.Key))
	}
	slices.Sort(live)
	slices.Sort(stored)
	stored = slices.Compact(stored)
	if len(got.Renditions) != 1 || !slices.Equal(stored, live) {
		t.Errorf("stored under %s: %q, want only the live set %q", video.KeyPrefix(v.ID), stored, live)
	}
	if left, _ := os.ReadDir(filepath.Join(dataDir, "tmp")); len(left) > 0 {
		t.Errorf("the work directory holds %d leftovers of the killed encode", len(left))
	}
}

// storedOwner is the stored output a key belongs to: an HLS segment's media playlist, else the
// key itself.
func storedOwner(key string) string {
	if playlist, ok := video.HLSPlaylistOf(key); ok {
		return playlist
	}
	return key
}
