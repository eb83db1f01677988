// Command delivery measures how fast sistercity serves a video to many viewers seeking at once,
// against nginx serving the same file on the same machine in the same run.
//
// It writes a media file, starts nginx (sendfile on, a generated config in a temporary
// directory) and sistercity (in a separate process like nginx): by default the whole web
// server — web.New on a fresh SQLite database with one published video whose 720p rendition is
// the file, every middleware, the route GET /media/videos/{id}/{file} — or, with -side store,
// only blob's local store behind a bare net/http server. It drives both with the same fixed,
// seeded sequence of requests — mostly Range requests of 256 KiB to 2 MiB, some with If-Range,
// and a few whole-file GETs — from many keep-alive HTTP/1.1 clients, in alternating rounds
// (nginx, sistercity, sistercity, nginx, …) so that drift in the machine's load falls on both.
// Every response is checked (status, Content-Range, Content-Length, byte count, and the bytes at
// both ends of the body against the file), so a broken server cannot look fast. It prints
// requests/s, MB/s and latency per server and the throughput ratio sistercity/nginx.
//
// Only loopback addresses are used, and everything stops by itself: a fixed number of requests
// per round with a time cap.
//
// Run: go run ./bench/delivery (make bench). With -target-url and -file it measures an already
// running sistercity instead, e.g. a rendition of a real instance, against nginx serving a copy
// of the file that URL serves.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"sistercity/bench/internal/benchkit"
)

// mediaKey is where the file lives under nginx's root and in the store-only side's store.
const mediaKey = "videos/1/720p.mp4"

// cacheControl is what a rendition is served with on both sides: its key changes when it is
// encoded again, so it can be cached for good.
const cacheControl = "public, max-age=31536000, immutable"

type options struct {
	sizeMiB      int
	clients      int
	requests     int
	rounds       int
	roundCap     time.Duration
	minRange     int64
	maxRange     int64
	fullEvery    int
	ifRange      int
	seed         uint64
	nginx        string
	targetURL    string
	file         string
	listenOpts   string
	nginxWorkers string
	side         string
	// Internal: run as the sistercity side, built in serveDir with serveFile as its media file.
	serveDir   string
	serveFile  string
	serveReady string
}

func main() {
	var o options
	flag.IntVar(&o.sizeMiB, "size", 64, "size of the generated media file in MiB")
	flag.IntVar(&o.clients, "clients", 32, "concurrent keep-alive clients")
	flag.IntVar(&o.requests, "requests", 3000, "requests per round")
	flag.IntVar(&o.rounds, "rounds", 5, "measured rounds per server (alternating)")
	flag.DurationVar(&o.roundCap, "round-cap", 60*time.Second, "longest a round may run; a capped round is reported as such")
	flag.Int64Var(&o.minRange, "min-range", 256<<10, "smallest range in bytes")
	flag.Int64Var(&o.maxRange, "max-range", 2<<20, "largest range in bytes")
	flag.IntVar(&o.fullEvery, "full-every", 100, "one request in N is a whole-file GET (0: none)")
	flag.IntVar(&o.ifRange, "if-range-every", 10, "one range request in N carries If-Range with the ETag (0: none)")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the request sequence")
	flag.StringVar(&o.nginx, "nginx", "", "nginx binary (default: nginx on PATH, else /usr/sbin/nginx)")
	flag.StringVar(&o.listenOpts, "nginx-listen", "", "options after nginx's listen address, e.g. reuseport")
	flag.StringVar(&o.nginxWorkers, "nginx-workers", "auto", "nginx's worker_processes")
	flag.StringVar(&o.targetURL, "target-url", "", "measure this running sistercity URL instead of starting a media server (needs -file)")
	flag.StringVar(&o.file, "file", "", "the file -target-url serves; nginx serves a copy of it")
	flag.StringVar(&o.side, "side", sideWeb, "the sistercity side: "+sideWeb+" (the whole web server, the video media route) or "+sideStore+" (blob.Store.Serve behind a bare net/http server)")
	flag.StringVar(&o.serveDir, "serve-dir", "", "internal: build the sistercity side (-side) in this directory and serve")
	flag.StringVar(&o.serveFile, "serve-file", "", "internal: the media file the sistercity side serves")
	flag.StringVar(&o.serveReady, "serve-ready", "", "internal: write the media URL to this file once ready")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if o.serveDir != "" {
		err = serveSide(ctx, o.side, o.serveDir, o.serveFile, o.serveReady)
	} else {
		err = run(ctx, o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "delivery:", err)
		os.Exit(1)
	}
}

