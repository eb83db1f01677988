// Command pages measures how fast sistercity serves its public pages, against nginx serving the
// saved bytes of the same responses on the same machine in the same run.
//
// It builds sistercity and starts `sistercity serve --demo` on SQLite in a temporary data
// directory, as `make run` does, and reads its resident memory once the demo is loaded. It
// fetches each page once — /ko/, /ko/partners, a partner page, /ko/videos, a watch page,
// /ko/calendar.ics, the RSS feed /ko/videos/feed.rss and the embeddable player of the watch page's
// video by default (-only picks some) — and saves the exact bytes: as an anonymous visitor without
// compression; with Accept-Encoding: gzip (the gzip bytes sistercity sends if it compresses,
// otherwise the page gzipped here, which nginx's gzip_static sends); and as the demo's admin,
// signed in through the sign-in form. nginx (Debian's package, a generated configuration in the
// temporary directory) serves the saved bytes at the same paths with the same Content-Type. Then
// a Go load generator drives both with many keep-alive HTTP/1.1 connections for a fixed time
// per round, in alternating rounds (nginx, sistercity, sistercity, nginx, …) so that drift in
// the machine's load falls on both, and prints requests/s, the throughput ratio sistercity/nginx
// and p99 latency per page and variant, then serve's resident memory after the load.
//
// Every response is checked (status, Content-Type, Content-Encoding, and nginx's length), so a
// broken server cannot look fast. Only loopback addresses are used, and everything stops by
// itself.
//
// Run: go run ./bench/pages (make bench, flags through PAGES_FLAGS), from the repository root.
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"sistercity/bench/internal/benchkit"
)

type options struct {
	bin          string
	clients      int
	duration     time.Duration
	warmup       time.Duration
	rounds       int
	settle       time.Duration
	idle         time.Duration
	startTimeout time.Duration
	variants     string
	partner      string
	watch        string
	feed         string
	rss          string
	only         string
	embed        string
	nginx        string
	nginxWorkers string
	verbose      bool
}

// The variants: who asks and whether they accept gzip.
const (
	varAnon  = "anon"  // an anonymous visitor, no Accept-Encoding
	varGzip  = "gzip"  // an anonymous visitor, Accept-Encoding: gzip
	varAdmin = "admin" // the demo's admin, signed in, no Accept-Encoding
)

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "", "the sistercity binary (default: go build ./cmd/sistercity into the temporary directory)")
	flag.IntVar(&o.clients, "clients", 64, "concurrent keep-alive connections")
	flag.DurationVar(&o.duration, "duration", 2*time.Second, "length of a measured round")
	flag.DurationVar(&o.warmup, "warmup", 500*time.Millisecond, "length of the uncounted warm-up round per page, variant and server")
	flag.IntVar(&o.rounds, "rounds", 3, "measured rounds per page, variant and server (alternating)")
	flag.DurationVar(&o.settle, "settle", 3*time.Second, "idle time after start-up before resident memory is read")
	flag.DurationVar(&o.idle, "idle", 65*time.Second, "idle time after the load before resident memory is read again (serve returns freed memory after 30–60 s idle)")
	flag.DurationVar(&o.startTimeout, "start-timeout", 3*time.Minute, "longest serve --demo may take to listen (it encodes the demo video)")
	flag.StringVar(&o.variants, "variants", varAnon+","+varGzip+","+varAdmin, "variants to measure: "+varAnon+" (anonymous), "+varGzip+" (anonymous, Accept-Encoding: gzip), "+varAdmin+" (signed-in admin)")
	flag.StringVar(&o.partner, "partner", "", "path of the partner page (default: the first one /ko/partners links)")
	flag.StringVar(&o.watch, "watch", "", "path of the watch page (default: the first one /ko/videos links)")
	flag.StringVar(&o.feed, "feed", "/ko/calendar.ics", "path of the feed or calendar")
	flag.StringVar(&o.rss, "rss", "/ko/videos/feed.rss", "path of the RSS feed of the videos")
	flag.StringVar(&o.only, "only", "", "comma-separated paths of the pages above to measure (default: all), e.g. /ko/videos/feed.rss")
	flag.StringVar(&o.embed, "embed", "", "path of the embeddable player (default: the watch page's video at /embed/videos/ID?lang=ko&subtitles=ru)")
	flag.StringVar(&o.nginx, "nginx", "", "nginx binary (default: nginx on PATH, else /usr/sbin/nginx)")
	flag.StringVar(&o.nginxWorkers, "nginx-workers", "auto", "nginx's worker_processes")
	flag.BoolVar(&o.verbose, "v", false, "print every round")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "pages:", err)
		os.Exit(1)
	}
}

