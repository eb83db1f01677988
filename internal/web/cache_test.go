package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/andybalholm/brotli"

	"sistercity/internal/auth"
	"sistercity/internal/fed"
	"sistercity/internal/identity"
	"sistercity/internal/media"
	"sistercity/internal/outbox"
	"sistercity/internal/track"
	"sistercity/internal/video"
)

// publicFixture is a site with something on every public page: two partners, a published video
// with an approved track.
type publicFixture struct {
	e         *testEnv
	vlad, spb int64 // partner city IDs
	video     *video.Video
	track     *track.Track
	editor    *client
	// call and callMessage: a call for citizens' messages with an approved photo message
	// (messages_test.go), made on first use.
	call, callMessage int64
}

func newPublicFixture(t *testing.T) *publicFixture {
	e := newTestEnv(t)
	_, vlad, p := seedVladivostok(t, e)
	f := &publicFixture{e: e, vlad: vlad.ID}
	f.video = seedVideo(t, e, p, video.StatePublished, ruOnly)
	lines := []string{"Дорогие жители Пусана!"}
	for i := range 40 {
		lines = append(lines, fmt.Sprintf("Строка %d: мы с вами.", i))
	}
	f.track = addTrack(t, e, f.video.ID, "ru", track.StatusApproved, true, lines...)
	// Its burned-in version, which the public site offers for download.
	ctx := context.Background()
	e.inTx(func(tx *sql.Tx) error { return track.RequestBurn(ctx, tx, e.queue, f.track, fixedNow) })
	burn := track.BurnDeps{DB: e.db, Store: e.srv.docs, WorkDir: t.TempDir(), Encoder: media.X264{Preset: "ultrafast"}}
	if err := track.BurnVersion(ctx, burn, f.track.ID); err != nil {
		t.Fatal(err)
	}
	got, err := track.Get(ctx, e.db.R, f.track.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.track = got
	f.editor = e.userClient(auth.RoleEditor)
	resp, _ := f.editor.post("/admin/cities", stPetersburgForm())
	f.spb = idFrom(t, resp)
	if resp, body := f.editor.post("/admin/partnerships", partnershipValues(f.spb)); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("partnership: %d\n%s", resp.StatusCode, body)
	}
	return f
}

// setLogo gives the site a logo, so that /site/logo has one to serve.
func (f *publicFixture) setLogo(t *testing.T) {
	t.Helper()
	logo, err := identity.CheckImage(identity.KindLogo, testPNG(t, 64, 32))
	if err != nil {
		t.Fatal(err)
	}
	f.e.inTx(func(tx *sql.Tx) error { return identity.SaveAsset(context.Background(), tx, identity.KindLogo, logo) })
}

