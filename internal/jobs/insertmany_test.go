package jobs_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"sistercity/internal/db/dbtest"
	"sistercity/internal/jobs"
)

// InsertMany enqueues all its jobs in the caller's transaction or none: a kind with no worker,
// or Unique (which is Insert's), refuses the whole batch.
func TestInsertMany(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	q, err := jobs.New(d, jobs.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := jobs.Register(q, jobs.WorkFunc[encodeArgs](func(context.Context, *jobs.Job[encodeArgs]) error { return nil })); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	count := func() int {
		var n int
		if err := d.R.QueryRow("SELECT COUNT(*) FROM river_job WHERE kind = 'test.encode'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	insert := func(many []jobs.Many) error {
		return d.InTx(ctx, func(tx *sql.Tx) error { return q.InsertMany(ctx, tx, many) })
	}
	if err := insert([]jobs.Many{{Args: encodeArgs{}}, {Args: unknownArgs{}}}); err == nil {
		t.Error("a kind with no worker was inserted")
	}
	if err := insert([]jobs.Many{{Args: encodeArgs{}, Opts: &jobs.InsertOpts{Unique: true}}}); err == nil {
		t.Error("Unique was accepted")
	}
	if n := count(); n != 0 {
		t.Fatalf("%d jobs after refused batches", n)
	}
	later := time.Now().Add(time.Hour)
	if err := insert([]jobs.Many{{Args: encodeArgs{}}, {Args: encodeArgs{}, Opts: &jobs.InsertOpts{ScheduledAt: later, MaxAttempts: 3}}}); err != nil {
		t.Fatal(err)
	}
	var scheduled, maxAttempts int
	if err := d.R.QueryRow("SELECT COUNT(*), MAX(max_attempts) FROM river_job WHERE kind = 'test.encode' AND state = 'scheduled'").Scan(&scheduled, &maxAttempts); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 2 || scheduled != 1 || maxAttempts != 3 {
		t.Fatalf("%d jobs, %d scheduled with max_attempts %d; want 2, 1 with 3", n, scheduled, maxAttempts)
	}
}

// RetryDelay follows Config.Backoff, and without it River's n⁴ seconds (with its 10% jitter).
func TestRetryDelay(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	q, err := jobs.New(d, jobs.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// River's 16 s ±10% is a time, turned into a delay from now: a pause between the two
	// leaves it shorter, so the lower bound leaves room for a busy machine.
	if got := q.RetryDelay(2); got < 10*time.Second || got > 18*time.Second {
		t.Errorf("River's delay before retry 2: %s, want about 16s", got)
	}
	q2, err := jobs.New(d, jobs.Config{Backoff: func(n int) time.Duration { return time.Duration(n) * time.Minute }}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := q2.RetryDelay(3); got != 3*time.Minute {
		t.Errorf("Backoff's delay before retry 3: %s", got)
	}
}
