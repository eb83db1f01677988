package main

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"sistercity/internal/polltest"
)

// TestDemoWatchPageInBrowser opens the demo's own video, on `serve --demo`, in Debian's
// Chromium: on the Korean, Russian and English watch pages the track in the page's language is
// the one showing and its cues load, and the video reaches a playable state.
func TestDemoWatchPageInBrowser(t *testing.T) {
	t.Parallel()
	base, _, stop := startServe(t, append(dbArgs(t), "--demo")...)
	defer stop()
	link := regexp.MustCompile(`<a href="/ko(/videos/\d+)">`).FindStringSubmatch(get(t, base+"/ko/videos"))
	if link == nil {
		t.Fatal("/ko/videos lists no demo video")
	}
	ctx := demoBrowser(t)
	// The language of the showing track, how many cues it has loaded, and whether the video can
	// play: "ru:3:true".
	const state = `(() => {
	  const v = document.getElementById("player");
	  const t = [...v.textTracks].find((t) => t.mode === "showing");
	  return (t ? t.language + ":" + (t.cues ? t.cues.length : 0) : "none") + ":" + String(v.readyState >= 3);
	})()`
	for _, lang := range []string{"ko", "ru", "en"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/"+lang+link[1]), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
			t.Fatal(err)
		}
		// Playing muted is allowed without a gesture; it makes the browser load the media.
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`(() => { const v = document.getElementById("player");
			v.muted = true; v.play().catch(() => {}); })()`)); err != nil {
			t.Fatal(err)
		}
		want := lang + ":3:true"
		polltest.Until(t, fmt.Sprintf("/%s%s to show a track and play (%q)", lang, link[1], want), func() (bool, string) {
			got, err := chromedp.Run(ctx, chromedp.Evaluate[string](state))
			if err != nil {
				t.Fatal(err)
			}
			return got == want, got
		})
	}
}

// demoBrowser starts Debian's Chromium headless, off the network and with a profile of its own,
// as the browser tests of internal/web do.
func demoBrowser(t *testing.T, opts ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("the browser test needs Debian's chromium (make test installs it): %v", err)
	}
	allocOpts := append([]chromedp.ExecAllocatorOption{},
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(412, 915))
	allocOpts = append(allocOpts, opts...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), allocOpts...)
	browserCtx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
	})
	if err := chromedp.Do(browserCtx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	ctx, cancel := context.WithTimeout(browserCtx, 10*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
