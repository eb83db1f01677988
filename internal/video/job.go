package video

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"sistercity/internal/blob"
	"sistercity/internal/db"
	"sistercity/internal/jobs"
	"sistercity/internal/publog"
)

// ProcessArgs is the job that processes a video's source.
type ProcessArgs struct {
	VideoID int64 `json:"video_id" river:"unique"`
	// Source is the source key the job was queued for; empty in jobs queued before it was
	// recorded. A job whose source was replaced since has nothing to do.
	Source string `json:"source,omitempty" river:"unique"`
}

// processAttempts is how many times a processing job runs before it is discarded.
const processAttempts = 3

// storageOutage is how long processing waits for media storage that cannot be reached before
// such a failure counts as an attempt: an S3 service restarted or briefly cut off must not
// use up the three attempts (River's backoff spends them in about 20 seconds).
const storageOutage = time.Hour

// Kind names the job in the queue.
func (ProcessArgs) Kind() string { return "video.process" }

// PublishArgs is the job that publishes a scheduled video when its time comes.
type PublishArgs struct {
	VideoID int64 `json:"video_id" river:"unique"`
}

// Kind names the job in the queue.
func (PublishArgs) Kind() string { return "video.publish" }

// EnqueueProcessing asks for video id to be processed, inside tx, the transaction that attached
// its source: the job exists exactly when the source does.
func EnqueueProcessing(ctx context.Context, tx *sql.Tx, q *jobs.Queue, id int64) error {
	var source string
	if err := tx.QueryRowContext(ctx, "SELECT source_key FROM videos WHERE id = $1", id).Scan(&source); err != nil {
		return fmt.Errorf("video: enqueue processing %d: %w", id, err)
	}
	if _, err := q.Insert(ctx, tx, ProcessArgs{VideoID: id, Source: source}, &jobs.InsertOpts{Unique: true, MaxAttempts: processAttempts}); err != nil {
		return fmt.Errorf("video: enqueue processing %d: %w", id, err)
	}
	return nil
}

// EnqueuePublish schedules the publication of video id at at, inside tx.
func EnqueuePublish(ctx context.Context, tx *sql.Tx, q *jobs.Queue, id int64, at time.Time) error {
	if _, err := q.Insert(ctx, tx, PublishArgs{VideoID: id}, &jobs.InsertOpts{ScheduledAt: at}); err != nil {
		return fmt.Errorf("video: enqueue publication %d: %w", id, err)
	}
	return nil
}

// Register adds the video job workers to q.
func Register(q *jobs.Queue, deps Deps) error {
	err := jobs.Register(q, jobs.WorkFunc[ProcessArgs](func(ctx context.Context, job *jobs.Job[ProcessArgs]) error {
		id := job.Args.VideoID
		if deps.Log == nil {
			deps.Log = slog.Default()
		}
		v, err := Get(ctx, deps.DB.R, id)
		if err != nil {
			return err
		}
		// A job left over from a run taken over (its queue's rescue comes after the new run)
		// or queued for a source replaced since: the video has, or will have, its renditions
		// from another job.
		switch {
		case job.Args.Source != "" && v.SourceKey != job.Args.Source:
			deps.Log.Info("video: processing job for a replaced source; nothing to do", "video", id, "job", job.ID)
			return nil
		case v.Processing == ProcReady:
			deps.Log.Info("video: processing job for a video already processed; nothing to do", "video", id, "job", job.ID)
			return nil
		}
		err = processVideo(ctx, deps, id, newRun(job.Key(), job.Attempt))
		switch {
		case errors.Is(err, errBusy):
			deps.Log.Info("video: another run is processing the video; nothing to do", "video", id, "job", job.ID)
			return nil
		case errors.Is(err, ErrSuperseded):
			// The run that took over records the video; this job is done.
			deps.Log.Warn("video: processing run superseded", "video", id, "job", job.ID)
			return nil
		case errors.Is(err, ErrRejected):
			return jobs.Permanent(err)
		case errors.Is(err, blob.ErrUnavailable) && job.Snoozes < int(storageOutage/deps.storageRetry()):
			deps.Log.Warn("video: media storage unavailable; processing waits for it", "video", id, "job", job.ID,
				"retry_in", deps.storageRetry(), "err", err)
			return jobs.Snooze(deps.storageRetry())
		}
		return err
	}))
	if err != nil {
		return err
	}
	return jobs.Register(q, jobs.WorkFunc[PublishArgs](func(ctx context.Context, job *jobs.Job[PublishArgs]) error {
		if err := waitForSchedule(ctx, deps.DB.R, job.Args.VideoID); err != nil {
			return err
		}
		return deps.DB.InTx(ctx, func(tx *sql.Tx) error {
			return PublishDue(ctx, tx, job.Args.VideoID, time.Now())
		})
	}))
}

// waitForSchedule waits out the moment by which the queue may start a publication job before
// its time (it keeps times to the millisecond on SQLite), so that the job publishes instead of
// finding the video not yet due and leaving it scheduled.
func waitForSchedule(ctx context.Context, q db.Querier, id int64) error {
	v, err := Get(ctx, q, id)
	if err != nil {
		return err
	}
	early := time.Until(v.ScheduledAt)
	if v.State != StateScheduled || early <= 0 || early > time.Second {
		return nil
	}
	select {
	case <-time.After(early):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// PublishDue publishes video id if it is still scheduled, its time has come and it can be
// watched, and records it in the publication log; otherwise it does nothing (the editor changed
// the schedule or the state since, or its first rendition is not made yet: processing then
// publishes it when it records that rendition).
func PublishDue(ctx context.Context, tx *sql.Tx, id int64, now time.Time) error {
	v, err := Get(ctx, tx, id)
	if err != nil {
		return err
	}
	if v.State != StateScheduled || v.ScheduledAt.After(now) || !v.Processed() {
		return nil
	}
	if err := SetState(ctx, tx, v, StatePublished, now); err != nil {
		return err
	}
	return publog.RecordSitePublication(ctx, tx, id, now)
}
