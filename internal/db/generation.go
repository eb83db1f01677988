package db

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// The data generation tells a process whether anything it read may have changed: a number that
// every committed transaction of InTx moves on — in the table data_generation, inside the
// transaction, so that other processes on the same database (serve replicas, workers, the
// command line) see it with the data — and in this process's own count at once. What a process
// keeps because the data is as it is (rendered pages, lists) is valid for one generation only.
//
// Another process's writes reach Generation within GenerationPoll: it reads the table again
// when its last look is older than that. The writes that do not go through InTx are those of
// sessions, sign-in attempts and processing progress, which no public page shows.

// GenerationPoll is how old the last look at the database's generation may be.
const GenerationPoll = time.Second

// generationPollTimeout bounds one look; meanwhile other callers get the number as it was.
const generationPollTimeout = 5 * time.Second

type generation struct {
	local atomic.Uint64 // this process's count: moves on with every change seen
	mu    sync.Mutex    // serialises the looks at the database and guards seen and polled
	seen  int64         // the database's number as last seen
	// polled is when the database was last read, in UnixNano; read without mu to skip the lock.
	polled atomic.Int64
}

// Generation returns the data generation as this process knows it: it changes after every
// committed InTx here, and within GenerationPoll of one in another process (the first call
// after that reads the database; callers meanwhile get the number as it was). A failed read
// counts as a change, so nothing kept is trusted on a database that does not answer.
func (d *DB) Generation(ctx context.Context) uint64 {
	g := &d.gen
	now := time.Now().UnixNano()
	if now-g.polled.Load() >= int64(GenerationPoll) && g.mu.TryLock() {
		if now-g.polled.Load() >= int64(GenerationPoll) { // nobody looked while we waited
			// Not cut short by the request that happens to look: a client gone would count as a
			// change for everyone.
			pollCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), generationPollTimeout)
			var n int64
			err := d.R.QueryRowContext(pollCtx, "SELECT n FROM data_generation WHERE id = 1").Scan(&n)
			cancel()
			if err != nil || n != g.seen {
				g.seen = n
				g.local.Add(1)
			}
			g.polled.Store(now)
		}
		g.mu.Unlock()
	}
	return g.local.Load()
}

// bumpGeneration moves the database's generation on inside tx, as its last statement (the row
// stays locked until the commit, so no transaction waits for it holding other rows), and
// returns the new number.
func bumpGeneration(ctx context.Context, tx *sql.Tx) (int64, error) {
	var n int64
	if err := tx.QueryRowContext(ctx, "UPDATE data_generation SET n = n + 1 WHERE id = 1 RETURNING n").Scan(&n); err != nil {
		return 0, fmt.Errorf("db: data generation: %w", err)
	}
	return n, nil
}

// committed records this process's own commit of generation n. Every commit of another
// process with a lower number came before it, so what this change invalidates covers theirs.
func (g *generation) committed(n int64) {
	g.mu.Lock()
	g.seen = max(g.seen, n)
	g.local.Add(1)
	g.mu.Unlock()
}
