package db

import (
	"bytes"
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
// forward only. A small runner of our own rather than a framework: it is all the project needs,
// and it keeps DDL for each database in plain sight.
//
// Each file runs in one transaction together with its schema_migrations row, so that a failing
// migration leaves nothing behind: neither its first statements nor the row. A file whose
// statement cannot run in a transaction (PostgreSQL's CREATE INDEX CONCURRENTLY, SQLite's VACUUM)
// starts with the line NoTransactionMarker; see applyOutsideTx for what such a file must be.
//
//go:embed migrations
var migrations embed.FS

// NoTransactionMarker, as a migration file's first line, makes the runner apply the file
// outside a transaction.
const NoTransactionMarker = "-- sistercity:no-transaction"

// Migrate applies every migration not yet applied, ours and then River's (the job queue's
// tables), and returns how many it applied.
func (d *DB) Migrate(ctx context.Context) (int, error) {
	return d.migrate(ctx, migrations, 0)
}

// migrate applies the migrations in fsys (migrations/<dialect>/NNNN_name.sql) not yet applied,
// up to version upTo, or all of them and then River's when upTo is 0.
func (d *DB) migrate(ctx context.Context, fsys fs.FS, upTo int64) (int, error) {
	unlock, err := d.lockMigrations(ctx)
	if err != nil {
		return 0, err
	}
	defer unlock()
	if _, err := d.W.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMP NOT NULL)`); err != nil {
		return 0, fmt.Errorf("db: create schema_migrations: %w", err)
	}
	files, err := d.migrationFiles(fsys)
	if err != nil {
		return 0, err
	}
	if err := d.checkNotNewer(ctx, files); err != nil {
		return 0, err
	}
	applied := 0
	for _, f := range files {
		if upTo > 0 && f.version > upTo {
			break
		}
		body, err := fs.ReadFile(fsys, f.path)
		if err != nil {
			return applied, fmt.Errorf("db: migrate: %w", err)
		}
		var done bool
		if firstLine, _, _ := bytes.Cut(body, []byte("\n")); string(bytes.TrimSpace(firstLine)) == NoTransactionMarker {
			done, err = d.applyOutsideTx(ctx, f, body)
		} else {
			done, err = d.applyInTx(ctx, f, body)
		}
		if err != nil {
			return applied, fmt.Errorf("db: migrate: %w", err)
		}
		if done {
			applied++
		}
	}
	if upTo > 0 {
		return applied, nil
	}
	// River's tables (the job queue) come after ours, from River's own migrations.
	n, err := d.migrateRiver(ctx)
	applied += n
	if err != nil {
		return applied, fmt.Errorf("db: migrate: %w", err)
	}
	return applied, nil
}

// applyInTx runs the file and records it in one transaction; it tells whether it applied the
// file (false: applied before).
func (d *DB) applyInTx(ctx context.Context, f migrationFile, body []byte) (bool, error) {
	done := false
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		if n, err := isApplied(ctx, tx, f); err != nil || n {
			return err
		}
		// Both drivers run a script of several statements in one Exec when it has no arguments.
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return fmt.Errorf("%s: %w", f.path, err)
		}
		done = true
		return recordApplied(ctx, tx, f)
	}, false)
	return done, err
}

// applyOutsideTx runs a file marked NoTransactionMarker and then records it. Such a file holds
// one statement (PostgreSQL runs a script of several as one implicit transaction, which is what
// the statement cannot be in), written so that running it again is harmless (IF NOT EXISTS):
// a process that dies between the statement and its row runs it again on the next start.
func (d *DB) applyOutsideTx(ctx context.Context, f migrationFile, body []byte) (bool, error) {
	if n, err := isApplied(ctx, d.W, f); err != nil || n {
		return false, err
	}
	if _, err := d.W.ExecContext(ctx, string(body)); err != nil {
		return false, fmt.Errorf("%s (outside a transaction): %w", f.path, err)
	}
	return true, recordApplied(ctx, d.W, f)
}

func isApplied(ctx context.Context, q Querier, f migrationFile) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations WHERE version = $1", f.version).Scan(&n)
	return n > 0, err
}

func recordApplied(ctx context.Context, q Querier, f migrationFile) error {
	_, err := q.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
		f.version, f.path, time.Now().UTC())
	return err
}

type migrationFile struct {
	version int64
	path    string
}

func (d *DB) migrationFiles(fsys fs.FS) ([]migrationFile, error) {
	dir := "migrations/" + string(d.Dialect)
	entries, err := fs.ReadDir(fsys, dir)
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