// publicURLs lists a concrete URL for every public GET route of the route table, so a route
// added later without an entry here fails the test.
func (f *publicFixture) publicURLs(t *testing.T) []string {
	t.Helper()
	id := func(n int64) string { return itoa64(n) }
	var urls []string
	for _, rt := range f.e.srv.routes {
		method, pattern, _ := strings.Cut(rt.pattern, " ")
		if rt.role != "" || method != "GET" || strings.HasPrefix(pattern, "/admin/") {
			continue
		}
		lang, rest, _ := strings.Cut(strings.TrimPrefix(pattern, "/"), "/")
		var us []string
		switch {
		case pattern == "/{$}":
			us = []string{"/"}
		case pattern == "/healthz", pattern == "/robots.txt", pattern == "/sitemap.xml", pattern == "/site/theme.css", pattern == "/site/header",
			pattern == "/site/favicon", pattern == fed.OutboxPath:
			us = []string{pattern}
		case pattern == "/site/logo":
			f.setLogo(t)
			us = []string{pattern}
		case pattern == "/.well-known/webfinger", pattern == "/.well-known/host-meta", pattern == "/.well-known/nodeinfo",
			pattern == "/nodeinfo/2.1", pattern == fed.ActorPath, pattern == fed.ChannelPath, pattern == fed.AccountPath,
			pattern == fed.FollowersPath, pattern == fed.ChannelFollowersPath, pattern == fed.AccountFollowersPath, pattern == fed.FollowingPath:
			if f.e.srv.fed != nil {
				t.Fatalf("federation is on in this fixture: give %s a URL", pattern)
			}
			continue // 404 while federation is off, as here (no --base-url); fed_test.go has them on
		case pattern == "/media/partners/{file}", rest == "partner-videos/{id}":
			if f.e.srv.portal != nil {
				t.Fatalf("federation is on in this fixture: give %s a URL", pattern)
			}
			continue // partner videos come by federation: portals_test.go has them
		case pattern == "/ap/videos/{id}":
			us = []string{"/ap/videos/" + id(f.video.ID)}
		case pattern == "/ap/videos/{id}/activities/{n}":
			o, err := outbox.Get(context.Background(), f.e.db.R, f.video.ID)
			if err != nil {
				t.Fatal(err)
			}
			us = []string{"/ap/videos/" + id(f.video.ID) + "/activities/" + id(o.Last.ID)}
		case pattern == "/static/{file...}":
			us = []string{staticURL("style.css"), "/static/style.css", staticURL("video.js")}
		case pattern == "/media/videos/{id}/{file}":
			us = []string{mediaURL(f.video.ThumbnailKey), mediaURL(f.video.Renditions[0].Key), mediaURL(f.video.Renditions[0].HLSKey)}
		case pattern == "/media/videos/{id}/master.m3u8":
			us = []string{hlsMasterURL(f.video, "ru")}
		case pattern == "/media/tracks/{file}":
			us = []string{trackURL(f.track), trackPlaylistURL(f.track)}
		case pattern == "/media/versions/{file}":
			us = []string{versionURL(f.track.ID)}
		case pattern == "/embed/videos/{id}":
			us = []string{"/embed/videos/" + id(f.video.ID), "/embed/videos/" + id(f.video.ID) + "?lang=ru&subtitles=ru&t=1&autoplay=1"}
		case pattern == "/oembed":
			us = []string{"/oembed?url=" + url.QueryEscape(f.e.ts.URL+"/ru/videos/"+id(f.video.ID)), "/oembed?format=xml&url=" +
				url.QueryEscape(f.e.ts.URL+"/embed/videos/"+id(f.video.ID))}
		case rest == "{$}":
			us = []string{"/" + lang + "/"}
		case rest == "partners":
			us = []string{"/" + lang + "/partners"}
		case rest == "partners/{id}":
			us = []string{"/" + lang + "/partners/" + id(f.vlad), "/" + lang + "/partners/" + id(f.spb)}
		case rest == "partners/{id}/calendar.ics":
			us = []string{"/" + lang + "/partners/" + id(f.vlad) + "/calendar.ics"}
		case rest == "calendar.ics", rest == "statistics", rest == "videos":
			us = []string{"/" + lang + "/" + rest}
		case rest == "statistics/{file}":
			for _, name := range statTables {
				us = append(us, "/"+lang+"/statistics/"+name+".csv")
			}
		case rest == "videos/{id}":
			us = []string{"/" + lang + "/videos/" + id(f.video.ID)}
		case strings.HasPrefix(pattern, "/videos/feed."):
			us = []string{pattern}
		case strings.HasPrefix(rest, "videos/feed."), rest == "timeline.atom":
			us = []string{"/" + lang + "/" + rest}
		case strings.HasPrefix(rest, "videos/tags/{tag}/feed."):
			us = []string{"/" + lang + "/" + strings.Replace(rest, "{tag}", "support", 1)}
		case strings.HasPrefix(rest, "partners/{id}/videos."), rest == "partners/{id}/timeline.atom":
			us = []string{"/" + lang + "/" + strings.Replace(rest, "{id}", id(f.vlad), 1)}
		case rest == "messages/{id}", rest == "messages/{id}/calendar.ics":
			call, _ := f.messageCall(t)
			us = []string{"/" + lang + "/" + strings.Replace(rest, "{id}", id(call), 1)}
		case rest == "messages/{id}/photos/{msg}":
			call, msg := f.messageCall(t)
			us = []string{"/" + lang + "/messages/" + id(call) + "/photos/" + id(msg)}
		case rest == "messages/{id}/videos/{msg}":
			call, msg := f.messageCall(t)
			us = []string{"/" + lang + "/messages/" + id(call) + "/videos/" + id(msg)}
		case rest == "messages/{id}/send", rest == "messages/{id}/status/{token}":
			// Forms a visitor posts, like the sign-in form: they carry the anonymous CSRF
			// token, whose cookie is scoped to the call's pages (TestMessagesFormCookie).
			continue
		default:
			t.Fatalf("public route %s has no URL in this test", rt.pattern)
		}
		urls = append(urls, us...)
	}
	return urls
}

