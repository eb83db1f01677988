package jobs_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"sistercity/internal/db"
	"sistercity/internal/db/dbtest"
	"sistercity/internal/jobs"
	"sistercity/internal/jobs/jobstest"
	"sistercity/internal/polltest"
)

func TestMain(m *testing.M) {
	// The crash test re-executes this binary as the worker process it kills.
	if os.Getenv(childEnv) != "" {
		os.Exit(crashChild())
	}
	code := m.Run()
	if code == 0 {
		code = checkGoroutines()
	}
	os.Exit(code)
}

// checkGoroutines fails the run when goroutines outlive the tests: every queue was stopped and
// every database closed, so River, its listener and the pools must all have ended.
func checkGoroutines() int {
	// Generous: on a loaded machine the last pools and listeners take a while to wind down.
	deadline := time.Now().Add(time.Minute)
	for runtime.NumGoroutine() > 1 {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			fmt.Fprintf(os.Stderr, "%d goroutines left after the tests:\n%s\n", runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
			return 1
		}
		time.Sleep(50 * time.Millisecond)
	}
	return 0
}

// The test jobs. Each records its runs in jobtest_runs and its one lasting effect in
// jobtest_effects, whose primary key would refuse a second effect.
type (
	// encodeArgs stands for a video job: it records the effect for its video.
	encodeArgs struct {
		VideoID int64 `json:"video_id"`
	}
	// flakyArgs fails its first Failures attempts with Message (repeated Repeat times).
	flakyArgs struct {
		Name     string `json:"name"`
		Failures int    `json:"failures"`
		Message  string `json:"message"`
		Repeat   int    `json:"repeat"`
		// Permanent fails with jobs.Permanent: no retry.
		Permanent bool `json:"permanent"`
	}
	panicArgs struct{}
	// slowArgs sleeps For, or until its context ends, then records its effect.
	slowArgs struct {
		Name string        `json:"name"`
		For  time.Duration `json:"for"`
	}
)

func (encodeArgs) Kind() string { return "test.encode" }
func (flakyArgs) Kind() string  { return "test.flaky" }
func (panicArgs) Kind() string  { return "test.panic" }
func (slowArgs) Kind() string   { return "test.slow" }

// env is one test's database, queue and log.
type env struct {
	t *testing.T
	d *db.DB
	q *jobs.Queue
	// jobs reads and steers the queue's jobs by id.
	jobs *jobstest.Jobs
	log  *syncBuffer
}

// fastConfig keeps retries and pickup quick; tests that need more set it themselves.
func fastConfig() jobs.Config {
	return jobs.Config{
		Workers:    4,
		JobTimeout: time.Minute,
		Backoff:    func(int) time.Duration { return 200 * time.Millisecond },
		// A retry due soon waits for the next fetch poll; notifications bring new jobs.
		FetchPollInterval: 250 * time.Millisecond,
		StopTimeout:       5 * time.Second,
	}
}

// newEnv opens a fresh database with the test tables and a queue with the test workers.
func newEnv(t *testing.T, cfg jobs.Config) *env {
	t.Helper()
	d := dbtest.Open(t)
	createTestTables(t, d)
	return newEnvOn(t, d, cfg)
}

