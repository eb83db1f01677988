// Package dbtest gives each test a fresh, migrated database: SQLite in a temporary directory, or,
// when SISTERCITY_TEST_DATABASE_URL is set, a new database on that PostgreSQL server, so that
// the whole suite runs unchanged on both.
//
// Migrating is the slow part of a test's setup (a few seconds under the race detector), so a
// test process migrates once, into a template, and each test gets a copy: the template file's
// bytes for SQLite, CREATE DATABASE … TEMPLATE on PostgreSQL.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"sistercity/internal/db"
)

// EnvURL names the variable that points the suite at PostgreSQL.
const EnvURL = "SISTERCITY_TEST_DATABASE_URL"

// URL returns a database URL for a fresh, empty database (empty for SQLite in dir) and registers
// its removal with t.Cleanup. Tests of migrating itself start from it; the others use Open.
func URL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		return ""
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "test_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("dbtest: open %s: %v", EnvURL, err)
	}
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		admin.Close()
		t.Fatalf("dbtest: create schema: %v", err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("dbtest: parse %s: %v", EnvURL, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open returns a fresh, migrated database, closed when the test ends.
func Open(t testing.TB) *db.DB {
	t.Helper()
	ctx := context.Background()
	var (
		d   *db.DB
		err error
	)
	if base := os.Getenv(EnvURL); base != "" {
		d, err = db.Open(ctx, clonePostgres(t, base), "")
	} else {
		dir := t.TempDir()
		if err := cloneSQLite(dir); err != nil {
			t.Fatalf("dbtest: %v", err)
		}
		d, err = db.Open(ctx, "", dir)
	}
	if err != nil {
		t.Fatalf("dbtest: open: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// Migrated returns a data directory and a database URL (empty for SQLite, whose database is
// then in the directory) of a fresh, migrated database, for a test that starts the binary on
// it; both are removed when the test ends.
func Migrated(t testing.TB) (dataDir, dbURL string) {
	t.Helper()
	dataDir = t.TempDir()
	if base := os.Getenv(EnvURL); base != "" {
		return dataDir, clonePostgres(t, base)
	}
	if err := cloneSQLite(dataDir); err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	return dataDir, ""
}

// Name says which database the tests run on, for test logs.
func Name() string {
	if os.Getenv(EnvURL) != "" {
		return "postgres"
	}
	return "sqlite"
}

// sqliteTemplate holds the bytes of a migrated SQLite database, made once per test process.
var sqliteTemplate = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "sistercity-dbtest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := migrateTemplate("", dir); err != nil {
		return nil, err
	}
	// Closing the last connection folded the write-ahead log into the file.
	return os.ReadFile(filepath.Join(dir, db.SQLiteFile))
})

func cloneSQLite(dir string) error {
	body, err := sqliteTemplate()
	if err != nil {
		return fmt.Errorf("migrate the template: %w", err)
	}
	return os.WriteFile(filepath.Join(dir, db.SQLiteFile), body, 0o600)
}

// migrateTemplate migrates the database at dbURL (or SQLite in dir) and closes it, checkpointed.
func migrateTemplate(dbURL, dir string) error {
	ctx := context.Background()
	d, err := db.Open(ctx, dbURL, dir)
	if err != nil {
		return err
	}
	if _, err := d.Migrate(ctx); err != nil {
		d.Close()
		return err
	}
	if d.Dialect == db.SQLite {
		if _, err := d.W.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			d.Close()
			return err
		}
	}
	return d.Close()
}

// Databases this package makes on PostgreSQL are named with a prefix and the time they were
// made, so that those a killed test process left behind can be dropped by a later one.
const (
	pgPrefix   = "sistercity_t"
	pgLeftOver = 2 * time.Hour
)

// pgTemplate is the name of the migrated template database, made once per test process.
var pgTemplate = sync.OnceValues(func() (string, error) {
	base := os.Getenv(EnvURL)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", err
	}
	defer admin.Close()
	dropLeftOvers(admin)
	name, err := createDatabase(admin, "")
	if err != nil {
		return "", err
	}
	if err := migrateTemplate(databaseURL(base, name), ""); err != nil {
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		return "", err
	}
	return name, nil
})

// clonePostgres makes a database from the template and returns its URL; it is dropped when the
// test ends.
func clonePostgres(t testing.TB, base string) string {
	t.Helper()
	template, err := pgTemplate()
	if err != nil {
		t.Fatalf("dbtest: migrate the template: %v", err)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("dbtest: open %s: %v", EnvURL, err)
	}
	name, err := createDatabase(admin, template)
	if err != nil {
		admin.Close()
		t.Fatalf("dbtest: %v", err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		admin.Close()
	})
	return databaseURL(base, name)
}

// createDatabase makes a new database, a copy of template if one is named. PostgreSQL refuses
// to copy a template while another copy is being made of it from another session, for a moment;
// that is tried again, for up to two minutes: a busy machine running many tests at once can
// keep the template in use for seconds at a stretch.
func createDatabase(admin *sql.DB, template string) (string, error) {
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := pgPrefix + strconv.FormatInt(time.Now().Unix(), 10) + "_" + hex.EncodeToString(b[:])
	stmt := "CREATE DATABASE " + name
	if template != "" {
		stmt += " TEMPLATE " + template
	}
	var err error
	for deadline := time.Now().Add(2 * time.Minute); ; {
		_, err = admin.Exec(stmt)
		if err == nil || !strings.Contains(err.Error(), "being accessed by other users") || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		return "", fmt.Errorf("create database: %w", err)
	}
	return name, nil
}

// dropLeftOvers drops the databases of test processes that ended without dropping them.
func dropLeftOvers(admin *sql.DB) {
	rows, err := admin.Query("SELECT datname FROM pg_database WHERE datname LIKE $1", pgPrefix+"%")
	if err != nil {
		return
	}
	var old []string
	for rows.Next() {
		var name string
		if rows.Scan(&name) != nil {
			continue
		}
		stamp, _, _ := strings.Cut(strings.TrimPrefix(name, pgPrefix), "_")
		if sec, err := strconv.ParseInt(stamp, 10, 64); err == nil && time.Since(time.Unix(sec, 0)) > pgLeftOver {
			old = append(old, name)
		}
	}
	rows.Close()
	for _, name := range old {
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	}
}

// databaseURL is base pointing at the database name instead.
func databaseURL(base, name string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	u.Path = "/" + name
	q := u.Query()
	q.Del("search_path")
	u.RawQuery = q.Encode()
	return u.String()
}

// Reopen opens a second handle on d's database, as another process of the application would
// (a replica, a worker); it is closed when the test ends.
func Reopen(t testing.TB, d *db.DB) *db.DB {
	t.Helper()
	u := d.URL()
	if d.Dialect == db.SQLite {
		u = "sqlite:" + d.Path()
	}
	other, err := db.Open(context.Background(), u, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	return other
}