// page is one measured URL path with what each variant saved of it.
type page struct {
	path  string
	ctype string
	saved map[string]*response // by variant
}

// response is the bytes sistercity answered a variant with, which nginx serves again.
type response struct {
	body     []byte
	encoding string // Content-Encoding sistercity sent: "" or "gzip"
	ngxGzip  []byte // for the gzip variant: what nginx's gzip_static sends
}

func run(ctx context.Context, o options) error {
	if o.clients < 1 || o.rounds < 1 || o.duration <= 0 {
		return errors.New("bad flags: clients, rounds and duration must be positive")
	}
	variants := strings.Split(o.variants, ",")
	for _, v := range variants {
		if v != varAnon && v != varGzip && v != varAdmin {
			return fmt.Errorf("-variants: unknown %q", v)
		}
	}
	nginxBin, err := benchkit.FindNginx(o.nginx)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "sistercity-bench-pages-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	// nginx's workers may run as another user (nobody, when started by root).
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}

	bin := o.bin
	if bin == "" {
		bin = filepath.Join(tmp, "sistercity")
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/sistercity")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("go build ./cmd/sistercity (run from the repository root): %w", err)
		}
	}
	sc, password, err := startServe(ctx, bin, tmp, o.startTimeout)
	if err != nil {
		return err
	}
	defer sc.Stop()
	base := "http://" + sc.Addr
	time.Sleep(o.settle)
	memStart, err := benchkit.ProcMemory(sc.Cmd.Process.Pid)
	if err != nil {
		return err
	}

	anon := &http.Client{Transport: &http.Transport{Proxy: nil, DisableCompression: true}}
	defer anon.CloseIdleConnections()
	paths := []string{"/ko/", "/ko/partners", o.partner, "/ko/videos", o.watch, o.feed, o.rss, o.embed}
	if paths[2] == "" {
		if paths[2], err = firstLink(ctx, anon, base+"/ko/partners", `href="(/ko/partners/\d+)"`); err != nil {
			return err
		}
	}
	if paths[4] == "" {
		if paths[4], err = firstLink(ctx, anon, base+"/ko/videos", `href="(/ko/videos/\d+)"`); err != nil {
			return err
		}
	}
	if paths[7] == "" {
		paths[7] = "/embed/videos/" + paths[4][strings.LastIndex(paths[4], "/")+1:] + "?lang=ko&subtitles=ru"
	}
	if o.only != "" {
		want := strings.Split(o.only, ",")
		paths = slices.DeleteFunc(paths, func(p string) bool { return !slices.Contains(want, p) })
		if len(paths) == 0 {
			return fmt.Errorf("-only %q names none of the pages", o.only)
		}
	}
	var cookie string
	if slices.Contains(variants, varAdmin) {
		if cookie, err = benchkit.SignIn(ctx, base, "admin", password); err != nil {
			return fmt.Errorf("sign in as the demo admin: %w", err)
		}
	}

	pages := make([]*page, len(paths))
	for i, p := range paths {
		if pages[i], err = savePage(ctx, anon, base, p, cookie, variants); err != nil {
			return err
		}
	}
	ng, ngAddrs, err := startNginx(ctx, nginxBin, tmp, pages, o.nginxWorkers)
	if err != nil {
		return err
	}
	defer ng.Stop()

	fmt.Printf("pages benchmark — %s\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Printf("machine: %s, %d CPUs (GOMAXPROCS %d), load average before: %s\n", benchkit.CPUModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0), benchkit.LoadAvg())
	fmt.Printf("nginx: %s, worker_processes %s, access log buffered to a file, gzip_static on\n", benchkit.NginxVersion(nginxBin), o.nginxWorkers)
	fmt.Printf("sistercity: %s serve --demo, SQLite in a temporary data directory, request log (text, info) to a file; GOGC=%q GOMEMLIMIT=%q\n",
		bin, os.Getenv("GOGC"), os.Getenv("GOMEMLIMIT"))
	fmt.Printf("%d keep-alive connections; rounds of %s after a %s warm-up; %d rounds per page, variant and server, alternating\n\n",
		o.clients, o.duration, o.warmup, o.rounds)

	const row = "%-36s  %-6s  %9s  %9s  %9s  %6s  %-16s  %7s  %7s\n"
	fmt.Printf(row, "page", "variant", "bytes sc", "req/s sc", "req/s ngx", "ratio", "per round", "p99 sc", "p99 ngx")
	for _, v := range variants {
		for _, p := range pages {
			resp := p.saved[v]
			targets := []target{
				{name: "nginx", base: "http://" + ngAddrs[v], path: p.path, ctype: p.ctype, encoding: ngEncoding(v), length: ngLength(v, resp)},
				{name: "sistercity", base: base, path: p.path, ctype: p.ctype, encoding: resp.encoding, length: -1},
			}
			for i := range targets {
				if v == varGzip {
					targets[i].acceptEncoding = "gzip"
				}
				if v == varAdmin {
					targets[i].cookie = cookie
				}
			}
			for _, t := range targets {
				if _, err := load(ctx, o.clients, o.warmup, t); err != nil {
					return fmt.Errorf("%s %s %s warm-up: %w", t.name, v, p.path, err)
				}
			}
			results := map[string][]result{}
			for i := range o.rounds {
				order := []target{targets[0], targets[1]}
				if i%2 == 1 {
					order = []target{targets[1], targets[0]} // A B B A: neither side always goes first
				}
				for _, t := range order {
					r, err := load(ctx, o.clients, o.duration, t)
					if err != nil {
						return fmt.Errorf("%s %s %s round %d: %w", t.name, v, p.path, i+1, err)
					}
					results[t.name] = append(results[t.name], r)
					if o.verbose {
						fmt.Printf("    round %d %-10s %8.0f req/s  p50 %.1f ms  p99 %.1f ms\n", i+1, t.name, r.reqPerSec(), benchkit.Ms(r.p50), benchkit.Ms(r.p99))
					}
				}
			}
			scR, ngR := results["sistercity"], results["nginx"]
			var per []float64
			for i := range scR {
				per = append(per, scR[i].reqPerSec()/ngR[i].reqPerSec())
			}
			scMed, ngMed := medianRate(scR), medianRate(ngR)
			size := strconv.Itoa(len(resp.body))
			if v == varGzip && resp.encoding == "" {
				size += "*" // sistercity did not compress
			}
			fmt.Printf(row, p.path, v, size, fmt.Sprintf("%.0f", scMed), fmt.Sprintf("%.0f", ngMed), fmt.Sprintf("%.3f", scMed/ngMed),
				benchkit.Floats(per), fmt.Sprintf("%.1f", benchkit.Ms(pooledP99(scR))), fmt.Sprintf("%.1f", benchkit.Ms(pooledP99(ngR))))
		}
	}
	fmt.Println("\nratio: median sistercity req/s over median nginx req/s; p99 in ms over every request of every round.")
	if slices.Contains(variants, varGzip) {
		fmt.Println("bytes: what sistercity sent; * = sistercity did not compress (nginx sent the page gzipped by gzip_static).")
	}

	peak, err := benchkit.ProcMemory(sc.Cmd.Process.Pid)
	if err != nil {
		return err
	}
	time.Sleep(o.idle)
	memEnd, err := benchkit.ProcMemory(sc.Cmd.Process.Pid)
	if err != nil {
		return err
	}
	fmt.Printf("\nresident memory of serve (/proc/PID/status):\n")
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  after start-up with the demo, idle %s:\tVmRSS %.1f MB\tVmHWM %.1f MB\n", o.settle, benchkit.MB(memStart.RSS), benchkit.MB(memStart.HWM))
	fmt.Fprintf(tw, "  at the end of the load:\tVmRSS %.1f MB\tVmHWM %.1f MB\n", benchkit.MB(peak.RSS), benchkit.MB(peak.HWM))
	fmt.Fprintf(tw, "  after the load, idle %s:\tVmRSS %.1f MB\tVmHWM %.1f MB\n", o.idle, benchkit.MB(memEnd.RSS), benchkit.MB(memEnd.HWM))
	tw.Flush()
	fmt.Printf("load average after: %s\n", benchkit.LoadAvg())
	return nil
}

