package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"sistercity/internal/db"
)

// tracer prints, with -trace, where a sistercity round's time went: when its delivery jobs
// were taken by a worker and when they were finished (River's attempted_at and finalized_at,
// from the start of the round), and what the database pool did (connections open, waits for
// one, and those closed for being above the idle bound — each one reopened later costs a
// PostgreSQL backend started anew).
//
// For both sides it prints the CPU time the round took: this process's (the side at work, the
// servers verifying, the heap sampler) and, on PostgreSQL, that of the server's backends serving
// this run's connections (found by their application_name, benchApp), so that the database's
// share of a fan-out shows beside the signing.
type tracer struct {
	on     bool
	lastID int64 // the highest job id traced so far

	cpu, pgCPU time.Duration // at the start of the round
}

// benchApp is the application_name of the run's PostgreSQL connections.
const benchApp = "sistercity-bench-fanout"

// start notes the CPU times at the start of a round.
func (t *tracer) start(ctx context.Context, b *bench) {
	if t.on {
		t.cpu, t.pgCPU = processCPU(), backendsCPU(ctx, b)
	}
}

// cpuUsed prints the CPU time of the round of side since start.
func (t *tracer) cpuUsed(ctx context.Context, b *bench, side string, deliveries int) {
	if !t.on {
		return
	}
	cpu, pg := processCPU()-t.cpu, backendsCPU(ctx, b)-t.pgCPU
	fmt.Printf("    cpu (%s): this process %.2f s (%.2f ms a delivery), PostgreSQL backends %.2f s\n",
		side, cpu.Seconds(), cpu.Seconds()*1000/float64(max(deliveries, 1)), pg.Seconds())
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// backendsCPU sums the user and system time of the PostgreSQL backends of this run's
// connections, read from /proc (the server runs on this machine): 0 on SQLite, or when they
// cannot be read.
func backendsCPU(ctx context.Context, b *bench) time.Duration {
	if b.d.Dialect == db.Postgres {
		var total time.Duration
		rows, err := b.d.R.QueryContext(ctx, "SELECT pid FROM pg_stat_activity WHERE application_name = $1", benchApp)
		if err != nil {
			return 0
		}
		defer rows.Close()
		for rows.Next() {
			var pid int
			if rows.Scan(&pid) != nil {
				return 0
			}
			stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
			if err != nil {
				continue
			}
			// Fields after the command's closing parenthesis: utime and stime are the 12th
			// and 13th, in clock ticks (100 a second on Linux).
			f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
			if len(f) > 12 {
				u, _ := strconv.ParseInt(f[11], 10, 64)
				s, _ := strconv.ParseInt(f[12], 10, 64)
				total += time.Duration(u+s) * 10 * time.Millisecond
			}
		}
		return total
	}
	return 0
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
