package web

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"sistercity/internal/db"
	"sistercity/internal/fed"
	"sistercity/internal/i18n"
	"sistercity/internal/jobs"
	"sistercity/internal/outbox"
)

// The video and track use cases record each Create, Update and Delete in the outbox (package
// outbox) in the transaction of the change; an OutboxSender then hands them to the followers
// through fed's delivery jobs. It reads what was recorded after the last activity it sent (kept
// in the settings table) and moves that mark in the transaction that enqueues the deliveries,
// so an activity is sent once, and once only, whatever crashes: two worker processes take
// turns on the mark's row. It runs as the outbox.send job, which each recorded activity
// triggers (one waits at a time) and the queue's leader enqueues every OutboxBackstopEvery in
// case a write had no queue at hand: no process polls the outbox.

const (
	// outboxSentKey is the settings row holding the id of the last activity handed on.
	outboxSentKey = "fed_outbox_sent"
	// outboxBatch bounds the activities handed on in one transaction.
	outboxBatch = 50
	// OutboxBackstopEvery is how often the outbox is looked at without a trigger.
	OutboxBackstopEvery = time.Minute
)

// OutboxSender hands the outbox's activities to the followers.
type OutboxSender struct {
	db  *db.DB
	fed *fed.Service
	cat *i18n.Catalog
	log *slog.Logger
	// base is the site's --base-url, the root of every id sent.
	base string
	// backstop is when the outbox is looked at without a trigger.
	backstop jobs.Periodic
}

// NewOutboxSender makes the sender of fs's outbox; the catalog gives the watch pages'
// languages.
func NewOutboxSender(d *db.DB, fs *fed.Service, base string, log *slog.Logger) (*OutboxSender, error) {
	cat, err := i18n.Load()
	if err != nil {
		return nil, err
	}
	return &OutboxSender{db: d, fed: fs, cat: cat, log: log, base: base,
		backstop: jobs.Periodic{Every: OutboxBackstopEvery, RunOnStart: true}}, nil
}

// Register has q run the outbox.send job: the trigger of each recorded activity and the
// periodic backstop.
func (o *OutboxSender) Register(q *jobs.Queue) error {
	return jobs.RegisterPeriodic(q, jobs.WorkFunc[outbox.Send](o.work), o.backstop)
}

// work sends one batch, and completes the job in the same transaction: a crash never sends a
// batch twice. A full batch triggers the next one itself.
func (o *OutboxSender) work(ctx context.Context, job *jobs.Job[outbox.Send]) error {
	return o.db.InTxQuiet(ctx, func(tx *sql.Tx) error {
		if err := jobs.CompleteTx(ctx, tx, job); err != nil {
			return err
		}
		n, err := o.send(ctx, tx)
		if err != nil || n < outboxBatch {
			return err
		}
		return jobs.Trigger(ctx, tx, outbox.Send{})
	})
}

// send hands at most outboxBatch activities recorded after the mark to the followers in tx and
// moves the mark past them; it tells how many it read.
func (o *OutboxSender) send(ctx context.Context, tx *sql.Tx) (int, error) {
	// Taking the mark's row first makes a second sender wait for this one's commit.
	if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, '0') ON CONFLICT (key) DO NOTHING`,
		outboxSentKey); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE settings SET value = value WHERE key = $1`, outboxSentKey); err != nil {
		return 0, err
	}
	var raw string
	if err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, outboxSentKey).Scan(&raw); err != nil {
		return 0, err
	}
	after, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("fediverse: outbox mark %q: %w", raw, err)
	}
	list, err := outbox.Since(ctx, tx, after, outboxBatch)
	if err != nil {
		return 0, err
	}
	site := apSiteAt(o.base, o.cat)
	for _, a := range list {
		after = a.ID
		if a.Kind == outbox.Delete {
			act, err := site.NewActivity(a, nil, nil, true)
			if err != nil {
				return 0, err
			}
			if err := o.fed.FanoutVideo(ctx, tx, a.VideoID, act.ID, act); err != nil {
				return 0, err
			}
			continue
		}
		ob, v, tracks, err := loadAPVideo(ctx, tx, a.VideoID)
		if errors.Is(err, db.ErrNotFound) || (err == nil && v == nil) {
			continue // no longer public: its Delete follows
		}
		if err != nil {
			return 0, err
		}
		act, err := site.NewActivity(a, v, site.NewVideo(v, ob, tracks, false), true)
		if err != nil {
			return 0, err
		}
		if err := o.fed.FanoutVideo(ctx, tx, a.VideoID, act.ID, act); err != nil {
			return 0, err
		}
	}
	_, err = tx.ExecContext(ctx, `UPDATE settings SET value = $1 WHERE key = $2`, strconv.FormatInt(after, 10), outboxSentKey)
	return len(list), err
}