func ngEncoding(v string) string {
	if v == varGzip {
		return "gzip"
	}
	return ""
}

func ngLength(v string, r *response) int {
	if v == varGzip {
		return len(r.ngxGzip)
	}
	return len(r.body)
}

// startServe starts `bin serve --demo` with its data in tmp/data on a free loopback port and
// waits until it listens; it returns the admin's password, which serve prints on first start.
func startServe(ctx context.Context, bin, tmp string, timeout time.Duration) (*benchkit.Process, string, error) {
	addr, err := benchkit.FreePort()
	if err != nil {
		return nil, "", err
	}
	data := filepath.Join(tmp, "data")
	out, err := os.Create(filepath.Join(tmp, "serve.out"))
	if err != nil {
		return nil, "", err
	}
	defer out.Close()
	logFile, err := os.Create(filepath.Join(tmp, "serve.log"))
	if err != nil {
		return nil, "", err
	}
	defer logFile.Close()
	cmd := exec.CommandContext(ctx, bin, "serve", "--demo", "--data-dir", data, "--listen", addr)
	// The environment passes through: GOGC and GOMEMLIMIT reach serve. SISTERCITY_* could point
	// serve elsewhere; the flags above win over them.
	cmd.Stdout, cmd.Stderr = out, logFile
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	p, err := benchkit.StartProcess(cmd)
	if err != nil {
		return nil, "", err
	}
	p.Addr = addr
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if benchkit.Listening(addr) {
			b, _ := os.ReadFile(out.Name())
			m := regexp.MustCompile(`password: (\S+)`).FindSubmatch(b)
			if m == nil {
				p.Stop()
				return nil, "", fmt.Errorf("serve --demo printed no admin password: %q", b)
			}
			return p, string(m[1]), nil
		}
		select {
		case err := <-p.Done():
			log, _ := os.ReadFile(logFile.Name())
			return nil, "", fmt.Errorf("serve exited: %v\n%s", err, log)
		default:
		}
	}
	p.Stop()
	return nil, "", fmt.Errorf("serve --demo did not listen within %s", timeout)
}

