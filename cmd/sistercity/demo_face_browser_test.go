package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"sistercity/internal/polltest"
	"sistercity/internal/web/webtest"
)

// TestDemoFrontPageInBrowser opens the demo's home page in Chromium on a phone (390×844) in
// Korean, Russian and English: the main navigation has Videos, the home page shows the demo
// video's poster, loaded, and its title in the page's language. A screenshot of each is written
// to $SISTERCITY_SCREENSHOTS (or the test's temporary directory) and its path logged. Then
// axe-core audits the public pages this work changed, at phone and desktop size, in the dark
// scheme (the light one is TestDemoPagesValidAndAccessible's): no violation.
func TestDemoFrontPageInBrowser(t *testing.T) {
	t.Parallel()
	base, _, stop := startServe(t, append(dbArgs(t), "--demo")...)
	defer stop()
	titles := map[string]string{
		"ko": "부산·블라디보스토크 코로나19 극복 응원 영상",
		"ru": "Видеообращение Владивостока в поддержку Пусана",
		"en": "Vladivostok's message of support to Busan",
	}
	videos := map[string]string{"ko": "영상", "ru": "Видео", "en": "Videos"}
	polltest.Until(t, "the demo video on the home page", func() (bool, string) {
		body := get(t, base+"/en/")
		return strings.Contains(body, `id="front-videos"`), ""
	})
	shots := os.Getenv("SISTERCITY_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := webtest.Browser(t)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"ko", "ru", "en"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/"+lang+"/"), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
			t.Fatal(err)
		}
		nav, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("nav.main-nav a")].map((a) => a.textContent.trim())`))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(nav, videos[lang]) {
			t.Errorf("/%s/: the navigation %q has no %q", lang, nav, videos[lang])
		}
		// The first card's poster, brought into view (it loads lazily), and its title.
		const card = `document.querySelector(".front-card")`
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](card+`.scrollIntoView({block: "center"})`)); err != nil {
			t.Fatal(err)
		}
		waitEval(t, ctx, `(() => { const i = `+card+`.querySelector("img"); return String(i.complete && i.naturalWidth > 0); })()`, "true")
		title, err := chromedp.Run(ctx, chromedp.Evaluate[string](card+`.querySelector("h3 a").textContent.trim()`))
		if err != nil {
			t.Fatal(err)
		}
		if title != titles[lang] {
			t.Errorf("/%s/: the first video is titled %q, want %q", lang, title, titles[lang])
		}
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(shots, "home-"+lang+"-390x844.png")
		if err := os.WriteFile(file, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", file)
	}

	// axe-core on the pages this work added or changed.
	axe := axeBundle(t)
	partner := regexp.MustCompile(`href="/en/partners/(\d+)"[^>]*>Vladivostok<`).FindStringSubmatch(get(t, base+"/en/partners"))
	if partner == nil {
		t.Fatal("no Vladivostok on /en/partners")
	}
	var pages []string
	for _, lang := range []string{"ko", "ru", "en"} {
		pages = append(pages, "/"+lang+"/", "/"+lang+"/videos", "/"+lang+"/videos?q=nothing-like-this", "/"+lang+"/partners",
			"/"+lang+"/partners/"+partner[1], "/"+lang+"/statistics", "/"+lang+"/no/such/page")
	}
	// The light scheme of these pages is audited at both sizes by TestDemoPagesValidAndAccessible,
	// among every public and admin page; here the dark one.
	_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia,
		emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range [][2]int64{{390, 844}, {1280, 900}} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(size[0], size[1])); err != nil {
			t.Fatal(err)
		}
		for _, path := range pages {
			if err := chromedp.Do(ctx, chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
				t.Fatal(err)
			}
			runAxe(t, ctx, axe, fmt.Sprintf("%s at %d px, dark", path, size[0]))
		}
	}
}

// TestDemoChartsLegibleOnPhone: on a phone 390 px wide, no text of the statistics' charts is
// drawn smaller than 12 CSS px, and each scrolling table takes the keyboard's focus. The video
// filters fit every width without scrolling sideways, and a printed partner page is its content
// alone.
func TestDemoChartsLegibleOnPhone(t *testing.T) {
	t.Parallel()
	base, _, stop := startServe(t, append(dbArgs(t), "--demo")...)
	defer stop()
	ctx := webtest.Browser(t)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"ko", "ru", "en"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/"+lang+"/statistics"), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
			t.Fatal(err)
		}
		// The rendered height of each visible chart's text, in CSS px: its font size scaled
		// by the SVG's on-screen width over its viewBox.
		sizes, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`[...document.querySelectorAll("figure.chart svg")]
		  .filter((s) => s.getBoundingClientRect().width > 0)
		  .flatMap((s) => { const k = s.getBoundingClientRect().width / s.viewBox.baseVal.width;
		    return [...s.querySelectorAll("text")].map((x) => parseFloat(getComputedStyle(x).fontSize) * k); })`))
		if err != nil {
			t.Fatal(err)
		}
		if len(sizes) == 0 {
			t.Fatalf("/%s/statistics: no chart shown", lang)
		}
		for _, s := range sizes {
			if s < 12 {
				t.Errorf("/%s/statistics: chart text %.1f px on a 390 px phone", lang, s)
				break
			}
		}
		// Tab from the top reaches each table container.
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(".table-wrap").length`))
		if err != nil || n == 0 {
			t.Fatalf("/%s/statistics: %d tables (%v)", lang, n, err)
		}
		reached := 0
		for range 200 {
			if err := chromedp.Do(ctx, chromedp.KeyEvent("\t")); err != nil {
				t.Fatal(err)
			}
			if ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.activeElement.classList.contains("table-wrap")`)); ok {
				reached++
			}
			if reached == n {
				break
			}
		}
		if reached != n {
			t.Errorf("/%s/statistics: %d of %d tables reached by Tab", lang, reached, n)
		}
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`)); err != nil {
			t.Fatal(err)
		}
	}

	// The video filters: within the page at every width, in one row on a desktop.
	for _, width := range []int64{320, 390, 768, 1280} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate(base+"/ru/videos"), chromedp.WaitVisible(chromedp.CSS("form.filters"))); err != nil {
			t.Fatal(err)
		}
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
		  const f = document.querySelector("form.filters").getBoundingClientRect();
		  const cs = [...document.querySelectorAll("form.filters select, form.filters input, form.filters button")].map((c) => c.getBoundingClientRect());
		  const inside = cs.every((c) => c.left >= f.left - 1 && c.right <= f.right + 1 && c.width > 0);
		  const rows = new Set(cs.map((c) => Math.round(c.bottom))).size;
		  return [document.documentElement.scrollWidth <= window.innerWidth, inside, rows].join(":");
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		want := "true:true:"
		if width == 1280 {
			want += "1"
		}
		if !strings.HasPrefix(got, want) {
			t.Errorf("video filters at %d px: %s (fits:inside:rows), want %s…", width, got, want)
		}
	}
	// The tag filter is a pick list of the vocabulary in the page's language, used by keyboard
	// alone on a phone: Tab reaches it, an arrow picks the first tag, Tab and Enter on the button
	// show that tag's videos, the address naming the tag by its slug.
	err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Navigate(base+"/ru/videos"),
		chromedp.WaitVisible(chromedp.ID("video-tag")))
	if err != nil {
		t.Fatal(err)
	}
	labels, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.getElementById("video-tag").options].slice(1).map((o) => o.textContent)`))
	if err != nil || len(labels) == 0 {
		t.Fatalf("/ru/videos: the tag pick list is empty (%v)", err)
	}
	support, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#video-tag option[value="support"]').textContent`))
	if err != nil || !regexp.MustCompile(`^\p{Cyrillic}`).MatchString(support) {
		t.Errorf("/ru/videos: the tag support is named %q, not in Russian (%v)", support, err)
	}
	for i := 0; ; i++ {
		if i == 50 {
			t.Fatal("/ru/videos: Tab does not reach the tag filter")
		}
		if err := chromedp.Do(ctx, chromedp.KeyEvent("\t")); err != nil {
			t.Fatal(err)
		}
		if id, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.id`)); id == "video-tag" {
			break
		}
	}
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.ArrowDown)); err != nil {
		t.Fatal(err)
	}
	slug, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("video-tag").value`))
	if err != nil || slug == "" {
		t.Fatalf("/ru/videos: the arrow key picked no tag (%v)", err)
	}
	if err := chromedp.Do(ctx, chromedp.KeyEvent("\t"), chromedp.KeyEvent("\t"), chromedp.KeyEvent(kb.Enter)); err != nil {
		t.Fatal(err)
	}
	waitEval(t, ctx, `String(new URLSearchParams(location.search).get("tag"))`, slug)
	waitEval(t, ctx, `document.getElementById("video-tag").selectedOptions[0].textContent`, labels[0])

	// Printed, a partner page drops the navigation, the footer and the forms.
	partner := regexp.MustCompile(`href="/en/partners/(\d+)"[^>]*>Vladivostok<`).FindStringSubmatch(get(t, base+"/en/partners"))
	if partner == nil {
		t.Fatal("no Vladivostok on /en/partners")
	}
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/en/partners/"+partner[1]), chromedp.WaitReady(chromedp.CSS("main"))); err != nil {
		t.Fatal(err)
	}
	hidden, err := chromedp.Run(ctx, chromedp.Evaluate[string](`["nav.main-nav", ".site-footer", ".langs"].map((s) =>
	  getComputedStyle(document.querySelector(s)).display).join(",")`))
	if err != nil {
		t.Fatal(err)
	}
	if hidden != "none,none,none" {
		t.Errorf("printed partner page shows its chrome: %s", hidden)
	}
}