func newEnvOn(t *testing.T, d *db.DB, cfg jobs.Config) *env {
	t.Helper()
	e := &env{t: t, d: d, log: &syncBuffer{}}
	q, err := jobs.New(d, jobs.ForTest(cfg), slog.New(slog.NewTextHandler(e.log, &slog.HandlerOptions{Level: slog.LevelInfo})))
	if err != nil {
		t.Fatal(err)
	}
	e.q = q
	e.jobs = jobstest.Must(t, d)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitLong)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
		if t.Failed() {
			t.Logf("queue log:\n%s", e.log.String())
		}
	})
	must(t, jobs.Register(q, jobs.WorkFunc[encodeArgs](func(ctx context.Context, j *jobs.Job[encodeArgs]) error {
		if err := e.recordRun(ctx, j.ID, j.Key(), j.Attempt); err != nil {
			return err
		}
		return d.InTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, "INSERT INTO jobtest_effects (effect, job_id) VALUES ($1, $2)",
				fmt.Sprintf("encoded video %d", j.Args.VideoID), j.ID); err != nil {
				return err
			}
			// The effect and the job's completion commit together.
			return jobs.CompleteTx(ctx, tx, j)
		})
	})))
	must(t, jobs.Register(q, jobs.WorkFunc[flakyArgs](func(ctx context.Context, j *jobs.Job[flakyArgs]) error {
		if err := e.recordRun(ctx, j.ID, j.Key(), j.Attempt); err != nil {
			return err
		}
		if j.Attempt <= j.Args.Failures {
			err := fmt.Errorf("attempt %d: %s", j.Attempt, strings.Repeat(j.Args.Message, max(j.Args.Repeat, 1)))
			if j.Args.Permanent {
				return jobs.Permanent(err)
			}
			return err
		}
		return e.recordEffect(ctx, "flaky "+j.Args.Name, j.ID)
	})))
	must(t, jobs.Register(q, jobs.WorkFunc[panicArgs](func(ctx context.Context, j *jobs.Job[panicArgs]) error {
		if err := e.recordRun(ctx, j.ID, j.Key(), j.Attempt); err != nil {
			return err
		}
		var m map[string]int
		//lint:ignore SA5000 the panic is the point of this worker
		m["boom"]++ // a real bug: assignment to a nil map
		return nil
	})))
	must(t, jobs.Register(q, jobs.WorkFunc[slowArgs](func(ctx context.Context, j *jobs.Job[slowArgs]) error {
		if err := e.recordRun(ctx, j.ID, j.Key(), j.Attempt); err != nil {
			return err
		}
		select {
		case <-time.After(j.Args.For):
		case <-ctx.Done():
			return ctx.Err()
		}
		return e.recordEffect(ctx, "slow "+j.Args.Name, j.ID)
	})))
	return e
}

func createTestTables(t testing.TB, d *db.DB) {
	t.Helper()
	for _, ddl := range []string{
		`CREATE TABLE jobtest_videos (id BIGINT PRIMARY KEY, title TEXT NOT NULL)`,
		`CREATE TABLE jobtest_runs (job_id BIGINT NOT NULL, job_key TEXT NOT NULL, attempt INTEGER NOT NULL,
			at TIMESTAMP NOT NULL, PRIMARY KEY (job_id, attempt))`,
		`CREATE TABLE jobtest_effects (effect TEXT PRIMARY KEY, job_id BIGINT NOT NULL)`,
	} {
		if _, err := d.W.Exec(ddl); err != nil {
			t.Fatal(err)
		}
	}
}

func (e *env) recordRun(ctx context.Context, id int64, key string, attempt int) error {
	_, err := e.d.W.ExecContext(ctx, "INSERT INTO jobtest_runs (job_id, job_key, attempt, at) VALUES ($1, $2, $3, $4)",
		id, key, attempt, time.Now().UTC())
	return err
}

func (e *env) recordEffect(ctx context.Context, effect string, id int64) error {
	_, err := e.d.W.ExecContext(ctx, "INSERT INTO jobtest_effects (effect, job_id) VALUES ($1, $2)", effect, id)
	return err
}

type run struct {
	key     string
	attempt int
	at      time.Time
}

