// Package jobstest lets tests see and steer the jobs of a jobs.Queue by id: list them, read one,
// cancel or retry it. The application has no use for them yet (there is no jobs page in the
// admin); when it does, this code moves back into package jobs.
package jobstest

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"

	"sistercity/internal/db"
)

// State is where a job is in its life.
type State string

// The states, as River names them.
const (
	StateScheduled State = State(rivertype.JobStateScheduled) // waits for its ScheduledAt
	StateAvailable State = State(rivertype.JobStateAvailable) // waits for a worker
	StateRunning   State = State(rivertype.JobStateRunning)
	StateRetryable State = State(rivertype.JobStateRetryable) // failed, will run again
	StateCompleted State = State(rivertype.JobStateCompleted)
	StateCancelled State = State(rivertype.JobStateCancelled) // by Cancel or Permanent
	StateDiscarded State = State(rivertype.JobStateDiscarded) // failed MaxAttempts times
	StatePending   State = State(rivertype.JobStatePending)
)

// Jobs reads and steers the jobs in a database through River clients that never start.
type Jobs struct {
	// steer cancels and retries in the caller's transactions; reader lists, through the read
	// pool on SQLite, so that it neither waits for the one write connection nor blocks when
	// called inside an open transaction.
	steer, reader *river.Client[*sql.Tx]
}

// New returns the Jobs of the queue in d.
func New(d *db.DB) (*Jobs, error) {
	j := &Jobs{}
	var err error
	if j.steer, err = river.NewClient(driver(d, d.W), &river.Config{}); err != nil {
		return nil, fmt.Errorf("jobstest: %w", err)
	}
	if j.reader, err = river.NewClient(driver(d, d.R), &river.Config{}); err != nil {
		return nil, fmt.Errorf("jobstest: %w", err)
	}
	return j, nil
}

