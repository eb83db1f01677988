package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"sistercity/internal/polltest"
	"sistercity/internal/web/webtest"
)

// TestDemoEmbedInBrowser is the "must show" for the embed, on `serve --demo`:
// /oembed for the demo's watch page gives an iframe whose src is the embed; a page served from a
// second local origin frames that embed with ?subtitles=ru in Chromium, and the Russian track
// shows and the video plays; the demo video's publication log then shows its site publication,
// the feed a reader took, the embed on that origin with its view and the SNS post recorded by
// hand; with the admin's list naming that origin it still plays, and with
// the list naming only another origin the frame is blocked by the embed's frame-ancestors. The
// embed page passes axe-core's audit with no violation, at 320 px wide too, and its transcript
// opens and seeks by keyboard.
func TestDemoEmbedInBrowser(t *testing.T) {
	t.Parallel()
	axe := axeBundle(t)
	base, stdout, stop := startServe(t, append(dbArgs(t), "--demo")...)
	defer stop()
	link := regexp.MustCompile(`<a href="/ko(/videos/(\d+))">`).FindStringSubmatch(get(t, base+"/ko/videos"))
	if link == nil {
		t.Fatal("/ko/videos lists no demo video")
	}

	// oEmbed for the Korean watch page: the iframe of the embed in Korean.
	var o struct {
		Type, HTML    string
		Width, Height int
	}
	if err := json.Unmarshal([]byte(get(t, base+"/oembed?url="+url.QueryEscape(base+"/ko"+link[1]))), &o); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`<iframe src="([^"]+)"`).FindStringSubmatch(o.HTML)
	if o.Type != "video" || m == nil {
		t.Fatalf("oembed: %+v", o)
	}
	src := html.UnescapeString(m[1])
	if want := base + "/embed/videos/" + link[2] + "?lang=ko"; src != want {
		t.Fatalf("oembed iframe src %q, want %q", src, want)
	}

	// The second origin: a page that frames the URL it is given.
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="en"><title>Partner</title><h1>Partner site</h1>
<iframe id="player" src="%s" width="%d" height="%d" title="Video" allow="autoplay; fullscreen"></iframe>`,
			html.EscapeString(r.URL.Query().Get("src")), o.Width, o.Height)
	}))
	defer host.Close()
	frame := func(q string) string { return host.URL + "/?src=" + url.QueryEscape(src+q) }

	// A feed reader takes the videos' feed: the publication log's feed entry.
	if feed := get(t, base+"/ko/videos/feed.rss"); !strings.Contains(feed, "/ko"+link[1]) {
		t.Fatalf("the feed lacks the demo video:\n%s", feed)
	}

	// A browser as a visitor's (a headless user agent is a bot to the view beacon), which
	// plays the embed without a gesture, as a muted autoplay may.
	ctx := webtest.Browser(t, chromedp.UserAgent("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"))
	// The Russian track shows with its cues and the video plays: its time moves on.
	const playing = `(() => {
	  const v = document.getElementById("player");
	  const t = [...v.textTracks].find((t) => t.mode === "showing");
	  return (t ? t.language + ":" + (t.cues ? t.cues.length : 0) : "none") + ":" + String(v.currentTime > 0.5 && !v.paused || v.ended);
	})()`
	open := func(u string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
			t.Fatal(err)
		}
	}
	open(frame("&subtitles=ru&autoplay=1"))
	waitInFrame(t, ctx, playing, "ru:3:true")

	// The admin lists the partner's origin: still framed. Each step asks for another URL, which
	// the browser has not kept.
	admin := &demoClient{t: t, base: base}
	jar, _ := cookiejar.New(nil)
	admin.c = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	pw := regexp.MustCompile(`password: (\S+)`).FindStringSubmatch(stdout.String())
	if pw == nil {
		t.Fatal("no admin password printed")
	}
	admin.signIn("admin", pw[1])
	setOrigins := func(list string) {
		t.Helper()
		_, form := admin.get("/admin/settings/embeds")
		tok := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(form)
		if tok == nil {
			t.Fatal("no settings form")
		}
		resp, err := admin.c.PostForm(base+"/admin/settings/embeds", url.Values{"csrf_token": {tok[1]}, "origins": {list}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save origins: %d", resp.StatusCode)
		}
	}
	// The demo video's publication log: the site publication and the post on Busan's SNS the
	// demo records, the feed served above, and the partner's site with the view just played
	// there (its beacon counted it).
	partner := strings.TrimPrefix(host.URL, "http://")
	var logged map[string]string
	polltest.Until(t, "the embed's view in the publication log", func() (bool, string) {
		_, body := admin.get("/admin/videos/" + link[2] + "/publications.csv")
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
		if err != nil {
			t.Fatalf("publication log CSV: %v\n%s", err, body)
		}
		logged = map[string]string{}
		for _, row := range rows[1:] {
			logged[row[0]+" "+row[2]] = row[7]
		}
		n := logged["embed "+partner]
		return n != "" && n != "0", fmt.Sprint(logged)
	})
	if _, fed := logged["feed /ko/videos/feed.rss"]; logged["embed "+partner] != "1" || !fed {
		t.Errorf("publication log: %v, want the embed on %s with one view and the feed", logged, partner)
	}
	var site, manual bool
	for k := range logged {
		site = site || strings.HasPrefix(k, "site ")
		manual = manual || strings.HasPrefix(k, "manual ")
	}
	if !site || !manual {
		t.Errorf("publication log: %v, want the site publication and the post recorded by hand", logged)
	}

	setOrigins("https://www.busan.go.kr\n" + host.URL)
	open(frame("&subtitles=ru&autoplay=1&loop=1"))
	waitInFrame(t, ctx, playing, "ru:3:true")

	// Off the list: the browser refuses to show the embed in the frame. The partner's page
	// loads (its load event waits for the frame), and the frame holds an error page, never
	// the player.
	setOrigins("https://www.busan.go.kr")
	open(frame("&subtitles=ru&autoplay=1&t=0"))
	waitEval(t, ctx, `document.readyState`, "complete")
	var blocked string
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		f := childFrame(t, ctx)
		if f != nil && f.UnreachableURL != "" {
			blocked = f.URL + " " + f.UnreachableURL
			break
		}
	}
	if !strings.HasPrefix(blocked, "chrome-error://") || !strings.Contains(blocked, "/embed/videos/"+link[2]) {
		t.Fatalf("the frame off the list was not blocked: %q", blocked)
	}
	if got, err := evalInFrame[bool](ctx, `document.querySelector("video") === null`); err != nil || !got {
		t.Errorf("the blocked frame has a player: %v %v", got, err)
	}

	// axe-core on the embed, on a phone and at 320 px wide, the transcript closed and open.
	embed := src + "&subtitles=ru"
	for _, width := range []int64{412, 320} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 640), chromedp.Navigate(embed), chromedp.WaitVisible(chromedp.ID("player"))); err != nil {
			t.Fatal(err)
		}
		waitEval(t, ctx, `String(document.getElementById("player").readyState >= 1)`, "true")
		runAxe(t, ctx, axe, fmt.Sprintf("embed at %d px", width))
		if got, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`)); !got {
			t.Errorf("the embed scrolls sideways at %d px", width)
		}
		// The transcript opens by keyboard, and a line of it seeks the video.
		err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS(".embed-transcript summary")), chromedp.KeyEvent("\r"))
		if err != nil {
			t.Fatal(err)
		}
		waitEval(t, ctx, `String(document.querySelector(".embed-transcript").open && document.querySelectorAll("#transcript button").length)`, "3")
		runAxe(t, ctx, axe, fmt.Sprintf("embed at %d px, transcript open", width))
		err = chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelectorAll("#transcript button")[1].focus()`), chromedp.KeyEvent("\r"))
		if err != nil {
			t.Fatal(err)
		}
		waitEval(t, ctx, `String(document.getElementById("player").currentTime > 0 && document.querySelectorAll("#transcript button")[1].getAttribute("aria-current") === "true")`, "true")
	}
	// The watch page's share panel: the embed code follows the choice of language and
	// subtitles, and the link can carry the playing time.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(412, 915), chromedp.Navigate(base+"/ko"+link[1]), chromedp.WaitVisible(chromedp.ID("share-embed"))); err != nil {
		t.Fatal(err)
	}
	_, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`(() => {
	  for (const [id, v] of [["share-embed-lang", "en"], ["share-embed-subtitles", "ru"]]) {
	    const s = document.getElementById(id); s.value = v; s.dispatchEvent(new Event("change"));
	  }
	  const v = document.getElementById("player"); v.currentTime = 1.2;
	  document.getElementById("share-at").click();
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	waitEval(t, ctx, `String(document.getElementById("share-embed").value.includes('src="`+base+`/embed/videos/`+link[2]+`?lang=en&amp;subtitles=ru"'))`, "true")
	waitEval(t, ctx, `document.getElementById("share-link").value`, base+"/ko"+link[1]+"?t=1s")
	runAxe(t, ctx, axe, "watch page")

	// The withdrawn card passes it too.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/embed/videos/999999?lang=ru"), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
		t.Fatal(err)
	}
	runAxe(t, ctx, axe, "not-found card")
}