func (e *env) runs(id int64) []run {
	e.t.Helper()
	rows, err := e.d.R.Query("SELECT job_key, attempt, at FROM jobtest_runs WHERE job_id = $1 ORDER BY attempt", id)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var rs []run
	for rows.Next() {
		var r run
		if err := rows.Scan(&r.key, &r.attempt, &r.at); err != nil {
			e.t.Fatal(err)
		}
		rs = append(rs, r)
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	return rs
}

func (e *env) effects(effect string) int {
	e.t.Helper()
	var n int
	if err := e.d.R.QueryRow("SELECT COUNT(*) FROM jobtest_effects WHERE effect = $1", effect).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// insert enqueues args in a transaction of its own, with a deadline so that a query that
// waits for SQLite's one write connection fails the test instead of hanging it.
func (e *env) insert(args jobs.Args, opts *jobs.InsertOpts) jobs.Inserted {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	var ins jobs.Inserted
	err := e.d.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		ins, err = e.q.Insert(ctx, tx, args, opts)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return ins
}

func (e *env) start() {
	e.t.Helper()
	must(e.t, e.q.Start(context.Background()))
}

// waitLong bounds every wait for something the queue will do: long enough for a 2-core machine
// running the race detector beside other CPU-bound work, so that only a job that never comes
// fails a test. No test asserts how soon a thing happens.
const waitLong = 2 * time.Minute

// waitState polls job id until it is in state, failing the test after timeout.
func (e *env) waitState(id int64, state jobstest.State, timeout time.Duration) jobstest.Info {
	e.t.Helper()
	var in jobstest.Info
	eventually(e.t, timeout, fmt.Sprintf("job %d %s", id, state), func() bool {
		var err error
		in, err = e.jobs.Get(context.Background(), id)
		if err != nil {
			e.t.Fatal(err)
		}
		return in.State == state
	})
	return in
}

// eventually is polltest.Within for a condition with nothing to say about its state.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	polltest.Within(t, timeout, what, func() (bool, string) { return cond(), "not yet" })
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The core promise: a job inserted with its record runs once the transaction commits.
func TestCommittedJobRuns(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fastConfig())
	t.Logf("database: %s", dbtest.Name())
	e.start()
	ctx := context.Background()
	var ins jobs.Inserted
	err := e.d.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO jobtest_videos (id, title) VALUES (1, 'Busan to Vladivostok')"); err != nil {
			return err
		}
		var err error
		ins, err = e.q.Insert(ctx, tx, encodeArgs{VideoID: 1}, nil)
		return err
	})
	must(t, err)
	in := e.waitState(ins.ID, jobstest.StateCompleted, waitLong)
	var args encodeArgs
	must(t, json.Unmarshal(in.Args, &args))
	if in.Kind != "test.encode" || in.Attempt != 1 || in.Errors != 0 || args.VideoID != 1 {
		t.Errorf("completed job = %+v", in)
	}
	if n := e.effects("encoded video 1"); n != 1 {
		t.Errorf("effect recorded %d times, want 1", n)
	}
	rs := e.runs(ins.ID)
	if len(rs) != 1 || rs[0].key == "" {
		t.Errorf("runs = %+v, want one with a key", rs)
	}
}

// A job inserted in a transaction that rolls back never existed: it never runs, and the next
// job runs exactly once even where SQLite hands it the same ID.
func TestRolledBackJobNeverRuns(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fastConfig())
	e.start()
	ctx := context.Background()
	errRollback := errors.New("the video's upload failed")
	var lost jobs.Inserted
	err := e.d.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO jobtest_videos (id, title) VALUES (2, 'lost')"); err != nil {
			return err
		}
		var err error
		lost, err = e.q.Insert(ctx, tx, encodeArgs{VideoID: 2}, nil)
		if err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("InTx = %v", err)
	}
	next := e.insert(encodeArgs{VideoID: 3}, nil)
	if next.ID == lost.ID {
		t.Logf("%s reused the rolled-back job's ID %d", dbtest.Name(), lost.ID)
	}
	e.waitState(next.ID, jobstest.StateCompleted, waitLong)
	page, err := e.jobs.List(ctx, jobstest.Filter{})
	must(t, err)
	if len(page.Jobs) != 1 || page.Jobs[0].ID != next.ID {
		t.Errorf("jobs after rollback = %+v, want only job %d", page.Jobs, next.ID)
	}
	if n := e.effects("encoded video 2"); n != 0 {
		t.Errorf("the rolled-back job ran %d times", n)
	}
	if rs := e.runs(next.ID); len(rs) != 1 {
		t.Errorf("job %d ran %d times, want 1", next.ID, len(rs))
	}
}

