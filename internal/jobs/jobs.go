// Package jobs is sistercity's durable job queue: processing an uploaded video (video.process),
// publishing a scheduled one (video.publish) and burning subtitles into a rendition
// (track.burn) run as jobs kept in the application's own database, so that a job is enqueued in
// the same transaction as the record it processes and survives restarts.
//
// It wraps River (github.com/riverqueue/river) over database/sql, with one transaction type on
// both databases: riversqlite on the single SQLite write connection, riverdatabasesql on
// PostgreSQL with a pgx listener for LISTEN/NOTIFY pickup. River's tables are created by
// db.Migrate. Feature packages see only this package's small API: Register a Worker for an Args
// type and Insert inside their transaction; RegisterPeriodic for scheduled work, which the
// leader of all the processes on the database enqueues once per interval; Trigger for work
// that a write asks for, at most one job waiting. Tests read and steer jobs by id through jobstest
// (there is no jobs page in the admin yet).
//
// Workers must be idempotent. A job runs at least once, not exactly once: a process killed
// mid-job leaves it running until RescueStuckJobsAfter has passed, then it runs again, from the
// start. Key side effects on the domain record (the video, the rendition, the inbox), or on
// Job.Key, never on the job ID alone: on SQLite the ID of a job inserted in a transaction that
// rolled back is handed to the next job, and a restored backup hands out IDs again.
package jobs

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"

	"sistercity/internal/db"
)

// Config tunes a Queue. Zero values take the defaults named on each field.
type Config struct {
	// Workers is how many jobs this process runs at once. 0 makes the Queue insert-only: it
	// enqueues, lists and retries, and Start runs nothing (serve --workers=0 beside `worker`).
	Workers int
	// JobTimeout cancels a job's context after this long. Default 2h.
	JobTimeout time.Duration
	// RescueStuckJobsAfter is how long a job may stay running before it is taken as abandoned
	// by a dead process and retried. It must be at least JobTimeout, or a job still at work
	// would run a second time beside itself. Default JobTimeout + 15m.
	RescueStuckJobsAfter time.Duration
	// MaxAttempts is how many times a job runs before it is discarded, unless its insert says
	// otherwise. Default 10: with River's backoff (attempt⁴ seconds) about four hours of
	// retries, long enough for an outage, short enough that a broken job shows soon.
	MaxAttempts int
	// Backoff is the wait before retry n (n is 1 after the first failure). Nil keeps River's
	// default, n⁴ seconds with 10% jitter.
	Backoff func(n int) time.Duration
	// StopTimeout is how long Stop lets running jobs finish before it cancels their
	// contexts. Default 30s, inside the usual 90s a service manager waits.
	StopTimeout time.Duration
	// FetchPollInterval is how often workers look for jobs when no notification came.
	// Default 1s; new jobs are normally picked up at once by notification.
	FetchPollInterval time.Duration
	// Queues are queues beside the default one, by name, each with how many of its jobs this
	// process runs at once (the "federation" queue of deliveries, so that a thousand deliveries
	// never wait behind an encode, nor an encode behind them). Args choose their queue in their
	// InsertOpts. Ignored when Workers is 0.
	Queues map[string]int
	// FetchCooldowns shorten, for some of those queues, the least time between two fetches of
	// jobs (River's default is 100 ms): a queue of many short network jobs — deliveries — is
	// otherwise held to about its workers' number of jobs per 100 ms.
	FetchCooldowns map[string]time.Duration
	// FetchPollIntervals shorten, for some of those queues, FetchPollInterval. River fetches
	// when a worker frees its slot, but a slot freed while a fetch is under way waits for the
	// next job to finish or the next poll: at the end of a fan-out with more jobs than workers
	// that is a worker idle for up to FetchPollInterval while the last batches wait.
	FetchPollIntervals map[string]time.Duration

	testOnly bool // River's TestOnly: no staggered start of maintenance, for fast tests
}

// Defaults of Config.
const (
	DefaultJobTimeout   = 2 * time.Hour
	DefaultMaxAttempts  = 10
	DefaultStopTimeout  = 30 * time.Second
	defaultRescueMargin = 15 * time.Minute
)

// How long finished jobs stay listed before River's cleaner deletes them: a week for an office
// that looks at the admin page weekly, longer for the failures someone has to act on.
const (
	completedRetention = 7 * 24 * time.Hour
	cancelledRetention = 7 * 24 * time.Hour
	discardedRetention = 30 * 24 * time.Hour
)

