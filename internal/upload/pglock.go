package upload

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tus/tusd/v2/pkg/handler"
)

// PGLocker is a tusd locker shared by every process on one PostgreSQL database: the lock of an
// upload is a session-level advisory lock held on a connection of its own, so that replicas
// behind a load balancer never write the same upload at once, and a replica that dies (even
// killed with SIGKILL) loses its connection and with it every lock it held — PostgreSQL
// releases them, no lease has to run out.
//
// tusd's release request crosses processes through LISTEN/NOTIFY: a process that cannot take a
// lock notifies the channel with the upload's ID, and the holder's connection, listening while
// it holds the lock, calls the holder's requestRelease.
type PGLocker struct {
	cfg *pgx.ConnConfig
	// retry is how often a waiting Lock tries again.
	retry time.Duration
}

// releaseChannel is the NOTIFY channel of release requests; the payload is the lock's key.
const releaseChannel = "sistercity_tus_release"

// NewPGLocker returns a locker on the PostgreSQL database at url.
func NewPGLocker(url string) (*PGLocker, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("upload: locker: parse database URL: %w", err)
	}
	return &PGLocker{cfg: cfg, retry: 100 * time.Millisecond}, nil
}

// NewLock makes the (unlocked) lock of upload id.
func (l *PGLocker) NewLock(id string) (handler.Lock, error) {
	return &pgLock{l: l, key: "sistercity:tus:" + id}, nil
}

type pgLock struct {
	l   *PGLocker
	key string

	mu     sync.Mutex
	conn   *pgx.Conn
	stop   context.CancelFunc
	listen chan struct{} // closed when the listening goroutine has let go of conn
}

// Lock takes the lock, asking its holder to release it and trying again until ctx ends. The
// lock is keyed by a 64-bit hash of the upload's ID: a collision only makes two uploads wait
// for each other.
func (k *pgLock) Lock(ctx context.Context, requestRelease func()) error {
	conn, err := pgx.ConnectConfig(ctx, k.l.cfg)
	if err != nil {
		if ctx.Err() != nil {
			return handler.ErrLockTimeout
		}
		return fmt.Errorf("upload: locker: connect: %w", err)
	}
	asked := false
	for {
		var got bool
		err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock(hashtextextended($1, 0))", k.key).Scan(&got)
		if err == nil && got {
			break
		}
		if err == nil && !asked {
			// Once per Lock: the holder decides whether to give way (see yieldingLocker).
			_, err = conn.Exec(ctx, "SELECT pg_notify($1, $2)", releaseChannel, k.key)
			asked = true
		}
		if err == nil {
			select {
			case <-ctx.Done():
				err = ctx.Err()
			case <-time.After(k.l.retry):
			}
		}
		if err != nil {
			closeConn(conn)
			if ctx.Err() != nil {
				return handler.ErrLockTimeout
			}
			return fmt.Errorf("upload: locker: %w", err)
		}
	}
	if _, err := conn.Exec(ctx, "LISTEN "+releaseChannel); err != nil {
		closeConn(conn)
		if ctx.Err() != nil {
			return handler.ErrLockTimeout
		}
		return fmt.Errorf("upload: locker: listen: %w", err)
	}
	lctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	k.mu.Lock()
	k.conn, k.stop, k.listen = conn, stop, done
	k.mu.Unlock()
	go func() {
		defer close(done)
		for {
			n, err := conn.WaitForNotification(lctx)
			if err != nil {
				return // Unlock, or the connection is gone (and the lock with it)
			}
			if n.Payload == k.key {
				requestRelease()
			}
		}
	}()
	return nil
}

// Unlock releases the lock and closes its connection.
func (k *pgLock) Unlock() error {
	k.mu.Lock()
	conn, stop, done := k.conn, k.stop, k.listen
	k.conn, k.stop, k.listen = nil, nil, nil
	k.mu.Unlock()
	if conn == nil {
		return nil
	}
	stop()
	<-done
	// Unlocked explicitly so that the next holder need not wait for the server to notice
	// the closed connection; closing alone would release it too.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := conn.Exec(ctx, "SELECT pg_advisory_unlock(hashtextextended($1, 0))", k.key)
	closeConn(conn)
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("upload: locker: unlock: %w", err)
	}
	return nil
}

func closeConn(c *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = c.Close(ctx)
}
