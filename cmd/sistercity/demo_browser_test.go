package main

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/chromedp/chromedp"

	"sistercity/internal/polltest"
	"sistercity/internal/web/webtest"
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
	ctx := webtest.Browser(t)
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