func TestRetryWithBackoffRecordsError(t *testing.T) {
	t.Parallel()
	cfg := fastConfig()
	const backoff = 300 * time.Millisecond
	cfg.Backoff = func(n int) time.Duration { return time.Duration(n) * backoff }
	e := newEnv(t, cfg)
	e.start()

	// Fails twice, then succeeds: the waits grow, and each failure is on record.
	ins := e.insert(flakyArgs{Name: "twice", Failures: 2, Message: "partner site unreachable"}, nil)
	in := e.waitState(ins.ID, jobstest.StateCompleted, waitLong)
	rs := e.runs(ins.ID)
	if len(rs) != 3 {
		t.Fatalf("runs = %+v, want 3", rs)
	}
	// River's SQLite driver rounds the times it stores and compares to the millisecond, so a
	// retry may come up to a millisecond before its exact time; never a whole backoff early.
	for i := 1; i < len(rs); i++ {
		if gap := rs[i].at.Sub(rs[i-1].at); gap < time.Duration(i)*backoff-2*time.Millisecond {
			t.Errorf("retry %d came %s after the failure, want at least %s", i, gap, time.Duration(i)*backoff)
		}
		if rs[i].key != rs[0].key {
			t.Errorf("job key changed between attempts: %q, %q", rs[0].key, rs[i].key)
		}
	}
	if in.Attempt != 3 || in.Errors != 2 || !strings.Contains(in.LastError, "attempt 2: partner site unreachable") {
		t.Errorf("job = attempt %d, %d errors, last %q", in.Attempt, in.Errors, in.LastError)
	}
	if e.effects("flaky twice") != 1 {
		t.Error("no effect after the successful attempt")
	}

	// Out of attempts: discarded, with the last error kept short (head and tail).
	long := e.insert(flakyArgs{Name: "never", Failures: 99, Message: "ffmpeg said: ", Repeat: 1000},
		&jobs.InsertOpts{MaxAttempts: 2})
	in = e.waitState(long.ID, jobstest.StateDiscarded, waitLong)
	if in.Attempt != 2 || in.Errors != 2 {
		t.Errorf("discarded job = attempt %d, %d errors", in.Attempt, in.Errors)
	}
	if n := len(in.LastError); n > 2100 || !strings.HasPrefix(in.LastError, "attempt 2: ffmpeg said:") ||
		!strings.HasSuffix(in.LastError, "ffmpeg said: ") {
		t.Errorf("last error (%d bytes) = %.80q…", n, in.LastError)
	}
}

// A failure no retry can cure ends the job at once, even when its message is trimmed.
func TestPermanentFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fastConfig())
	e.start()
	ins := e.insert(flakyArgs{Name: "corrupt", Failures: 99, Message: "moov atom not found; ", Repeat: 500, Permanent: true}, nil)
	in := e.waitState(ins.ID, jobstest.StateCancelled, waitLong)
	if in.Attempt != 1 || in.Errors != 1 || !strings.Contains(in.LastError, "moov atom not found") {
		t.Errorf("job = attempt %d, %d errors, last %.60q…", in.Attempt, in.Errors, in.LastError)
	}
}

func TestPanicIsAFailedAttempt(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fastConfig())
	e.start()
	ins := e.insert(panicArgs{}, &jobs.InsertOpts{MaxAttempts: 1})
	in := e.waitState(ins.ID, jobstest.StateDiscarded, waitLong)
	if in.Errors != 1 || !strings.Contains(in.LastError, "assignment to entry in nil map") ||
		!strings.Contains(in.LastError, "jobs_test.go") {
		t.Errorf("panicked job = %d errors, last %q", in.Errors, in.LastError)
	}
	// The process and its workers are still up.
	next := e.insert(encodeArgs{VideoID: 4}, nil)
	e.waitState(next.ID, jobstest.StateCompleted, waitLong)
}