// Must is New for a test: it fails t on an error.
func Must(t testing.TB, d *db.DB) *Jobs {
	t.Helper()
	j, err := New(d)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func driver(d *db.DB, pool *sql.DB) riverdriver.Driver[*sql.Tx] {
	if d.Dialect == db.SQLite {
		return riversqlite.New(pool)
	}
	return riverdatabasesql.New(pool)
}

// Info is a job as the tests see it.
type Info struct {
	ID          int64
	Kind        string
	State       State
	Attempt     int // attempts so far
	MaxAttempts int
	Priority    int
	Tags        []string
	Args        json.RawMessage
	CreatedAt   time.Time
	// ScheduledAt is when the job is (or was) due to run.
	ScheduledAt time.Time
	// AttemptedAt is when the last attempt started; zero before the first.
	AttemptedAt time.Time
	// FinalizedAt is when the job completed, was cancelled or discarded; zero before.
	FinalizedAt time.Time
	// Errors counts the failed attempts; LastError is the latest one's message (with the
	// stack of a panic), as the queue stored it.
	Errors      int
	LastError   string
	LastErrorAt time.Time
}

func info(row *rivertype.JobRow) Info {
	in := Info{
		ID:          row.ID,
		Kind:        row.Kind,
		State:       State(row.State),
		Attempt:     row.Attempt,
		MaxAttempts: row.MaxAttempts,
		Priority:    row.Priority,
		Tags:        row.Tags,
		Args:        json.RawMessage(row.EncodedArgs),
		CreatedAt:   row.CreatedAt,
		ScheduledAt: row.ScheduledAt,
		Errors:      len(row.Errors),
	}
	if row.AttemptedAt != nil {
		in.AttemptedAt = *row.AttemptedAt
	}
	if row.FinalizedAt != nil {
		in.FinalizedAt = *row.FinalizedAt
	}
	if n := len(row.Errors); n > 0 {
		last := row.Errors[n-1]
		msg := last.Error
		if last.Trace != "" {
			msg += "\n" + last.Trace
		}
		in.LastError, in.LastErrorAt = msg, last.At
	}
	return in
}

// Filter selects jobs for List; the zero value lists the newest 50 of every state.
type Filter struct {
	States []State
	Kinds  []string
	// Limit is the page size, at most 500; 0 means 50.
	Limit int
	// After is Page.Next of the previous page.
	After string
}

// Page is one page of List, newest job first.
type Page struct {
	Jobs []Info
	// Next continues the listing with Filter.After; empty on the last page.
	Next string
}

// List returns jobs, newest first. Call it outside any transaction (on SQLite it reads
// through the read pool, so it cannot wait on one).
func (j *Jobs) List(ctx context.Context, f Filter) (Page, error) {
	limit := f.Limit
	switch {
	case limit == 0:
		limit = 50
	case limit < 0 || limit > 500:
		return Page{}, fmt.Errorf("jobstest: list: limit %d: want 1 to 500", limit)
	}
	p := river.NewJobListParams().OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(limit + 1)
	if len(f.States) > 0 {
		states := make([]rivertype.JobState, len(f.States))
		for i, s := range f.States {
			states[i] = rivertype.JobState(s)
		}
		p = p.States(states...)
	}
	if len(f.Kinds) > 0 {
		p = p.Kinds(f.Kinds...)
	}
	if f.After != "" {
		// Ordered by ID alone, a cursor is the last ID seen.
		after, err := strconv.ParseInt(f.After, 10, 64)
		if err != nil {
			return Page{}, fmt.Errorf("jobstest: list: bad cursor %q", f.After)
		}
		p = p.After(river.JobListCursorFromJob(&rivertype.JobRow{ID: after}))
	}
	res, err := j.reader.JobList(ctx, p)
	if err != nil {
		return Page{}, fmt.Errorf("jobstest: list: %w", err)
	}
	rows := res.Jobs
	var page Page
	// One row more than the page tells whether there is a next page.
	if len(rows) > limit {
		rows = rows[:limit]
		page.Next = strconv.FormatInt(rows[limit-1].ID, 10)
	}
	page.Jobs = make([]Info, len(rows))
	for i, r := range rows {
		page.Jobs[i] = info(r)
	}
	return page, nil
}

// Get returns job id, or an error wrapping db.ErrNotFound. Like List, outside a transaction.
func (j *Jobs) Get(ctx context.Context, id int64) (Info, error) {
	row, err := j.reader.JobGet(ctx, id)
	if err != nil {
		return Info{}, notFound(err, id)
	}
	return info(row), nil
}

// Retry makes a job that failed, was cancelled or is waiting run as soon as possible, in tx
// (with the audit entry of whoever asked). A running job is left alone; a discarded one gets
// one more attempt.
func (j *Jobs) Retry(ctx context.Context, tx *sql.Tx, id int64) (Info, error) {
	if tx == nil {
		return Info{}, fmt.Errorf("jobstest: retry job %d: no transaction", id)
	}
	row, err := j.steer.JobRetryTx(ctx, tx, id)
	if err != nil {
		return Info{}, notFound(err, id)
	}
	return info(row), nil
}

// Cancel cancels a job in tx. A waiting job will not run; a running one has its context
// cancelled once tx commits, and is not retried. A finished job is left as it is.
func (j *Jobs) Cancel(ctx context.Context, tx *sql.Tx, id int64) (Info, error) {
	if tx == nil {
		return Info{}, fmt.Errorf("jobstest: cancel job %d: no transaction", id)
	}
	row, err := j.steer.JobCancelTx(ctx, tx, id)
	if err != nil {
		return Info{}, notFound(err, id)
	}
	return info(row), nil
}

func notFound(err error, id int64) error {
	if errors.Is(err, rivertype.ErrNotFound) {
		return fmt.Errorf("jobstest: job %d: %w", id, db.ErrNotFound)
	}
	return fmt.Errorf("jobstest: job %d: %w", id, err)
}
