package jobstest

import (
	"context"
	"testing"
	"time"

	"sistercity/internal/db"
	"sistercity/internal/jobs"
)

// StartQueue starts a job queue on d with one worker, as a worker process runs it, after
// register has registered its workers; the queue stops when the test ends.
func StartQueue(t testing.TB, d *db.DB, register func(q *jobs.Queue) error) *jobs.Queue {
	t.Helper()
	q, err := jobs.New(d, jobs.Config{Workers: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := register(q); err != nil {
		t.Fatal(err)
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = q.Stop(ctx)
	})
	return q
}