// firstLink fetches u and returns the first match of pattern's group.
func firstLink(ctx context.Context, c *http.Client, u, pattern string) (string, error) {
	body, _, err := get(ctx, c, u, "", "")
	if err != nil {
		return "", err
	}
	m := regexp.MustCompile(pattern).FindSubmatch(body)
	if m == nil {
		return "", fmt.Errorf("%s links no page like %s", u, pattern)
	}
	return string(m[1]), nil
}

// get fetches u once with the given Accept-Encoding and Cookie and wants 200.
func get(ctx context.Context, c *http.Client, u, acceptEncoding, cookie string) ([]byte, *http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	if acceptEncoding != "" {
		req.Header.Set("Accept-Encoding", acceptEncoding)
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("GET %s: status %d", u, resp.StatusCode)
	}
	return body, resp, nil
}

// savePage fetches path once per variant and keeps the bytes.
func savePage(ctx context.Context, c *http.Client, base, path, cookie string, variants []string) (*page, error) {
	p := &page{path: path, saved: map[string]*response{}}
	body, resp, err := get(ctx, c, base+path, "", "")
	if err != nil {
		return nil, err
	}
	p.ctype = resp.Header.Get("Content-Type")
	if p.ctype == "" || resp.Header.Get("Content-Encoding") != "" {
		return nil, fmt.Errorf("GET %s: Content-Type %q, Content-Encoding %q without Accept-Encoding", path, p.ctype, resp.Header.Get("Content-Encoding"))
	}
	p.saved[varAnon] = &response{body: body}
	for _, v := range variants {
		switch v {
		case varGzip:
			body, resp, err := get(ctx, c, base+path, "gzip", "")
			if err != nil {
				return nil, err
			}
			r := &response{body: body, encoding: resp.Header.Get("Content-Encoding")}
			switch r.encoding {
			case "gzip":
				if _, err := gunzip(body); err != nil {
					return nil, fmt.Errorf("GET %s: Content-Encoding gzip, but %w", path, err)
				}
				r.ngxGzip = body
			case "":
				var buf bytes.Buffer
				zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
				zw.Write(body)
				zw.Close()
				r.ngxGzip = buf.Bytes()
			default:
				return nil, fmt.Errorf("GET %s with Accept-Encoding: gzip: Content-Encoding %q", path, r.encoding)
			}
			p.saved[v] = r
		case varAdmin:
			body, resp, err := get(ctx, c, base+path, "", cookie)
			if err != nil {
				return nil, err
			}
			if got := resp.Header.Get("Content-Type"); got != p.ctype {
				return nil, fmt.Errorf("GET %s as admin: Content-Type %q, anonymous %q", path, got, p.ctype)
			}
			p.saved[v] = &response{body: body}
		}
	}
	return p, nil
}