func (c Config) withDefaults() (Config, error) {
	if c.Workers < 0 {
		return c, fmt.Errorf("jobs: Workers %d: must not be negative", c.Workers)
	}
	if c.JobTimeout == 0 {
		c.JobTimeout = DefaultJobTimeout
	}
	if c.RescueStuckJobsAfter == 0 {
		c.RescueStuckJobsAfter = c.JobTimeout + defaultRescueMargin
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.StopTimeout == 0 {
		c.StopTimeout = DefaultStopTimeout
	}
	if c.FetchPollInterval == 0 {
		c.FetchPollInterval = time.Second
	}
	switch {
	case c.JobTimeout < 0:
		return c, errors.New("jobs: JobTimeout must be positive")
	case c.RescueStuckJobsAfter < c.JobTimeout:
		return c, fmt.Errorf("jobs: RescueStuckJobsAfter (%s) must be at least JobTimeout (%s)", c.RescueStuckJobsAfter, c.JobTimeout)
	case c.MaxAttempts < 1:
		return c, errors.New("jobs: MaxAttempts must be positive")
	}
	return c, nil
}

// Queue enqueues jobs and, unless insert-only, runs them. Register every worker, then Start;
// Stop before closing the database.
type Queue struct {
	d   *db.DB
	cfg Config
	log *slog.Logger

	// inserter enqueues, retries and cancels through the caller's transactions; reader lists.
	// Both are River clients that never start. Keeping them apart from the client that works
	// lets Insert run before Start, and lets the worker client be built once every worker is
	// registered (River reads its workers when the client is made).
	inserter, reader *river.Client[*sql.Tx]

	mu             sync.Mutex
	workers        *river.Workers
	kinds          []string
	periodic       []periodicJob
	worker         *river.Client[*sql.Tx] // non-nil once started
	listenerClosed chan struct{}          // closed once the worker client stopped and its listener pool is closed
	stopped        bool
}

// New returns a Queue over d. It starts nothing; see Start.
func New(d *db.DB, cfg Config, log *slog.Logger) (*Queue, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	q := &Queue{d: d, cfg: cfg, log: log.With("component", "jobs"), workers: river.NewWorkers()}
	ic := q.riverConfig()
	// River sends an insert's notification (NOTIFY, or SQLite's outbox row) at most once per
	// queue per the inserting client's FetchCooldown, 100 ms by default: a fan-out committed
	// within 100 ms of the last one was then taken only at the next fetch poll (bench/fanout:
	// shared-inbox rounds of 40 ms became 200 ms rounds). The queue that asked for the
	// shortest fetch cooldown gets its notifications that often.
	for _, c := range cfg.FetchCooldowns {
		if c > 0 && c < cmp.Or(ic.FetchCooldown, river.FetchCooldownDefault) {
			ic.FetchCooldown = c
		}
	}
	q.inserter, err = river.NewClient(q.driver(d.W, nil), ic)
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	q.reader = q.inserter
	if d.R != d.W {
		// On SQLite, reads go to the read pool: they neither wait for the one write
		// connection nor block forever when called inside an open transaction.
		q.reader, err = river.NewClient(q.driver(d.R, nil), q.riverConfig())
		if err != nil {
			return nil, fmt.Errorf("jobs: %w", err)
		}
	}
	return q, nil
}

// driver returns River's driver for pool; listener, on PostgreSQL, carries LISTEN/NOTIFY.
func (q *Queue) driver(pool *sql.DB, listener *pgxpool.Pool) riverdriver.Driver[*sql.Tx] {
	if q.d.Dialect == db.SQLite {
		// River's SQLite driver "listens" by polling a notification table every 50ms, so
		// workers in this or another process pick up new jobs without waiting for a fetch poll.
		return riversqlite.New(pool)
	}
	if listener != nil {
		return riverdatabasesql.NewWithPgxListener(pool, listener)
	}
	return riverdatabasesql.New(pool)
}

// riverConfig is the configuration shared by all of the Queue's River clients.
func (q *Queue) riverConfig() *river.Config {
	rc := &river.Config{
		Logger:                      q.log,
		JobTimeout:                  q.cfg.JobTimeout,
		RescueStuckJobsAfter:        q.cfg.RescueStuckJobsAfter,
		MaxAttempts:                 q.cfg.MaxAttempts,
		FetchPollInterval:           q.cfg.FetchPollInterval,
		SoftStopTimeout:             q.cfg.StopTimeout,
		CompletedJobRetentionPeriod: completedRetention,
		CancelledJobRetentionPeriod: cancelledRetention,
		DiscardedJobRetentionPeriod: discardedRetention,
		TestOnly:                    q.cfg.testOnly,
	}
	if q.cfg.Backoff != nil {
		rc.RetryPolicy = backoffPolicy(q.cfg.Backoff)
	}
	return rc
}

// backoffPolicy turns Config.Backoff into River's retry policy.
type backoffPolicy func(n int) time.Duration

func (b backoffPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	// Like River's default policy, count the failures, not the attempts.
	return time.Now().UTC().Add(b(len(job.Errors) + 1))
}

// Start runs the registered workers in the background until Stop. An insert-only Queue, or one
// with no worker registered, runs nothing and returns nil.
func (q *Queue) Start(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case q.worker != nil:
		return errors.New("jobs: already started")
	case q.stopped:
		return errors.New("jobs: start after stop")
	case q.cfg.Workers == 0:
		q.log.Info("insert-only: this process runs no jobs")
		return nil
	case len(q.kinds) == 0:
		q.log.Info("no job kinds registered: this process runs no jobs")
		return nil
	}
	var listener *pgxpool.Pool
	if q.d.Dialect == db.Postgres {
		// River takes one connection out of this pool for LISTEN and keeps it; a pool of its
		// own keeps that connection out of the application's count.
		var err error
		listener, err = q.d.OpenPgxPool(ctx, 1)
		if err != nil {
			return fmt.Errorf("jobs: %w", err)
		}
	}
	rc := q.riverConfig()
	rc.Workers = q.workers
	rc.PeriodicJobs = q.riverPeriodic()
	rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: q.cfg.Workers}, MaintenanceQueue: {MaxWorkers: 1}}
	for name, n := range q.cfg.Queues {
		if name != river.QueueDefault && name != MaintenanceQueue && n > 0 {
			rc.Queues[name] = river.QueueConfig{MaxWorkers: n, FetchCooldown: q.cfg.FetchCooldowns[name],
				FetchPollInterval: q.cfg.FetchPollIntervals[name]}
		}
	}
	client, err := river.NewClient(q.driver(q.d.W, listener), rc)
	if err == nil {
		// Only Stop ends the workers: a cancelled ctx must not cut running jobs short before
		// Stop's soft phase.
		err = client.Start(context.WithoutCancel(ctx))
	}
	if err != nil {
		if listener != nil {
			listener.Close()
		}
		return fmt.Errorf("jobs: start: %w", err)
	}
	closed := make(chan struct{})
	q.worker, q.listenerClosed = client, closed
	go func() {
		// River's doc: the listener pool must outlive the client; close it once the client
		// has stopped, however Stop ended.
		<-client.Stopped()
		if listener != nil {
			listener.Close()
		}
		close(closed)
	}()
	q.log.Info("workers started", "workers", q.cfg.Workers, "kinds", q.kinds, "database", string(q.d.Dialect))
	return nil
}

// Stop stops taking jobs and waits for the running ones: first up to Config.StopTimeout for
// them to finish, then it cancels their contexts and waits for them to return, or for ctx to
// end. A job cut short is retried later (or rescued, if its process dies first). Stop is safe
// on an insert-only or unstarted Queue and more than once.
func (q *Queue) Stop(ctx context.Context) error {
	// Not holding q.mu while jobs finish: Insert still works meanwhile.
	q.mu.Lock()
	q.stopped = true
	worker, closed := q.worker, q.listenerClosed
	q.mu.Unlock()
	if worker == nil {
		return nil
	}
	if err := worker.Stop(ctx); err != nil {
		return fmt.Errorf("jobs: stop: %w", err)
	}
	select {
	case <-closed:
	case <-ctx.Done():
		return fmt.Errorf("jobs: stop: %w", ctx.Err())
	}
	q.log.Info("workers stopped")
	return nil
}

// Kinds returns the registered job kinds, sorted.
func (q *Queue) Kinds() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Sorted(slices.Values(q.kinds))
}
