package jobs_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"sistercity/internal/db/dbtest"
	"sistercity/internal/jobs"
	"sistercity/internal/jobs/jobstest"
)

type (
	// tickArgs is a periodic job: each run records its job.
	tickArgs struct{}
	// drainArgs is a trigger job: it marks every row of jobtest_todo done.
	drainArgs struct{}
)

func (tickArgs) Kind() string  { return "test.tick" }
func (drainArgs) Kind() string { return "test.drain" }

// replica opens a second handle on e's database, as another process would, with a queue of its
// own: two replicas of the application on one database.
func (e *env) replica(t *testing.T) *env {
	t.Helper()
	d := dbtest.Reopen(t, e.d)
	return newEnvOn(t, d, fastConfig())
}

// A periodic job registered in two queues on one database is enqueued by the leader alone:
// once per interval, not once per queue.
func TestPeriodicRunsOnceAcrossReplicas(t *testing.T) {
	t.Parallel()
	a := newEnv(t, fastConfig())
	b := a.replica(t)
	const every = time.Second
	for _, e := range []*env{a, b} {
		must(t, jobs.RegisterPeriodic(e.q, jobs.WorkFunc[tickArgs](func(ctx context.Context, j *jobs.Job[tickArgs]) error {
			return e.recordRun(ctx, j.ID, j.Key(), j.Attempt)
		}), jobs.Periodic{Every: every, RunOnStart: true}))
		e.start()
	}
	var list []jobstest.Info
	eventually(t, waitLong, "five ticks done", func() bool {
		p, err := a.jobs.List(context.Background(), jobstest.Filter{Kinds: []string{"test.tick"}, States: []jobstest.State{jobstest.StateCompleted}})
		must(t, err)
		list = p.Jobs
		return len(list) >= 5
	})
	// One leader schedules each tick an interval after the one before; a second enqueuer would
	// put its ticks between them, on its own start time.
	slices.SortFunc(list, func(x, y jobstest.Info) int { return x.ScheduledAt.Compare(y.ScheduledAt) })
	for i := 1; i < len(list); i++ {
		if gap := list[i].ScheduledAt.Sub(list[i-1].ScheduledAt); gap < every/2 {
			t.Errorf("ticks %d and %d due %s apart, want about %s: two enqueuers", list[i-1].ID, list[i].ID, gap, every)
		}
	}
	if err := jobs.RegisterPeriodic(a.q, jobs.WorkFunc[tickArgs](nil), jobs.Periodic{Every: time.Millisecond}); err == nil {
		t.Error("RegisterPeriodic accepted an interval below a second")
	}
}

// Writes from two replicas that each Trigger the drain job are all drained promptly, by jobs of
// which at most one waits at any time.
func TestTriggerOneWaitingJob(t *testing.T) {
	t.Parallel()
	a := newEnv(t, fastConfig())
	for _, ddl := range []string{`CREATE TABLE jobtest_todo (id BIGINT PRIMARY KEY, done BOOLEAN NOT NULL DEFAULT FALSE)`} {
		if _, err := a.d.W.Exec(ddl); err != nil {
			t.Fatal(err)
		}
	}
	b := a.replica(t)
	for _, e := range []*env{a, b} {
		must(t, jobs.Register(e.q, jobs.WorkFunc[drainArgs](func(ctx context.Context, j *jobs.Job[drainArgs]) error {
			return e.d.InTx(ctx, func(tx *sql.Tx) error {
				// The drain and the job's completion commit together. Two drains may run at
				// once (one waits, any number run): the work must bear that, as the outbox's does.
				if err := jobs.CompleteTx(ctx, tx, j); err != nil {
					return err
				}
				_, err := tx.ExecContext(ctx, `UPDATE jobtest_todo SET done = TRUE WHERE NOT done`)
				return err
			})
		})))
		e.start()
	}
	const writes = 40
	waiting := func() int {
		p, err := a.jobs.List(context.Background(), jobstest.Filter{Kinds: []string{"test.drain"},
			States: []jobstest.State{jobstest.StateAvailable, jobstest.StateScheduled, jobstest.StateRetryable, jobstest.StatePending}})
		must(t, err)
		return len(p.Jobs)
	}
	var wg sync.WaitGroup
	errs := make(chan error, writes)
	for i := range writes {
		e := []*env{a, b}[i%2]
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(jobs.NewContext(context.Background(), e.q), waitLong)
			defer cancel()
			errs <- e.d.InTx(ctx, func(tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO jobtest_todo (id) VALUES ($1)`, i); err != nil {
					return err
				}
				return jobs.Trigger(ctx, tx, drainArgs{})
			})
		})
		if n := waiting(); n > 1 {
			t.Errorf("after write %d: %d drain jobs waiting, want at most 1", i, n)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	eventually(t, waitLong, fmt.Sprintf("%d rows drained", writes), func() bool {
		var n int
		must(t, a.d.R.QueryRow(`SELECT COUNT(*) FROM jobtest_todo WHERE done`).Scan(&n))
		return n == writes
	})
	if n := waiting(); n > 1 {
		t.Errorf("after the writes: %d drain jobs waiting, want at most 1", n)
	}
	// Without a queue in the context, or with a kind nobody works, Trigger does nothing.
	must(t, a.d.InTx(context.Background(), func(tx *sql.Tx) error {
		if err := jobs.Trigger(context.Background(), tx, drainArgs{}); err != nil {
			return err
		}
		return jobs.Trigger(jobs.NewContext(context.Background(), a.q), tx, unknownArgs{})
	}))
}
