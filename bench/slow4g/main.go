// Command slow4g measures what a viewer on a phone's mobile network sees: in Chromium (Debian's
// chromium, headless, through chromedp) throttled to Chrome DevTools' "Slow 4G" preset through
// the DevTools protocol (Network.emulateNetworkConditions), the time to the first frame of the
// watch page's video and the stalls after it (the video element's 'waiting' events after its
// first 'playing'), streaming HLS against the MP4 rendition the page would have chosen.
//
// It makes a source clip (media.TestClip), processes it with the app's video job
// (video.ProcessVideo, as after an upload: benchvideo.Upload), publishes it, and serves it with
// the whole web server (web.New on SQLite and the local store, every middleware) in this process
// on a loopback port. Each round opens the watch page in a fresh tab, cache disabled, once per
// side, in alternating order:
//
//   - hls: the page as Chromium gets it — its own HLS player where it has one (Chromium plays
//     HLS natively since 2025), else hls.js;
//   - hls.js: a browser without native HLS (Firefox, Chrome before 2025): the page loads hls.js;
//   - mp4: a browser with neither (no native HLS, no Media Source Extensions): the page plays the
//     MP4 rendition it chose, as without JavaScript.
//
// The page is played, muted, from its load event to the end of the video (or -watch). The first
// frame is the video element's first requestVideoFrameCallback, timed from the navigation's
// start; stalls are counted and timed from each 'waiting' to the next 'playing'.
//
// Run: go run ./bench/slow4g (a 60 s 1080p source by default).
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"sistercity/bench/internal/benchkit"
	"sistercity/bench/internal/benchvideo"
	"sistercity/internal/config"
	"sistercity/internal/i18n"
	"sistercity/internal/media"
	"sistercity/internal/video"
	"sistercity/internal/web"
)

// Slow 4G as Chrome DevTools defines it (devtools-frontend, front_end/core/sdk/NetworkManager.ts,
// Slow4GConditions, the preset called "Fast 3G" until May 2024): about 1.6 Mbit/s down and
// 750 kbit/s up, each times 0.9, and a 150 ms round trip times 3.75 — what DevTools sends as
// Network.emulateNetworkConditions: latency 562.5 ms, 180000 B/s down, 84375 B/s up.
const (
	slow4GLatency  = 150 * 3.75                 // ms
	slow4GDownload = 1.6 * 1000 * 1000 / 8 * .9 // bytes/s
	slow4GUpload   = 750 * 1000 / 8 * .9        // bytes/s
)

// conditions are the parameters of Network.emulateNetworkConditions, which cdproto no longer
// generates (the protocol marks it deprecated in favour of emulateNetworkConditionsByRule) but
// which Chromium still takes, and DevTools' own throttling sends.
type conditions struct {
	Offline            bool    `json:"offline"`
	Latency            float64 `json:"latency"`
	DownloadThroughput float64 `json:"downloadThroughput"`
	UploadThroughput   float64 `json:"uploadThroughput"`
}

var emulateNetworkConditions = cdp.Command[conditions, cdp.Empty]{Method: "Network.emulateNetworkConditions"}

type options struct {
	width, height int
	duration      time.Duration
	preset        string
	rounds        int
	watch         time.Duration
	quiet         bool // no table on stdout (the smoke test)
}

// A side is how the page plays the video: its patch runs in the page before the page's scripts.
type side struct {
	name, patch string
	streams     []string // the page's choices this side may see (player.dataset.stream)
}

var sides = []side{
	{"hls", "", []string{"native", "hls"}},
	{"hls.js", noNativeHLS, []string{"hls"}},
	{"mp4", noNativeHLS + `delete window.MediaSource; delete window.ManagedMediaSource;`, []string{"mp4"}},
}

const noNativeHLS = `{ const can = HTMLMediaElement.prototype.canPlayType;
  HTMLMediaElement.prototype.canPlayType = function (type) { return /mpegurl/i.test(type) ? "" : can.call(this, type); }; }
`