func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// nginxConf serves the saved bytes at the pages' own paths: one server for the anonymous bytes
// (gzip_static sends file.gz to who accepts gzip) and one for the admin's. Each page is a file
// without an extension under an exact location with the page's Content-Type. The access log
// is written as a deployment would, buffered, since sistercity writes its request log too.
const nginxConf = `{{top}}worker_processes {{workers}};
events { worker_connections 1024; }
http {
{{paths}}    access_log {{dir}}/access.log combined buffer=64k flush=5s;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    types { }
    server {
        listen {{anon}};
        gzip_static on;
        gzip_vary on;
{{anonlocations}}    }
    server {
        listen {{admin}};
{{adminlocations}}    }
}
`

// startNginx writes the saved bytes under tmp/www and starts nginx on two free loopback ports,
// returned by variant.
func startNginx(ctx context.Context, bin, tmp string, pages []*page, workers string) (*benchkit.Process, map[string]string, error) {
	anonAddr, err := benchkit.FreePort()
	if err != nil {
		return nil, nil, err
	}
	adminAddr, err := benchkit.FreePort()
	if err != nil {
		return nil, nil, err
	}
	var anonLoc, adminLoc strings.Builder
	for i, p := range pages {
		for _, d := range []struct {
			dir string
			loc *strings.Builder
			v   string
		}{{"anon", &anonLoc, varAnon}, {"admin", &adminLoc, varAdmin}} {
			r := p.saved[d.v]
			if r == nil {
				continue
			}
			file := filepath.Join(tmp, "www", d.dir, "p"+strconv.Itoa(i))
			if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
				return nil, nil, err
			}
			if err := os.WriteFile(file, r.body, 0o644); err != nil {
				return nil, nil, err
			}
			if g := p.saved[varGzip]; g != nil && d.v == varAnon {
				if err := os.WriteFile(file+".gz", g.ngxGzip, 0o644); err != nil {
					return nil, nil, err
				}
			}
			// try_files rather than alias: a path ending in / would be taken for a directory. A
			// location matches the path without its query, which nginx ignores here.
			loc, _, _ := strings.Cut(p.path, "?")
			fmt.Fprintf(d.loc, "        location = %s { root %s; try_files /%s =404; default_type %q; }\n",
				loc, filepath.Dir(file), filepath.Base(file), p.ctype)
		}
	}
	ngDir := filepath.Join(tmp, "nginx")
	top, paths := benchkit.NginxPaths(ngDir)
	conf := strings.NewReplacer("{{top}}", top, "{{paths}}", paths, "{{dir}}", ngDir, "{{workers}}", workers,
		"{{anon}}", anonAddr, "{{admin}}", adminAddr, "{{anonlocations}}", anonLoc.String(), "{{adminlocations}}", adminLoc.String()).Replace(nginxConf)
	ng, err := benchkit.StartNginx(ctx, bin, ngDir, conf, anonAddr, adminAddr)
	if err != nil {
		return nil, nil, err
	}
	return ng, map[string]string{varAnon: anonAddr, varGzip: anonAddr, varAdmin: adminAddr}, nil
}

