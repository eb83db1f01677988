package db_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"sistercity/internal/db"
	"sistercity/internal/db/dbtest"
)

func TestMigrateIsIdempotent(t *testing.T) {
	d := dbtest.Open(t)
	t.Logf("database: %s", d.Dialect)
	n, err := d.Migrate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("second Migrate applied %d migrations, want 0", n)
	}
}

func TestUniqueViolationAndRollback(t *testing.T) {
	d := dbtest.Open(t)
	ctx := context.Background()
	now := time.Now().UTC()
	insert := func(q db.Querier) error {
		_, err := q.ExecContext(ctx, `INSERT INTO users (username, password_hash, role, created_at, updated_at)
			VALUES ($1, 'x', 'viewer', $2, $2)`, "ana", now)
		return err
	}
	if err := insert(d.W); err != nil {
		t.Fatal(err)
	}
	err := insert(d.W)
	if !db.IsUniqueViolation(err) {
		t.Fatalf("IsUniqueViolation(%v) = false", err)
	}
	// A failing transaction leaves nothing behind.
	boom := errors.New("boom")
	err = d.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('k', 'v')`); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx error = %v", err)
	}
	var n int
	if err := d.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM settings").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("rolled-back insert left %d rows", n)
	}
	var at time.Time
	if err := d.R.QueryRowContext(ctx, "SELECT created_at FROM users WHERE username = 'ana'").Scan(&at); err != nil {
		t.Fatal(err)
	}
	if !at.Equal(now.Truncate(time.Microsecond)) && !at.Equal(now) {
		t.Fatalf("timestamp round trip: got %v, want %v", at, now)
	}
}
