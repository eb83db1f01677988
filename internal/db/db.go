// Package db opens the application's database — embedded SQLite by default, PostgreSQL at
// scale — applies the embedded migrations and runs transactions. Both databases share one
// code path: queries use $n placeholders (modernc's SQLite accepts them), dates are stored as
// 'YYYY-MM-DD' text and timestamps as time.Time.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL through database/sql, the standard Go driver.
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect names the database behind a DB.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// ErrNotFound is returned by lookups that find nothing.
var ErrNotFound = errors.New("not found")

// ErrStale is returned by an update of a record that changed since its version was read:
// someone else saved it meanwhile. Each feature's ErrStale wraps it, so that one check
// (errors.Is(err, db.ErrStale)) tells a conflict of versions from any package.
var ErrStale = errors.New("changed by someone else")

// DB is the application's database. For SQLite it keeps two pools: writes go through a single
// connection with immediate transactions (SQLite allows one writer; more connections only
// produce SQLITE_BUSY), reads through several. For PostgreSQL both are the same pool.
type DB struct {
	Dialect Dialect
	// W serves writes and transactions; R serves reads outside transactions.
	W, R *sql.DB

	url  string // the PostgreSQL URL, for OpenPgxPool; empty for SQLite
	path string // the SQLite database file; empty for PostgreSQL
	gen  generation
}

// Querier is what both *sql.DB and *sql.Tx offer; feature code takes it so that one function
// serves inside and outside a transaction.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// SQLiteFile is the embedded database's file in the data directory.
const SQLiteFile = "sistercity.db"

// postgresConns bounds a process's connections to PostgreSQL.
const postgresConns = 20

// Open opens the database named by rawURL, or, when rawURL is empty, the SQLite database
// SQLiteFile in dataDir. It does not migrate; call Migrate.
func Open(ctx context.Context, rawURL, dataDir string) (*DB, error) {
	if rawURL == "" || strings.HasPrefix(rawURL, "sqlite:") || strings.HasPrefix(rawURL, "file:") {
		path := strings.TrimPrefix(strings.TrimPrefix(rawURL, "sqlite:"), "file:")
		if path == "" {
			if err := os.MkdirAll(dataDir, 0o750); err != nil {
				return nil, fmt.Errorf("db: create data directory: %w", err)
			}
			path = filepath.Join(dataDir, SQLiteFile)
		}
		return openSQLite(ctx, path)
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, fmt.Errorf("db: unsupported database URL (want postgres://… or empty for SQLite)")
	}
	pool, err := sql.Open("pgx", rawURL)
	if err != nil {
		return nil, fmt.Errorf("db: open postgres: %w", err)
	}
	pool.SetMaxOpenConns(postgresConns)
	// As many kept idle as may be open: a burst (a fan-out's 16 delivery workers with River's
	// own queries) otherwise closes each connection above the idle bound as it is returned and
	// opens it again for the next burst — a PostgreSQL backend forked, authenticated and its
	// caches and statements warmed anew, several times per fan-out (bench/fanout counted them).
	// Idle connections still close after five minutes.
	pool.SetMaxIdleConns(postgresConns)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	if err := ping(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("db: connect to postgres: %w", err)
	}
	return &DB{Dialect: Postgres, W: pool, R: pool, url: rawURL}, nil
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	const pragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)" +
		"&_pragma=synchronous(NORMAL)&_time_format=sqlite"
	w, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("db: open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := pingSQLite(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("db: open sqlite %s: %w", path, err)
	}
	// The writer has put the file in WAL mode, which lasts; readers need not ask again.
	const readPragmas = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_time_format=sqlite"
	r, err := sql.Open("sqlite", "file:"+path+"?"+readPragmas+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("db: open sqlite: %w", err)
	}
	r.SetMaxOpenConns(4)
	return &DB{Dialect: SQLite, W: w, R: r, path: path}, nil
}

// pingSQLite opens the writer's first connection, which switches a new file to WAL mode. While
// another process does the same (replicas starting together), that switch can answer
// SQLITE_BUSY at once, without waiting for the busy timeout; it is tried again until the
// ping's own deadline.
func pingSQLite(ctx context.Context, w *sql.DB) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for pause := 5 * time.Millisecond; ; pause = min(2*pause, 200*time.Millisecond) {
		err := w.PingContext(ctx)
		if err == nil || !isBusy(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pause):
		}
	}
}

