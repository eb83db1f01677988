// Command fanout measures how fast sistercity delivers one activity to every follower of the
// city, through the federation job queue, against a bare loop of signed POSTs to the same
// inboxes in the same run.
//
// It opens a fresh database (SQLite in a temporary directory, or a new schema of -database-url
// on PostgreSQL), migrates it, and builds what `serve` and `worker` build for federation: the job
// queue with the "federation" queue (-workers, 16 like the worker process), fed.Service through
// web.NewFed with the configuration's allow-list (--fed-allow-private 127.0.0.0/8, config's
// FedAllowed: deliveries go to loopback) and its delivery worker. It starts -servers remote
// servers, each on a loopback address of its own (127.0.0.1, 127.0.0.2, …; up to thousands),
// that verify every request as Mastodon does — the HTTP signature with the same library
// sistercity signs with (github.com/go-fed/httpsig), its covered headers, that the signed Host
// is the server's own, the Digest and the Date — and count each inbox reached once; a refused
// request fails the run. It
// stores -n accepted followers spread over the servers, each with its own inbox (mode personal:
// n deliveries) or with its server's shared inbox (mode shared: one delivery per server, which
// Fanout de-duplicates), and fans out one Create of a video per round with fed.Service.Fanout in
// one transaction; the queue's workers deliver. A round lasts from the start of that transaction
// until the last inbox has received and verified the activity.
//
// The baseline is a bare loop in the same process: the same inboxes, the same body size, one
// signature per request with the same library and the same key, the same concurrency (-workers
// goroutines) and the same bound per remote host as fed (4 deliveries in flight to one host), a
// plain net/http client with as many idle connections per host as fed's. Rounds alternate
// (baseline, sistercity, sistercity, baseline, …) so that drift in the machine's load falls on
// both. It prints deliveries/s, followers reached/s, the enqueue time, the peak heap per round
// and the process's peak resident memory (VmHWM; it includes the test servers and the baseline,
// which run in the same process), and the ratio sistercity/baseline of deliveries/s.
//
// Only loopback addresses are used, and everything stops by itself (-round-cap).
//
// Run: go run ./bench/fanout -n 1000 (or -n 10000), from the repository root.
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"sistercity/bench/internal/benchkit"
	"sistercity/internal/config"
	"sistercity/internal/db"
	"sistercity/internal/fed"
	"sistercity/internal/jobs"
	"sistercity/internal/web"
)

type options struct {
	n           int
	servers     int
	modes       string
	rounds      int
	workers     int
	roundCap    time.Duration
	databaseURL string
	warmup      bool
	cpuProfile  string
	order       string
	trace       bool
}