// axeBundle installs axe-core with scripts/axe.sh (into .tools, never committed) and returns
// its source.
func axeBundle(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("bash", filepath.Join("..", "..", "scripts", "axe.sh")).Output()
	if err != nil {
		t.Fatalf("scripts/axe.sh: %v", err)
	}
	b, err := os.ReadFile(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// runAxe injects axe-core into the page and fails the test for each violation it reports.
func runAxe(t *testing.T, ctx context.Context, axe, what string) {
	t.Helper()
	runAxeWith(t, ctx, axe, what, "{}")
}

// runAxeWith is runAxe with axe.run's options, a JavaScript object.
func runAxeWith(t *testing.T, ctx context.Context, axe, what, options string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](axe)); err != nil {
		t.Fatalf("inject axe-core: %v", err)
	}
	rerunAxe(t, ctx, what, options)
}

// rerunAxe runs axe-core again in a page it was injected into, with axe.run's options.
func rerunAxe(t *testing.T, ctx context.Context, what, options string) {
	t.Helper()
	type violation struct {
		ID, Help string
		Nodes    []struct{ HTML string }
	}
	vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]violation](`axe.run(document, `+options+`).then((r) => r.violations.map((v) => ({
	  id: v.id, help: v.help, nodes: v.nodes.map((n) => ({ html: n.html })) })))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe.run: %v", err)
	}
	for _, v := range vs {
		var nodes []string
		for _, n := range v.Nodes {
			nodes = append(nodes, n.HTML)
		}
		t.Errorf("%s: axe %s: %s: %s", what, v.ID, v.Help, strings.Join(nodes, " | "))
	}
}

// waitEval evaluates expr in the page until it gives want.
func waitEval(t *testing.T, ctx context.Context, expr, want string) {
	t.Helper()
	var got string
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		var err error
		if got, err = chromedp.Run(ctx, chromedp.Evaluate[string](expr)); err == nil && got == want {
			return
		}
	}
	t.Fatalf("%s gives %q, want %q", strings.TrimSpace(expr), got, want)
}

// childFrame is the page's first frame, or nil while it has none.
func childFrame(t *testing.T, ctx context.Context) *cdp.Frame {
	t.Helper()
	tree, err := chromedp.Call(ctx, page.GetFrameTree, cdp.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	if tree.FrameTree == nil || len(tree.FrameTree.ChildFrames) == 0 {
		return nil
	}
	return tree.FrameTree.ChildFrames[0].Frame
}

// evalInFrame evaluates expr in the document of the page's first frame, which is of another
// origin than the page: in a world of the test's own, which sees the frame's DOM.
func evalInFrame[T any](ctx context.Context, expr string) (T, error) {
	var zero T
	tree, err := chromedp.Call(ctx, page.GetFrameTree, cdp.Empty{})
	if err != nil {
		return zero, err
	}
	if tree.FrameTree == nil || len(tree.FrameTree.ChildFrames) == 0 {
		return zero, fmt.Errorf("no frame yet")
	}
	w, err := chromedp.Call(ctx, page.CreateIsolatedWorld, page.CreateIsolatedWorldParams{
		FrameID: tree.FrameTree.ChildFrames[0].Frame.ID, WorldName: "embed-test"})
	if err != nil {
		return zero, err
	}
	return chromedp.Run(ctx, chromedp.Evaluate[T](expr, func(p *runtime.EvaluateParams) { p.ContextID = w.ExecutionContextID }))
}

// waitInFrame evaluates expr in the frame until it gives want.
func waitInFrame(t *testing.T, ctx context.Context, expr, want string) {
	t.Helper()
	var got string
	var err error
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if got, err = evalInFrame[string](ctx, expr); err == nil && got == want {
			return
		}
	}
	t.Fatalf("in the frame %s gives %q (%v), want %q", strings.TrimSpace(expr), got, err, want)
}
