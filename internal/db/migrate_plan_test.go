package db_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"sistercity/internal/db"
	"sistercity/internal/db/dbtest"
)

// TestNewerDatabaseIsRefused: Migrate and Pending refuse a database with a migration above the
// binary's highest, with both versions in the error, and change nothing.
func TestNewerDatabaseIsRefused(t *testing.T) {
	ctx := context.Background()
	d := dbtest.Open(t)
	latest, err := d.LatestMigration()
	if err != nil {
		t.Fatal(err)
	}
	if v, err := d.SchemaVersion(ctx); err != nil || v != latest {
		t.Fatalf("schema version %d (%v), want %d", v, err, latest)
	}
	if p, err := d.Pending(ctx); err != nil || len(p) != 0 {
		t.Fatalf("pending after Migrate: %v %v", p, err)
	}
	if _, err := d.W.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'future', $2)",
		latest+5, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	for name, call := range map[string]func() error{
		"Migrate": func() error { _, err := d.Migrate(ctx); return err },
		"Pending": func() error { _, err := d.Pending(ctx); return err },
	} {
		err := call()
		var newer *db.NewerDatabaseError
		if !errors.Is(err, db.ErrNewerDatabase) || !errors.As(err, &newer) || newer.Database != latest+5 || newer.Binary != latest {
			t.Errorf("%s on a newer database: %v", name, err)
		}
	}
}

// TestSnapshotSQLite: VACUUM INTO writes a database that opens with the same schema version,
// and refuses to overwrite a file.
func TestSnapshotSQLite(t *testing.T) {
	ctx := context.Background()
	d := dbtest.Open(t)
	path := filepath.Join(t.TempDir(), "copy.db")
	if d.Dialect != db.SQLite {
		if err := d.SnapshotSQLite(ctx, path); err == nil {
			t.Error("VACUUM INTO on PostgreSQL did not fail")
		}
		return
	}
	if err := d.SnapshotSQLite(ctx, path); err != nil {
		t.Fatal(err)
	}
	if err := d.SnapshotSQLite(ctx, path); err == nil {
		t.Error("a second snapshot over the first did not fail")
	}
	c, err := db.Open(ctx, "sqlite:"+path, "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	want, _ := d.SchemaVersion(ctx)
	if got, err := c.SchemaVersion(ctx); err != nil || got != want {
		t.Errorf("the copy's schema version: %d %v, want %d", got, err, want)
	}
}
