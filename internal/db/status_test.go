package db_test

import (
	"context"
	"slices"
	"testing"

	"sistercity/internal/db"
	"sistercity/internal/db/dbtest"
)

// TestMigrationStatus: a migrated database is current; one that lacks a migration names it as
// missing, one that has a migration the binary does not know names it as unknown; a database
// never migrated has them all missing.
func TestMigrationStatus(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.Open(t)
	st, err := d.Migrations(ctx)
	if err != nil || !st.Current() || st.Applied != st.Known || st.Known == 0 || st.Latest == "" {
		t.Fatalf("migrated: %+v, %v", st, err)
	}
	if _, err := d.W.ExecContext(ctx, "DELETE FROM schema_migrations WHERE version = 1"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.W.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'migrations/x/9999_next.sql', CURRENT_TIMESTAMP)"); err != nil {
		t.Fatal(err)
	}
	st, err = d.Migrations(ctx)
	if err != nil || st.Current() || len(st.Missing) != 1 || !slices.Equal(st.Unknown, []string{"9999_next"}) || st.Latest != "9999_next" {
		t.Fatalf("one missing, one unknown: %+v, %v", st, err)
	}

	fresh, err := db.Open(ctx, dbtest.URL(t), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	st, err = fresh.Migrations(ctx)
	if err != nil || st.Applied != 0 || len(st.Missing) != st.Known || st.Known == 0 {
		t.Fatalf("never migrated: %+v, %v", st, err)
	}
}
