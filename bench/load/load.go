package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"sistercity/bench/internal/benchkit"
)

// The kinds of request, in the order of the report.
const (
	kindPage     = "watch page"
	kindTrack    = "subtitle track"
	kindRange    = "MP4 range"
	kindPlaylist = "HLS playlist"
	kindSegment  = "HLS init/segment"
	kindForm     = "admin video form"
	kindCreate   = "admin video create"
	kindUpPage   = "admin upload page"
	kindTusPost  = "tus create"
	kindTusPatch = "tus PATCH"
	kindStatus   = "admin video status"
)

var kinds = []string{kindPage, kindTrack, kindRange, kindPlaylist, kindSegment, kindForm, kindCreate, kindUpPage, kindTusPost, kindTusPatch, kindStatus}

// kindStats is what one kind of request did.
type kindStats struct {
	lat    []time.Duration
	errors int
}

// report is one topology's figures.
type report struct {
	topology  string
	elapsed   time.Duration
	mu        sync.Mutex
	stats     map[string]*kindStats
	firstErrs []string
	upstreams map[string]int // requests answered by each replica
	replicas  []string       // the replicas' addresses

	completed     []int64 // videos whose upload completed during the load
	processedEnd  int     // of those, processed when the load ended
	processedAll  int     // after the drain
	drainWaited   time.Duration
	drain         time.Duration
	failed        []string
	memory        map[string]benchkit.Memory // highest VmRSS and VmHWM sampled
	loadAvgBefore string
	loadAvgAfter  string
}

func (r *report) ok(kind string, d time.Duration, resp *http.Response) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.kind(kind).lat = append(r.kind(kind).lat, d)
	r.upstreams[resp.Header.Get(upstreamHeader)]++
}

func (r *report) fail(kind string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.kind(kind).errors++
	if len(r.firstErrs) < 10 {
		r.firstErrs = append(r.firstErrs, kind+": "+err.Error())
	}
}

func (r *report) kind(k string) *kindStats {
	s := r.stats[k]
	if s == nil {
		s = &kindStats{}
		r.stats[k] = s
	}
	return s
}

func (r *report) errors() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.failed)
	for _, s := range r.stats {
		n += s.errors
	}
	return n
}

// check is what a response must be besides its status and Content-Type.
type check func(resp *http.Response, body []byte) error

// client is one simulated browser: its own keep-alive connections to nginx.
type client struct {
	r      *report
	base   string
	http   *http.Client
	cookie string
	csrf   string
}