func main() {
	var o options
	flag.IntVar(&o.n, "n", 1000, "followers")
	flag.IntVar(&o.servers, "servers", 10, "remote servers the followers are spread over in turn, each on a loopback address of its own (with -modes shared, one delivery per server)")
	flag.StringVar(&o.modes, "modes", "personal,shared", "personal (each follower its own inbox), shared (each server's followers share its shared inbox), or both")
	flag.IntVar(&o.rounds, "rounds", 3, "measured rounds per side and mode (alternating)")
	flag.IntVar(&o.workers, "workers", 16, "deliveries at once: the federation queue's workers, and the baseline's goroutines (the worker process runs 16)")
	flag.DurationVar(&o.roundCap, "round-cap", 5*time.Minute, "longest a round may run; a round that reaches it fails the run")
	flag.StringVar(&o.databaseURL, "database-url", "", "PostgreSQL URL to run on (a fresh schema is made and dropped); empty: SQLite in a temporary directory")
	flag.BoolVar(&o.warmup, "warmup", true, "one uncounted round per side and mode first")
	flag.StringVar(&o.order, "baseline-order", orderInterleaved, "order of the baseline's POSTs: "+orderInterleaved+" (the servers in turn, as Fanout enqueues them) or "+orderSorted+" (by inbox URL, one server's inboxes together)")
	flag.BoolVar(&o.trace, "trace", false, "after each sistercity round, print when its jobs were taken and finished and what the database pool did")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the measured rounds to this file (go tool pprof)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "fanout:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	if o.n < 1 || o.servers < 1 || o.rounds < 1 || o.workers < 1 {
		return errors.New("bad flags: -n, -servers, -rounds and -workers must be positive")
	}
	modes := strings.Split(o.modes, ",")
	for _, m := range modes {
		if m != modePersonal && m != modeShared {
			return fmt.Errorf("-modes: %q: want %s or %s", m, modePersonal, modeShared)
		}
	}
	if o.order != orderSorted && o.order != orderInterleaved {
		return fmt.Errorf("-baseline-order %q: want %s or %s", o.order, orderSorted, orderInterleaved)
	}
	tmp, err := os.MkdirTemp("", "sistercity-bench-fanout-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	dbURL, dropSchema, err := freshDatabase(ctx, o.databaseURL)
	if err != nil {
		return err
	}
	defer dropSchema()
	b, err := setup(ctx, dbURL, tmp, o.workers, o.servers)
	if err != nil {
		return err
	}
	defer b.close()
	b.order = o.order
	b.trace.on = o.trace

	fmt.Printf("fan-out benchmark — %s\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Printf("machine: %s, %d CPUs (GOMAXPROCS %d), load average before: %s\n", benchkit.CPUModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0), benchkit.LoadAvg())
	fmt.Printf("database: %s; federation queue workers: %d; fed's bound per remote host: %d (the baseline's too)\n", b.d.Dialect, o.workers, perHost)
	fmt.Printf("%d followers on %d verifying servers (%s to %s); %d rounds per side and mode, alternating; baseline order: %s\n\n",
		o.n, o.servers, serverAddr(0), serverAddr(o.servers-1), o.rounds, o.order)

	const row = "%-8s  %5s  %-10s  %10s  %9s  %9s  %7s  %7s  %8s  %8s  %7s  %4s\n"
	fmt.Printf(row, "mode", "round", "side", "deliveries", "followers", "enqueue s", "total s", "deliv/s", "follow/s", "heap MB", "", "dups")
	for _, mode := range modes {
		deliveries, err := b.followers(ctx, mode, o.n)
		if err != nil {
			return err
		}
		if o.warmup {
			for _, side := range []string{sideBaseline, sideSistercity} {
				if _, err := b.round(ctx, side, deliveries, o.roundCap); err != nil {
					return fmt.Errorf("%s warm-up (%s): %w", side, mode, err)
				}
			}
		}
		if o.cpuProfile != "" {
			stopProfile, err := startProfile(o.cpuProfile + "." + mode)
			if err != nil {
				return err
			}
			defer stopProfile()
		}
		res := map[string][]result{}
		for i := range o.rounds {
			order := []string{sideBaseline, sideSistercity}
			if i%2 == 1 {
				order = []string{sideSistercity, sideBaseline} // A B B A: neither side always first
			}
			for _, side := range order {
				r, err := b.round(ctx, side, deliveries, o.roundCap)
				if err != nil {
					return fmt.Errorf("%s round %d (%s): %w", side, i+1, mode, err)
				}
				res[side] = append(res[side], r)
				enq := "-"
				if side == sideSistercity {
					enq = f2(r.enqueue.Seconds())
				}
				fmt.Printf(row, mode, strconv.Itoa(i+1), side, strconv.Itoa(r.deliveries), strconv.Itoa(r.reached), enq,
					f2(r.elapsed.Seconds()), f0(r.perSec()), f0(r.reachedPerSec()), f1(float64(r.peakHeap)/1e6), "", strconv.Itoa(r.dups))
			}
		}
		var ratios []float64
		for i := range o.rounds {
			ratios = append(ratios, res[sideSistercity][i].perSec()/res[sideBaseline][i].perSec())
		}
		med := func(side string) float64 {
			var v []float64
			for _, r := range res[side] {
				v = append(v, r.perSec())
			}
			return benchkit.Median(v)
		}
		fmt.Printf("%s: median deliveries/s baseline %.0f, sistercity %.0f; ratio sistercity/baseline %.2f (of the medians); per round: %s\n\n",
			mode, med(sideBaseline), med(sideSistercity), med(sideSistercity)/med(sideBaseline), benchkit.Floats(ratios))
	}
	var split int
	if err := b.d.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM river_job WHERE kind = 'fed.deliver'").Scan(&split); err != nil {
		return fmt.Errorf("count retried deliveries: %w", err)
	}
	fmt.Printf("deliveries retried (split off a batch into a job of their own after a failed POST): %d; verified POSTs of an earlier round's activity: %d\n",
		split, b.farm.lateDeliveries())
	hwm, rss := procStatus("VmHWM"), procStatus("VmRSS")
	fmt.Printf("process peak resident memory (VmHWM, whole run, servers and baseline included): %s; resident now: %s\n", hwm, rss)
	fmt.Printf("load average after: %s\n", benchkit.LoadAvg())
	return nil
}

