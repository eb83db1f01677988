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
	"sistercity/internal/outbox"
)

// The video and track use cases record each Create, Update and Delete in the outbox (package
// outbox) in the transaction of the change; an OutboxSender then hands them to the followers
// through fed's delivery jobs. It reads what was recorded after the last activity it sent (kept
// in the settings table) and moves that mark in the transaction that enqueues the deliveries,
// so an activity is sent once, and once only, whatever crashes: two worker processes take
// turns on the mark's row.

const (
	// outboxSentKey is the settings row holding the id of the last activity handed on.
	outboxSentKey = "fed_outbox_sent"
	// outboxBatch bounds the activities handed on in one transaction.
	outboxBatch = 50
	// OutboxSendEvery is how often a worker looks for activities to send.
	OutboxSendEvery = 5 * time.Second
)

// OutboxSender hands the outbox's activities to the followers.
type OutboxSender struct {
	db  *db.DB
	fed *fed.Service
	cat *i18n.Catalog
	log *slog.Logger
	// base is the site's --base-url, the root of every id sent.
	base string
}

// NewOutboxSender makes the sender of fs's outbox; the catalog gives the watch pages'
// languages.
func NewOutboxSender(d *db.DB, fs *fed.Service, base string, log *slog.Logger) (*OutboxSender, error) {
	cat, err := i18n.Load()
	if err != nil {
		return nil, err
	}
	return &OutboxSender{db: d, fed: fs, cat: cat, log: log, base: base}, nil
}

// Run sends what is recorded every interval until ctx ends.
func (o *OutboxSender) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for {
			n, err := o.SendOnce(ctx)
			if err != nil && ctx.Err() == nil {
				o.log.Warn("fediverse: outbox not sent", "err", err)
			}
			if err != nil || n < outboxBatch {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// SendOnce hands at most outboxBatch activities to the followers and tells how many it read.
func (o *OutboxSender) SendOnce(ctx context.Context) (int, error) {
	// Most looks find nothing new: they read, and write nothing.
	var pending bool
	if err := o.db.R.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM ap_outbox WHERE id >
		COALESCE((SELECT CAST(value AS BIGINT) FROM settings WHERE key = $1), 0))`, outboxSentKey).Scan(&pending); err != nil {
		return 0, fmt.Errorf("fediverse: outbox: %w", err)
	}
	if !pending {
		return 0, nil
	}
	var n int
	err := o.db.InTxQuiet(ctx, func(tx *sql.Tx) error {
		// Taking the mark's row first makes a second sender wait for this one's commit.
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, '0') ON CONFLICT (key) DO NOTHING`,
			outboxSentKey); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE settings SET value = value WHERE key = $1`, outboxSentKey); err != nil {
			return err
		}
		var raw string
		if err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, outboxSentKey).Scan(&raw); err != nil {
			return err
		}
		after, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return fmt.Errorf("fediverse: outbox mark %q: %w", raw, err)
		}
		list, err := outbox.Since(ctx, tx, after, outboxBatch)
		if err != nil {
			return err
		}
		n = len(list)
		site := apSiteAt(o.base, o.cat)
		for _, a := range list {
			after = a.ID
			if a.Kind == outbox.Delete {
				act, err := site.NewActivity(a, nil, nil, true)
				if err != nil {
					return err
				}
				if err := o.fed.FanoutVideo(ctx, tx, a.VideoID, act.ID, act); err != nil {
					return err
				}
				continue
			}
			ob, v, tracks, err := loadAPVideo(ctx, tx, a.VideoID)
			if errors.Is(err, db.ErrNotFound) || (err == nil && v == nil) {
				continue // no longer public: its Delete follows
			}
			if err != nil {
				return err
			}
			act, err := site.NewActivity(a, v, site.NewVideo(v, ob, tracks, false), true)
			if err != nil {
				return err
			}
			if err := o.fed.FanoutVideo(ctx, tx, a.VideoID, act.ID, act); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE settings SET value = $1 WHERE key = $2`, strconv.FormatInt(after, 10), outboxSentKey)
		return err
	})
	return n, err
}
