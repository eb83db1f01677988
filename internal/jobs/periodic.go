package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/riverqueue/river"
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
// T's zero value as p says. The job is unique while it waits or runs: a slow run, or a new
// leader's RunOnStart, never piles a second one beside it. Register it in every process, like
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
			ro, err := insertOpts(args, &InsertOpts{Unique: true})
			if err != nil {
				q.log.Error("periodic job not enqueued", "kind", pj.kind, "err", err)
				return nil, nil
			}
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

// Trigger enqueues args inside tx as a unique job through the queue in ctx (NewContext): at
// most one such job waits at a time, however many writes ask for it, and a write made while one
// runs gets another after it (see CompleteTx). It does nothing when ctx carries no queue, or
// one that knows no worker for the kind (federation off); the kind's periodic backstop then
// finds the work later.
func Trigger(ctx context.Context, tx *sql.Tx, args Args) error {
	q, ok := ctx.Value(queueKey{}).(*Queue)
	if !ok || q == nil || !q.Handles(args.Kind()) {
		return nil
	}
	_, err := q.Insert(ctx, tx, args, &InsertOpts{Unique: true})
	return err
}

// Handles tells whether a worker is registered for kind.
func (q *Queue) Handles(kind string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Contains(q.kinds, kind)
}