// A job scheduled for later waits for its time, and one scheduled for tomorrow waits on. Both
// are inserted before the queue starts: River's scheduler, once running, makes a job due within
// its next 5 s look-ahead "available" at once (it still runs no earlier than its time), so the
// state right after an insert is only certain while nothing runs. Nothing here depends on how
// fast the machine is: the soon job may run late, never early, and tomorrow's never comes.
func TestScheduledJobRunsAtItsTime(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fastConfig())
	ctx := context.Background()
	// Whole milliseconds: SQLite keeps no more.
	at := time.Now().Add(1500 * time.Millisecond).UTC().Truncate(time.Millisecond)
	tomorrow := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Millisecond)
	soon := e.insert(encodeArgs{VideoID: 5}, &jobs.InsertOpts{ScheduledAt: at})
	later := e.insert(encodeArgs{VideoID: 55}, &jobs.InsertOpts{ScheduledAt: tomorrow})
	in, err := e.jobs.Get(ctx, later.ID)
	must(t, err)
	if in.State != jobstest.StateScheduled || !in.ScheduledAt.Equal(tomorrow) {
		t.Errorf("after insert: %s at %s, want scheduled at %s", in.State, in.ScheduledAt, tomorrow)
	}
	// The soon job is scheduled too, unless this machine took over 1.5 s to insert it; either
	// way it keeps its time.
	in, err = e.jobs.Get(ctx, soon.ID)
	must(t, err)
	if !in.ScheduledAt.Equal(at) || (in.State != jobstest.StateScheduled && in.State != jobstest.StateAvailable) {
		t.Errorf("after insert: %s at %s, want scheduled at %s", in.State, in.ScheduledAt, at)
	}
	e.start()
	e.waitState(soon.ID, jobstest.StateCompleted, waitLong)
	rs := e.runs(soon.ID)
	if len(rs) != 1 {
		t.Fatalf("runs = %+v", rs)
	}
	// Less a millisecond: River's SQLite driver rounds the time it compares to.
	if rs[0].at.Before(at.Add(-time.Millisecond)) {
		t.Errorf("ran at %s, before its time %s", rs[0].at, at)
	}
	// The scheduler has run (it moved the soon job); tomorrow's job is still waiting.
	in, err = e.jobs.Get(ctx, later.ID)
	must(t, err)
	if in.State != jobstest.StateScheduled || len(e.runs(later.ID)) != 0 || e.effects("encoded video 55") != 0 {
		t.Errorf("tomorrow's job is %s with %d runs, want scheduled and not run", in.State, len(e.runs(later.ID)))
	}
	t.Logf("scheduled for %s, ran %s later", at.Format(time.StampMilli), rs[0].at.Sub(at))
}

func TestUniqueJobs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fastConfig())
	unique := &jobs.InsertOpts{Unique: true}
	first := e.insert(encodeArgs{VideoID: 6}, unique)
	again := e.insert(encodeArgs{VideoID: 6}, unique)
	other := e.insert(encodeArgs{VideoID: 7}, unique)
	if first.Duplicate || !again.Duplicate || again.ID != first.ID {
		t.Errorf("same args: first %+v, again %+v; want the second a duplicate of the first", first, again)
	}
	if other.Duplicate || other.ID == first.ID {
		t.Errorf("other args: %+v, want a new job", other)
	}
	// Without Unique the same args make a second job.
	plain := e.insert(encodeArgs{VideoID: 6}, nil)
	if plain.Duplicate || plain.ID == first.ID {
		t.Errorf("without Unique: %+v, want a new job", plain)
	}
	// The second encoding of video 6 would be refused by its effect's key; this test is not
	// about that.
	must(t, e.d.InTx(context.Background(), func(tx *sql.Tx) error {
		_, err := e.jobs.Cancel(context.Background(), tx, plain.ID)
		return err
	}))
	// Once the job is done, the same work may be asked for again (the video changed).
	e.start()
	e.waitState(first.ID, jobstest.StateCompleted, waitLong)
	later := e.insert(encodeArgs{VideoID: 6}, unique)
	if later.Duplicate {
		t.Errorf("after completion: %+v, want a new job", later)
	}
}

