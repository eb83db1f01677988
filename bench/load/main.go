// Command load puts a whole sistercity deployment under the load of many viewers and a few
// uploading editors at once, and reports what each kind of request cost and the memory of each
// process.
//
// Topology A (pg-s3) is the scaled-out deployment: a fresh PostgreSQL database of its own on
// -database-url (created, and dropped at the end), the S3 server versitygw with the media in a
// bucket, two `sistercity serve --workers=0` replicas (the first loads --demo before the second
// starts), one `sistercity worker`, and nginx on loopback in front of the two replicas.
// Topology B (sqlite) is the single process: one `sistercity serve --demo` with its job workers,
// SQLite and media in its data directory, behind the same nginx.
//
// The load, for -duration on each topology: -viewers simulated viewers, each a keep-alive client
// looping over the demo's watch page, its subtitle tracks and its video — Range requests of the
// MP4 rendition the page links on one turn, the HLS master playlist, media playlist, init and
// segments on the next — with a random pause of up to twice -think between turns; and -uploads
// editors, each signed in as the demo's admin (the password serve prints), creating a draft
// video through the admin form and uploading a short clip (made once by ffmpeg) to it through
// the tus endpoint in -chunk PATCH requests with the session's CSRF token, then following the
// processing on the status route every 2 s until it is done, as the upload page's scripts do,
// and again with the next video. The worker processes the uploads. Every response is checked
// (status, Content-Type, ranges and lengths); a run with any error fails.
//
// It prints per request kind the requests, requests/s, p50 and p99 latency and errors; how many
// requests each replica answered (nginx adds the upstream's address to each response); the
// uploads completed and processed by the end of the load and after waiting up to -drain; and the
// memory of each process (VmRSS at its highest sample and VmHWM, from /proc/PID/status, sampled
// every second): serve, worker, nginx's workers, versitygw.
//
// Run: go run ./bench/load, from the repository root (it needs nginx, ffmpeg, versitygw and
// PostgreSQL; -topology sqlite needs no PostgreSQL or versitygw). Only loopback addresses are
// used, and everything it started stops at the end.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"sistercity/bench/internal/benchkit"
)

// The topologies.
const (
	topoPG     = "pg-s3"  // two serve replicas and a worker on PostgreSQL, media on S3
	topoSQLite = "sqlite" // one serve with its workers on SQLite, media on disk
)

type options struct {
	bin          string
	databaseURL  string
	topologies   string
	duration     time.Duration
	viewers      int
	uploads      int
	think        time.Duration
	ranges       int
	rangeBytes   int64
	chunk        int
	clipSeconds  int
	drain        time.Duration
	startTimeout time.Duration
	nginx        string
	nginxWorkers string
	versitygw    string
	maxUploads   int
	out          io.Writer // where the report goes
}