// freshDatabase returns the URL of an empty database: "" (SQLite in the data directory) when
// base is empty, else a new schema of base, dropped by the returned function.
func freshDatabase(ctx context.Context, base string) (string, func(), error) {
	if base == "" {
		return "", func() {}, nil
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	schema := "bench_fanout_" + hex.EncodeToString(rnd[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("create schema: %w", err)
	}
	drop := func() {
		_, _ = admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	}
	u, err := url.Parse(base)
	if err != nil {
		drop()
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("application_name", benchApp) // -trace finds the run's backends by it
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}

// setup opens and migrates the database, builds the queue and fed.Service as serve does, makes
// the city's key and starts the servers.
func setup(ctx context.Context, dbURL, dataDir string, workers, servers int) (*bench, error) {
	cfg := config.Default()
	cfg.DataDir = dataDir
	cfg.DatabaseURL = dbURL
	cfg.BaseURL = "https://city.example"
	cfg.FedAllowPrivate = "127.0.0.0/8"
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d, err := db.Open(ctx, dbURL, dataDir)
	if err != nil {
		return nil, err
	}
	b := &bench{d: d}
	if _, err := d.Migrate(ctx); err != nil {
		b.close()
		return nil, err
	}
	// As the worker process builds it, with one worker for the default queue, which has no jobs here.
	if b.q, err = jobs.New(d, jobs.Config{Workers: 1, Queues: map[string]int{fed.Queue: workers},
		FetchCooldowns:     map[string]time.Duration{fed.Queue: fed.QueueFetchCooldown},
		FetchPollIntervals: map[string]time.Duration{fed.Queue: fed.QueueFetchPollInterval}}, nil); err != nil {
		b.close()
		return nil, err
	}
	if b.fs, err = web.NewFed(cfg, d, b.q, nil, "bench"); err != nil {
		b.close()
		return nil, err
	}
	if err := b.fs.Register(b.q); err != nil {
		b.close()
		return nil, err
	}
	if err := b.q.Start(ctx); err != nil {
		b.close()
		return nil, err
	}
	key, err := b.fs.Key(ctx)
	if err != nil {
		b.close()
		return nil, err
	}
	b.key = key
	b.workers = workers
	if b.farm, err = startFarm(servers, &key.PublicKey, b.fs.KeyID()); err != nil {
		b.close()
		return nil, err
	}
	return b, nil
}

func f0(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }
func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
func f2(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

// startProfile starts a CPU profile written to path.
func startProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// procStatus is a line's value of /proc/self/status, e.g. "52340 kB", or "unknown".
func procStatus(field string) string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && k == field {
			return strings.Join(strings.Fields(v), " ")
		}
	}
	return "unknown"
}