func TestGracefulStop(t *testing.T) {
	t.Parallel()
	t.Run("a short job finishes", func(t *testing.T) {
		t.Parallel()
		// Stop's soft phase is far longer than the job, however slow this machine is.
		cfg := fastConfig()
		cfg.StopTimeout = waitLong
		e := newEnv(t, cfg)
		e.start()
		ins := e.insert(slowArgs{Name: "short", For: 500 * time.Millisecond}, nil)
		e.waitState(ins.ID, jobstest.StateRunning, waitLong)
		ctx, cancel := context.WithTimeout(context.Background(), 2*waitLong)
		defer cancel()
		must(t, e.q.Stop(ctx))
		in, err := e.jobs.Get(context.Background(), ins.ID)
		must(t, err)
		if in.State != jobstest.StateCompleted || e.effects("slow short") != 1 {
			t.Errorf("after Stop: job %s, effect %d; want completed, 1", in.State, e.effects("slow short"))
		}
	})
	t.Run("a long job is cancelled after the soft stop", func(t *testing.T) {
		t.Parallel()
		cfg := fastConfig()
		cfg.StopTimeout = 300 * time.Millisecond
		e := newEnv(t, cfg)
		e.start()
		ins := e.insert(slowArgs{Name: "long", For: time.Hour}, nil)
		e.waitState(ins.ID, jobstest.StateRunning, waitLong)
		ctx, cancel := context.WithTimeout(context.Background(), waitLong)
		defer cancel()
		began := time.Now()
		must(t, e.q.Stop(ctx))
		took := time.Since(began)
		in, err := e.jobs.Get(context.Background(), ins.ID)
		must(t, err)
		if in.State != jobstest.StateRetryable && in.State != jobstest.StateAvailable {
			t.Errorf("after Stop: job %s, want it waiting for a retry", in.State)
		}
		// Stop waited out the soft phase, then cut the hour-long job short (the state above
		// shows it was cut, not finished). How long the cut took is the machine's affair.
		if took < cfg.StopTimeout {
			t.Errorf("Stop took %s, want at least the soft stop of %s", took, cfg.StopTimeout)
		}
	})
}

// serve --workers=0 only enqueues; a worker process (here another Queue) runs the jobs.
func TestInsertOnlyQueue(t *testing.T) {
	t.Parallel()
	cfg := fastConfig()
	cfg.Workers = 0
	web := newEnv(t, cfg)
	web.start() // runs nothing
	ins := web.insert(encodeArgs{VideoID: 8}, nil)
	time.Sleep(300 * time.Millisecond) // three fetch polls of a worker, were there one
	if in, err := web.jobs.Get(context.Background(), ins.ID); err != nil || in.State != jobstest.StateAvailable {
		t.Fatalf("insert-only queue: job %+v, %v; want it still available", in, err)
	}
	worker := newEnvOn(t, web.d, fastConfig())
	worker.start()
	worker.waitState(ins.ID, jobstest.StateCompleted, waitLong)
}