// server is one side of the comparison.
type server struct {
	name string
	url  string // of the media file
	etag string
}

func run(ctx context.Context, o options) error {
	if o.clients < 1 || o.requests < 1 || o.rounds < 1 || o.minRange < 1 || o.maxRange < o.minRange {
		return errors.New("bad flags: clients, requests, rounds and ranges must be positive, min-range ≤ max-range")
	}
	if (o.targetURL == "") != (o.file == "") {
		return errors.New("-target-url and -file go together")
	}
	if o.side != sideWeb && o.side != sideStore {
		return fmt.Errorf("-side %q: want %s or %s", o.side, sideWeb, sideStore)
	}
	nginxBin, err := benchkit.FindNginx(o.nginx)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "sistercity-bench-delivery-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	// nginx's workers may run as another user (nobody, when started by root): they must be able
	// to read the tree.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}

	// The file: random bytes, so that nothing along the way can compress it, or the given one.
	www := filepath.Join(tmp, "www")
	nginxFile := filepath.Join(www, "media", filepath.FromSlash(mediaKey))
	if err := os.MkdirAll(filepath.Dir(nginxFile), 0o755); err != nil {
		return err
	}
	var content []byte
	if o.file != "" {
		content, err = os.ReadFile(o.file)
	} else {
		content = make([]byte, int64(o.sizeMiB)<<20)
		_, err = rand.Read(content)
	}
	if err != nil {
		return err
	}
	if int64(len(content)) < o.maxRange {
		return fmt.Errorf("the file (%d bytes) is smaller than -max-range", len(content))
	}
	if err := os.WriteFile(nginxFile, content, 0o644); err != nil {
		return err
	}

	ng, err := startNginx(ctx, nginxBin, tmp, www, o.listenOpts, o.nginxWorkers)
	if err != nil {
		return err
	}
	defer ng.Stop()

	sc := server{name: "sistercity", url: o.targetURL}
	scNote := "an already running sistercity: " + o.targetURL
	if sc.url == "" {
		p, err := startSelf(ctx, tmp, o.side, nginxFile)
		if err != nil {
			return err
		}
		defer p.Stop()
		sc.url = p.URL
		scNote = "blob.Store.Serve (local store) behind a bare net/http server, own process"
		if o.side == sideWeb {
			scNote = "the whole web server (web.New on SQLite, all middleware, request log to a file), " +
				"GET /media/videos/{id}/{file} of a published video, own process"
		}
	}
	nx := server{name: "nginx", url: "http://" + ng.Addr + "/media/" + mediaKey}

	for _, s := range []*server{&nx, &sc} {
		// A running sistercity sets its own Cache-Control; the rest must hold for it too.
		wantCache := cacheControl
		if s == &sc && o.targetURL != "" {
			wantCache = ""
		}
		if s.etag, err = checkServer(ctx, s.url, content, wantCache); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}

	fmt.Printf("delivery benchmark — %s\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Printf("machine: %s, %d CPUs (GOMAXPROCS %d), load average before: %s\n", benchkit.CPUModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0), benchkit.LoadAvg())
	fmt.Printf("nginx: %s, sendfile on, worker_processes %s, listen options %q\n", benchkit.NginxVersion(nginxBin), o.nginxWorkers, o.listenOpts)
	fmt.Printf("sistercity: %s\n", scNote)
	fmt.Printf("URLs: nginx %s, sistercity %s\n", nx.url, sc.url)
	fmt.Printf("file: %d bytes; %d clients; %d requests per round (ranges %s–%s, 1 in %d whole-file GET, 1 in %d ranges with If-Range); %d rounds each, alternating\n\n",
		len(content), o.clients, o.requests, sizeStr(o.minRange), sizeStr(o.maxRange), o.fullEvery, o.ifRange, o.rounds)

	// A warm-up round each, not counted: connections, page cache, nginx's open-file state.
	for _, s := range []server{nx, sc} {
		if _, err := round(ctx, o, s, content, o.seed+1000); err != nil {
			return fmt.Errorf("%s warm-up: %w", s.name, err)
		}
	}

	results := map[string][]result{}
	// Each row as it comes, in fixed columns.
	const row = "%5s  %-10s  %9s  %7s  %6s  %7s  %7s  %7s\n"
	fmt.Printf(row, "round", "server", "requests", "seconds", "req/s", "MB/s", "p50 ms", "p99 ms")
	for i := range o.rounds {
		order := []server{nx, sc}
		if i%2 == 1 {
			order = []server{sc, nx} // A B B A: neither side always goes first
		}
		for _, s := range order {
			// The same seed for both sides in a round: the same requests in the same order.
			r, err := round(ctx, o, s, content, o.seed+uint64(i))
			if err != nil {
				return fmt.Errorf("%s round %d: %w", s.name, i+1, err)
			}
			results[s.name] = append(results[s.name], r)
			n := strconv.Itoa(r.requests)
			if r.capped {
				n += " capped"
			}
			fmt.Printf(row, strconv.Itoa(i+1), s.name, n, f2(r.elapsed.Seconds()), strconv.FormatFloat(r.reqPerSec(), 'f', 0, 64),
				f1(r.mbPerSec()), f1(benchkit.Ms(r.p50)), f1(benchkit.Ms(r.p99)))
		}
	}

	fmt.Println()
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "server\tmedian req/s\tmedian MB/s\tp50 ms\tp99 ms\t")
	for _, s := range []server{nx, sc} {
		rs := results[s.name]
		p50, p99 := pooledPercentiles(rs)
		fmt.Fprintf(tw, "%s\t%.0f\t%.1f\t%.1f\t%.1f\t\n", s.name, median(rs, result.reqPerSec), median(rs, result.mbPerSec), benchkit.Ms(p50), benchkit.Ms(p99))
	}
	tw.Flush()
	var pair []float64
	for i := range o.rounds {
		pair = append(pair, results["sistercity"][i].mbPerSec()/results["nginx"][i].mbPerSec())
	}
	fmt.Printf("\nthroughput ratio sistercity/nginx: %.2f (median of medians); per round: %s\n",
		median(results["sistercity"], result.mbPerSec)/median(results["nginx"], result.mbPerSec), benchkit.Floats(pair))
	fmt.Printf("load average after: %s\n", benchkit.LoadAvg())
	return nil
}

