package jobs_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/riverqueue/river"

	"sistercity/internal/db"
	"sistercity/internal/db/dbtest"
	"sistercity/internal/jobs"
	"sistercity/internal/polltest"
)

// fastArgs is a job of a queue with a short fetch cooldown, as the deliveries' queue is.
type fastArgs struct {
	N int `json:"n"`
}

func (fastArgs) Kind() string                 { return "test.fast" }
func (fastArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: "fast"} }

// Inserts 20 ms apart into a queue with a 5 ms fetch cooldown each send an insert
// notification: River sends one per queue at most once per the inserting client's fetch
// cooldown, 100 ms by default, and a fan-out that went without one waited for the next fetch
// poll (bench/fanout). Counted where the workers would read them: NOTIFY on PostgreSQL, River's
// outbox table on SQLite.
func TestInsertNotifiesAtTheQueuesCooldown(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	q, err := jobs.New(d, jobs.Config{Workers: 1, Queues: map[string]int{"fast": 2},
		FetchCooldowns: map[string]time.Duration{"fast": 5 * time.Millisecond}}, nil)
	must(t, err)
	ctx := context.Background()
	count := insertNotifications(t, d, "fast")
	const inserts = 3
	for i := range inserts {
		if i > 0 {
			time.Sleep(20 * time.Millisecond) // four times the cooldown, a fifth of River's default
		}
		must(t, d.InTx(ctx, func(tx *sql.Tx) error {
			return q.InsertMany(ctx, tx, []jobs.Many{{Args: fastArgs{N: i}}, {Args: fastArgs{N: i + 10}}})
		}))
	}
	polltest.Until(t, "a notification for each insert", func() (bool, string) {
		n := count()
		return n == inserts, fmt.Sprintf("%d notifications, want %d", n, inserts)
	})
}

// insertNotifications returns a function that tells how many insert notifications for queue
// have been sent since this call.
func insertNotifications(t *testing.T, d *db.DB, queue string) func() int {
	t.Helper()
	ctx := context.Background()
	if d.Dialect == db.SQLite {
		count := func() int {
			var n int
			must(t, d.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM river_notification
				WHERE topic = 'river_insert' AND payload LIKE '%"`+queue+`"%'`).Scan(&n))
			return n
		}
		before := count()
		return func() int { return count() - before }
	}
	// River notifies on "<schema>.river_insert"; a connection of its own listens.
	conn, err := d.W.Conn(ctx)
	must(t, err)
	t.Cleanup(func() { conn.Close() })
	var schema string
	must(t, conn.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema))
	_, err = conn.ExecContext(ctx, `LISTEN "`+schema+`.river_insert"`)
	must(t, err)
	n := 0
	return func() int {
		// Drain what has arrived, waiting a little for more.
		err := conn.Raw(func(dc any) error {
			pc := dc.(*stdlib.Conn).Conn()
			for {
				wctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
				note, err := pc.WaitForNotification(wctx)
				cancel()
				if err != nil {
					if wctx.Err() != nil {
						return nil // nothing more for now
					}
					return err
				}
				if strings.Contains(note.Payload, `"`+queue+`"`) {
					n++
				}
			}
		})
		must(t, err)
		return n
	}
}