func TestListRetryCancel(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fastConfig())
	ctx := context.Background()
	tomorrow := time.Now().Add(24 * time.Hour)
	var ids []int64
	for i := range 5 {
		ids = append(ids, e.insert(encodeArgs{VideoID: int64(100 + i)}, &jobs.InsertOpts{ScheduledAt: tomorrow, Tags: []string{"video"}}).ID)
	}
	flaky := e.insert(flakyArgs{Name: "listed"}, nil).ID

	// Newest first, in pages.
	p1, err := e.jobs.List(ctx, jobstest.Filter{Kinds: []string{"test.encode"}, Limit: 3})
	must(t, err)
	p2, err := e.jobs.List(ctx, jobstest.Filter{Kinds: []string{"test.encode"}, Limit: 3, After: p1.Next})
	must(t, err)
	got := func(p jobstest.Page) (ids []int64) {
		for _, j := range p.Jobs {
			ids = append(ids, j.ID)
		}
		return ids
	}
	if fmt.Sprint(got(p1), got(p2)) != fmt.Sprint([]int64{ids[4], ids[3], ids[2]}, []int64{ids[1], ids[0]}) || p2.Next != "" {
		t.Errorf("pages = %v (next %q), %v (next %q)", got(p1), p1.Next, got(p2), p2.Next)
	}
	if p1.Jobs[0].State != jobstest.StateScheduled || !p1.Jobs[0].ScheduledAt.After(time.Now()) || fmt.Sprint(p1.Jobs[0].Tags) != "[video]" {
		t.Errorf("listed job = %+v", p1.Jobs[0])
	}
	avail, err := e.jobs.List(ctx, jobstest.Filter{States: []jobstest.State{jobstest.StateAvailable}})
	must(t, err)
	if fmt.Sprint(got(avail)) != fmt.Sprint([]int64{flaky}) {
		t.Errorf("available = %v, want [%d]", got(avail), flaky)
	}

	// Cancel and retry go in the caller's transaction, beside its audit entry.
	var cancelled, retried jobstest.Info
	must(t, e.d.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		if cancelled, err = e.jobs.Cancel(ctx, tx, ids[0]); err != nil {
			return err
		}
		retried, err = e.jobs.Retry(ctx, tx, ids[1])
		return err
	}))
	if cancelled.State != jobstest.StateCancelled || retried.State != jobstest.StateAvailable {
		t.Errorf("cancel → %s, retry → %s", cancelled.State, retried.State)
	}
	e.start()
	e.waitState(ids[1], jobstest.StateCompleted, waitLong)
	if in, _ := e.jobs.Get(ctx, ids[0]); in.State != jobstest.StateCancelled {
		t.Errorf("cancelled job is now %s", in.State)
	}
	// A cancelled job can be retried.
	must(t, e.d.InTx(ctx, func(tx *sql.Tx) error {
		_, err := e.jobs.Retry(ctx, tx, ids[0])
		return err
	}))
	e.waitState(ids[0], jobstest.StateCompleted, waitLong)

	if _, err := e.jobs.Get(ctx, 999999); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("Get(unknown) = %v, want ErrNotFound", err)
	}
	err = e.d.InTx(ctx, func(tx *sql.Tx) error {
		_, err := e.jobs.Cancel(ctx, tx, 999999)
		return err
	})
	if !errors.Is(err, db.ErrNotFound) {
		t.Errorf("Cancel(unknown) = %v, want ErrNotFound", err)
	}
}