func newClient(r *report, base string) *client {
	tr := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 4, IdleConnTimeout: time.Minute, DisableCompression: true}
	return &client{r: r, base: base, http: &http.Client{Transport: tr, Timeout: 2 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// do sends one request, checks the answer and records it under kind. It returns the response
// and its body, or nil when the request failed (recorded as an error) or the load ended.
func (c *client) do(ctx context.Context, kind string, req *http.Request, status int, ctype string, more check) (*http.Response, []byte) {
	if c.cookie != "" {
		req.Header.Set("Cookie", c.cookie)
	}
	t0 := time.Now()
	resp, err := c.http.Do(req.WithContext(ctx))
	var body []byte
	if err == nil {
		body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	d := time.Since(t0)
	if ctx.Err() != nil {
		return nil, nil // the load ended under this request: not counted
	}
	if err == nil {
		err = checkResponse(resp, body, status, ctype, more)
	}
	if err != nil {
		c.r.fail(kind, fmt.Errorf("%s %s: %w", req.Method, req.URL.RequestURI(), err))
		return nil, nil
	}
	c.r.ok(kind, d, resp)
	return resp, body
}

func checkResponse(resp *http.Response, body []byte, status int, ctype string, more check) error {
	if resp.StatusCode != status {
		return fmt.Errorf("status %d, want %d: %.200s", resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); ctype != "" && !strings.HasPrefix(ct, ctype) {
		return fmt.Errorf("Content-Type %q, want %s", ct, ctype)
	}
	if resp.Header.Get(upstreamHeader) == "" {
		return errors.New("no " + upstreamHeader + " header: not through nginx to a replica")
	}
	if more != nil {
		return more(resp, body)
	}
	return nil
}

func (c *client) get(ctx context.Context, kind, path string, status int, ctype string, more check) []byte {
	req, _ := http.NewRequest(http.MethodGet, c.base+path, nil)
	_, body := c.do(ctx, kind, req, status, ctype, more)
	return body
}

func nonEmpty(_ *http.Response, body []byte) error {
	if len(body) == 0 {
		return errors.New("empty body")
	}
	return nil
}

// video is what the viewers watch, found by following the demo's links.
type video struct {
	page   string   // the watch page
	tracks []string // its subtitle tracks
	mp4    string   // the MP4 rendition it links
	size   int64    // of the MP4 rendition
	hls    string   // the HLS master playlist
}

var (
	watchLink = regexp.MustCompile(`href="(/ko/videos/\d+)"`)
	trackSrc  = regexp.MustCompile(`<track[^>]*\ssrc="([^"]+)"`)
	mp4Src    = regexp.MustCompile(`<source[^>]*\ssrc="([^"]+\.mp4)"`)
	hlsAttr   = regexp.MustCompile(`data-hls="([^"]+)"`)
	mapURI    = regexp.MustCompile(`#EXT-X-MAP:URI="([^"]+)"`)
	rangeRe   = regexp.MustCompile(`^bytes (\d+)-(\d+)/(\d+)$`)
)

// findVideo follows the links of the demo from /ko/videos to the first watch page and its media.
func findVideo(ctx context.Context, base string) (*video, error) {
	c := &http.Client{Transport: &http.Transport{Proxy: nil}}
	defer c.CloseIdleConnections()
	list, err := benchkit.GetOK(ctx, c, base+"/ko/videos")
	if err != nil {
		return nil, err
	}
	m := watchLink.FindSubmatch(list)
	if m == nil {
		return nil, errors.New("/ko/videos links no watch page")
	}
	v := &video{page: string(m[1])}
	page, err := benchkit.GetOK(ctx, c, base+v.page)
	if err != nil {
		return nil, err
	}
	for _, t := range trackSrc.FindAllSubmatch(page, -1) {
		v.tracks = append(v.tracks, string(t[1]))
	}
	mp4, hls := mp4Src.FindSubmatch(page), hlsAttr.FindSubmatch(page)
	if len(v.tracks) == 0 || mp4 == nil || hls == nil {
		return nil, fmt.Errorf("%s: want subtitle tracks, an MP4 source and an HLS playlist; found %d tracks, MP4 %t, HLS %t", v.page, len(v.tracks), mp4 != nil, hls != nil)
	}
	v.mp4, v.hls = unescape(string(mp4[1])), unescape(string(hls[1]))
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+v.mp4, nil)
	req.Header.Set("Range", "bytes=0-0")
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	rm := rangeRe.FindStringSubmatch(resp.Header.Get("Content-Range"))
	if resp.StatusCode != http.StatusPartialContent || rm == nil {
		return nil, fmt.Errorf("%s: status %d, Content-Range %q", v.mp4, resp.StatusCode, resp.Header.Get("Content-Range"))
	}
	v.size, _ = strconv.ParseInt(rm[3], 10, 64)
	return v, nil
}

func unescape(s string) string { return strings.ReplaceAll(s, "&amp;", "&") }

// view is one viewer's loop until ctx ends: the watch page and its tracks each turn, then the
// MP4 rendition (a few Range requests) or the HLS stream (playlists, init, segments) in turn.
func view(ctx context.Context, c *client, v *video, o options, rnd *rand.Rand) {
	for turn := 0; ctx.Err() == nil; turn++ {
		c.get(ctx, kindPage, v.page, http.StatusOK, "text/html", nonEmpty)
		for _, t := range v.tracks {
			c.get(ctx, kindTrack, t, http.StatusOK, "text/vtt", nonEmpty)
		}
		if turn%2 == 0 {
			for range o.ranges {
				n := 1 + rnd.Int64N(min(o.rangeBytes, v.size))
				start := rnd.Int64N(v.size - n + 1)
				rangeGet(ctx, c, v, start, start+n-1)
			}
		} else {
			watchHLS(ctx, c, v.hls)
		}
		if o.think > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(rand.N(2 * o.think)):
			}
		}
	}
}

func rangeGet(ctx context.Context, c *client, v *video, first, last int64) {
	req, _ := http.NewRequest(http.MethodGet, c.base+v.mp4, nil)
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", first, last))
	c.do(ctx, kindRange, req, http.StatusPartialContent, "video/mp4", func(resp *http.Response, body []byte) error {
		want := fmt.Sprintf("bytes %d-%d/%d", first, last, v.size)
		if got := resp.Header.Get("Content-Range"); got != want {
			return fmt.Errorf("Content-Range %q, want %q", got, want)
		}
		if int64(len(body)) != last-first+1 {
			return fmt.Errorf("%d bytes, want %d", len(body), last-first+1)
		}
		return nil
	})
}

// watchHLS fetches the master playlist, the first variant's playlist, its init segment and its
// media segments, each found by following the previous one's links.
func watchHLS(ctx context.Context, c *client, master string) {
	const ctype = "application/vnd.apple.mpegurl"
	body := c.get(ctx, kindPlaylist, master, http.StatusOK, ctype, nonEmpty)
	variants := uris(body)
	if body == nil {
		return
	}
	if len(variants) == 0 {
		c.r.fail(kindPlaylist, fmt.Errorf("%s names no variant", master))
		return
	}
	media := resolve(master, variants[0])
	body = c.get(ctx, kindPlaylist, media, http.StatusOK, ctype, nonEmpty)
	if body == nil {
		return
	}
	var parts []string
	if m := mapURI.FindSubmatch(body); m != nil {
		parts = append(parts, string(m[1]))
	}
	parts = append(parts, uris(body)...)
	if len(parts) < 2 {
		c.r.fail(kindPlaylist, fmt.Errorf("%s names no init segment or no media segment", media))
		return
	}
	for _, p := range parts {
		c.get(ctx, kindSegment, resolve(media, p), http.StatusOK, "video/", nonEmpty)
	}
}

// uris are a playlist's lines that are not tags or blank.
func uris(playlist []byte) []string {
	var u []string
	for line := range strings.Lines(string(playlist)) {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			u = append(u, line)
		}
	}
	return u
}

