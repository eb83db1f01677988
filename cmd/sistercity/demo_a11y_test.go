package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"sistercity/internal/web/webtest"
)

// wcagAxe runs axe-core on the rules of WCAG 2.0, 2.1 and 2.2 at levels A and AA only.
const wcagAxe = `{runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}}`

// TestDemoPagesValidAndAccessible takes every public page of the demo in Korean, Russian and
// English (home, video index, a video, a search with results and one without, a tag's videos,
// partner list, a partner page with its timeline, statistics, a call for messages, the
// not-found page) and the admin's main pages (dashboard, the registers' lists and forms,
// videos, tracks, translations, tags, settings, users, audit log, messages and their queue,
// reports): the Nu HTML checker finds no error in any of them, in one run over all, and
// axe-core finds no WCAG 2.2 A or AA violation at phone (390×844) and desktop (1280×800) size,
// in one Chromium.
func TestDemoPagesValidAndAccessible(t *testing.T) {
	t.Parallel()
	axe := axeBundle(t)
	vnu := vnuJar(t)
	base, stdout, stop := startServe(t, append(dbArgs(t), "--demo")...)
	defer stop()
	pw := regexp.MustCompile(`password: (\S+)`).FindStringSubmatch(stdout.String())
	if pw == nil {
		t.Fatal("no admin password printed")
	}
	jar, _ := cookiejar.New(nil)
	anon := &demoClient{t: t, base: base, c: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
	admin := &demoClient{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
	admin.signIn("admin", pw[1])

	// find gives the first match of re's group in the page at path.
	find := func(c *demoClient, path, re string) string {
		t.Helper()
		_, body := c.get(path)
		m := regexp.MustCompile(re).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("%s has no %s", path, re)
		}
		return m[1]
	}
	videoID := find(anon, "/en/videos", `href="/en/videos/(\d+)"`)
	partnerID := find(anon, "/en/partners", `href="/en/partners/(\d+)"[^>]*>Vladivostok<`)
	callID := find(anon, "/en/", `href="/en/messages/(\d+)"`)
	tag := find(anon, "/en/videos/"+videoID, `href="/en/videos\?tag=([^"]+)"`)
	searches := map[string]string{"ko": "블라디보스토크", "ru": "Владивосток", "en": "Vladivostok"}
	var public []string
	for _, lang := range []string{"ko", "ru", "en"} {
		p := "/" + lang + "/"
		public = append(public, p, p+"videos", p+"videos/"+videoID, p+"videos?q="+url.QueryEscape(searches[lang]),
			p+"videos?q=nothing-like-this", p+"videos?tag="+url.QueryEscape(tag), p+"partners", p+"partners/"+partnerID,
			p+"statistics", p+"messages/"+callID, p+"no/such/page")
	}
	cityID := find(admin, "/admin/cities", `href="/admin/cities/(\d+)"`)
	partnershipID := find(admin, "/admin/partnerships", `href="/admin/partnerships/(\d+)"`)
	activityID := find(admin, "/admin/activities", `href="/admin/activities/(\d+)"`)
	trackID := find(admin, "/admin/videos/"+videoID+"/tracks", `href="/admin/tracks/(\d+)/edit"`)
	adminPaths := []string{"/admin/", "/admin/dashboard", "/admin/cities", "/admin/cities/" + cityID, "/admin/cities/new",
		"/admin/partnerships", "/admin/partnerships/" + partnershipID, "/admin/partnerships/new",
		"/admin/activities", "/admin/activities/" + activityID, "/admin/activities/new", "/admin/milestones", "/admin/milestones/new",
		"/admin/videos", "/admin/videos/" + videoID, "/admin/videos/new", "/admin/videos/" + videoID + "/tracks",
		"/admin/tracks/" + trackID + "/edit", "/admin/translations", "/admin/tags", "/admin/settings", "/admin/settings/identity",
		"/admin/settings/workflow", "/admin/users", "/admin/audit", "/admin/messages", "/admin/messages/" + callID,
		"/admin/messages/" + callID + "/queue", "/admin/reports"}
	// The admin pages take turns in the three languages.
	var adminPages []string
	for i, p := range adminPaths {
		adminPages = append(adminPages, p+"?lang="+[]string{"ko", "ru", "en"}[i%3])
	}

	// The Nu HTML checker: each page's markup as served, in files, checked in one run that goes
	// on while the browser audits.
	dir := t.TempDir()
	files := map[string]string{} // file → URL path
	var args []string
	save := func(c *demoClient, path string) {
		status, body := c.get(path)
		if want := http.StatusOK; strings.HasSuffix(path, "/no/such/page") {
			want = http.StatusNotFound
			if status != want {
				t.Errorf("%s: %d, want %d", path, status, want)
			}
		} else if status != want {
			t.Errorf("%s: %d, want %d", path, status, want)
		}
		file := filepath.Join(dir, fmt.Sprintf("%03d.html", len(files)))
		if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		files[file] = path
		args = append(args, file)
	}
	for _, p := range public {
		save(anon, p)
	}
	for _, p := range adminPages {
		save(admin, p)
	}
	cmd := exec.Command("java", append([]string{"-jar", vnu, "--errors-only", "--format", "json"}, args...)...)
	var vnuOut strings.Builder
	cmd.Stderr = &vnuOut
	vnuStart := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the Nu HTML checker: %v", err)
	}
	vnuDone := make(chan error, 1)
	var vnuTime time.Duration
	go func() {
		err := cmd.Wait()
		vnuTime = time.Since(vnuStart)
		vnuDone <- err
	}()

	// axe-core, in one browser: the public pages, then the admin's once signed in there.
	start := time.Now()
	ctx := webtest.Browser(t)
	sizes := []struct {
		w, h   int64
		mobile bool
	}{{390, 844, true}, {1280, 800, false}}
	// Each page is loaded once and audited at both sizes: the viewport changes under it.
	audit := func(pages []string) {
		for _, p := range pages {
			if err := chromedp.Do(ctx, chromedp.Navigate(base+p), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
				t.Fatalf("open %s: %v", p, err)
			}
			for i, size := range sizes {
				opts := []chromedp.EmulateViewportOption{}
				if size.mobile {
					opts = append(opts, chromedp.EmulateMobile)
				}
				if err := chromedp.Do(ctx, chromedp.EmulateViewport(size.w, size.h, opts...)); err != nil {
					t.Fatal(err)
				}
				what := fmt.Sprintf("%s at %dx%d", p, size.w, size.h)
				if i == 0 {
					runAxeWith(t, ctx, axe, what, wcagAxe)
				} else {
					rerunAxe(t, ctx, what, wcagAxe)
				}
			}
		}
	}
	audit(public)
	webtest.SignIn(t, ctx, base+"/admin/sign-in", "admin", pw[1])
	audit(adminPages)
	axeTime := time.Since(start)

	// The checker exits with 1 when it finds an error; its report says which.
	if err := <-vnuDone; err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("the Nu HTML checker: %v", err)
		}
	}
	var report struct {
		Messages []struct {
			Type, URL, Message string
			LastLine           int
		}
	}
	if err := json.Unmarshal([]byte(vnuOut.String()), &report); err != nil {
		t.Fatalf("the Nu HTML checker's report: %v\n%s", err, vnuOut.String())
	}
	for _, m := range report.Messages {
		file := strings.TrimPrefix(m.URL, "file:")
		t.Errorf("Nu HTML checker: %s (%s) line %d: %s: %s", files[file], filepath.Base(file), m.LastLine, m.Type, m.Message)
	}
	t.Logf("Nu HTML checker: %d pages, done %s after it started; axe-core: %d pages at %d sizes in %s",
		len(files), vnuTime.Round(time.Second), len(public)+len(adminPages), len(sizes), axeTime.Round(time.Second))
}

// vnuJar installs the Nu HTML checker with scripts/vnu.sh (into .tools, never committed, with
// Java if missing) and returns the path of its jar.
func vnuJar(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("bash", filepath.Join("..", "..", "scripts", "vnu.sh")).Output()
	if err != nil {
		t.Fatalf("scripts/vnu.sh: %v", err)
	}
	return strings.TrimSpace(string(out))
}
