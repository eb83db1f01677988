package video

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"sistercity/internal/jobs"
	"sistercity/internal/media"
	"sistercity/internal/polltest"
)

// TestProcessingThroughTheQueue attaches a source and enqueues its processing in one
// transaction; a worker of the durable queue then makes the renditions.
func TestProcessingThroughTheQueue(t *testing.T) {
	ctx := context.Background()
	deps := newDeps(t)
	q, err := jobs.New(deps.DB, jobs.Config{Workers: 1, FetchPollInterval: 100 * time.Millisecond, StopTimeout: 5 * time.Second},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := Register(q, deps); err != nil {
		t.Fatal(err)
	}
	clip := filepath.Join(t.TempDir(), "clip.mp4")
	if err := media.TestClip(ctx, clip, media.ClipOptions{Duration: 2 * time.Second}); err != nil {
		t.Fatal(err)
	}
	v := &Video{OriginalLang: "ko", State: StateDraft, Texts: []Text{{Lang: "ko", Title: "응원 영상"}}}
	err = deps.DB.InTx(ctx, func(tx *sql.Tx) error {
		if err := Create(ctx, tx, v); err != nil {
			return err
		}
		f, err := os.Open(clip)
		if err != nil {
			return err
		}
		defer f.Close()
		key := SourceKey(v.ID, "clip.mp4")
		if err := deps.Store.Put(ctx, key, f); err != nil {
			return err
		}
		if err := AttachSource(ctx, tx, v.ID, key); err != nil {
			return err
		}
		return EnqueueProcessing(ctx, tx, q, v.ID)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		_ = q.Stop(sctx)
	})
	polltest.Within(t, 5*time.Minute, "the queued processing to record one rendition", func() (bool, string) {
		got, err := Get(ctx, deps.DB.R, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Processing == ProcFailed {
			t.Fatalf("processing failed: %q", got.Failure)
		}
		return got.Processing == ProcReady && len(got.Renditions) == 1, fmt.Sprintf("%s, %d renditions", got.Processing, len(got.Renditions))
	})
}
