package db

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The migrations are plain SQL files, one directory per dialect, numbered and applied in order,
// each in its own transaction, forward only. A small runner of our own rather than a framework:
// it is all the project needs, and it keeps DDL for each database in plain sight.
//
//go:embed migrations
var migrations embed.FS

// Migrate applies every migration not yet applied, ours and then River's (the job queue's
// tables), and returns how many it applied.
func (d *DB) Migrate(ctx context.Context) (int, error) {
	unlock, err := d.lockMigrations(ctx)
	if err != nil {
		return 0, err
	}
	defer unlock()
	if _, err := d.W.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMP NOT NULL)`); err != nil {
		return 0, fmt.Errorf("db: create schema_migrations: %w", err)
	}
	if err := d.checkNotNewer(ctx); err != nil {
		return 0, err
	}
	files, err := d.migrationFiles()
	if err != nil {
		return 0, err
	}
	applied := 0
	for _, f := range files {
		err := d.inTx(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations WHERE version = $1", f.version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			body, err := migrations.ReadFile(f.path)
			if err != nil {
				return err
			}
			// Both drivers run a script of several statements in one Exec when it has no arguments.
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("%s: %w", f.path, err)
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
				f.version, f.path, time.Now().UTC()); err != nil {
				return err
			}
			applied++
			return nil
		}, false)
		if err != nil {
			return applied, fmt.Errorf("db: migrate: %w", err)
		}
	}
	// River's tables (the job queue) come after ours, from River's own migrations.
	n, err := d.migrateRiver(ctx)
	applied += n
	if err != nil {
		return applied, fmt.Errorf("db: migrate: %w", err)
	}
	return applied, nil
}

type migrationFile struct {
	version int64
	path    string
}

func (d *DB) migrationFiles() ([]migrationFile, error) {
	dir := "migrations/" + string(d.Dialect)
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return nil, fmt.Errorf("db: read migrations: %w", err)
	}
	var files []migrationFile
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, _ := strings.Cut(name, "_")
		v, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("db: migration %s: name must start with a number", name)
		}
		files = append(files, migrationFile{version: v, path: dir + "/" + name})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].version < files[j].version })
	return files, nil
}
