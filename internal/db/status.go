package db

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path"
	"sort"
	"strings"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// MigrationStatus compares the migrations applied to the database with the ones this binary
// carries. Missing are the binary's migrations the database lacks (run `migrate`); Unknown are
// migrations the database has and the binary does not know (the database was migrated by a
// newer binary). Both are sorted by version and named like 0010_video_views.
type MigrationStatus struct {
	Applied, Known   int
	Latest           string // the newest migration applied, "" when none
	Missing, Unknown []string
}

// Current reports whether the database has exactly the binary's migrations.
func (s MigrationStatus) Current() bool { return len(s.Missing) == 0 && len(s.Unknown) == 0 }

// Migrations reads the migration status, ours and River's, without changing anything; a
// database that has never been migrated has every migration missing.
func (d *DB) Migrations(ctx context.Context) (MigrationStatus, error) {
	files, err := d.migrationFiles(migrations)
	if err != nil {
		return MigrationStatus{}, err
	}
	var st MigrationStatus
	st.Known = len(files)
	applied := map[int64]string{}
	var exists bool
	switch d.Dialect {
	case Postgres:
		err = d.R.QueryRowContext(ctx, "SELECT to_regclass('schema_migrations') IS NOT NULL").Scan(&exists)
	default:
		var n int
		err = d.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").Scan(&n)
		exists = n > 0
	}
	if err != nil {
		return st, fmt.Errorf("db: migration status: %w", err)
	}
	if exists {
		err := Each(ctx, d.R, "SELECT version, name FROM schema_migrations", nil, func(r *sql.Rows) error {
			var v int64
			var name string
			if err := r.Scan(&v, &name); err != nil {
				return err
			}
			applied[v] = migrationName(name)
			return nil
		})
		if err != nil {
			return st, fmt.Errorf("db: migration status: %w", err)
		}
	}
	st.Applied = len(applied)
	known := map[int64]bool{}
	for _, f := range files {
		known[f.version] = true
		if _, ok := applied[f.version]; !ok {
			st.Missing = append(st.Missing, migrationName(f.path))
		}
	}
	var versions []int64
	for v := range applied {
		versions = append(versions, v)
	}
	sort.Slice(versions, func(i, j int) bool { return versions[i] < versions[j] })
	for _, v := range versions {
		if !known[v] {
			st.Unknown = append(st.Unknown, applied[v])
		}
	}
	if n := len(versions); n > 0 {
		st.Latest = applied[versions[n-1]]
	}
	if err := d.riverStatus(ctx, &st); err != nil {
		return st, fmt.Errorf("db: migration status: %w", err)
	}
	return st, nil
}

// riverStatus adds River's migrations (the job queue's tables, which Migrate applies after
// ours) to st, named like river_006_bulk_unique.
func (d *DB) riverStatus(ctx context.Context, st *MigrationStatus) error {
	var driver riverdriver.Driver[*sql.Tx]
	var exists bool
	var err error
	switch d.Dialect {
	case Postgres:
		driver = riverdatabasesql.New(d.R)
		err = d.R.QueryRowContext(ctx, "SELECT to_regclass('river_migration') IS NOT NULL").Scan(&exists)
	default:
		driver = riversqlite.New(d.R)
		var n int
		err = d.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'river_migration'").Scan(&n)
		exists = n > 0
	}
	if err != nil {
		return err
	}
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	applied := map[int]bool{}
	if exists {
		// River's own table, read directly: rivermigrate errs on a version it does not know,
		// which is just what is to be reported here.
		err := Each(ctx, d.R, "SELECT version FROM river_migration WHERE line = 'main' ORDER BY version", nil, func(r *sql.Rows) error {
			var v int
			if err := r.Scan(&v); err != nil {
				return err
			}
			applied[v] = true
			return nil
		})
		if err != nil {
			return err
		}
	}
	known := map[int]bool{}
	for _, v := range m.AllVersions() {
		known[v.Version] = true
		if !applied[v.Version] {
			st.Missing = append(st.Missing, fmt.Sprintf("river_%03d_%s", v.Version, v.Name))
		}
	}
	var extra []int
	for v := range applied {
		if !known[v] {
			extra = append(extra, v)
		}
	}
	sort.Ints(extra)
	for _, v := range extra {
		st.Unknown = append(st.Unknown, fmt.Sprintf("river_%03d", v))
	}
	st.Known += len(known)
	st.Applied += len(applied)
	return nil
}

// migrationName turns migrations/sqlite/0010_video_views.sql into 0010_video_views.
func migrationName(p string) string { return strings.TrimSuffix(path.Base(p), ".sql") }
