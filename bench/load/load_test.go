package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// TestMain removes the binary the tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if builtBin != "" {
		os.RemoveAll(filepath.Dir(builtBin))
	}
	os.Exit(code)
}

// sistercityBinary builds the binary once for the tests of this package.
func sistercityBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sistercity-load-test-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "sistercity")
		// The test runs in bench/load; the module's root is two levels up.
		cmd := exec.Command("go", "build", "-o", builtBin, "./cmd/sistercity")
		cmd.Dir = filepath.Join("..", "..")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = err
			t.Logf("%s", out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// logWriter sends the report to the test's log.
type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestLoadSmoke is a tiny run of the benchmark on each topology: a few viewers and one upload
// for a few seconds. Every request succeeds, the requests reach every replica (two behind nginx
// on PostgreSQL and S3, one on SQLite), the upload completes and the worker processes it.
func TestLoadSmoke(t *testing.T) {
	t.Parallel()
	bin := sistercityBinary(t)
	// The PostgreSQL topology needs PostgreSQL in every pass of make test, the SQLite one too:
	// scripts/test.sh gives the server it uses (perhaps one it started) in
	// SISTERCITY_TEST_POSTGRES_URL.
	dbURL := os.Getenv("SISTERCITY_TEST_POSTGRES_URL")
	if dbURL == "" {
		dbURL = os.Getenv("SISTERCITY_TEST_DATABASE_URL")
	}
	if dbURL == "" {
		dbURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	for _, tc := range []struct {
		topology string
		replicas int
	}{{topoPG, 2}, {topoSQLite, 1}} {
		t.Run(tc.topology, func(t *testing.T) {
			t.Parallel()
			o := options{bin: bin, databaseURL: dbURL, topologies: tc.topology, duration: 8 * time.Second,
				viewers: 4, uploads: 1, maxUploads: 1, think: 200 * time.Millisecond, ranges: 2, rangeBytes: 64 << 10,
				chunk: 64 << 10, clipSeconds: 2, drain: 10 * time.Minute, startTimeout: 3 * time.Minute,
				nginxWorkers: "1", out: logWriter{t}}
			reports, err := run(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			if len(reports) != 1 {
				t.Fatalf("%d reports, want 1", len(reports))
			}
			r := reports[0]
			if n := r.errors(); n != 0 {
				t.Errorf("%d errors", n)
			}
			if len(r.replicas) != tc.replicas {
				t.Fatalf("%d replicas behind nginx, want %d", len(r.replicas), tc.replicas)
			}
			total := 0
			for _, a := range r.replicas {
				if r.upstreams[a] == 0 {
					t.Errorf("replica %s answered no request: %v", a, r.upstreams)
				}
				total += r.upstreams[a]
			}
			for _, k := range []string{kindPage, kindTrack, kindRange, kindPlaylist, kindSegment, kindTusPatch} {
				if s := r.stats[k]; s == nil || len(s.lat) == 0 {
					t.Errorf("no %s request succeeded", k)
				}
			}
			// Every request went to a replica named in nginx's upstream, none elsewhere.
			all := 0
			for _, n := range r.upstreams {
				all += n
			}
			if all != total {
				t.Errorf("requests per upstream %v: %d answered by none of the replicas %v", r.upstreams, all-total, r.replicas)
			}
			if len(r.completed) != 1 || r.processedAll != 1 {
				t.Errorf("uploads: %d completed, %d processed; want 1 and 1", len(r.completed), r.processedAll)
			}
			if len(r.memory) < len(r.replicas)+1 {
				t.Errorf("memory of %d processes sampled: %v", len(r.memory), r.memory)
			}
		})
	}
}