// collect is run in the page before its scripts: it plays the player from the load event and
// keeps what the benchmark reads in window.slow4g.
const collect = `(() => {
  const m = window.slow4g = { firstFrame: 0, playCalled: 0, stalls: 0, stallMs: 0, ended: false, errors: [],
    stream: "", src: "", height: 0, played: 0 };
  let playing = false, waitingSince = 0;
  addEventListener("load", () => {
    const p = document.getElementById("player");
    if (!p) { m.errors.push("no #player"); return; }
    p.muted = true;
    p.addEventListener("playing", () => {
      playing = true;
      if (waitingSince) { m.stallMs += performance.now() - waitingSince; waitingSince = 0; }
    });
    p.addEventListener("waiting", () => { if (playing && !waitingSince) { m.stalls++; waitingSince = performance.now(); } });
    p.addEventListener("ended", () => { m.ended = true; });
    p.addEventListener("error", () => m.errors.push("media error " + (p.error ? p.error.code + " " + p.error.message : "")));
    p.requestVideoFrameCallback((now) => { m.firstFrame = now; });
    m.playCalled = performance.now();
    p.play().catch((e) => m.errors.push(String(e)));
  });
})();
`

// read is evaluated in the page to take its measures.
const read = `(() => { const m = window.slow4g, p = document.getElementById("player");
  if (p) { m.stream = p.dataset.stream || "mp4"; m.src = p.currentSrc; m.height = p.videoHeight; m.played = p.currentTime; }
  return JSON.stringify(m); })()`

// result is one side's measures in one round.
type result struct {
	Side       string
	Stream     string   `json:"stream"` // the page's choice: native, hls (hls.js) or mp4
	Src        string   `json:"src"`
	FirstFrame float64  `json:"firstFrame"` // ms from the navigation's start
	PlayCalled float64  `json:"playCalled"` // ms from the navigation's start
	Stalls     int      `json:"stalls"`
	StallMs    float64  `json:"stallMs"`
	Ended      bool     `json:"ended"`
	Height     int      `json:"height"` // the picture's height when the watch ended
	Played     float64  `json:"played"` // seconds of the video played
	Errors     []string `json:"errors"`
}

