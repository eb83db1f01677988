package jobs

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// InsertOpts are the options of one insert; the zero value runs the job now, once per
// Config.MaxAttempts, at the default priority.
type InsertOpts struct {
	// ScheduledAt runs the job no earlier than this (scheduled publishing); River's scheduler
	// looks every 5 s, so it may run up to about 5 s later.
	ScheduledAt time.Time
	// MaxAttempts overrides Config.MaxAttempts for this job.
	MaxAttempts int
	// Priority from 1 (first) to 4 (last); 0 means 1.
	Priority int
	// Unique skips the insert when a job of the same kind and the same args has not finished
	// yet (it waits, runs or waits for a retry), so that a double click enqueues one
	// transcoding. Mark fields with `river:"unique"` to compare only those.
	Unique bool
	// Tags label the job for listing (letters, digits, '_' and '-').
	Tags []string
}

// Inserted tells what Insert did.
type Inserted struct {
	ID int64
	// Duplicate is true when Unique found an unfinished job like this one; ID is that job's.
	Duplicate bool
}

// uniqueStates are the states in which a unique job blocks an equal one: every state before
// the job is finished. River requires available, pending, running and scheduled.
var uniqueStates = []rivertype.JobState{
	rivertype.JobStateAvailable,
	rivertype.JobStatePending,
	rivertype.JobStateRetryable,
	rivertype.JobStateRunning,
	rivertype.JobStateScheduled,
}

// Insert enqueues a job inside tx, the transaction that writes the record the job processes:
// the job exists if and only if tx commits, and workers see it only after the commit. On
// SQLite every query of that transaction must go through tx (Insert does).
func (q *Queue) Insert(ctx context.Context, tx *sql.Tx, args Args, opts *InsertOpts) (Inserted, error) {
	kind := args.Kind()
	if tx == nil {
		return Inserted{}, fmt.Errorf("jobs: insert %s: no transaction", kind)
	}
	q.mu.Lock()
	known := len(q.kinds) == 0 || slices.Contains(q.kinds, kind)
	q.mu.Unlock()
	if !known {
		return Inserted{}, fmt.Errorf("jobs: insert %s: no worker registered for this kind", kind)
	}
	ro, err := insertOpts(args, opts)
	if err != nil {
		return Inserted{}, fmt.Errorf("jobs: insert %s: %w", kind, err)
	}
	res, err := q.inserter.InsertTx(ctx, tx, args, ro)
	if err != nil {
		return Inserted{}, fmt.Errorf("jobs: insert %s: %w", kind, err)
	}
	return Inserted{ID: res.Job.ID, Duplicate: res.UniqueSkippedAsDuplicate}, nil
}

func insertOpts(args Args, opts *InsertOpts) (*river.InsertOpts, error) {
	ro := &river.InsertOpts{}
	if opts != nil {
		if opts.Priority < 0 || opts.Priority > 4 {
			return nil, fmt.Errorf("priority %d: want 1 to 4", opts.Priority)
		}
		if opts.MaxAttempts < 0 {
			return nil, errors.New("negative MaxAttempts")
		}
		ro.ScheduledAt = opts.ScheduledAt
		ro.MaxAttempts = opts.MaxAttempts
		ro.Priority = opts.Priority
		ro.Tags = opts.Tags
		if opts.Unique {
			ro.UniqueOpts = river.UniqueOpts{ByArgs: true, ByState: uniqueStates}
		}
	}
	// The job's key goes into River's metadata, beside whatever the args' own defaults put
	// there: River takes the insert's metadata instead of the args', not merged.
	meta := map[string]any{}
	if withOpts, ok := args.(river.JobArgsWithInsertOpts); ok {
		if m := withOpts.InsertOpts().Metadata; len(m) > 0 {
			if err := json.Unmarshal(m, &meta); err != nil {
				return nil, fmt.Errorf("metadata of the args: %w", err)
			}
		}
	}
	meta[metaKey] = rand.Text()
	b, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	ro.Metadata = b
	return ro, nil
}

// Many is one job of InsertMany: its args and, optionally, its options.
type Many struct {
	Args Args
	Opts *InsertOpts
}

// InsertMany enqueues jobs inside tx as Insert does, in one batch (River's InsertManyTx): a
// fan-out of hundreds of jobs costs a few statements instead of one per job. Unique is not
// allowed here.
func (q *Queue) InsertMany(ctx context.Context, tx *sql.Tx, many []Many) error {
	if len(many) == 0 {
		return nil
	}
	if tx == nil {
		return errors.New("jobs: insert many: no transaction")
	}
	params := make([]river.InsertManyParams, len(many))
	for i, m := range many {
		kind := m.Args.Kind()
		q.mu.Lock()
		known := len(q.kinds) == 0 || slices.Contains(q.kinds, kind)
		q.mu.Unlock()
		if !known {
			return fmt.Errorf("jobs: insert %s: no worker registered for this kind", kind)
		}
		if m.Opts != nil && m.Opts.Unique {
			return fmt.Errorf("jobs: insert many %s: Unique is for Insert", kind)
		}
		ro, err := insertOpts(m.Args, m.Opts)
		if err != nil {
			return fmt.Errorf("jobs: insert %s: %w", kind, err)
		}
		params[i] = river.InsertManyParams{Args: m.Args, InsertOpts: ro}
	}
	if _, err := q.inserter.InsertManyTx(ctx, tx, params); err != nil {
		return fmt.Errorf("jobs: insert many: %w", err)
	}
	return nil
}

// RetryDelay is the wait before retry n (1 after the first failure) under the queue's retry
// policy: Config.Backoff, or River's default. A worker that hands part of its work to a new
// job (a delivery to one inbox split off a batch) schedules that job with it, as River would
// have retried it.
func (q *Queue) RetryDelay(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	if q.cfg.Backoff != nil {
		return q.cfg.Backoff(n)
	}
	row := &rivertype.JobRow{Errors: make([]rivertype.AttemptError, n-1)}
	return time.Until((&river.DefaultClientRetryPolicy{}).NextRetry(row))
}
