package db

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// migrateRiver applies River's own migrations for its tables (river_job, river_leader, …).
// They run here, with ours, so that `migrate`, `serve` and every test database get them;
// River keeps its versions in river_migration so that a River upgrade brings its own steps.
// On PostgreSQL no schema is named: River's tables go where search_path points, as ours do.
func (d *DB) migrateRiver(ctx context.Context) (int, error) {
	var driver riverdriver.Driver[*sql.Tx]
	switch d.Dialect {
	case SQLite:
		driver = riversqlite.New(d.W)
	case Postgres:
		driver = riverdatabasesql.New(d.W)
	default:
		return 0, fmt.Errorf("river migrations: unknown dialect %q", d.Dialect)
	}
	// River logs each step at info; Migrate's caller reports the count instead.
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return 0, fmt.Errorf("river migrations: %w", err)
	}
	var res *rivermigrate.MigrateResult
	if d.Dialect == SQLite {
		// River's Migrate checks what is applied, then runs each step in a transaction of its
		// own; two processes starting on one data directory interleave and the second fails.
		// In one immediate transaction the second waits, then finds the steps applied.
		// MigrateTx is deprecated for PostgreSQL's sake (some of its steps cannot share a
		// transaction); SQLite's DDL is transactional.
		err = d.inTx(ctx, func(tx *sql.Tx) error {
			var err error
			//lint:ignore SA1019 MigrateTx is what SQLite needs, see above
			res, err = m.MigrateTx(ctx, tx, rivermigrate.DirectionUp, nil)
			return err
		}, false)
	} else {
		res, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	}
	if err != nil {
		return 0, fmt.Errorf("river migrations: %w", err)
	}
	return len(res.Versions), nil
}

// migrateLockClass is the first half of the advisory lock key that Migrate takes on PostgreSQL.
const migrateLockClass = 0x53434D47 // "SCMG"

// lockMigrations makes concurrent Migrate calls take turns: serve replicas and worker processes
// start together, and two runners applying the same step fail one another. On PostgreSQL it is
// an advisory lock per schema, so that tests in schemas of their own do not wait for each other;
// on SQLite a lock file beside the database.
func (d *DB) lockMigrations(ctx context.Context) (unlock func(), err error) {
	if d.Dialect != Postgres {
		// SQLite would serialise the steps anyway, but several runners then wait on each
		// other's transactions up to the busy timeout; a lock file beside the database makes
		// them take turns instead (processes of one machine, where the file is).
		unlock, err := lockFile(ctx, d.path+".migrate-lock")
		if err != nil {
			return nil, fmt.Errorf("db: migrate: %w", err)
		}
		return unlock, nil
	}
	// A session lock: it needs the same connection from lock to unlock.
	conn, err := d.W.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("db: migrate: %w", err)
	}
	const key = "$1, hashtext(coalesce(current_schema(), ''))"
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock("+key+")", migrateLockClass); err != nil {
		conn.Close()
		return nil, fmt.Errorf("db: migrate: lock: %w", err)
	}
	return func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock("+key+")", migrateLockClass)
		conn.Close()
	}, nil
}
