package db_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"sistercity/internal/db"
	"sistercity/internal/db/dbtest"
)

func schemaRow(t *testing.T, d *db.DB, version int64) bool {
	t.Helper()
	var n int
	if err := d.R.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM schema_migrations WHERE version = $1", version).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

func tableExists(d *db.DB, table string) bool {
	var n int
	return d.R.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n) == nil
}

// TestFailingMigrationLeavesNothing: a migration whose third statement fails leaves neither its
// first statement's table nor its schema_migrations row, while the migration before it stays
// applied; the error names the file.
func TestFailingMigrationLeavesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.Open(t)
	dir := "migrations/" + string(d.Dialect) + "/"
	fsys := fstest.MapFS{
		dir + "0900_whole.sql": {Data: []byte("CREATE TABLE whole_applied (id INTEGER);\n")},
		dir + "0901_half.sql": {Data: []byte("CREATE TABLE half_applied (id INTEGER);\n" +
			"INSERT INTO half_applied (id) VALUES (1);\n" +
			"INSERT INTO no_such_table (id) VALUES (1);\n")},
	}
	n, err := d.MigrateFS(ctx, fsys)
	if err == nil || !strings.Contains(err.Error(), "0901_half.sql") {
		t.Fatalf("the failing migration: %v", err)
	}
	if n != 1 || !schemaRow(t, d, 900) || !tableExists(d, "whole_applied") {
		t.Errorf("the migration before the failing one is not applied (%d applied)", n)
	}
	if schemaRow(t, d, 901) {
		t.Error("the failing migration has a schema_migrations row")
	}
	if tableExists(d, "half_applied") {
		t.Error("the failing migration's first statement was kept")
	}
	if v, err := d.SchemaVersion(ctx); err != nil || v != 900 {
		t.Errorf("schema version %d (%v), want 900", v, err)
	}
}

// TestNoTransactionMarker: a statement that cannot run in a transaction (VACUUM on SQLite,
// CREATE INDEX CONCURRENTLY on PostgreSQL) fails as a plain migration, leaving no row, and is
// applied and recorded when its file starts with the marker.
func TestNoTransactionMarker(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.Open(t)
	stmt := "VACUUM;\n"
	if d.Dialect == db.Postgres {
		stmt = "CREATE INDEX CONCURRENTLY IF NOT EXISTS cities_country_marker ON cities (country);\n"
	}
	path := "migrations/" + string(d.Dialect) + "/0900_outside.sql"
	if _, err := d.MigrateFS(ctx, fstest.MapFS{path: {Data: []byte(stmt)}}); err == nil {
		t.Fatal("the statement ran inside a transaction")
	}
	if schemaRow(t, d, 900) {
		t.Fatal("the failed migration has a schema_migrations row")
	}
	n, err := d.MigrateFS(ctx, fstest.MapFS{path: {Data: []byte(db.NoTransactionMarker + "\n" + stmt)}})
	if err != nil || n != 1 || !schemaRow(t, d, 900) {
		t.Fatalf("the marked migration: %d applied, %v", n, err)
	}
	if n, err := d.MigrateFS(ctx, fstest.MapFS{path: {Data: []byte(db.NoTransactionMarker + "\n" + stmt)}}); err != nil || n != 0 {
		t.Errorf("the marked migration ran again: %d applied, %v", n, err)
	}
}