func main() {
	o := options{out: os.Stdout}
	flag.StringVar(&o.bin, "bin", "", "the sistercity binary (default: go build ./cmd/sistercity into the temporary directory)")
	flag.StringVar(&o.databaseURL, "database-url", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL server for topology "+topoPG+": a database of the bench's own is created there and dropped at the end")
	flag.StringVar(&o.topologies, "topology", topoPG+","+topoSQLite, "topologies to run, in order: "+topoPG+" (two replicas and a worker on PostgreSQL and S3), "+topoSQLite+" (one process on SQLite)")
	flag.DurationVar(&o.duration, "duration", 5*time.Minute, "length of the load on each topology")
	flag.IntVar(&o.viewers, "viewers", 200, "simulated viewers")
	flag.IntVar(&o.uploads, "uploads", 5, "concurrent uploaders")
	flag.DurationVar(&o.think, "think", time.Second, "a viewer's mean pause between two turns (uniform between 0 and twice this)")
	flag.IntVar(&o.ranges, "ranges", 3, "Range requests of the MP4 rendition per viewer turn")
	flag.Int64Var(&o.rangeBytes, "range-bytes", 128<<10, "largest Range request in bytes")
	flag.IntVar(&o.chunk, "chunk", 256<<10, "bytes per upload PATCH")
	flag.IntVar(&o.clipSeconds, "clip-seconds", 3, "length of the uploaded clip")
	flag.DurationVar(&o.drain, "drain", 2*time.Minute, "longest wait after the load for the completed uploads to be processed")
	flag.DurationVar(&o.startTimeout, "start-timeout", 3*time.Minute, "longest a process may take to start (serve --demo encodes the demo video)")
	flag.StringVar(&o.nginx, "nginx", "", "nginx binary (default: nginx on PATH, else /usr/sbin/nginx)")
	flag.StringVar(&o.nginxWorkers, "nginx-workers", "auto", "nginx's worker_processes")
	flag.IntVar(&o.maxUploads, "max-uploads", 0, "uploads per uploader, then it stops (0: no limit); the load then lasts until they are done, at least -duration")
	flag.StringVar(&o.versitygw, "versitygw", "", "versitygw binary (default: $SISTERCITY_VERSITYGW, PATH, then $(go env GOPATH)/bin)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if _, err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// run measures each topology in turn and returns their reports.
func run(ctx context.Context, o options) ([]*report, error) {
	if o.viewers < 0 || o.uploads < 0 || o.viewers+o.uploads == 0 || o.duration <= 0 || o.chunk < 1 || o.ranges < 1 || o.rangeBytes < 1 || o.clipSeconds < 1 {
		return nil, errors.New("bad flags: viewers, uploads, duration, chunk, ranges, range-bytes and clip-seconds must be positive")
	}
	topos := strings.Split(o.topologies, ",")
	for _, t := range topos {
		if t != topoPG && t != topoSQLite {
			return nil, fmt.Errorf("-topology: unknown %q", t)
		}
	}
	nginxBin, err := benchkit.FindNginx(o.nginx)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "sistercity-bench-load-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	// nginx's workers may run as another user (nobody, when started by root).
	if err := os.Chmod(tmp, 0o755); err != nil {
		return nil, err
	}
	bin := o.bin
	if bin == "" {
		bin = filepath.Join(tmp, "sistercity")
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/sistercity")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return nil, fmt.Errorf("go build ./cmd/sistercity (run from the repository root): %w", err)
		}
	}
	clip, err := makeClip(ctx, tmp, o.clipSeconds)
	if err != nil {
		return nil, err
	}

	out := o.out
	fmt.Fprintf(out, "load benchmark — %s\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(out, "machine: %s, %d CPUs, load average before: %s\n", benchkit.CPUModel(), runtime.NumCPU(), benchkit.LoadAvg())
	fmt.Fprintf(out, "nginx: %s, worker_processes %s; %d viewers (pause 0–%s between turns, %d ranges of ≤ %d KiB per MP4 turn), %d uploaders (a %d s clip of %d KiB in %d KiB chunks); %s per topology\n",
		benchkit.NginxVersion(nginxBin), o.nginxWorkers, o.viewers, 2*o.think, o.ranges, o.rangeBytes>>10, o.uploads, o.clipSeconds, len(clip)>>10, o.chunk>>10, o.duration)

	var reports []*report
	for _, name := range topos {
		dir := filepath.Join(tmp, name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			return reports, err
		}
		r, err := runTopology(ctx, o, name, bin, nginxBin, dir, clip)
		if r != nil {
			r.print(out)
			reports = append(reports, r)
		}
		if err != nil {
			return reports, fmt.Errorf("%s: %w", name, err)
		}
		if r.errors() > 0 {
			return reports, fmt.Errorf("%s: %d requests failed", name, r.errors())
		}
	}
	return reports, nil
}

// runTopology starts the deployment, loads it and stops it.
func runTopology(ctx context.Context, o options, name, bin, nginxBin, dir string, clip []byte) (*report, error) {
	d := &deployment{name: name, dir: dir, bin: bin}
	defer d.stop()
	var err error
	switch name {
	case topoPG:
		err = d.startPG(ctx, o)
	case topoSQLite:
		err = d.startSQLite(ctx, o)
	}
	if err != nil {
		return nil, err
	}
	if err := d.startNginx(ctx, nginxBin, o.nginxWorkers); err != nil {
		return nil, err
	}
	return load(ctx, o, d, clip)
}

// makeClip encodes the clip the uploaders send: a test pattern with a tone, H.264 and AAC.
func makeClip(ctx context.Context, dir string, seconds int) ([]byte, error) {
	path := filepath.Join(dir, "clip.mp4")
	d := fmt.Sprint(seconds)
	cmd := exec.CommandContext(ctx, "ffmpeg", "-nostdin", "-loglevel", "error",
		"-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration="+d,
		"-f", "lavfi", "-i", "sine=frequency=440:duration="+d,
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
		"-movflags", "+faststart", path)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("ffmpeg: %v: %s", err, out)
	}
	return os.ReadFile(path)
}