func main() {
	var o options
	flag.IntVar(&o.width, "width", 1920, "width of the generated source clip")
	flag.IntVar(&o.height, "height", 1080, "height of the generated source clip")
	flag.DurationVar(&o.duration, "duration", 60*time.Second, "length of the generated source clip")
	flag.StringVar(&o.preset, "preset", "", `x264 preset of the processing ("" is the app's default, `+media.DefaultX264Preset+")")
	flag.IntVar(&o.rounds, "rounds", 3, "measured rounds (each side once a round)")
	flag.DurationVar(&o.watch, "watch", 0, "longest watch of a side from its load (default: four times the video's length, plus a minute)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if _, err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "slow4g:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) ([]result, error) {
	if o.rounds < 1 {
		return nil, errors.New("-rounds must be at least 1")
	}
	if o.watch <= 0 {
		o.watch = 4*o.duration + time.Minute
	}
	out := io.Writer(os.Stdout)
	if o.quiet {
		out = io.Discard
	}
	tmp, err := os.MkdirTemp("", "sistercity-bench-slow4g-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	load := benchkit.LoadAvg()
	watch, renditions, err := serve(ctx, tmp, o)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "slow4g benchmark — %s\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(out, "machine: %s, %d CPUs, load average before: %s\n", benchkit.CPUModel(), runtime.NumCPU(), load)
	fmt.Fprintf(out, "chromium: %s; network: Slow 4G (latency %.1f ms, down %.0f B/s, up %.0f B/s), cache disabled\n",
		chromiumVersion(), float64(slow4GLatency), float64(slow4GDownload), float64(slow4GUpload))
	fmt.Fprintf(out, "video: media.TestClip %dx%d, %s, processed by video.ProcessVideo (preset %s): %s\n",
		o.width, o.height, o.duration, presetName(o.preset), renditions)
	fmt.Fprintf(out, "play() at (the page's load event) and first frame: ms from the navigation's start; stalls: 'waiting' after the first 'playing'\n\n")

	browser, closeBrowser, err := startChromium(ctx, tmp)
	if err != nil {
		return nil, err
	}
	defer closeBrowser()
	var results []result
	fmt.Fprintf(out, "%5s  %-6s  %-6s  %-32s  %9s  %11s  %6s  %9s  %6s  %5s\n", "round", "side", "stream", "source", "play() at", "first frame", "stalls", "stalled s", "played", "lines")
	for i := range o.rounds {
		order := slices.Clone(sides)
		if i%2 == 1 {
			slices.Reverse(order)
		}
		for _, s := range order {
			r, err := watchSide(browser, watch, s, o.watch)
			if err != nil {
				return nil, fmt.Errorf("round %d, %s: %w", i+1, s.name, err)
			}
			results = append(results, r)
			fmt.Fprintf(out, "%5d  %-6s  %-6s  %-32s  %6.0f ms  %8.0f ms  %6d  %9.1f  %5.1fs  %5d\n", i+1, r.Side, r.Stream,
				source(r.Src), r.PlayCalled, r.FirstFrame, r.Stalls, r.StallMs/1000, r.Played, r.Height)
		}
	}
	fmt.Fprintln(out, "\nmedians:")
	for _, s := range sides {
		var ff, stalls, stalled []float64
		for _, r := range results {
			if r.Side == s.name {
				ff, stalls, stalled = append(ff, r.FirstFrame), append(stalls, float64(r.Stalls)), append(stalled, r.StallMs/1000)
			}
		}
		fmt.Fprintf(out, "  %-6s  first frame %6.0f ms  stalls %4.1f  stalled %5.1f s\n", s.name,
			benchkit.Median(ff), benchkit.Median(stalls), benchkit.Median(stalled))
	}
	fmt.Fprintf(out, "load average after: %s\n", benchkit.LoadAvg())
	return results, nil
}

// serve processes a generated clip into a published video and serves the web server for it in
// this process until ctx ends; it returns the watch page's URL and the renditions made.
func serve(ctx context.Context, tmp string, o options) (watch, renditions string, err error) {
	src := filepath.Join(tmp, "source.mp4")
	if err := media.TestClip(ctx, src, media.ClipOptions{Width: o.width, Height: o.height, Duration: o.duration, FrameRate: 30, FastStart: true}); err != nil {
		return "", "", err
	}
	dir := filepath.Join(tmp, "data")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	u, err := benchvideo.Upload(ctx, dir, src, "Slow 4G benchmark")
	if err != nil {
		return "", "", err
	}
	context.AfterFunc(ctx, u.Close)
	if err := video.ProcessVideo(ctx, u.Deps(dir, media.X264{Preset: o.preset}, nil), u.ID); err != nil {
		return "", "", err
	}
	var v *video.Video
	err = u.DB.InTx(ctx, func(tx *sql.Tx) error {
		if v, err = video.Get(ctx, tx, u.ID); err != nil {
			return err
		}
		for _, to := range []string{video.StateInReview, video.StatePublished} {
			if err := video.SetState(ctx, tx, v, to, time.Now()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return "", "", fmt.Errorf("publish: %w", err)
	}
	var names []string
	for _, r := range v.Renditions {
		names = append(names, fmt.Sprintf("%dp %d kbit/s", r.Lines, r.Bitrate/1000))
	}

	cfg := config.Default()
	cfg.DataDir = dir
	if cfg.Listen, err = benchkit.FreePort(); err != nil {
		return "", "", err
	}
	if err := cfg.Validate(); err != nil {
		return "", "", err
	}
	logFile, err := os.Create(filepath.Join(tmp, "server.log"))
	if err != nil {
		return "", "", err
	}
	context.AfterFunc(ctx, func() { logFile.Close() })
	cat, err := i18n.Load()
	if err != nil {
		return "", "", err
	}
	srv, err := web.New(web.Options{Config: cfg, DB: u.DB, Catalog: cat, Docs: u.Store,
		Log: slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err != nil {
		return "", "", err
	}
	go srv.Run(ctx)
	for deadline := time.Now().Add(time.Minute); !benchkit.Listening(cfg.Listen); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			return "", "", errors.New("the web server does not listen")
		}
	}
	return fmt.Sprintf("http://%s/en/videos/%d", cfg.Listen, v.ID), strings.Join(names, ", "), nil
}

// startChromium starts Debian's Chromium headless, off the network but for loopback, with a
// phone's window, muted autoplay allowed.
func startChromium(ctx context.Context, tmp string) (context.Context, func(), error) {
	path, err := exec.LookPath("chromium")
	if err != nil {
		return nil, nil, fmt.Errorf("the benchmark needs Debian's chromium: %w", err)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(filepath.Join(tmp, "chromium")),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.WindowSize(412, 915))
	browser, cancel := chromedp.NewContext(allocCtx)
	if err := chromedp.Do(browser, chromedp.Navigate("about:blank")); err != nil {
		cancel()
		cancelAlloc()
		return nil, nil, fmt.Errorf("start chromium: %w", err)
	}
	return browser, func() { cancel(); cancelAlloc() }, nil
}

// watchSide opens the watch page in a new tab throttled to Slow 4G, as side s, and reads its
// measures once the video has ended, or after watch.
func watchSide(browser context.Context, url string, s side, watch time.Duration) (result, error) {
	tab, closeTab := chromedp.NewContext(browser)
	defer closeTab()
	ctx, cancel := context.WithTimeout(tab, watch+2*time.Minute)
	defer cancel()
	r := result{Side: s.name}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		return r, err
	}
	if _, err := chromedp.Call(ctx, emulateNetworkConditions, conditions{Latency: slow4GLatency,
		DownloadThroughput: slow4GDownload, UploadThroughput: slow4GUpload}); err != nil {
		return r, fmt.Errorf("Network.emulateNetworkConditions: %w", err)
	}
	if _, err := chromedp.Call(ctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}); err != nil {
		return r, err
	}
	if _, err := chromedp.Call(ctx, cdppage.AddScriptToEvaluateOnNewDocument,
		cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: s.patch + collect}); err != nil {
		return r, err
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		return r, err
	}
	for start := time.Now(); ; time.Sleep(500 * time.Millisecond) {
		raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](read))
		if err != nil {
			return r, err
		}
		if err := json.Unmarshal([]byte(raw), &r); err != nil {
			return r, err
		}
		if r.Ended || time.Since(start) > watch || (r.FirstFrame == 0 && len(r.Errors) > 0) {
			break
		}
	}
	if r.FirstFrame == 0 {
		return r, fmt.Errorf("no frame shown (%s, %s): %v", r.Stream, r.Src, r.Errors)
	}
	if !slices.Contains(s.streams, r.Stream) {
		return r, fmt.Errorf("the page played %q (%s), want one of %v (hls.js needs scripts/hlsjs.sh before the build)", r.Stream, r.Src, s.streams)
	}
	return r, nil
}

// source names what the player played: a file's name, or "MediaSource" for hls.js's blob: URL.
func source(src string) string {
	if strings.HasPrefix(src, "blob:") {
		return "MediaSource (hls.js)"
	}
	return filepath.Base(src)
}

func presetName(p string) string {
	if p == "" {
		return media.DefaultX264Preset
	}
	return p
}

func chromiumVersion() string {
	out, err := exec.Command("chromium", "--version").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}
