package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/riverqueue/river"

	"sistercity/internal/db"
)

// Scheduled work — sweeps, rescues, backstops — runs as periodic jobs: River's elected leader,
// one among every started client on the database, enqueues each one every interval, so that
// with several serve replicas and workers a sweep runs once per interval, not once per process.
// Only clients that run jobs (Workers > 0) take part in the election: with serve --workers=0
// the worker processes enqueue and run them.

// MaintenanceQueue is the queue of the periodic jobs (unless their args choose another): one
// worker of its own in every process that runs jobs, so that a sweep never waits behind a
// two-hour encode on the default queue.
const MaintenanceQueue = "maintenance"

// Periodic says when the leader enqueues a periodic job.
type Periodic struct {
	// Every is the interval between two enqueues; at least a second.
	Every time.Duration
	// RunOnStart enqueues one at once when a client becomes leader (a sweep that finishes what
	// a stopped server left), instead of one interval later.
	RunOnStart bool
}

// periodicJob is a registered periodic job until Start hands it to River.
type periodicJob struct {
	kind string
	p    Periodic
	args func() Args
}

// RegisterPeriodic registers w for T's kind, like Register, and has the leader enqueue a job of
// T's zero value as p says. The job is unique within its interval: a new leader's RunOnStart
// does not double the interval's run. Register it in every process, like
// any worker: whichever client is leader enqueues it, any worker runs it.
func RegisterPeriodic[T Args](q *Queue, w Worker[T], p Periodic) error {
	var zero T
	if p.Every < time.Second {
		return fmt.Errorf("jobs: periodic %s: interval %s below a second", zero.Kind(), p.Every)
	}
	if err := Register(q, w); err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.periodic = append(q.periodic, periodicJob{kind: zero.Kind(), p: p, args: func() Args { return zero }})
	return nil
}

// riverPeriodic turns the registered periodic jobs into River's.
func (q *Queue) riverPeriodic() []*river.PeriodicJob {
	var out []*river.PeriodicJob
	for _, pj := range q.periodic {
		out = append(out, river.NewPeriodicJob(river.PeriodicInterval(pj.p.Every), func() (river.JobArgs, *river.InsertOpts) {
			args := pj.args()
			ro, err := insertOpts(args, nil)
			if err != nil {
				q.log.Error("periodic job not enqueued", "kind", pj.kind, "err", err)
				return nil, nil
			}
			// Unique within its interval only: a run whose process was killed stays running
			// until RescueStuckJobsAfter, and must not block the next intervals' runs.
			ro.UniqueOpts = river.UniqueOpts{ByArgs: true, ByPeriod: pj.p.Every}
			if wo, ok := args.(river.JobArgsWithInsertOpts); !ok || wo.InsertOpts().Queue == "" {
				ro.Queue = MaintenanceQueue
			}
			return args, ro
		}, &river.PeriodicJobOpts{ID: pj.kind, RunOnStart: pj.p.RunOnStart}))
	}
	return out
}

type queueKey struct{}

// NewContext returns ctx carrying q, for Trigger: the web server puts its queue in every
// request's context, and the queue in every job's.
func NewContext(ctx context.Context, q *Queue) context.Context {
	return context.WithValue(ctx, queueKey{}, q)
}

// Trigger enqueues args inside tx through the queue in ctx (NewContext), unless a job of its
// kind waits already: however many writes ask for it, one job waits at a time. A job that runs
// does not count — it may have read its work before this write commits — so a write made while
// one runs gets another after it. It does nothing when ctx carries no queue, or one that knows
// no worker for the kind (federation off); the kind's periodic backstop then finds the work.
//
// River's unique jobs cannot be used here: their uniqueness always covers running jobs, and a
// job whose process was killed stays running until RescueStuckJobsAfter (hours), which would
// block every trigger until then.
func Trigger(ctx context.Context, tx *sql.Tx, args Args) error {
	q, ok := ctx.Value(queueKey{}).(*Queue)
	if !ok || q == nil || !q.Handles(args.Kind()) {
		return nil
	}
	// On PostgreSQL the triggers of one kind take turns (a lock held until tx ends), so two
	// writes at once do not both find no job and enqueue two; and the waiting job's row is
	// locked until tx ends, so no worker takes it (River fetches with SKIP LOCKED) before this
	// write is visible to it — one being taken just now is waited for, and then no longer
	// waits. On SQLite the one writer orders it all.
	query := `SELECT id FROM river_job WHERE kind = $1 AND state IN ('available', 'scheduled', 'retryable', 'pending') LIMIT 1`
	if q.d.Dialect == db.Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('sistercity.jobs.trigger.' || $1))`, args.Kind()); err != nil {
			return fmt.Errorf("jobs: trigger %s: %w", args.Kind(), err)
		}
		query += ` FOR UPDATE`
	}
	var id int64
	switch err := tx.QueryRowContext(ctx, query, args.Kind()).Scan(&id); {
	case err == nil:
		return nil
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("jobs: trigger %s: %w", args.Kind(), err)
	}
	_, err := q.Insert(ctx, tx, args, nil)
	return err
}

// Handles tells whether a worker is registered for kind.
func (q *Queue) Handles(kind string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Contains(q.kinds, kind)
}
