package video

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"sistercity/internal/db"
	"sistercity/internal/jobs"
)

// Defaults of the processing heartbeat. An encode says it is alive every DefaultHeartbeat; a
// run silent for DefaultStaleAfter (four missed beats) is taken as dead and processed anew,
// minutes after a crash instead of the queue's rescue after --rescue-after (hours, as long
// as the longest job may run).
const (
	DefaultHeartbeat  = 30 * time.Second
	DefaultStaleAfter = 2 * time.Minute
)

// ErrSuperseded ends a run of a video's processing that lost its hold on the video: it was
// taken as stalled and processed anew (Retry, RescueStalled), or another run took over. Such
// a run records nothing; the run that holds the video does.
var ErrSuperseded = errors.New("video: this processing run was superseded")

// errBusy says that another run holds the video and is alive: there is nothing to do.
var errBusy = errors.New("video: another run is processing the video")

// run is one run of a video's processing: its token in videos.processing_run. owner is the job
// (its key) whose attempts the run belongs to: an attempt may take over from an earlier attempt
// of the same job, which the queue retries only once that attempt is over.
type run struct {
	token, owner string
}

func newRun(owner string, attempt int) run {
	if owner == "" {
		return run{token: "direct/" + rand.Text()}
	}
	return run{token: fmt.Sprintf("%s/%d", owner, attempt), owner: owner}
}

// claim makes r the run that holds video id, unless another run holds it and beat within
// staleAfter; it then returns errBusy.
func claim(ctx context.Context, d *db.DB, id int64, r run, now time.Time, staleAfter time.Duration) error {
	query := `UPDATE videos SET processing = $1, progress = 0, failure = '', processing_run = $2, heartbeat_at = $3,
		updated_at = $3 WHERE id = $4 AND (processing <> $1 OR processing_run = '' OR heartbeat_at IS NULL OR heartbeat_at < $5`
	args := []any{ProcProcessing, r.token, now.UTC(), id, now.Add(-staleAfter).UTC()}
	if r.owner != "" {
		query += ` OR processing_run LIKE $6`
		args = append(args, r.owner+"/%")
	}
	res, err := d.W.ExecContext(ctx, query+")", args...)
	if err != nil {
		return fmt.Errorf("video: %d claim: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errBusy
	}
	return nil
}

// beat records that run r of video id is alive; it returns ErrSuperseded when r no longer
// holds the video.
func beat(ctx context.Context, d *db.DB, id int64, r run, percent int) error {
	set, args := "heartbeat_at = $1", []any{time.Now().UTC(), id, r.token, ProcProcessing}
	if percent >= 0 {
		set += ", progress = $5"
		args = append(args, percent)
	}
	res, err := d.W.ExecContext(ctx, "UPDATE videos SET "+set+" WHERE id = $2 AND processing_run = $3 AND processing = $4", args...)
	if err != nil {
		return fmt.Errorf("video: %d heartbeat: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrSuperseded
	}
	return nil
}

// heartbeat beats for run r every interval until ctx ends, and cancels ctx (with cause
// ErrSuperseded) once r has lost its hold on the video. A failed write is logged and tried
// again at the next beat.
func heartbeat(ctx context.Context, cancel context.CancelCauseFunc, deps Deps, id int64, r run) {
	t := time.NewTicker(deps.HeartbeatEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := beat(ctx, deps.DB, id, r, -1)
		if errors.Is(err, ErrSuperseded) {
			deps.Log.Warn("video: processing run superseded; it stops", "video", id, "run", r.token)
			cancel(ErrSuperseded)
			return
		}
		if err != nil && ctx.Err() == nil {
			deps.Log.Warn("video: heartbeat", "video", id, "err", err)
		}
	}
}

// Retry queues the processing of video id anew, inside tx, when its last processing failed or
// its run stalled (no heartbeat since cutoff), and reports whether it did. A stalled run loses
// its hold: should it still be alive somewhere, it stops at its next beat and records nothing.
// The new job is queued even while the queue still counts the stalled job as running (until
// its rescue, --rescue-after): the runs sort themselves out by their hold on the video.
func Retry(ctx context.Context, tx *sql.Tx, q *jobs.Queue, id int64, cutoff time.Time) (bool, error) {
	now := time.Now().UTC()
	res, err := tx.ExecContext(ctx, `UPDATE videos SET processing = $1, progress = 0, failure = '', processing_run = '',
		updated_at = $2 WHERE id = $3 AND source_key <> '' AND (processing = $4
		OR (processing = $5 AND (heartbeat_at IS NULL OR heartbeat_at < $6)))`,
		ProcWaiting, now, id, ProcFailed, ProcProcessing, cutoff.UTC())
	if err != nil {
		return false, fmt.Errorf("video: %d retry: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	var source string
	if err := tx.QueryRowContext(ctx, "SELECT source_key FROM videos WHERE id = $1", id).Scan(&source); err != nil {
		return false, fmt.Errorf("video: %d retry: %w", id, err)
	}
	// Not unique: the stalled job may still count as running.
	if _, err := q.Insert(ctx, tx, ProcessArgs{VideoID: id, Source: source}, &jobs.InsertOpts{MaxAttempts: processAttempts}); err != nil {
		return false, fmt.Errorf("video: %d retry: %w", id, err)
	}
	return true, nil
}

// RescueStalled queues anew the processing of every video whose run has been silent since
// now-staleAfter, and returns how many it queued.
func RescueStalled(ctx context.Context, d *db.DB, q *jobs.Queue, now time.Time, staleAfter time.Duration, log *slog.Logger) (int, error) {
	cutoff := now.Add(-staleAfter).UTC()
	rows, err := d.R.QueryContext(ctx, `SELECT id FROM videos WHERE processing = $1 AND (heartbeat_at IS NULL OR heartbeat_at < $2)`,
		ProcProcessing, cutoff)
	if err != nil {
		return 0, fmt.Errorf("video: stalled: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("video: stalled: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("video: stalled: %w", err)
	}
	n := 0
	var errs []error
	for _, id := range ids {
		var queued bool
		err := d.InTx(ctx, func(tx *sql.Tx) error {
			var err error
			queued, err = Retry(ctx, tx, q, id, cutoff)
			return err
		})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if queued {
			n++
			log.Warn("video: processing stalled (no heartbeat); queued anew", "video", id, "silent_since", cutoff)
		}
	}
	return n, errors.Join(errs...)
}

// RescueArgs is the periodic job that runs RescueStalled.
type RescueArgs struct{}

// Kind names the job.
func (RescueArgs) Kind() string { return "video.rescue" }

// RegisterRescue has the queue's leader run RescueStalled every heartbeat (at least every
// second), and once at start: a process killed mid-encode is noticed a few missed beats
// later, by whichever process leads, once across all of them.
func RegisterRescue(q *jobs.Queue, deps Deps) error {
	every := max(cmp.Or(deps.HeartbeatEvery, DefaultHeartbeat), time.Second)
	staleAfter := cmp.Or(deps.StaleAfter, DefaultStaleAfter)
	return jobs.RegisterPeriodic(q, jobs.WorkFunc[RescueArgs](func(ctx context.Context, _ *jobs.Job[RescueArgs]) error {
		log := deps.Log
		if log == nil {
			log = slog.Default()
		}
		_, err := RescueStalled(ctx, deps.DB, q, time.Now(), staleAfter, log)
		return err
	}), jobs.Periodic{Every: every, RunOnStart: true})
}