// TestAnonymousVisitorsMakeNoSessions floods every public route with anonymous requests: no
// session row is read into being or written, no answer sets a cookie, and the public pages are
// cacheable. Requests with forged or garbage session cookies, and hostile validators and
// Accept-Encoding headers, are served the same way.
func TestAnonymousVisitorsMakeNoSessions(t *testing.T) {
	t.Parallel()
	f := newPublicFixture(t)
	e := f.e
	urls := f.publicURLs(t)
	sessionsBefore := e.countRows("sessions")
	if sessionsBefore != 1 { // the editor's
		t.Fatalf("sessions before: %d", sessionsBefore)
	}
	forged := []string{"", "", "garbage", strings.Repeat("A", 43), "not base64 at all, but forty-three chars..", strings.Repeat("x", 3000)}
	hostile := []map[string]string{
		{},
		{"If-None-Match": strings.Repeat(`W/"0123456789abcdef", `, 2000)},
		{"If-None-Match": `"unterminated, W/, ,,,, "`, "If-Modified-Since": "yesterday-ish"},
		{"Accept-Encoding": strings.Repeat("x-unknown;q=0.5, br;q=nonsense, ", 300) + "gzip"},
		{"Accept-Encoding": "br;q=1;q=2, *;q=0"},
	}
	// 10,000 requests; under the race detector, which makes every query of the embedded SQLite
	// many times slower, a tenth of them (scripts/test.sh also runs the full flood without it).
	total := 10000
	if raceEnabled {
		total = 1000
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var problems []string
	work := make(chan int)
	tr := &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 8}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				u := urls[i%len(urls)]
				req, _ := http.NewRequest("GET", e.ts.URL+u, nil)
				if c := forged[i%len(forged)]; c != "" {
					req.AddCookie(&http.Cookie{Name: "sistercity_session", Value: c})
				}
				for k, v := range hostile[(i/len(urls))%len(hostile)] {
					req.Header.Set(k, v)
				}
				resp, err := hc.Do(req)
				if err != nil {
					mu.Lock()
					problems = append(problems, fmt.Sprintf("%s: %v", u, err))
					mu.Unlock()
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				var bad string
				switch {
				case resp.StatusCode >= 500 || (resp.StatusCode >= 400 && resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge):
					bad = fmt.Sprintf("status %d", resp.StatusCode)
				case len(resp.Header.Values("Set-Cookie")) > 0:
					bad = fmt.Sprintf("Set-Cookie %q", resp.Header.Values("Set-Cookie"))
				case strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") && resp.StatusCode == http.StatusOK &&
					(!strings.HasPrefix(resp.Header.Get("Cache-Control"), "public, max-age=") || resp.Header.Get("ETag") == "" ||
						resp.Header.Get("Last-Modified") == "" || strings.Contains(resp.Header.Get("Vary"), "Cookie")):
					bad = fmt.Sprintf("public page headers %v", resp.Header)
				}
				if bad != "" {
					mu.Lock()
					if len(problems) < 20 {
						problems = append(problems, u+": "+bad)
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := range total {
		work <- i
	}
	close(work)
	wg.Wait()
	if len(problems) > 0 {
		t.Fatalf("%d requests over %d public URLs:\n%s", total, len(urls), strings.Join(problems, "\n"))
	}
	if n := e.countRows("sessions"); n != sessionsBefore {
		t.Fatalf("sessions after %d anonymous requests: %d, want %d", total, n, sessionsBefore)
	}
}

// TestSignInFormNeedsNoSession: the sign-in form is protected by a signed double-submit token
// without a session; a missing, forged, expired or another visitor's token is refused.
func TestSignInFormNeedsNoSession(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	e.inTx(func(tx *sql.Tx) error {
		_, err := auth.CreateUser(context.Background(), tx, "ana", "", testPassword, auth.RoleViewer)
		return err
	})
	a, b := e.client(), e.client()
	tokenA, tokenB := a.csrf(), b.csrf()
	if n := e.countRows("sessions"); n != 0 {
		t.Fatalf("the sign-in form made %d sessions", n)
	}
	if tokenA == tokenB {
		t.Fatal("two visitors got the same token")
	}
	// A second look at the form reuses the visitor's nonce: no new cookie.
	if resp, _ := a.get("/admin/sign-in"); len(resp.Header.Values("Set-Cookie")) != 0 || resp.Header.Get("Cache-Control") != privateNoStore {
		t.Fatalf("second sign-in form: %v", resp.Header)
	}
	form := func(token string) url.Values {
		v := url.Values{"username": {"ana"}, "password": {testPassword}}
		if token != "" {
			v.Set("csrf_token", token)
		}
		return v
	}
	expired := func() string {
		old := e.srv.now
		e.srv.now = func() time.Time { return fixedNow.Add(-csrfTokenLife - time.Minute) }
		defer func() { e.srv.now = old }()
		req := httptest.NewRequest("GET", "/", nil)
		for _, c := range a.http.Jar.Cookies(mustURL(t, e.ts.URL+"/admin/sign-in")) {
			req.AddCookie(c)
		}
		return e.srv.anonCSRFToken(csrfNonce(req))
	}()
	for name, token := range map[string]string{
		"missing": "", "forged": "forged-token", "garbage base64": strings.Repeat("A", len(tokenA)),
		"another visitor's": tokenB, "expired": expired,
	} {
		resp, body := a.do("POST", "/admin/sign-in", strings.NewReader(form(token).Encode()), "application/x-www-form-urlencoded")
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "The form expired") {
			t.Errorf("%s token: %d, want 403", name, resp.StatusCode)
		}
	}
	// Without the cookie the token is worthless too.
	bare := &client{e: e, http: &http.Client{CheckRedirect: a.http.CheckRedirect}}
	if resp, _ := bare.do("POST", "/admin/sign-in", strings.NewReader(form(tokenA).Encode()), "application/x-www-form-urlencoded"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("token without its cookie: %d, want 403", resp.StatusCode)
	}
	if n := e.countRows("sessions"); n != 0 {
		t.Fatalf("refused sign-ins made %d sessions", n)
	}
	resp, _ := a.do("POST", "/admin/sign-in", strings.NewReader(form(tokenA).Encode()), "application/x-www-form-urlencoded")
	if resp.StatusCode != http.StatusSeeOther || e.countRows("sessions") != 1 {
		t.Fatalf("sign-in with the right token: %d, %d sessions", resp.StatusCode, e.countRows("sessions"))
	}
	// Signed in, public pages are private.
	resp, _ = a.get("/en/partners")
	if resp.Header.Get("Cache-Control") != privateNoStore || resp.Header.Get("ETag") != "" {
		t.Fatalf("public page for a signed-in user: %v", resp.Header)
	}
}

// TestAnonymousSessionOfEarlierVersionIsEnded: a session without a user, as earlier versions made
// for every visitor, is deleted on its next request and its cookie cleared.
func TestAnonymousSessionOfEarlierVersionIsEnded(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx, err := e.srv.sessions.Load(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	e.srv.sessions.Put(ctx, "csrf", "old")
	token, _, err := e.srv.sessions.Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if e.countRows("sessions") != 1 {
		t.Fatal("no legacy session")
	}
	req, _ := http.NewRequest("GET", e.ts.URL+"/en/partners", nil)
	req.AddCookie(&http.Cookie{Name: "sistercity_session", Value: token})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || e.countRows("sessions") != 0 ||
		!strings.Contains(strings.Join(resp.Header.Values("Set-Cookie"), ";"), "Max-Age=0") ||
		resp.Header.Get("Cache-Control") != privateNoStore {
		t.Fatalf("legacy session: %d, %d rows, %v", resp.StatusCode, e.countRows("sessions"), resp.Header)
	}
}

// TestPublicPagesRevalidate: a repeated request with the ETag or the Last-Modified gets 304, and
// an edit in the admin changes the ETag of the pages that show it and of no other.
func TestPublicPagesRevalidate(t *testing.T) {
	t.Parallel()
	f := newPublicFixture(t)
	e := f.e
	anon := e.client()
	pages := map[string]string{
		"spb":      "/en/partners/" + itoa64(f.spb),
		"vlad":     "/en/partners/" + itoa64(f.vlad),
		"watch":    "/en/videos/" + itoa64(f.video.ID),
		"videos":   "/ko/videos",
		"spb (ko)": "/ko/partners/" + itoa64(f.spb),
	}
	etags := map[string]string{}
	for name, u := range pages {
		resp, _ := anon.get(u)
		etag, mod := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(etag, `W/"`) || mod == "" ||
			resp.Header.Get("Cache-Control") != "public, max-age=60" {
			t.Fatalf("%s: %d %v", name, resp.StatusCode, resp.Header)
		}
		etags[name] = etag
		for _, h := range []map[string]string{{"If-None-Match": etag}, {"If-None-Match": `"other", ` + etag}, {"If-Modified-Since": mod}} {
			resp, body := anon.getWith(u, h)
			if resp.StatusCode != http.StatusNotModified || body != "" || resp.Header.Get("ETag") != etag {
				t.Fatalf("%s with %v: %d, want 304", name, h, resp.StatusCode)
			}
		}
		if resp, _ := anon.getWith(u, map[string]string{"If-None-Match": `W/"0000000000000000"`}); resp.StatusCode != http.StatusOK {
			t.Fatalf("%s with another ETag: %d, want 200", name, resp.StatusCode)
		}
	}
	// The admin stays private.
	if resp, _ := f.editor.get("/admin/cities/" + itoa64(f.spb)); resp.Header.Get("Cache-Control") != privateNoStore || resp.Header.Get("ETag") != "" {
		t.Fatalf("admin page: %v", resp.Header)
	}

	// An edit of Saint Petersburg's English description.
	resp, body := f.editor.post("/admin/cities/"+itoa64(f.spb), with(stPetersburgForm(), "version", "1", "description_en", "The Venice of the North."))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d\n%s", resp.StatusCode, body)
	}
	for name, u := range pages {
		resp, body := anon.getWith(u, map[string]string{"If-None-Match": etags[name]})
		// The Korean page shows the English description too, having none of its own.
		changed := name == "spb" || name == "spb (ko)"
		switch {
		case changed && (resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") == etags[name] || !strings.Contains(body, "The Venice of the North.")):
			t.Errorf("%s after the edit: %d, ETag %s (was %s)", name, resp.StatusCode, resp.Header.Get("ETag"), etags[name])
		case !changed && resp.StatusCode != http.StatusNotModified:
			t.Errorf("%s does not show the edit, yet: %d, ETag %s (was %s)", name, resp.StatusCode, resp.Header.Get("ETag"), etags[name])
		}
	}
	// Its Last-Modified moved on, so a client that only has the date gets the new page too.
	resp, _ = anon.get(pages["spb"])
	if r2, _ := anon.getWith(pages["spb"], map[string]string{"If-Modified-Since": resp.Header.Get("Last-Modified")}); r2.StatusCode != http.StatusNotModified {
		t.Errorf("new Last-Modified: %d", r2.StatusCode)
	}
}

func (c *client) getWith(path string, h map[string]string) (*http.Response, string) {
	c.e.t.Helper()
	req, err := http.NewRequest("GET", c.e.ts.URL+path, nil)
	if err != nil {
		c.e.t.Fatal(err)
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestLastModifiedIsBounded(t *testing.T) {
	t.Parallel()
	var l lastModified
	for i := range 3 * lastModifiedKeys {
		l.at(fmt.Sprintf("/en/partners?page=%d", i), uint64(i), fixedNow)
	}
	if len(l.m) > lastModifiedKeys {
		t.Fatalf("%d URLs remembered, bound %d", len(l.m), lastModifiedKeys)
	}
	long := "/en/?" + strings.Repeat("x", lastModifiedKeyLen)
	l.at(long, 1, fixedNow)
	if _, ok := l.m[long]; ok {
		t.Fatal("a long URL was remembered")
	}
	// A change within the same second still moves the time on.
	a := l.at("/en/", 1, fixedNow)
	b := l.at("/en/", 2, fixedNow)
	if !b.After(a) || l.at("/en/", 2, fixedNow.Add(time.Hour)) != b {
		t.Fatalf("times %v %v", a, b)
	}
}

func TestNegotiateCoding(t *testing.T) {
	t.Parallel()
	for header, want := range map[string]contentCoding{
		"":                                codingIdentity,
		"identity":                        codingIdentity,
		"gzip":                            codingGzip,
		"GZIP":                            codingGzip,
		"x-gzip":                          codingGzip,
		"gzip, deflate, br, zstd":         codingBrotli,
		"br;q=0.5, gzip":                  codingGzip,
		"br;q=0, gzip;q=0":                codingIdentity,
		"*":                               codingBrotli,
		"*;q=0.5, br;q=0":                 codingGzip,
		"gzip;q=0.3, br;q=0.3":            codingBrotli,
		"br;q=2, gzip":                    codingGzip, // a q-value out of range is ignored
		"br;q=abc":                        codingIdentity,
		"deflate, compress":               codingIdentity,
		strings.Repeat(",", 5000):         codingIdentity,
		strings.Repeat("a, ", 999) + "br": codingBrotli,
	} {
		if got := negotiateCoding(header); got != want {
			t.Errorf("%.40q: %v, want %v", header, got, want)
		}
	}
}

// TestCompression: pages, scripts and styles go out in the best coding the client accepts,
// static files from memory under content-hashed names; media never.
func TestCompression(t *testing.T) {
	t.Parallel()
	f := newPublicFixture(t)
	e := f.e
	raw := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	get := func(u string, h map[string]string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", e.ts.URL+u, nil)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		resp, err := raw.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	decode := func(coding string, b []byte) []byte {
		t.Helper()
		var r io.Reader
		switch coding {
		case "br":
			r = brotli.NewReader(bytes.NewReader(b))
		case "gzip":
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			r = zr
		default:
			return b
		}
		out, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("%s: %v", coding, err)
		}
		return out
	}
	for _, u := range []string{"/ru/partners/" + itoa64(f.vlad), staticURL("style.css"), "/static/cue-editor.js", trackURL(f.track),
		"/ru/calendar.ics"} {
		_, plain := get(u, nil)
		for ae, want := range map[string]string{"br": "br", "gzip, br;q=0.9": "gzip", "br;q=0, gzip;q=0": "", "zstd": ""} {
			resp, b := get(u, map[string]string{"Accept-Encoding": ae})
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != want ||
				!strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
				t.Errorf("%s with %q: %d, Content-Encoding %q, Vary %q", u, ae, resp.StatusCode, resp.Header.Get("Content-Encoding"), resp.Header.Get("Vary"))
				continue
			}
			if want != "" && len(b) >= len(plain) {
				t.Errorf("%s in %s: %d bytes, plain %d", u, want, len(b), len(plain))
			}
			if got := decode(want, b); !bytes.Equal(got, plain) {
				t.Errorf("%s in %s decodes to other bytes", u, want)
			}
		}
	}

	// Static files: hashed names are immutable; plain and stale names still work.
	style := staticURL("style.css")
	if !strings.HasPrefix(style, "/static/style.") || style == "/static/style.css" {
		t.Fatalf("static URL %s", style)
	}
	if _, body := e.client().get("/en/"); !strings.Contains(body, `href="`+style+`"`) {
		t.Error("the layout does not link the hashed stylesheet")
	}
	for u, cc := range map[string]string{style: "public, max-age=31536000, immutable", "/static/style.css": staticShortLived,
		"/static/style.0123456789.css": staticShortLived} {
		resp, b := get(u, map[string]string{"Accept-Encoding": "gzip"})
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != cc || resp.Header.Get("Content-Type") != "text/css; charset=utf-8" ||
			!bytes.Contains(decode("gzip", b), []byte("{")) {
			t.Errorf("%s: %d %v", u, resp.StatusCode, resp.Header)
		}
		if r2, _ := get(u, map[string]string{"Accept-Encoding": "gzip", "If-None-Match": resp.Header.Get("ETag")}); r2.StatusCode != http.StatusNotModified {
			t.Errorf("%s revalidated: %d", u, r2.StatusCode)
		}
	}
	if resp, _ := get("/static/nothing.0123456789.css", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown static file: %d", resp.StatusCode)
	}

	// Media: never compressed, ranges intact.
	for _, u := range []string{mediaURL(f.video.Renditions[0].Key), mediaURL(f.video.ThumbnailKey)} {
		for _, h := range []map[string]string{{"Accept-Encoding": "gzip, br"}, {"Accept-Encoding": "gzip, br", "Range": "bytes=0-99"}} {
			resp, b := get(u, h)
			if resp.Header.Get("Content-Encoding") != "" || (resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusPartialContent) ||
				(h["Range"] != "" && len(b) != 100) {
				t.Errorf("%s %v: %d, %d bytes, %v", u, h, resp.StatusCode, len(b), resp.Header)
			}
		}
	}
	// A strong validator made weak when compressed still revalidates.
	resp, _ := get(trackURL(f.track), map[string]string{"Accept-Encoding": "gzip"})
	if etag := resp.Header.Get("ETag"); !strings.HasPrefix(etag, "W/") {
		t.Errorf("compressed track ETag %q", etag)
	} else if r2, _ := get(trackURL(f.track), map[string]string{"Accept-Encoding": "gzip", "If-None-Match": etag}); r2.StatusCode != http.StatusNotModified {
		t.Errorf("compressed track revalidated: %d", r2.StatusCode)
	}
}
