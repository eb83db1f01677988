package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"sistercity/internal/addrtest"
	"sistercity/internal/db"
	"sistercity/internal/db/dbtest"
)

// TestMigrateDryRunAndNewerDatabase: migrate --dry-run lists what would run and changes
// nothing; a database with a migration newer than the binary's (one recorded above the
// binary's highest number, as a newer release would leave it) makes serve, worker, migrate and
// --dry-run refuse, naming both schema versions and the binary's version.
func TestMigrateDryRunAndNewerDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dataDir, dbURL := t.TempDir(), dbtest.URL(t)
	dbFlags := []string{"--data-dir", dataDir, "--log-level", "warn"}
	if dbURL != "" {
		dbFlags = append(dbFlags, "--database-url", dbURL)
	}
	code, out, errOut := sistercity(t, dbFlags, "migrate", "--dry-run")
	if code != 0 || !strings.Contains(out, "0001_foundation.sql") || !strings.Contains(out, "river 001") ||
		!strings.Contains(out, "database at schema version 0") {
		t.Fatalf("migrate --dry-run on a new database: %d\n%s%s", code, out, errOut)
	}
	d, err := db.Open(ctx, dbURL, dataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if v, err := d.SchemaVersion(ctx); err != nil || v != 0 {
		t.Fatalf("after --dry-run the schema version is %d (%v), want 0: nothing applied", v, err)
	}
	if code, out, errOut = sistercity(t, dbFlags, "migrate"); code != 0 {
		t.Fatalf("migrate: %d %s%s", code, out, errOut)
	}
	latest, err := d.LatestMigration()
	if err != nil {
		t.Fatal(err)
	}
	code, out, _ = sistercity(t, dbFlags, "migrate", "--dry-run")
	if code != 0 || !strings.Contains(out, fmt.Sprintf("up to date (schema version %d); nothing would run", latest)) {
		t.Fatalf("migrate --dry-run when up to date: %d %s", code, out)
	}

	// A newer release's migration.
	if _, err := d.W.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
		latest+1, "migrations/future.sql", time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	want := []string{fmt.Sprintf("schema version %d", latest+1), fmt.Sprintf("up to %d", latest), "sistercity " + version}
	for _, args := range [][]string{
		{"migrate"},
		{"migrate", "--dry-run"},
		{"serve", "--listen", addrtest.Free(t)},
		{"worker"},
		{"user", "list"},
	} {
		code, out, errOut := sistercity(t, dbFlags, args...)
		for _, w := range want {
			if code == 0 || !strings.Contains(errOut, w) {
				t.Errorf("%v on a newer database: %d, want an error naming %q:\n%s%s", args, code, w, out, errOut)
				break
			}
		}
	}
	// Nothing was changed: the newer version is still the latest.
	if v, err := d.SchemaVersion(ctx); err != nil || v != latest+1 {
		t.Errorf("schema version after the refusals: %d %v", v, err)
	}
}
