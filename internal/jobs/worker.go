package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"sistercity/internal/db"
)

// Args are a job's arguments: a struct stored as JSON, whose Kind names the job type and its
// worker (e.g. "video.transcode"). Keep them small — IDs, not content — and do not rename a
// kind while jobs of it may wait.
type Args = river.JobArgs

// Job is one attempt at a job, as its worker sees it.
type Job[T Args] struct {
	ID int64
	// Attempt is 1 on the first run, 2 on the first retry, and so on; a run cut short by a
	// crash counts too.
	Attempt     int
	MaxAttempts int
	CreatedAt   time.Time
	// Snoozes is how many times the job was put off by Snooze so far.
	Snoozes int
	Args    T

	key     string
	row     *river.Job[T]
	dialect db.Dialect
}

// Key identifies the job, the same on every attempt and never shared with another job, not
// even one that SQLite gave the same ID after a rollback. Use it where an external side effect
// needs an idempotency key and the domain offers none.
func (j *Job[T]) Key() string { return j.key }

// LastAttempt reports whether a failure now discards the job, so that the worker can mark its
// record as failed for good.
func (j *Job[T]) LastAttempt() bool { return j.Attempt >= j.MaxAttempts }

// Worker runs jobs of one Args type. Work returns nil when done; an error retries the job
// later (see Config.Backoff), Permanent(err) ends it without retry. A panic is caught and
// recorded as the attempt's error. ctx ends at Config.JobTimeout and on Stop's hard phase.
type Worker[T Args] interface {
	Work(ctx context.Context, job *Job[T]) error
}

// WorkFunc adapts a function to Worker.
type WorkFunc[T Args] func(ctx context.Context, job *Job[T]) error

// Work calls f.
func (f WorkFunc[T]) Work(ctx context.Context, job *Job[T]) error { return f(ctx, job) }

// Register adds the worker for T's kind. Register every worker before Start, in every process
// that enqueues or works jobs of that kind (Insert refuses a kind that no worker is registered
// for, once any is).
func Register[T Args](q *Queue, w Worker[T]) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	var args T
	kind := args.Kind()
	if q.worker != nil || q.stopped {
		return fmt.Errorf("jobs: register %s: the queue has started", kind)
	}
	if err := river.AddWorkerSafely(q.workers, &riverWorker[T]{w: w, q: q, dialect: q.d.Dialect}); err != nil {
		return fmt.Errorf("jobs: register %s: %w", kind, err)
	}
	q.kinds = append(q.kinds, kind)
	return nil
}

// Snooze, returned by Work, runs the job again after d without counting an attempt: for a
// failure that is not the job's to count (a service it needs is down for a while). A worker
// bounds how long it waits so with Job.Snoozes.
func Snooze(d time.Duration) error { return river.JobSnooze(d) }

// snoozes reads how many times River snoozed a job from its metadata.
func snoozes(metadata []byte) int {
	var m struct {
		Snoozes int `json:"snoozes"`
	}
	_ = json.Unmarshal(metadata, &m)
	return m.Snoozes
}

// Permanent marks err as one that no retry will cure (a corrupt upload, a deleted record): the
// job ends cancelled with err recorded, instead of being retried.
func Permanent(err error) error { return river.JobCancel(err) }

// riverWorker adapts a Worker to River's.
type riverWorker[T Args] struct {
	river.WorkerDefaults[T]
	w       Worker[T]
	q       *Queue
	dialect db.Dialect
}

func (rw *riverWorker[T]) Work(ctx context.Context, rj *river.Job[T]) error {
	j := &Job[T]{
		ID:          rj.ID,
		Attempt:     rj.Attempt,
		MaxAttempts: rj.MaxAttempts,
		CreatedAt:   rj.CreatedAt,
		Snoozes:     snoozes(rj.Metadata),
		Args:        rj.Args,
		key:         jobKey(rj.ID, rj.CreatedAt, rj.Metadata),
		row:         rj,
		dialect:     rw.dialect,
	}
	// A job's writes may Trigger others, as a request's do.
	return trimError(rw.w.Work(NewContext(ctx, rw.q), j))
}

// CompleteTx marks job completed inside tx, so that the job's database side effects and its
// completion commit together or not at all: a crash after the commit cannot run it again. The
// worker then returns nil. On SQLite tx must be the worker's only open transaction.
func CompleteTx[T Args](ctx context.Context, tx *sql.Tx, job *Job[T]) error {
	if job.row == nil {
		return fmt.Errorf("jobs: complete job %d: not a job handed out by a queue", job.ID)
	}
	var err error
	// River needs the driver type only to name the transaction type; both are *sql.Tx.
	if job.dialect == db.SQLite {
		_, err = river.JobCompleteTx[*riversqlite.Driver](ctx, tx, job.row)
	} else {
		_, err = river.JobCompleteTx[*riverdatabasesql.Driver](ctx, tx, job.row)
	}
	if err != nil {
		return fmt.Errorf("jobs: complete job %d: %w", job.ID, err)
	}
	return nil
}

// metaKey names the job's key in River's metadata; Insert sets it.
const metaKey = "sistercity_key"

func jobKey(id int64, created time.Time, metadata []byte) string {
	var m map[string]any
	if json.Unmarshal(metadata, &m) == nil {
		if k, ok := m[metaKey].(string); ok && k != "" {
			return k
		}
	}
	// A job not inserted through Insert: the ID with its creation time is unique enough.
	return strconv.FormatInt(id, 10) + "-" + strconv.FormatInt(created.UnixMicro(), 36)
}

// maxError is the most of an error message kept per attempt in the database and shown on the
// admin page; ffmpeg's stderr can be megabytes.
const maxError = 2048

// trimError shortens err's message to maxError, keeping what River looks for underneath
// (Permanent, snoozes) reachable through Unwrap.
func trimError(err error) error {
	if err == nil || len(err.Error()) <= maxError {
		return err
	}
	return &trimmedError{err: err, msg: trim(err.Error(), maxError)}
}

type trimmedError struct {
	err error
	msg string
}

func (e *trimmedError) Error() string { return e.msg }
func (e *trimmedError) Unwrap() error { return e.err }

// trim keeps the head and the tail of s within max bytes: Go errors say what failed first,
// tools like ffmpeg say why last.
func trim(s string, max int) string {
	if len(s) <= max {
		return s
	}
	const sep = "\n…\n"
	half := (max - len(sep)) / 2
	// Cut on rune boundaries so that the result stays valid UTF-8 where s was.
	end := half
	for end > 0 && !utf8.RuneStart(s[end]) {
		end--
	}
	start := len(s) - half
	for start < len(s) && !utf8.RuneStart(s[start]) {
		start++
	}
	return s[:end] + sep + s[start:]
}
