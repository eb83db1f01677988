package messages

import (
	"context"
	"database/sql"
	"log/slog"
	"time"

	"sistercity/internal/db"
	"sistercity/internal/jobs"
)

// PurgeArgs is the periodic job that deletes the senders' e-mail addresses whose retention has
// ended (PurgeContacts), whether or not anyone sends another message.
type PurgeArgs struct{}

// Kind names the job.
func (PurgeArgs) Kind() string { return "messages.purge_contacts" }

// RegisterPurge has the queue's leader run PurgeContacts every interval, and once when it
// becomes leader: once across all replicas, wherever jobs run (see jobs.RegisterPeriodic).
func RegisterPurge(q *jobs.Queue, d *db.DB, log *slog.Logger, every time.Duration) error {
	return jobs.RegisterPeriodic(q, jobs.WorkFunc[PurgeArgs](func(ctx context.Context, _ *jobs.Job[PurgeArgs]) error {
		return d.InTx(ctx, func(tx *sql.Tx) error {
			n, err := PurgeContacts(ctx, tx, time.Now())
			if n > 0 && log != nil {
				log.Info("messages: e-mail addresses deleted at the end of their retention", "count", n)
			}
			return err
		})
	}), jobs.Periodic{Every: every, RunOnStart: true})
}
