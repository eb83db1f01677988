package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// ErrNewerDatabase is what Migrate and Pending return (inside a *NewerDatabaseError) for a
// database migrated by a newer release than this binary.
var ErrNewerDatabase = errors.New("the database is newer than this binary")

// NewerDatabaseError names the database's schema version and the newest this binary knows.
type NewerDatabaseError struct {
	Database, Binary int64
}

func (e *NewerDatabaseError) Error() string {
	return fmt.Sprintf("the database is at schema version %d, newer than this binary, which knows schema versions up to %d: "+
		"run the release that migrated it (or a newer one), or restore a backup taken before that upgrade", e.Database, e.Binary)
}

func (e *NewerDatabaseError) Is(target error) bool { return target == ErrNewerDatabase }

// checkNotNewer refuses a database with a migration this binary does not have: its code would
// misread tables a newer release changed, and nothing could undo what it wrote.
func (d *DB) checkNotNewer(ctx context.Context, files []migrationFile) error {
	have, err := d.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	var latest int64
	if len(files) > 0 {
		latest = files[len(files)-1].version
	}
	if have > latest {
		return &NewerDatabaseError{Database: have, Binary: latest}
	}
	return nil
}

// Pending lists the migrations Migrate would apply, ours (by file name) and then River's,
// without changing anything.
func (d *DB) Pending(ctx context.Context) ([]string, error) {
	files, err := d.migrationFiles(migrations)
	if err != nil {
		return nil, err
	}
	if err := d.checkNotNewer(ctx, files); err != nil {
		return nil, err
	}
	applied := map[int64]bool{}
	if v, err := d.SchemaVersion(ctx); err != nil {
		return nil, err
	} else if v > 0 {
		rows, err := d.R.QueryContext(ctx, "SELECT version FROM schema_migrations")
		if err != nil {
			return nil, fmt.Errorf("db: pending migrations: %w", err)
		}
		for rows.Next() {
			var n int64
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return nil, err
			}
			applied[n] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	var pending []string
	for _, f := range files {
		if !applied[f.version] {
			pending = append(pending, f.path)
		}
	}
	var driver riverdriver.Driver[*sql.Tx]
	if d.Dialect == SQLite {
		driver = riversqlite.New(d.W)
	} else {
		driver = riverdatabasesql.New(d.W)
	}
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, fmt.Errorf("river migrations: %w", err)
	}
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, &rivermigrate.MigrateOpts{DryRun: true})
	if err != nil {
		return nil, fmt.Errorf("river migrations: %w", err)
	}
	for _, v := range res.Versions {
		pending = append(pending, fmt.Sprintf("river %03d %s", v.Version, v.Name))
	}
	return pending, nil
}