// result is one round against one server.
type result struct {
	requests  int
	bytes     int64
	elapsed   time.Duration
	capped    bool
	latencies []time.Duration
	p50, p99  time.Duration
}

func (r result) reqPerSec() float64 { return float64(r.requests) / r.elapsed.Seconds() }
func (r result) mbPerSec() float64  { return float64(r.bytes) / 1e6 / r.elapsed.Seconds() }

// request is one planned request: a range [start, end] inclusive, or the whole file.
type request struct {
	start, end int64
	whole      bool
	ifRange    bool
}

// plan makes the round's requests from seed, so that both servers get the same ones.
func plan(o options, size int64, seed uint64) []request {
	rng := mathrand.New(mathrand.NewPCG(seed, 0x5157e7c17))
	reqs := make([]request, o.requests)
	for i := range reqs {
		if o.fullEvery > 0 && rng.IntN(o.fullEvery) == 0 {
			reqs[i] = request{whole: true}
			continue
		}
		n := o.minRange + rng.Int64N(o.maxRange-o.minRange+1)
		start := rng.Int64N(size - n + 1)
		reqs[i] = request{start: start, end: start + n - 1, ifRange: o.ifRange > 0 && rng.IntN(o.ifRange) == 0}
	}
	return reqs
}

// round sends the planned requests from o.clients keep-alive clients over fresh connections.
func round(ctx context.Context, o options, s server, content []byte, seed uint64) (result, error) {
	reqs := plan(o, int64(len(content)), seed)
	tr := &http.Transport{
		Proxy:               nil, // loopback only, whatever the environment says
		MaxIdleConns:        o.clients,
		MaxIdleConnsPerHost: o.clients,
		MaxConnsPerHost:     o.clients,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
		IdleConnTimeout:     time.Minute,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	ctx, cancel := context.WithTimeout(ctx, o.roundCap)
	defer cancel()

	var (
		next     atomic.Int64
		total    atomic.Int64
		mu       sync.Mutex
		firstErr error
		lat      = make([]time.Duration, len(reqs))
		done     = make([]bool, len(reqs))
		wg       sync.WaitGroup
	)
	start := time.Now()
	for range o.clients {
		wg.Go(func() {
			buf := make([]byte, max(o.maxRange, 1<<20))
			for {
				i := int(next.Add(1) - 1)
				if i >= len(reqs) || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				n, err := fetch(ctx, client, s, reqs[i], content, buf)
				if err != nil {
					if ctx.Err() != nil {
						return // the cap: not the server's fault
					}
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("request %d: %w", i, err)
					}
					mu.Unlock()
					cancel()
					return
				}
				lat[i] = time.Since(t0)
				done[i] = true
				total.Add(n)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return result{}, firstErr
	}
	r := result{bytes: total.Load(), elapsed: elapsed, capped: ctx.Err() != nil}
	for i, d := range done {
		if d {
			r.latencies = append(r.latencies, lat[i])
		}
	}
	r.requests = len(r.latencies)
	if r.requests == 0 {
		return result{}, errors.New("no request finished before the cap")
	}
	slices.Sort(r.latencies)
	r.p50, r.p99 = benchkit.Percentile(r.latencies, 0.50), benchkit.Percentile(r.latencies, 0.99)
	return r, nil
}

// fetch sends one request, reads the whole body and checks the answer against the file.
func fetch(ctx context.Context, client *http.Client, s server, q request, content []byte, buf []byte) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return 0, err
	}
	wantStart, wantLen, wantStatus := int64(0), int64(len(content)), http.StatusOK
	if !q.whole {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", q.start, q.end))
		if q.ifRange {
			req.Header.Set("If-Range", s.etag)
		}
		wantStart, wantLen, wantStatus = q.start, q.end-q.start+1, http.StatusPartialContent
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != wantStatus {
		return 0, fmt.Errorf("status %d, want %d", resp.StatusCode, wantStatus)
	}
	if resp.ContentLength != wantLen {
		return 0, fmt.Errorf("Content-Length %d, want %d", resp.ContentLength, wantLen)
	}
	if !q.whole {
		want := fmt.Sprintf("bytes %d-%d/%d", q.start, q.end, len(content))
		if got := resp.Header.Get("Content-Range"); got != want {
			return 0, fmt.Errorf("Content-Range %q, want %q", got, want)
		}
	}
	// Read it all in buffer-sized pieces, checking the bytes at both ends of every piece: an
	// offset or a length gone wrong shows, without comparing every byte on the client's CPU.
	var n int64
	for n < wantLen {
		chunk := buf[:min(int64(len(buf)), wantLen-n)]
		if _, err := io.ReadFull(resp.Body, chunk); err != nil {
			return n, fmt.Errorf("body after %d of %d bytes: %w", n, wantLen, err)
		}
		at := wantStart + n
		k := min(int64(len(chunk)), 32)
		if !bytes.Equal(chunk[:k], content[at:at+k]) || !bytes.Equal(chunk[int64(len(chunk))-k:], content[at+int64(len(chunk))-k:at+int64(len(chunk))]) {
			return n, fmt.Errorf("bytes at %d differ from the file", at)
		}
		n += int64(len(chunk))
	}
	if extra, _ := io.Copy(io.Discard, resp.Body); extra != 0 {
		return n, fmt.Errorf("%d bytes beyond Content-Length", extra)
	}
	return n, nil
}

// checkServer makes sure a server answers like the other before it is timed — the whole file,
// a range, a satisfied and an unsatisfiable range — and returns its ETag.
func checkServer(ctx context.Context, u string, content []byte, wantCache string) (string, error) {
	client := &http.Client{Transport: &http.Transport{Proxy: nil, DisableCompression: true}}
	defer client.CloseIdleConnections()
	resp, err := client.Get(u)
	if err != nil {
		return "", err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, content) {
		return "", fmt.Errorf("GET: status %d, %d bytes: not the file", resp.StatusCode, len(body))
	}
	etag := resp.Header.Get("ETag")
	if etag == "" || resp.Header.Get("Last-Modified") == "" || resp.Header.Get("Accept-Ranges") != "bytes" {
		return "", fmt.Errorf("GET: want ETag, Last-Modified and Accept-Ranges: bytes, got %v", resp.Header)
	}
	if cc := resp.Header.Get("Cache-Control"); wantCache != "" && cc != wantCache {
		return "", fmt.Errorf("GET: Cache-Control %q, want %q", cc, wantCache)
	}
	for _, c := range []struct {
		rng, ifRange string
		status       int
	}{
		{"bytes=0-99", "", http.StatusPartialContent},
		{"bytes=0-99", etag, http.StatusPartialContent},
		{"bytes=0-99", `"not-the-etag"`, http.StatusOK},
		{fmt.Sprintf("bytes=%d-", len(content)+10), "", http.StatusRequestedRangeNotSatisfiable},
	} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		req.Header.Set("Range", c.rng)
		if c.ifRange != "" {
			req.Header.Set("If-Range", c.ifRange)
		}
		resp, err := client.Do(req)
		if err != nil {
			return "", err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status {
			return "", fmt.Errorf("range %s if-range %q: status %d, want %d", c.rng, c.ifRange, resp.StatusCode, c.status)
		}
	}
	return etag, nil
}

// startSelf runs this program again as the sistercity side, which serves file, and waits for
// it to listen.
func startSelf(ctx context.Context, tmp, side, file string) (*benchkit.Process, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(tmp, "sistercity")
	if err := os.Mkdir(dir, 0o750); err != nil {
		return nil, err
	}
	ready := filepath.Join(tmp, "sistercity.url")
	cmd := exec.CommandContext(ctx, self, "-side", side, "-serve-dir", dir, "-serve-file", file, "-serve-ready", ready)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	p, err := benchkit.StartProcess(cmd)
	if err != nil {
		return nil, err
	}
	// Building the web side (migrations, copying the file into the store) takes a few seconds.
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if p.URL == "" {
			if b, err := os.ReadFile(ready); err == nil && len(b) > 0 {
				p.URL = string(b)
			}
		}
		if p.URL != "" {
			u, err := url.Parse(p.URL)
			if err != nil {
				p.Stop()
				return nil, fmt.Errorf("sistercity side: bad URL %q", p.URL)
			}
			if c, err := net.Dial("tcp", u.Host); err == nil {
				c.Close()
				return p, nil
			}
		}
		select {
		case err := <-p.Done():
			return nil, fmt.Errorf("sistercity side exited: %v", err)
		default:
		}
	}
	p.Stop()
	return nil, errors.New("sistercity side did not start")
}

// nginxConf is a minimal nginx serving root with sendfile, as a static-file front would be
// set up for video: no access log (the sistercity side writes none either), the same
// Cache-Control, keep-alive without a request limit (Go's server has none), and every path nginx
// writes kept inside the temporary directory.
const nginxConf = `daemon off;
worker_processes {{workers}};
pid {{dir}}/nginx.pid;
error_log {{dir}}/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    client_body_temp_path {{dir}}/tmp/client_body;
    proxy_temp_path {{dir}}/tmp/proxy;
    fastcgi_temp_path {{dir}}/tmp/fastcgi;
    uwsgi_temp_path {{dir}}/tmp/uwsgi;
    scgi_temp_path {{dir}}/tmp/scgi;
    types { video/mp4 mp4; }
    default_type application/octet-stream;
    server {
        listen {{addr}} {{listenopts}};
        root {{root}};
        location /media/ {
            add_header Cache-Control "{{cache}}";
        }
    }
}
`

// startNginx starts nginx on a free loopback port.
func startNginx(ctx context.Context, bin, dir, root, listenOpts, workers string) (*benchkit.Process, error) {
	addr, err := benchkit.FreePort()
	if err != nil {
		return nil, err
	}
	ngDir := filepath.Join(dir, "nginx")
	conf := strings.NewReplacer("{{dir}}", ngDir, "{{addr}}", addr, "{{root}}", root, "{{cache}}", cacheControl, "{{listenopts}}", listenOpts, "{{workers}}", workers).Replace(nginxConf)
	return benchkit.StartNginx(ctx, bin, ngDir, conf, addr)
}

// pooledPercentiles are the percentiles of every request of every round.
func pooledPercentiles(rs []result) (p50, p99 time.Duration) {
	var all []time.Duration
	for _, r := range rs {
		all = append(all, r.latencies...)
	}
	slices.Sort(all)
	return benchkit.Percentile(all, 0.50), benchkit.Percentile(all, 0.99)
}

func median(rs []result, f func(result) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	return benchkit.Median(v)
}

func f1(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) }
func f2(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }

func sizeStr(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return strconv.FormatInt(n>>20, 10) + " MiB"
	}
	return strconv.FormatInt(n>>10, 10) + " KiB"
}