// target is one server, page and variant under load, and what each answer must be.
type target struct {
	name, base, path string
	acceptEncoding   string
	cookie           string
	ctype            string
	encoding         string // Content-Encoding wanted
	length           int    // body length wanted; -1: any (sistercity's pages carry tokens)
}

// result is one round against one target.
type result struct {
	requests int
	elapsed  time.Duration
	p50, p99 time.Duration
	lat      []time.Duration
}

func (r result) reqPerSec() float64 { return float64(r.requests) / r.elapsed.Seconds() }

// load sends requests from clients keep-alive connections, each one request after the other,
// for d, and checks every answer.
func load(ctx context.Context, clients int, d time.Duration, t target) (result, error) {
	tr := &http.Transport{
		Proxy:               nil, // loopback only, whatever the environment says
		MaxIdleConns:        clients,
		MaxIdleConnsPerHost: clients,
		MaxConnsPerHost:     clients,
		DisableCompression:  true, // the Accept-Encoding asked for is set by hand, the body read as sent
		IdleConnTimeout:     time.Minute,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	u := t.base + t.path
	var (
		mu       sync.Mutex
		firstErr error
		lats     = make([][]time.Duration, clients)
		wg       sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(d)
	for c := range clients {
		wg.Go(func() {
			for time.Now().Before(deadline) && ctx.Err() == nil {
				t0 := time.Now()
				if err := fetch(ctx, client, u, t); err != nil {
					if ctx.Err() != nil {
						return
					}
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					cancel()
					return
				}
				lats[c] = append(lats[c], time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return result{}, firstErr
	}
	if err := ctx.Err(); err != nil {
		return result{}, err
	}
	r := result{elapsed: elapsed}
	for _, l := range lats {
		r.lat = append(r.lat, l...)
	}
	if len(r.lat) == 0 {
		return result{}, errors.New("no request finished")
	}
	r.requests = len(r.lat)
	slices.Sort(r.lat)
	r.p50, r.p99 = benchkit.Percentile(r.lat, 0.50), benchkit.Percentile(r.lat, 0.99)
	return r, nil
}

func fetch(ctx context.Context, client *http.Client, u string, t target) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	if t.acceptEncoding != "" {
		req.Header.Set("Accept-Encoding", t.acceptEncoding)
	}
	if t.cookie != "" {
		req.Header.Set("Cookie", t.cookie)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	switch {
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("status %d", resp.StatusCode)
	case resp.Header.Get("Content-Type") != t.ctype:
		return fmt.Errorf("Content-Type %q, want %q", resp.Header.Get("Content-Type"), t.ctype)
	case resp.Header.Get("Content-Encoding") != t.encoding:
		return fmt.Errorf("Content-Encoding %q, want %q", resp.Header.Get("Content-Encoding"), t.encoding)
	case t.length >= 0 && n != int64(t.length):
		return fmt.Errorf("%d bytes, want %d", n, t.length)
	case n == 0:
		return errors.New("empty body")
	}
	return nil
}

func medianRate(rs []result) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = r.reqPerSec()
	}
	return benchkit.Median(v)
}

// pooledP99 is the p99 of every request of every round.
func pooledP99(rs []result) time.Duration {
	var all []time.Duration
	for _, r := range rs {
		all = append(all, r.lat...)
	}
	slices.Sort(all)
	return benchkit.Percentile(all, 0.99)
}
