package video

import (
	"context"
	"database/sql"
	"testing"
	"time"
)

// TestScheduledPublication: a scheduled video is published by PublishDue once its time has
// come, not before, and only while it is still scheduled.
func TestScheduledPublication(t *testing.T) {
	ctx := context.Background()
	deps := newDeps(t)
	at := time.Date(2020, 7, 10, 9, 0, 0, 0, time.UTC)
	v := &Video{OriginalLang: "ru", State: StateDraft, Texts: []Text{{Lang: "ru", Title: "Видео"}}}
	err := deps.DB.InTx(ctx, func(tx *sql.Tx) error {
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
		if err := SetState(ctx, tx, got, StateScheduled, at); err == nil {
			t.Error("draft → scheduled allowed")
		}
		if err := SetState(ctx, tx, got, StateInReview, at); err != nil {
			return err
		}
		if err := SetState(ctx, tx, got, StateScheduled, at); err == nil {
			t.Error("scheduled without a time allowed")
		}
		got.ScheduledAt = at
		if err := Update(ctx, tx, got); err != nil {
			return err
		}
		return SetState(ctx, tx, got, StateScheduled, at)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		now  time.Time
		want string
	}{{at.Add(-time.Minute), StateScheduled}, {at.Add(time.Second), StatePublished}, {at.Add(time.Hour), StatePublished}} {
		if err := deps.DB.InTx(ctx, func(tx *sql.Tx) error { return PublishDue(ctx, tx, v.ID, c.now) }); err != nil {
			t.Fatal(err)
		}
		got, _ := Get(ctx, deps.DB.R, v.ID)
		if got.State != c.want {
			t.Errorf("at %v: %s, want %s", c.now, got.State, c.want)
		}
		if c.want == StatePublished && !got.PublishedAt.Equal(at.Add(time.Second)) {
			t.Errorf("published at %v", got.PublishedAt)
		}
	}
}
