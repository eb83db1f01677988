package db

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// SchemaVersion returns the number of the latest of our migrations applied to the database, 0
// when none is (or the bookkeeping table is missing: a database never migrated).
func (d *DB) SchemaVersion(ctx context.Context) (int64, error) {
	var exists bool
	q := "SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
	if d.Dialect == Postgres {
		q = "SELECT to_regclass('schema_migrations') IS NOT NULL"
	}
	if err := d.R.QueryRowContext(ctx, q).Scan(&exists); err != nil {
		return 0, fmt.Errorf("db: schema version: %w", err)
	}
	if !exists {
		return 0, nil
	}
	var v int64
	if err := d.R.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&v); err != nil {
		return 0, fmt.Errorf("db: schema version: %w", err)
	}
	return v, nil
}

// LatestMigration is the number of the newest migration this binary carries.
func (d *DB) LatestMigration() (int64, error) { return LatestMigrationOf(d.Dialect) }

// LatestMigrationOf is the number of the newest migration this binary carries for dialect,
// without a database (a snapshot's manifest names its dialect).
func LatestMigrationOf(dialect Dialect) (int64, error) {
	files, err := (&DB{Dialect: dialect}).migrationFiles(migrations)
	if err != nil {
		return 0, err
	}
	if len(files) == 0 {
		return 0, nil
	}
	return files[len(files)-1].version, nil
}

// SnapshotSQLite writes a consistent copy of the SQLite database to path with VACUUM INTO:
// one read transaction, so the copy is the database as of one moment while writers go on
// (a file copy of a live database in WAL mode may miss or tear the latest commits). The copy
// is compact and has no WAL of its own. path must not exist.
func (d *DB) SnapshotSQLite(ctx context.Context, path string) error {
	if d.Dialect != SQLite {
		return fmt.Errorf("db: VACUUM INTO needs SQLite, not %s", d.Dialect)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("db: snapshot: %s exists already", path)
	}
	// Through the writer's connection, as the readers are query_only. VACUUM INTO only reads
	// the source: in WAL mode the server's writers go on while it copies.
	if _, err := d.W.ExecContext(ctx, "VACUUM INTO $1", path); err != nil {
		return fmt.Errorf("db: snapshot into %s: %w", path, err)
	}
	return nil
}

// Path is the SQLite database file; empty for PostgreSQL.
func (d *DB) Path() string { return d.path }
