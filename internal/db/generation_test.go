package db_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"

	"sistercity/internal/db"
	"sistercity/internal/db/dbtest"
	"sistercity/internal/polltest"
)

// TestGenerationFollowsCommits opens one database twice, as two processes do: a commit moves
// the writer's generation at once and the other's within a poll; a rolled-back transaction
// moves neither.
func TestGenerationFollowsCommits(t *testing.T) {
	ctx := context.Background()
	u, dir := dbtest.URL(t), t.TempDir()
	open := func() *db.DB {
		d, err := db.Open(ctx, u, dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		return d
	}
	a := open()
	if _, err := a.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	b := open()
	write := func(fail bool) error {
		return a.InTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, 'v')`, time.Now().String()); err != nil {
				return err
			}
			if fail {
				return errors.New("boom")
			}
			return nil
		})
	}
	ga, gb := a.Generation(ctx), b.Generation(ctx)
	if err := write(true); err == nil {
		t.Fatal("failing transaction committed")
	}
	if g := a.Generation(ctx); g != ga {
		t.Fatalf("a rolled-back transaction moved the generation %d → %d", ga, g)
	}
	if err := write(false); err != nil {
		t.Fatal(err)
	}
	if g := a.Generation(ctx); g == ga {
		t.Fatal("a commit left the writer's generation as it was")
	}
	polltest.Until(t, "the other handle to see the commit", func() (bool, string) {
		g := b.Generation(ctx)
		return g != gb, fmt.Sprintf("generation %d", g)
	})
}