// resolve is ref relative to the path base.
func resolve(base, ref string) string {
	b, err := url.Parse(base)
	if err != nil {
		return ref
	}
	r, err := b.Parse(ref)
	if err != nil {
		return ref
	}
	return r.RequestURI()
}

var csrfToken = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// uploadLoop is one editor uploading the clip to a new draft video and waiting for its
// processing, again and again, until ctx ends or max uploads (0: no limit) are done; it returns
// the videos whose upload completed.
func uploadLoop(ctx context.Context, c *client, o options, clip []byte, n int) []int64 {
	var done []int64
	for i := 1; ctx.Err() == nil && (o.maxUploads == 0 || len(done) < o.maxUploads); i++ {
		id, ok := uploadOnce(ctx, c, o, clip, fmt.Sprintf("Load test %d.%d", n, i))
		if !ok {
			continue
		}
		done = append(done, id)
		// The upload page then follows the processing, asking the status every 2 s until it
		// is done, as its script does; the editor uploads the next video after that.
		for ctx.Err() == nil {
			ready, failed := processed(ctx, c, []int64{id})
			if ready == 1 || len(failed) > 0 {
				break
			}
			select {
			case <-ctx.Done():
			case <-time.After(2 * time.Second):
			}
		}
	}
	return done
}

// uploadOnce creates a draft video through the admin form and uploads clip to it through tus,
// as the upload page's script does: the session's cookie and CSRF token on every request.
func uploadOnce(ctx context.Context, c *client, o options, clip []byte, title string) (int64, bool) {
	form := c.get(ctx, kindForm, "/admin/videos/new", http.StatusOK, "text/html", nil)
	if form == nil {
		return 0, false
	}
	values := benchkit.HiddenFields(form)
	values.Set("state", "draft")
	values.Set("original_lang", "en")
	values.Set("texts.0.lang", "en")
	values.Set("texts.0.title", title)
	if m := csrfToken.FindSubmatch(form); m != nil {
		c.csrf = string(m[1])
	}
	req, _ := http.NewRequest(http.MethodPost, c.base+"/admin/videos/new", strings.NewReader(values.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.base)
	var id int64
	resp, _ := c.do(ctx, kindCreate, req, http.StatusSeeOther, "", func(resp *http.Response, _ []byte) error {
		rest, ok := strings.CutPrefix(resp.Header.Get("Location"), "/admin/videos/")
		rest, ok2 := strings.CutSuffix(rest, "?notice=created")
		var err error
		if id, err = strconv.ParseInt(rest, 10, 64); !ok || !ok2 || err != nil {
			return fmt.Errorf("redirected to %q, want the new video's page", resp.Header.Get("Location"))
		}
		return nil
	})
	if resp == nil {
		return 0, false
	}
	idText := strconv.FormatInt(id, 10)
	if c.get(ctx, kindUpPage, "/admin/videos/"+idText+"/upload", http.StatusOK, "text/html", nonEmpty) == nil {
		return 0, false
	}
	tus := func(method, path string, h map[string]string, body []byte) *http.Request {
		req, _ := http.NewRequest(method, c.base+path, bytes.NewReader(body))
		req.Header.Set("Tus-Resumable", "1.0.0")
		req.Header.Set("X-CSRF-Token", c.csrf)
		req.Header.Set("Origin", c.base)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		return req
	}
	meta := "video " + base64.StdEncoding.EncodeToString([]byte(idText)) + ",filename " + base64.StdEncoding.EncodeToString([]byte("clip.mp4"))
	var path string
	resp, _ = c.do(ctx, kindTusPost, tus(http.MethodPost, uploadsPath, map[string]string{"Upload-Length": strconv.Itoa(len(clip)), "Upload-Metadata": meta}, nil),
		http.StatusCreated, "", func(resp *http.Response, _ []byte) error {
			u, err := url.Parse(resp.Header.Get("Location"))
			if err != nil || !strings.HasPrefix(u.Path, uploadsPath) {
				return fmt.Errorf("the new upload's Location is %q", resp.Header.Get("Location"))
			}
			path = u.Path
			return nil
		})
	if resp == nil {
		return 0, false
	}
	for off := 0; off < len(clip); {
		end := min(off+o.chunk, len(clip))
		want := strconv.Itoa(end)
		resp, _ := c.do(ctx, kindTusPatch, tus(http.MethodPatch, path, map[string]string{"Upload-Offset": strconv.Itoa(off), "Content-Type": "application/offset+octet-stream"}, clip[off:end]),
			http.StatusNoContent, "", func(resp *http.Response, _ []byte) error {
				if got := resp.Header.Get("Upload-Offset"); got != want {
					return fmt.Errorf("Upload-Offset %s, want %s", got, want)
				}
				return nil
			})
		if resp == nil {
			return 0, false
		}
		off = end
	}
	return id, true
}

// uploadsPath is sistercity's tus endpoint.
const uploadsPath = "/admin/uploads/"

// processed asks the status of each video and counts those processed; a failed one is an error.
func processed(ctx context.Context, c *client, ids []int64) (ready int, failed []string) {
	for _, id := range ids {
		var st struct {
			Processing string `json:"processing"`
			Failure    string `json:"failure"`
			Detail     string `json:"detail"`
		}
		path := "/admin/videos/" + strconv.FormatInt(id, 10) + "/status"
		if c.get(ctx, kindStatus, path, http.StatusOK, "application/json", func(_ *http.Response, body []byte) error {
			return json.Unmarshal(body, &st)
		}) == nil {
			continue
		}
		switch st.Processing {
		case "ready":
			ready++
		case "failed":
			failed = append(failed, fmt.Sprintf("video %d: processing failed: %s %s", id, st.Failure, st.Detail))
		}
	}
	return ready, failed
}

// load runs the viewers and uploaders on d for o.duration, samples memory meanwhile, then waits
// up to o.drain for the uploads to be processed.
func load(ctx context.Context, o options, d *deployment, clip []byte) (*report, error) {
	r := &report{topology: d.name, stats: map[string]*kindStats{}, upstreams: map[string]int{}, replicas: d.upstreams,
		memory: map[string]benchkit.Memory{}, drain: o.drain, loadAvgBefore: benchkit.LoadAvg()}
	v, err := findVideo(ctx, d.base)
	if err != nil {
		return nil, err
	}
	var uploaders []*client
	for range o.uploads {
		c := newClient(r, d.base)
		if c.cookie, err = benchkit.SignIn(ctx, d.base, "admin", d.password); err != nil {
			return nil, fmt.Errorf("sign in as the demo's admin: %w", err)
		}
		uploaders = append(uploaders, c)
	}

	sampleCtx, stopSampling := context.WithCancel(ctx)
	sampled := make(chan struct{})
	go func() { sampleMemory(sampleCtx, d, r); close(sampled) }()
	defer func() { stopSampling(); <-sampled }()

	// The load lasts o.duration. With -max-uploads, uploaders that have not finished their
	// uploads by then go on until they have (or ctx ends), and the viewers with them: however
	// busy the machine, the run holds the uploads it was asked for.
	loadCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	uploadCtx := loadCtx
	if o.maxUploads > 0 {
		uploadCtx = ctx
	}
	start := time.Now()
	var wg, uploading sync.WaitGroup
	for i := range o.viewers {
		c := newClient(r, d.base)
		rnd := rand.New(rand.NewPCG(uint64(i), 1))
		wg.Go(func() {
			defer c.http.CloseIdleConnections()
			view(loadCtx, c, v, o, rnd)
		})
	}
	var mu sync.Mutex
	for i, c := range uploaders {
		uploading.Go(func() {
			done := uploadLoop(uploadCtx, c, o, clip, i+1)
			mu.Lock()
			r.completed = append(r.completed, done...)
			mu.Unlock()
		})
	}
	select {
	case <-time.After(o.duration):
	case <-ctx.Done():
	}
	if o.maxUploads > 0 {
		uploading.Wait()
	}
	cancel()
	uploading.Wait()
	wg.Wait()
	r.elapsed = time.Since(start)
	if err := ctx.Err(); err != nil {
		return r, err
	}
	slices.Sort(r.completed)

	if len(uploaders) > 0 {
		c := uploaders[0]
		r.processedEnd, r.failed = processed(ctx, c, r.completed)
		t0 := time.Now()
		r.processedAll = r.processedEnd
		for r.processedAll+len(r.failed) < len(r.completed) && time.Since(t0) < o.drain && ctx.Err() == nil {
			time.Sleep(time.Second)
			r.processedAll, r.failed = processed(ctx, c, r.completed)
		}
		r.drainWaited = time.Since(t0)
	}
	r.loadAvgAfter = benchkit.LoadAvg()
	return r, ctx.Err()
}

// sampleMemory reads each process's memory every second until ctx ends, keeping the highest.
func sampleMemory(ctx context.Context, d *deployment, r *report) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		for name, pid := range d.memoryTargets() {
			m, err := benchkit.ProcMemory(pid)
			if err != nil {
				continue
			}
			r.mu.Lock()
			old := r.memory[name]
			r.memory[name] = benchkit.Memory{RSS: max(old.RSS, m.RSS), HWM: max(old.HWM, m.HWM)}
			r.mu.Unlock()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

var topologyText = map[string]string{
	topoPG:     "two `serve --workers=0` replicas and one `worker` on PostgreSQL, media on S3 (versitygw), behind nginx",
	topoSQLite: "one `serve` with its job workers on SQLite, media in its data directory, behind nginx",
}

func (r *report) print(w io.Writer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(w, "\n== %s: %s\n", r.topology, topologyText[r.topology])
	fmt.Fprintf(w, "load for %s; load average before %s, after %s\n", r.elapsed.Round(time.Millisecond), r.loadAvgBefore, r.loadAvgAfter)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kind\trequests\treq/s\tp50 ms\tp99 ms\terrors\t")
	var all []time.Duration
	allErrs := 0
	for _, k := range kinds {
		s := r.stats[k]
		if s == nil {
			continue
		}
		slices.Sort(s.lat)
		all = append(all, s.lat...)
		allErrs += s.errors
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%s\t%s\t%d\t\n", k, len(s.lat), float64(len(s.lat))/r.elapsed.Seconds(), pct(s.lat, 0.5), pct(s.lat, 0.99), s.errors)
	}
	slices.Sort(all)
	fmt.Fprintf(tw, "all\t%d\t%.1f\t%s\t%s\t%d\t\n", len(all), float64(len(all))/r.elapsed.Seconds(), pct(all, 0.5), pct(all, 0.99), allErrs)
	tw.Flush()
	var per []string
	for _, a := range r.replicas {
		per = append(per, fmt.Sprintf("%s %d", a, r.upstreams[a]))
	}
	fmt.Fprintf(w, "requests per replica (nginx's $upstream_addr): %s\n", strings.Join(per, ", "))
	fmt.Fprintf(w, "uploads: %d completed during the load, %d of them processed by its end, %d after waiting %s more (at most %s)\n",
		len(r.completed), r.processedEnd, r.processedAll, r.drainWaited.Round(time.Second), r.drain)
	for _, f := range r.failed {
		fmt.Fprintf(w, "  %s\n", f)
	}
	for _, e := range r.firstErrs {
		fmt.Fprintf(w, "  error: %s\n", e)
	}
	fmt.Fprintln(w, "memory (/proc/PID/status, sampled every second during the load and the wait):")
	names := make([]string, 0, len(r.memory))
	for n := range r.memory {
		names = append(names, n)
	}
	slices.Sort(names)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "process\tVmRSS peak MB\tVmHWM MB\t")
	for _, n := range names {
		m := r.memory[n]
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t\n", n, benchkit.MB(m.RSS), benchkit.MB(m.HWM))
	}
	tw.Flush()
}

func pct(sorted []time.Duration, q float64) string {
	if len(sorted) == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", benchkit.Ms(benchkit.Percentile(sorted, q)))
}
