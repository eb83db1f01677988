package auth

import (
	"context"
	"fmt"
	"testing"
	"time"

	"sistercity/internal/db"
	"sistercity/internal/db/dbtest"
	"sistercity/internal/jobs"
	"sistercity/internal/jobs/jobstest"
	"sistercity/internal/polltest"
)

// TestSweepJobAcrossReplicas: the sweep runs as a periodic job of two queues on one database,
// as two worker processes would have it: the expired session and the old sign-in attempt go,
// the live session and the recent attempt stay.
func TestSweepJobAcrossReplicas(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	ctx := context.Background()
	now := time.Now().UTC()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{"INSERT INTO sessions (token, data, expiry) VALUES ($1, $2, $3)", []any{"expired", []byte("x"), now.Add(-time.Hour)}},
		{"INSERT INTO sessions (token, data, expiry) VALUES ($1, $2, $3)", []any{"live", []byte("x"), now.Add(time.Hour)}},
		{"INSERT INTO login_attempts (key, at) VALUES ($1, $2)", []any{"old", now.Add(-rateWindow - time.Hour)}},
		{"INSERT INTO login_attempts (key, at) VALUES ($1, $2)", []any{"recent", now}},
	} {
		if _, err := d.W.ExecContext(ctx, q.sql, q.args...); err != nil {
			t.Fatal(err)
		}
	}
	for _, h := range []*db.DB{d, dbtest.Reopen(t, d)} {
		jobstest.StartQueue(t, h, func(q *jobs.Queue) error { return RegisterSweep(q, h, time.Second) })
	}
	count := func(query string) int {
		var n int
		if err := d.R.QueryRowContext(ctx, query).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	polltest.Within(t, 2*time.Minute, "the sweep", func() (bool, string) {
		s, a := count("SELECT COUNT(*) FROM sessions"), count("SELECT COUNT(*) FROM login_attempts")
		return s == 1 && a == 1, fmt.Sprintf("%d sessions, %d attempts", s, a)
	})
	if count("SELECT COUNT(*) FROM sessions WHERE token = 'live'") != 1 || count("SELECT COUNT(*) FROM login_attempts WHERE key = 'recent'") != 1 {
		t.Error("the sweep removed the live session or the recent attempt")
	}
}
