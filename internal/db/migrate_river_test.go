package db_test

import (
	"context"
	"sync"
	"testing"

	"sistercity/internal/db"
	"sistercity/internal/db/dbtest"
)

// River's tables come with the rest, and on PostgreSQL where search_path points: a test's
// own schema, not public.
func TestRiverTablesAreMigrated(t *testing.T) {
	d := dbtest.Open(t)
	var versions int
	if err := d.R.QueryRow("SELECT COUNT(*) FROM river_migration").Scan(&versions); err != nil {
		t.Fatal(err)
	}
	if versions == 0 {
		t.Error("no River migration recorded")
	}
	if d.Dialect == db.Postgres {
		var schema, current string
		err := d.R.QueryRow(`SELECT table_schema, current_schema() FROM information_schema.tables
			WHERE table_name = 'river_job' AND table_schema = current_schema()`).Scan(&schema, &current)
		if err != nil {
			t.Fatalf("river_job not in the current schema: %v", err)
		}
	}
}

// serve replicas and worker processes start together; each migrates, and none may fail
// because another is migrating.
func TestConcurrentMigrate(t *testing.T) {
	url, dir := dbtest.URL(t), t.TempDir()
	var wg sync.WaitGroup
	total := make(chan int, 3)
	for range 3 {
		wg.Go(func() {
			d, err := db.Open(context.Background(), url, dir)
			if err != nil {
				t.Error(err)
				return
			}
			defer d.Close()
			n, err := d.Migrate(context.Background())
			if err != nil {
				t.Errorf("concurrent Migrate: %v", err)
			}
			total <- n
		})
	}
	wg.Wait()
	close(total)
	// Every step applied once, by one runner or another.
	sum := 0
	for n := range total {
		sum += n
	}
	d, err := db.Open(context.Background(), url, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var ours, rivers int
	if err := d.R.QueryRow("SELECT (SELECT COUNT(*) FROM schema_migrations), (SELECT COUNT(*) FROM river_migration)").Scan(&ours, &rivers); err != nil {
		t.Fatal(err)
	}
	if sum != ours+rivers {
		t.Errorf("the runners applied %d steps in all, want %d", sum, ours+rivers)
	}
}
