package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// tracer prints, with -trace, where a sistercity round's time went: when its delivery jobs
// were taken by a worker and when they were finished (River's attempted_at and finalized_at,
// from the start of the round), and what the database pool did (connections open, waits for
// one, and those closed for being above the idle bound — each one reopened later costs a
// PostgreSQL backend started anew).
type tracer struct {
	on     bool
	lastID int64 // the highest job id traced so far
}

// round prints the trace of the jobs inserted since the last call, waiting up to 10 s for
// River's completer to finalize them.
func (t *tracer) round(ctx context.Context, b *bench, start, lastDelivery time.Time) error {
	if !t.on {
		return nil
	}
	var attempted, finalized []float64
	deadline := time.Now().Add(10 * time.Second)
	for {
		attempted, finalized = attempted[:0], finalized[:0]
		maxID := t.lastID
		rows, err := b.d.R.QueryContext(ctx, `SELECT id, attempted_at, finalized_at FROM river_job
			WHERE id > $1 AND kind LIKE 'fed.deliver%' ORDER BY id`, t.lastID)
		if err != nil {
			return fmt.Errorf("trace: %w", err)
		}
		for rows.Next() {
			var id int64
			var a, f *time.Time
			if err := rows.Scan(&id, &a, &f); err != nil {
				rows.Close()
				return fmt.Errorf("trace: %w", err)
			}
			maxID = max(maxID, id)
			if a != nil {
				attempted = append(attempted, a.Sub(start).Seconds())
			}
			if f != nil {
				finalized = append(finalized, f.Sub(start).Seconds())
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("trace: %w", err)
		}
		if len(finalized) == len(attempted) || time.Now().After(deadline) {
			t.lastID = maxID
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	slices.Sort(attempted)
	slices.Sort(finalized)
	st := b.d.W.Stats()
	fmt.Printf("    trace: %d jobs; taken at %s s; finished at %s s; last delivery at %.2f s\n",
		len(attempted), seconds(attempted), seconds(finalized), lastDelivery.Sub(start).Seconds())
	fmt.Printf("    pool: %d open, %d waits (%s), %d closed above the idle bound (whole run)\n",
		st.OpenConnections, st.WaitCount, st.WaitDuration.Round(time.Millisecond), st.MaxIdleClosed)
	return nil
}

// seconds lists sorted times, or, for more than 20, their minimum, quartiles and maximum.
func seconds(v []float64) string {
	if len(v) > 20 {
		q := func(p float64) string { return f2(v[int(p*float64(len(v)-1))]) }
		return "min " + q(0) + ", quartiles " + q(0.25) + " " + q(0.5) + " " + q(0.75) + ", max " + q(1)
	}
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = f2(x)
	}
	return strings.Join(s, " ")
}
