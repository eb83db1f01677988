package video

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"sistercity/internal/publog"
	"time"

	"sistercity/internal/auth"
	"sistercity/internal/jobs"
	"sistercity/internal/problem"
)

// The publishing workflow's use cases: each checks its rules, changes the video, enqueues the
// jobs the change needs and writes its audit entry, all in the caller's transaction, whoever
// calls — a page, a command, a job. The processing itself is process.go's.

// Change is a change of a video's state someone asks for: the video, the version they acted
// on, who they are and when.
type Change struct {
	ID      int64
	Version int64
	Actor   *auth.User // nil for the system
	Now     time.Time
}

// StateRecord is a video's state as the audit log keeps it for a change of state.
type StateRecord struct {
	State       string    `json:"state"`
	ScheduledAt time.Time `json:"scheduled_at"`
}

func stateOf(v *Video) StateRecord { return StateRecord{State: v.State, ScheduledAt: v.ScheduledAt} }

// Add stores a new video, audited.
func Add(ctx context.Context, tx *sql.Tx, v *Video, actor *auth.User) error {
	if err := Create(ctx, tx, v); err != nil {
		return err
	}
	after, err := Get(ctx, tx, v.ID)
	if err != nil {
		return err
	}
	return auth.Audit(ctx, tx, actor, auth.ActionCreate, auth.EntityVideo, v.ID, nil, after)
}

// Edit saves v's details if nobody changed the video since v.Version was read (ErrStale), audited.
// A scheduled video that gets another time has its publication enqueued again; the job for the
// old time finds the video not due and does nothing.
func Edit(ctx context.Context, tx *sql.Tx, q *jobs.Queue, v *Video, actor *auth.User) error {
	before, err := Get(ctx, tx, v.ID)
	if err != nil {
		return err
	}
	if err := Update(ctx, tx, v); err != nil {
		return err
	}
	if before.State == StateScheduled && !v.ScheduledAt.Equal(before.ScheduledAt) {
		if err := EnqueuePublish(ctx, tx, q, v.ID, v.ScheduledAt); err != nil {
			return err
		}
	}
	after, err := Get(ctx, tx, v.ID)
	if err != nil {
		return err
	}
	return auth.Audit(ctx, tx, actor, auth.ActionUpdate, auth.EntityVideo, v.ID, before, after)
}

// Schedule sets the video to be published at at (or at its stored time when at is zero) and
// enqueues the publication for that moment. The time must lie ahead of c.Now: a
// problem.Fields on "scheduled_at" otherwise. The workflow decides from which states a video
// may be scheduled, and a video without renditions may not (ErrTransition).
func Schedule(ctx context.Context, tx *sql.Tx, q *jobs.Queue, c Change, at time.Time) error {
	v, err := current(ctx, tx, c)
	if err != nil {
		return err
	}
	if at.IsZero() {
		at = v.ScheduledAt
	}
	var f problem.Fields
	switch {
	case at.IsZero():
		f.Add("scheduled_at", "video.error.schedule_missing")
	case !at.After(c.Now):
		f.Add("scheduled_at", "video.edit.schedule_past")
	}
	if err := f.Err(); err != nil {
		return err
	}
	before := stateOf(v)
	if !at.Equal(v.ScheduledAt) {
		v.ScheduledAt = at
		if err := Update(ctx, tx, v); err != nil {
			return err
		}
	}
	if err := SetState(ctx, tx, v, StateScheduled, c.Now); err != nil {
		return err
	}
	if err := EnqueuePublish(ctx, tx, q, v.ID, at); err != nil {
		return err
	}
	return auth.Audit(ctx, tx, c.Actor, auth.ActionState, auth.EntityVideo, v.ID, before, stateOf(v))
}

// Publish makes the video public and listed now; it needs its renditions (ErrTransition).
func Publish(ctx context.Context, tx *sql.Tx, c Change) error {
	return Move(ctx, tx, c, StatePublished)
}

// Withdraw takes the video off the public site.
func Withdraw(ctx context.Context, tx *sql.Tx, c Change) error {
	return Move(ctx, tx, c, StateWithdrawn)
}

// Move moves the video to state to as the workflow allows (ErrTransition otherwise), audited.
// Scheduling needs a time and a job: Schedule.
func Move(ctx context.Context, tx *sql.Tx, c Change, to string) error {
	if to == StateScheduled {
		return fmt.Errorf("video: %d scheduled without Schedule: %w", c.ID, ErrTransition)
	}
	v, err := current(ctx, tx, c)
	if err != nil {
		return err
	}
	before := stateOf(v)
	was := v.State
	if err := SetState(ctx, tx, v, to, c.Now); err != nil {
		return err
	}
	// A publication, first or after a withdrawal, is in the video's publication log.
	if to == StatePublished && was != StatePublished {
		if err := publog.RecordSitePublication(ctx, tx, v.ID, c.Now); err != nil {
			return err
		}
	}
	return auth.Audit(ctx, tx, c.Actor, auth.ActionState, auth.EntityVideo, v.ID, before, stateOf(v))
}

// current reads the video of c as it is in tx: ErrStale when it changed since c.Version.
func current(ctx context.Context, tx *sql.Tx, c Change) (*Video, error) {
	v, err := Get(ctx, tx, c.ID)
	if err != nil {
		return nil, err
	}
	if v.Version != c.Version {
		return nil, fmt.Errorf("video: %d from version %d, now %d: %w", v.ID, c.Version, v.Version, ErrStale)
	}
	return v, nil
}

// processingRecord is a video's processing as the audit log keeps it for a reprocessing.
type processingRecord struct {
	Processing string `json:"processing"`
	Failure    string `json:"failure,omitempty"`
}

// Reprocess runs the processing of video id's source again: after it failed, or while its run
// has been silent since staleBefore (see Retry). The video waits again and a processing job is
// enqueued. A video without a source, or whose processing neither failed nor stalled, is
// refused with a problem saying so.
func Reprocess(ctx context.Context, tx *sql.Tx, q *jobs.Queue, id int64, staleBefore time.Time, actor *auth.User) error {
	v, err := Get(ctx, tx, id)
	if err != nil {
		return err
	}
	if v.SourceKey == "" {
		return problem.New(http.StatusUnprocessableEntity, "video.edit.no_source")
	}
	queued, err := Retry(ctx, tx, q, id, staleBefore)
	if err != nil {
		return err
	}
	if !queued {
		return problem.New(http.StatusConflict, "video.edit.not_retryable")
	}
	return auth.Audit(ctx, tx, actor, auth.ActionReprocess, auth.EntityVideo, id,
		processingRecord{Processing: v.Processing, Failure: v.Failure}, processingRecord{Processing: ProcWaiting})
}
