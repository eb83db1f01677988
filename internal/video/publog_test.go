package video

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"testing"
	"time"

	"sistercity/internal/jobs"
	"sistercity/internal/polltest"
	"sistercity/internal/publog"
)

// TestScheduledPublicationIsLogged: the queue's publication job publishes a scheduled video
// when its time comes and records "published on the site" in the publication log, at the
// moment of publication, in the same transaction.
func TestScheduledPublicationIsLogged(t *testing.T) {
	t.Parallel()
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
	at := time.Now().Add(time.Second).UTC()
	v := &Video{OriginalLang: "ru", State: StateDraft, Texts: []Text{{Lang: "ru", Title: "Видео"}}}
	err = deps.DB.InTx(ctx, func(tx *sql.Tx) error {
		if err := Create(ctx, tx, v); err != nil {
			return err
		}
		// A processed video, without running ffmpeg: what ProcessVideo records.
		if _, err := tx.ExecContext(ctx, `INSERT INTO video_renditions (video_id, lines, width, height, size, bitrate, storage_key)
			VALUES ($1, 360, 640, 360, 1000, 4000, 'videos/x/a-360p.mp4')`, v.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE videos SET processing = 'ready' WHERE id = $1`, v.ID); err != nil {
			return err
		}
		got, err := Get(ctx, tx, v.ID)
		if err != nil {
			return err
		}
		if err := SetState(ctx, tx, got, StateInReview, at); err != nil {
			return err
		}
		got.ScheduledAt = at
		if err := Update(ctx, tx, got); err != nil {
			return err
		}
		if err := SetState(ctx, tx, got, StateScheduled, at); err != nil {
			return err
		}
		return EnqueuePublish(ctx, tx, q, v.ID, at)
	})
	if err != nil {
		t.Fatal(err)
	}
	if es, err := publog.List(ctx, deps.DB.R, v.ID); err != nil || len(es) != 0 {
		t.Fatalf("log before publication: %v %v", es, err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		_ = q.Stop(sctx)
	})
	var got *Video
	polltest.Until(t, "the publication", func() (bool, string) {
		var err error
		if got, err = Get(ctx, deps.DB.R, v.ID); err != nil {
			t.Fatal(err)
		}
		return got.State == StatePublished, string(got.State)
	})
	es, err := publog.List(ctx, deps.DB.R, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].Channel != publog.ChannelSite || es[0].Status != publog.StatusOK || !es[0].At.Equal(got.PublishedAt) {
		t.Fatalf("log after publication at %v: %+v", got.PublishedAt, es)
	}
}
