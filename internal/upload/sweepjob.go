package upload

import (
	"context"
	"errors"
	"time"

	"sistercity/internal/jobs"
)

// When the uploads wait in the media bucket and their locks are PostgreSQL's, every replica
// sees every upload: the sweep is then scheduled work like any other, a periodic job that runs
// once per interval across the replicas (RegisterSweep), instead of a timer in each serve
// (Run, RunIdle), which stays for uploads on a process's own disk.

// SweepArgs is the periodic job that runs Sweep and SweepIdle.
type SweepArgs struct{}

// Kind names the job.
func (SweepArgs) Kind() string { return "upload.sweep" }

// RegisterSweep has the queue's leader run h's Sweep and SweepIdle every interval, and once
// when it becomes leader (finishing the uploads a stopped replica left complete). h may be a
// Handler that serves no request, as in a worker process: the uploads it sweeps are the
// bucket's, and each expiry and completion is taken under the upload's shared lock.
func RegisterSweep(q *jobs.Queue, h *Handler, every time.Duration) error {
	return jobs.RegisterPeriodic(q, jobs.WorkFunc[SweepArgs](func(ctx context.Context, _ *jobs.Job[SweepArgs]) error {
		return errors.Join(h.Sweep(ctx), h.SweepIdle(ctx))
	}), jobs.Periodic{Every: every, RunOnStart: true})
}