// The SQLite trap: one write connection. Many transactions enqueue at once while the workers,
// River's leader and its notification poller share that connection; nothing may wait forever.
func TestConcurrentInsertsWhileWorking(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fastConfig())
	e.start()
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	var wg sync.WaitGroup
	ids := make(chan int64, 40)
	for g := range 8 {
		wg.Go(func() {
			for i := range 5 {
				videoID := int64(1000 + g*10 + i)
				err := e.d.InTx(ctx, func(tx *sql.Tx) error {
					// Read before writing, as feature code does.
					var n int
					if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM jobtest_videos").Scan(&n); err != nil {
						return err
					}
					if _, err := tx.ExecContext(ctx, "INSERT INTO jobtest_videos (id, title) VALUES ($1, 'v')", videoID); err != nil {
						return err
					}
					ins, err := e.q.Insert(ctx, tx, encodeArgs{VideoID: videoID}, nil)
					if err == nil {
						ids <- ins.ID
					}
					return err
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(ids)
	for id := range ids {
		e.waitState(id, jobstest.StateCompleted, waitLong)
	}
	var n int
	must(t, e.d.R.QueryRow("SELECT COUNT(*) FROM jobtest_effects").Scan(&n))
	if n != 40 {
		t.Errorf("%d effects, want 40", n)
	}
}

func TestInsertNeedsARegisteredKind(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fastConfig())
	ctx := context.Background()
	err := e.d.InTx(ctx, func(tx *sql.Tx) error {
		_, err := e.q.Insert(ctx, tx, unknownArgs{}, nil)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "no worker registered") {
		t.Errorf("insert of an unregistered kind = %v", err)
	}
	if _, err := e.q.Insert(ctx, nil, encodeArgs{}, nil); err == nil {
		t.Error("insert without a transaction succeeded")
	}
	e.start()
	if err := jobs.Register(e.q, jobs.WorkFunc[unknownArgs](func(context.Context, *jobs.Job[unknownArgs]) error { return nil })); err == nil {
		t.Error("Register after Start succeeded")
	}
}

type unknownArgs struct{}

func (unknownArgs) Kind() string { return "test.unknown" }

func TestConfigValidation(t *testing.T) {
	d := dbtest.Open(t)
	for _, cfg := range []jobs.Config{
		{Workers: -1},
		{JobTimeout: time.Hour, RescueStuckJobsAfter: time.Minute},
		{MaxAttempts: -1},
	} {
		if _, err := jobs.New(d, cfg, nil); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
}

// An admin cancels a long job while it runs: its context ends and it is not retried.
func TestCancelRunningJob(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fastConfig())
	e.start()
	ins := e.insert(slowArgs{Name: "cancelled", For: time.Hour}, nil)
	e.waitState(ins.ID, jobstest.StateRunning, waitLong)
	ctx := context.Background()
	must(t, e.d.InTx(ctx, func(tx *sql.Tx) error {
		_, err := e.jobs.Cancel(ctx, tx, ins.ID)
		return err
	}))
	in := e.waitState(ins.ID, jobstest.StateCancelled, waitLong)
	if e.effects("slow cancelled") != 0 || in.FinalizedAt.IsZero() {
		t.Errorf("cancelled job = %+v", in)
	}
}

// New jobs are taken at once by notification (LISTEN/NOTIFY on PostgreSQL, River's polled
// outbox table on SQLite), not at the next fetch poll, an hour away here.
func TestNewJobIsPickedUpByNotification(t *testing.T) {
	t.Parallel()
	cfg := fastConfig()
	cfg.FetchPollInterval = time.Hour
	e := newEnv(t, cfg)
	e.start()
	ctx := context.Background()
	// River's workers fetch once when they start and connect their listener in the
	// background, and River sends at most one insert notification per queue per FetchCooldown
	// (100 ms). So insert jobs until one is taken after an earlier one was done: by then the
	// start's fetch is past, and with the next fetch poll an hour away only a notification
	// explains the pickup, however long this machine took to make it.
	deadline := time.Now().Add(3 * waitLong)
	for video := int64(9); ; video++ {
		time.Sleep(200 * time.Millisecond)
		done, err := e.jobs.List(ctx, jobstest.Filter{States: []jobstest.State{jobstest.StateCompleted}})
		must(t, err)
		began := time.Now()
		ins := e.insert(encodeArgs{VideoID: video}, nil)
		picked := false
		for !picked && time.Since(began) < waitLong/4 {
			in, err := e.jobs.Get(ctx, ins.ID)
			must(t, err)
			if picked = in.State == jobstest.StateCompleted; !picked {
				time.Sleep(10 * time.Millisecond)
			}
		}
		if picked && len(done.Jobs) > 0 {
			t.Logf("%s: job %d picked up and done in %s", dbtest.Name(), ins.ID, time.Since(began).Round(time.Millisecond))
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no job was picked up by notification")
		}
	}
}