// isBusy tells whether err is SQLite's "database is locked".
func isBusy(err error) bool {
	var sqErr *sqlite.Error
	return errors.As(err, &sqErr) && sqErr.Code()&0xff == sqlite3.SQLITE_BUSY
}

func ping(ctx context.Context, db *sql.DB) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return db.PingContext(ctx)
}

// URL is what another process opens this database with: the PostgreSQL URL, or sqlite: and
// the file's path.
func (d *DB) URL() string {
	if d.Dialect == SQLite {
		return "sqlite:" + d.path
	}
	return d.url
}

// Close closes both pools.
func (d *DB) Close() error {
	err := d.W.Close()
	if d.R != d.W {
		err = errors.Join(err, d.R.Close())
	}
	return err
}

// OpenPgxPool opens a separate pgx pool of at most maxConns connections to the same PostgreSQL
// database, with the same settings (search_path included), for what database/sql cannot do:
// the job queue's LISTEN connection. The caller closes it. For SQLite it fails.
func (d *DB) OpenPgxPool(ctx context.Context, maxConns int32) (*pgxpool.Pool, error) {
	if d.Dialect != Postgres {
		return nil, fmt.Errorf("db: a pgx pool needs PostgreSQL, not %s", d.Dialect)
	}
	cfg, err := pgxpool.ParseConfig(d.url)
	if err != nil {
		return nil, fmt.Errorf("db: parse database URL: %w", err)
	}
	cfg.MaxConns = maxConns
	cfg.MinConns = 0
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("db: open pgx pool: %w", err)
	}
	return pool, nil
}

// Ping checks that the database answers; /healthz uses it.
func (d *DB) Ping(ctx context.Context) error {
	var one int
	return d.R.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// InTx runs fn in a transaction on the write pool and commits when fn returns nil, moving the
// data generation on (generation.go). With SQLite's single write connection, fn must make
// every query through tx: a query on d.W inside fn would wait for the connection fn holds.
func (d *DB) InTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return d.inTx(ctx, fn, true)
}

// InTxQuiet is InTx for a write that no kept public page needs to show at once — counters and
// log entries written on a visitor's request (a view counted, a feed served): it leaves the data
// generation as it is, so the page cache is not emptied by every view. A kept page shows such a
// write when it is next rendered (web's pageMaxAge at most).
func (d *DB) InTxQuiet(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return d.inTx(ctx, fn, false)
}

// inTx is InTx; the migrations run it with bump false, before the generation's table exists.
func (d *DB) inTx(ctx context.Context, fn func(tx *sql.Tx) error, bump bool) error {
	tx, err := d.W.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	var n int64
	if bump {
		if n, err = bumpGeneration(ctx, tx); err != nil {
			_ = tx.Rollback()
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	if bump {
		d.gen.committed(n)
	}
	return nil
}

// IsUniqueViolation tells whether err comes from a UNIQUE or PRIMARY KEY constraint.
func IsUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		code := sqErr.Code()
		return code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// NotFound turns sql.ErrNoRows into ErrNotFound, wrapping it with what was looked up.
func NotFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// Each runs query and calls fn for every row, in order; it stops at fn's first error.
func Each(ctx context.Context, q Querier, query string, args []any, fn func(*sql.Rows) error) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Collect runs query and returns what scan makes of every row, in order. scan takes what a
// *sql.Row and *sql.Rows have in common, so one scan function serves Get and List.
func Collect[T any](ctx context.Context, q Querier, query string, args []any, scan func(interface{ Scan(...any) error }) (T, error)) ([]T, error) {
	var out []T
	err := Each(ctx, q, query, args, func(r *sql.Rows) error {
		v, err := scan(r)
		if err == nil {
			out = append(out, v)
		}
		return err
	})
	return out, err
}

// NullID is id for a nullable reference column: NULL for 0.
func NullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// OneRow checks the result of an optimistic update — UPDATE table … WHERE id = $n AND
// version = $m — that must touch exactly one row. When it touched none, the row is either gone
// (ErrNotFound) or changed by someone since it was read (stale, the caller's own error). table
// is the caller's constant, never input.
func OneRow(ctx context.Context, tx *sql.Tx, res sql.Result, table string, id int64, stale error) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("db: %s %d: %w", table, id, err)
	}
	if n == 1 {
		return nil
	}
	var one int
	err = tx.QueryRowContext(ctx, "SELECT 1 FROM "+table+" WHERE id = $1", id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("db: %s %d: %w", table, id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("db: %s %d: %w", table, id, err)
	}
	return fmt.Errorf("db: %s %d: %w", table, id, stale)
}
