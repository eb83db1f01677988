package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"

	"sistercity/internal/auth"
	"sistercity/internal/i18n"
	"sistercity/internal/media"
	"sistercity/internal/publish"
	"sistercity/internal/track"
	"sistercity/internal/video"
)

// seedEmbedVideo makes a published video with approved Korean, Russian and English tracks, Korean
// the default, as the demo's support video has.
func seedEmbedVideo(t *testing.T, e *testEnv) *video.Video {
	t.Helper()
	_, _, p := seedVladivostok(t, e)
	v := seedVideo(t, e, p, video.StatePublished, ruOnly, video.Text{Lang: "ko", Title: "부산·블라디보스토크 코로나19 극복 응원 영상"})
	addTrack(t, e, v.ID, "ko", track.StatusApproved, true, "부산 시민 여러분, 안녕하세요!", "블라디보스토크가 부산을 응원합니다.")
	addTrack(t, e, v.ID, "ru", track.StatusApproved, false, "Здравствуйте, жители Пусана!", "Владивосток поддерживает Пусан.")
	addTrack(t, e, v.ID, "en", track.StatusApproved, false, "Hello, people of Busan!", "Vladivostok stands with Busan.")
	return v
}

// setState moves v to state through the workflow.
func setState(t *testing.T, e *testEnv, id int64, states ...string) {
	t.Helper()
	ctx := context.Background()
	e.inTx(func(tx *sql.Tx) error {
		v, err := video.Get(ctx, tx, id)
		if err != nil {
			return err
		}
		for _, st := range states {
			if err := video.SetState(ctx, tx, v, st, fixedNow); err != nil {
				return err
			}
		}
		return nil
	})
}

var defaultTrackRe = regexp.MustCompile(`<track kind="subtitles" src="[^"]+" srclang="([a-z-]+)" label="[^"]*" data-track-id="\d+" default>`)

// defaultTrack is the language of the page's preselected track, or "".
func defaultTrack(body string) string {
	if m := defaultTrackRe.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}

// TestEmbedPage checks the embeddable player and its parameters over HTTP: the tracks, the
// preselected one, the start time, autoplay and loop, the interface language and its fallback,
// the beacon's attributes, the frame-ancestors of the default (anywhere), its weight, its
// caching, and the cards of a withdrawn and an unknown video.
func TestEmbedPage(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	v := seedEmbedVideo(t, e)
	c := e.client()
	base := "/embed/videos/" + itoa64(v.ID)

	resp, body := c.get(base + "?lang=ru&subtitles=ru")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("embed: %d\n%s", resp.StatusCode, body)
	}
	h := resp.Header
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors *") || h.Get("X-Frame-Options") != "" {
		t.Errorf("embed may not be framed anywhere: CSP %q, X-Frame-Options %q", csp, h.Get("X-Frame-Options"))
	}
	if !strings.HasPrefix(h.Get("Cache-Control"), "public") || h.Get("ETag") == "" || h.Get("Set-Cookie") != "" {
		t.Errorf("embed not cacheable: %q %q %q", h.Get("Cache-Control"), h.Get("ETag"), h.Get("Set-Cookie"))
	}
	if n := strings.Count(body, "<track "); n != 3 {
		t.Errorf("embed has %d tracks, want 3", n)
	}
	for _, want := range []string{`<html lang="ru">`, `data-beacon-video="` + itoa64(v.ID) + `" data-beacon-channel="embed"`,
		`id="transcript"`, `lang="ru"`, "Владивосток поддерживает Пусан.", `<details class="embed-transcript">`, `data-explicit`,
		`href="http://` + strings.TrimPrefix(e.ts.URL, "http://") + `/ru/videos/` + itoa64(v.ID) + `"`} {
		if !strings.Contains(body, want) {
			t.Errorf("embed lacks %q", want)
		}
	}
	if strings.Contains(body, "site-header") || strings.Contains(body, "site-footer") || strings.Contains(body, "autoplay") {
		t.Errorf("embed has the site's chrome or plays by itself")
	}
	if got := defaultTrack(body); got != "ru" {
		t.Errorf("subtitles=ru preselects %q", got)
	}
	// The page with what it loads before the video: well under 60 KB.
	total := len(body)
	for _, m := range regexp.MustCompile(`(?:href|src)="(/static/[^"]+)"`).FindAllStringSubmatch(body, -1) {
		_, b := c.get(m[1])
		total += len(b)
	}
	if total > 60<<10 {
		t.Errorf("embed weighs %d bytes before the video", total)
	}

	// A second request with the ETag: 304.
	req, _ := http.NewRequest("GET", e.ts.URL+base+"?lang=ru&subtitles=ru", nil)
	req.Header.Set("If-None-Match", h.Get("ETag"))
	if r2, err := http.DefaultClient.Do(req); err != nil || r2.StatusCode != http.StatusNotModified {
		t.Errorf("conditional embed: %v %v", r2, err)
	} else {
		r2.Body.Close()
	}

	for _, tc := range []struct {
		query, lang, track string
		has, lacks         []string
	}{
		{"?lang=en", "en", "en", []string{`data-beacon-channel="embed"`}, []string{"data-explicit", "#t="}},
		{"?lang=ko&subtitles=off", "ko", "", []string{"data-explicit"}, nil},
		{"?lang=ru&subtitles=ru-RU", "ru", "ru", nil, nil},
		{"?lang=en&subtitles=ja", "en", "en", nil, []string{"data-explicit"}},
		{"?lang=en&subtitles=" + strings.Repeat("x", 200), "en", "en", nil, nil},
		{"?lang=en&subtitles=%3Cscript%3E", "en", "en", nil, []string{"<script>"}},
		{"?lang=xx", i18n.DefaultLang, i18n.DefaultLang, nil, nil}, // the browser's language, here none: the default
		{"?lang=ru-RU", "ru", "ru", nil, nil},
		{"?lang=en&t=1", "en", "en", []string{`.mp4#t=1"`}, nil},
		{"?lang=en&t=0m1s", "en", "en", []string{`.mp4#t=1"`}, nil},
		{"?lang=en&t=1.5", "en", "en", []string{`.mp4#t=1.5"`}, nil},
		{"?lang=en&t=1m30s", "en", "en", nil, []string{"#t="}}, // past the 2 s video: from the start
		{"?lang=en&t=-3", "en", "en", nil, []string{"#t="}},
		{"?lang=en&t=abc", "en", "en", nil, []string{"#t="}},
		{"?lang=en&autoplay=1&loop=1", "en", "en", []string{" autoplay muted loop "}, nil},
		{"?lang=en&autoplay=0&loop=no", "en", "en", nil, []string{"autoplay", " loop"}},
	} {
		resp, body := c.get(base + tc.query)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", tc.query, resp.StatusCode)
			continue
		}
		if !strings.Contains(body, `<html lang="`+tc.lang+`">`) {
			t.Errorf("%s: interface not in %s", tc.query, tc.lang)
		}
		if got := defaultTrack(body); got != tc.track {
			t.Errorf("%s: preselected %q, want %q", tc.query, got, tc.track)
		}
		for _, s := range tc.has {
			if !strings.Contains(body, s) {
				t.Errorf("%s: lacks %q", tc.query, s)
			}
		}
		for _, s := range tc.lacks {
			if strings.Contains(body, s) {
				t.Errorf("%s: has %q", tc.query, s)
			}
		}
	}
	// Without lang the browser's language is used, and the answer says it varies with it.
	c.lang = "ru"
	resp, body = c.get(base)
	if !strings.Contains(body, `<html lang="ru">`) || defaultTrack(body) != "ru" || !strings.Contains(resp.Header.Get("Vary"), "Accept-Language") {
		t.Errorf("embed without lang for a Russian browser: %q, Vary %q", defaultTrack(body), resp.Header.Get("Vary"))
	}
	c.lang = ""

	// Unknown, malformed and unpublished videos: the not-found card, which may be framed too.
	draft := seedVideo(t, e, nil, video.StateDraft, ruOnly)
	unlisted := seedVideo(t, e, nil, video.StateUnlisted, ruOnly)
	for _, path := range []string{"/embed/videos/999999", "/embed/videos/abc", "/embed/videos/-1", "/embed/videos/" + itoa64(draft.ID),
		"/embed/videos/" + itoa64(unlisted.ID), "/embed/videos/99999999999999999999999"} {
		resp, body := c.get(path + "?lang=ru")
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "По этому адресу нет опубликованного видео.") ||
			!strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors *") {
			t.Errorf("%s: %d %q\n%s", path, resp.StatusCode, resp.Header.Get("Content-Security-Policy"), body)
		}
	}
	// Withdrawn: the card in the viewer's language, 410 Gone, not kept by caches.
	setState(t, e, v.ID, video.StateWithdrawn)
	for lang, want := range map[string]string{"ru": "Видео больше недоступно", "ko": "더 이상 볼 수 없는 영상", "en": "Video no longer available"} {
		resp, body := c.get(base + "?lang=" + lang)
		if resp.StatusCode != http.StatusGone || !strings.Contains(body, want) || strings.Contains(body, "<video") ||
			resp.Header.Get("Cache-Control") != privateNoStore {
			t.Errorf("withdrawn in %s: %d %q\n%s", lang, resp.StatusCode, resp.Header.Get("Cache-Control"), body)
		}
	}
}

// TestEmbedAllowList checks the admin's list of sites that may frame the player: refused
// entries save nothing, a saved list becomes the embed's frame-ancestors with the site's own,
// and an empty list lets any site frame it again. Only an admin may change it.
func TestEmbedAllowList(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	v := seedEmbedVideo(t, e)
	admin := e.userClient(auth.RoleAdmin)
	path := "/admin/settings/embeds"
	resp, body := admin.get(path)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="origins"`) {
		t.Fatalf("settings page: %d\n%s", resp.StatusCode, body)
	}
	for _, bad := range []string{"ftp://partner.example", "https://partner.example/path", "javascript:alert(1)",
		"https://partner.example; script-src *", "*", manyOrigins(publish.MaxEmbedOrigins + 1)} {
		resp, body := admin.post(path, url.Values{"origins": {"https://ok.example\n" + bad}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `aria-invalid="true"`) {
			t.Errorf("%.40q: %d", bad, resp.StatusCode)
		}
	}
	if o, err := publish.EmbedOrigins(context.Background(), e.db.R); err != nil || len(o) != 0 {
		t.Fatalf("refused lists saved something: %q %v", o, err)
	}
	resp, _ = admin.post(path, url.Values{"origins": {"https://www.Busan.go.kr/\nhttp://127.0.0.1:8081\n"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	resp, _ = e.client().get("/embed/videos/" + itoa64(v.ID))
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.HasSuffix(csp, "frame-ancestors 'self' https://www.busan.go.kr http://127.0.0.1:8081") {
		t.Errorf("CSP with a list: %q", csp)
	}
	// The rest of the site still may not be framed.
	resp, _ = e.client().get("/ru/videos/" + itoa64(v.ID))
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.HasSuffix(csp, "frame-ancestors 'none'") || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("watch page framing: %q", csp)
	}
	for _, role := range []auth.Role{auth.RoleEditor, auth.RoleViewer} {
		c := e.userClient(role)
		if resp, _ := c.post(path, url.Values{"origins": {""}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s saves the list: %d", role, resp.StatusCode)
		}
	}
	if resp, _ := admin.post(path, url.Values{"origins": {"\n  \n"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("clear: %d", resp.StatusCode)
	}
	resp, _ = e.client().get("/embed/videos/" + itoa64(v.ID))
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.HasSuffix(csp, "frame-ancestors *") {
		t.Errorf("CSP after clearing: %q", csp)
	}
}

// TestOEmbed checks /oembed: JSON and XML for a watch page's URL, the iframe's src loading the
// embed, maxwidth and maxheight, lang, and a JSON or XML error for bad input, never a 500.
func TestOEmbed(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	v := seedEmbedVideo(t, e)
	c := e.client()
	watch := e.ts.URL + "/ru/videos/" + itoa64(v.ID)

	resp, body := c.get("/oembed?url=" + url.QueryEscape(watch))
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("oembed: %d %q\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	var o publish.OEmbed
	if err := json.Unmarshal([]byte(body), &o); err != nil {
		t.Fatal(err)
	}
	if o.Type != "video" || o.Version != "1.0" || o.Title != ruOnly.Title || o.Width != 640 || o.Height != 360+embedBarHeight ||
		o.ThumbnailURL == "" || o.ProviderName == "" {
		t.Errorf("oembed: %+v", o)
	}
	src := regexp.MustCompile(`<iframe src="([^"]+)"`).FindStringSubmatch(o.HTML)
	if src == nil {
		t.Fatalf("oembed html: %s", o.HTML)
	}
	embedURL := strings.ReplaceAll(src[1], "&amp;", "&")
	if !strings.HasPrefix(embedURL, e.ts.URL+"/embed/videos/"+itoa64(v.ID)+"?lang=ru") {
		t.Errorf("iframe src %q", embedURL)
	}
	r2, err := http.Get(embedURL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r2.Body)
	r2.Body.Close()
	if r2.StatusCode != http.StatusOK || !strings.Contains(string(b), `data-beacon-channel="embed"`) || defaultTrack(string(b)) != "ru" {
		t.Errorf("iframe src gives %d", r2.StatusCode)
	}

	// XML, bounds, and lang.
	resp, body = c.get("/oembed?format=xml&maxwidth=320&maxheight=1000&lang=en&url=" + url.QueryEscape(watch))
	var ox publish.OEmbed
	if resp.StatusCode != http.StatusOK || xml.Unmarshal([]byte(body), &ox) != nil || ox.Width != 320 || ox.Height != 180+embedBarHeight ||
		!strings.Contains(ox.HTML, "lang=en") {
		t.Errorf("xml: %d %+v\n%s", resp.StatusCode, ox, body)
	}
	resp, body = c.get("/oembed?maxheight=" + strconv.Itoa(180+embedBarHeight) + "&url=" + url.QueryEscape(e.ts.URL+"/embed/videos/"+itoa64(v.ID)))
	if json.Unmarshal([]byte(body), &o) != nil || resp.StatusCode != http.StatusOK || o.Height > 180+embedBarHeight || o.Width != 320 {
		t.Errorf("maxheight: %d %+v", resp.StatusCode, o)
	}

	draft := seedVideo(t, e, nil, video.StateDraft, ruOnly)
	for _, tc := range []struct {
		query  string
		status int
	}{
		{"url=" + url.QueryEscape("https://example.org/ru/videos/"+itoa64(v.ID)), http.StatusNotFound},
		{"url=" + url.QueryEscape(e.ts.URL+"/ru/videos/999999"), http.StatusNotFound},
		{"url=" + url.QueryEscape(e.ts.URL+"/ru/videos/"+itoa64(draft.ID)), http.StatusNotFound},
		{"url=" + url.QueryEscape(e.ts.URL+"/ru/videos/abc"), http.StatusNotFound},
		{"url=" + url.QueryEscape(e.ts.URL+"/ru/partners/1"), http.StatusNotFound},
		{"url=" + url.QueryEscape(e.ts.URL+"/xx/videos/"+itoa64(v.ID)), http.StatusNotFound},
		{"url=" + url.QueryEscape("javascript:alert(1)"), http.StatusNotFound},
		{"url=" + url.QueryEscape("http://user@"+strings.TrimPrefix(e.ts.URL, "http://")+"/ru/videos/"+itoa64(v.ID)), http.StatusNotFound},
		{"url=%zz", http.StatusBadRequest},
		{"", http.StatusBadRequest},
		{"url=" + strings.Repeat("a", 3000), http.StatusBadRequest},
		{"maxwidth=abc&url=" + url.QueryEscape(watch), http.StatusBadRequest},
		{"maxwidth=-5&url=" + url.QueryEscape(watch), http.StatusBadRequest},
		{"maxheight=1e3&url=" + url.QueryEscape(watch), http.StatusBadRequest},
		{"maxwidth=99999999999999999999&url=" + url.QueryEscape(watch), http.StatusBadRequest},
		{"format=yaml&url=" + url.QueryEscape(watch), http.StatusNotImplemented},
	} {
		for _, format := range []string{"json", "xml"} {
			q := tc.query
			if !strings.Contains(q, "format=") {
				q += "&format=" + format
			} else if format == "xml" {
				continue
			}
			resp, body := c.get("/oembed?" + q)
			var msg publish.OEmbedError
			var err error
			if strings.Contains(q, "format=xml") {
				err = xml.Unmarshal([]byte(body), &msg)
			} else {
				err = json.Unmarshal([]byte(body), &msg)
			}
			if resp.StatusCode != tc.status || err != nil || msg.Status != tc.status || msg.Error == "" {
				t.Errorf("/oembed?%.80s: %d %v %+v", q, resp.StatusCode, err, msg)
			}
		}
	}
	// Errors in the asked language.
	_, body = c.get("/oembed?lang=ru&url=" + url.QueryEscape(e.ts.URL+"/ru/videos/999999"))
	if !strings.Contains(body, "По этому адресу нет опубликованного видео.") {
		t.Errorf("Russian error: %s", body)
	}
}

// TestWatchPageShareAndDiscovery checks what the watch page adds for sharing: the oEmbed
// discovery links, the beacon's attributes, the share panel with the embed code, the
// downloads and the feeds, and a link's start time.
func TestWatchPageShareAndDiscovery(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	v := seedEmbedVideo(t, e)
	c := e.client()
	resp, body := c.get("/ko/videos/" + itoa64(v.ID) + "?t=1")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("watch: %d", resp.StatusCode)
	}
	watch := e.ts.URL + "/ko/videos/" + itoa64(v.ID)
	oembed := e.ts.URL + "/oembed?url=" + url.QueryEscape(watch)
	for _, want := range []string{
		`<link rel="alternate" type="application/json+oembed" href="` + strings.ReplaceAll(oembed, "&", "&amp;") + `&amp;format=json"`,
		`<link rel="alternate" type="text/xml+oembed" href="`,
		`data-beacon-video="` + itoa64(v.ID) + `" data-beacon-channel="site"`,
		`.mp4#t=1"`,
		`id="share-link" type="url" readonly value="` + watch + `"`,
		`&lt;iframe src=&#34;` + e.ts.URL + `/embed/videos/` + itoa64(v.ID) + `?lang=ko&#34; width=&#34;640&#34; height=&#34;` + strconv.Itoa(360+embedBarHeight) + `&#34;`,
		`<option value="ru" lang="ru">Русский</option>`, `<option value="off">`,
		`href="/ko/videos/feed.rss"`, `href="/ko/videos/feed.atom"`, `href="/ko/videos/feed.json"`, `href="/videos/feed.rss"`,
		`<select id="share-embed-lang">`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("watch page lacks %q", want)
		}
	}
	if n := strings.Count(body, `/media/videos/`+itoa64(v.ID)+`/`); n < 2 {
		t.Errorf("renditions to download: %d links", n)
	}
	// An unlisted video is shown only on its watch page: no embed code, no oEmbed.
	unlisted := seedVideo(t, e, nil, video.StateUnlisted, ruOnly)
	_, ub := c.get("/ru/videos/" + itoa64(unlisted.ID))
	if strings.Contains(ub, "oembed") || strings.Contains(ub, `id="share-embed"`) || !strings.Contains(ub, `id="share-link"`) {
		t.Errorf("unlisted watch page offers embedding")
	}
	// The discovery link answers.
	m := regexp.MustCompile(`type="application/json\+oembed" href="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no discovery link")
	}
	r2, err := http.Get(strings.ReplaceAll(m[1], "&amp;", "&"))
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != http.StatusOK {
		t.Errorf("discovery link: %d", r2.StatusCode)
	}
}

// manyOrigins is a list of n distinct origins.
func manyOrigins(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("https://site" + strconv.Itoa(i) + ".example\n")
	}
	return b.String()
}

// TestShareBurnedVersion checks that a ready burned-in version of an approved track is offered
// on the watch page's share panel and downloads from the public site, and that nothing else
// under /media/versions/ does.
func TestShareBurnedVersion(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	v := seedEmbedVideo(t, e)
	tracks, err := track.ForVideo(ctx, e.db.R, v.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	var ru *track.Track
	for _, tr := range tracks {
		if tr.Lang == "ru" {
			ru = tr
		}
	}
	draft := addTrack(t, e, v.ID, "ja", track.StatusDraft, false, "こんにちは")
	_, body := e.client().get("/en/videos/" + itoa64(v.ID))
	if strings.Contains(body, "/media/versions/") {
		t.Errorf("a version offered before one is burned")
	}
	e.inTx(func(tx *sql.Tx) error { return track.RequestBurn(ctx, tx, e.queue, ru, fixedNow) })
	deps := track.BurnDeps{DB: e.db, Store: e.srv.docs, WorkDir: t.TempDir(), Encoder: media.X264{Preset: "ultrafast"}}
	if err := track.BurnVersion(ctx, deps, ru.ID); err != nil {
		t.Fatal(err)
	}
	_, body = e.client().get("/en/videos/" + itoa64(v.ID))
	link := `<a href="/media/versions/` + itoa64(ru.ID) + `.mp4" download>Download with Russian subtitles burned in</a>`
	if !strings.Contains(body, link) {
		t.Errorf("watch page lacks %s", link)
	}
	resp, b := e.client().get("/media/versions/" + itoa64(ru.ID) + ".mp4")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "video/mp4" || len(b) < 1000 ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "video-"+itoa64(v.ID)+"-ru.mp4") {
		t.Errorf("version download: %d %v, %d bytes", resp.StatusCode, resp.Header, len(b))
	}
	for _, path := range []string{"/media/versions/" + itoa64(draft.ID) + ".mp4", "/media/versions/999999.mp4",
		"/media/versions/abc.mp4", "/media/versions/" + itoa64(ru.ID) + ".mkv"} {
		if resp, _ := e.client().get(path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}
	setState(t, e, v.ID, video.StateWithdrawn)
	if resp, _ := e.client().get("/media/versions/" + itoa64(ru.ID) + ".mp4"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("version of a withdrawn video: %d", resp.StatusCode)
	}
}

// TestEmbedCache checks that the page cache keeps the embed's anonymous answers: a second
// request gets the same bytes and headers (a write behind the application's back does not show),
// a conditional one 304, compressed ones the same page, a browser of another language its own
// page, a signed-in user the page made for them, and a withdrawal shows on the next request.
func TestEmbedCache(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	v := seedEmbedVideo(t, e)
	c := e.client()
	path := "/embed/videos/" + itoa64(v.ID) + "?lang=ru&subtitles=ru"
	first, body1 := c.get(path)
	if _, err := e.db.W.ExecContext(context.Background(),
		"UPDATE video_texts SET title = 'Changed behind the cache' WHERE video_id = $1", v.ID); err != nil {
		t.Fatal(err)
	}
	second, body2 := c.get(path)
	if first.StatusCode != http.StatusOK || second.StatusCode != http.StatusOK || body1 != body2 {
		t.Fatalf("kept answer differs: %d %d", first.StatusCode, second.StatusCode)
	}
	for _, h := range []string{"Content-Security-Policy", "ETag", "Last-Modified", "Cache-Control", "Content-Type", "Content-Language"} {
		if first.Header.Get(h) == "" || first.Header.Get(h) != second.Header.Get(h) {
			t.Errorf("%s: %q then %q", h, first.Header.Get(h), second.Header.Get(h))
		}
	}
	if second.Header.Get("X-Frame-Options") != "" {
		t.Errorf("kept answer has X-Frame-Options")
	}
	if resp, _ := c.getWith(path, map[string]string{"If-None-Match": first.Header.Get("ETag")}); resp.StatusCode != http.StatusNotModified {
		t.Errorf("conditional request on a kept answer: %d", resp.StatusCode)
	}
	// Compressed once, sent as the request accepts: the same page.
	for _, enc := range []string{"gzip", "br"} {
		req, _ := http.NewRequest("GET", e.ts.URL+path, nil)
		req.Header.Set("Accept-Encoding", enc)
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var plain []byte
		if enc == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			plain, _ = io.ReadAll(zr)
		} else {
			plain, _ = io.ReadAll(brotli.NewReader(bytes.NewReader(raw)))
		}
		if resp.Header.Get("Content-Encoding") != enc || string(plain) != body1 || resp.Header.Get("Content-Length") != strconv.Itoa(len(raw)) ||
			!strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
			t.Errorf("%s: %q, %d bytes, Vary %q", enc, resp.Header.Get("Content-Encoding"), len(raw), resp.Header.Get("Vary"))
		}
	}
	// Without lang the browser's language chooses: each language gets and keeps its own page.
	bare := "/embed/videos/" + itoa64(v.ID)
	koResp, koBody := c.getWith(bare, map[string]string{"Accept-Language": "ko-KR,ko;q=0.9"})
	ruResp, ruBody := c.getWith(bare, map[string]string{"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})
	if koResp.Header.Get("Content-Language") != "ko" || ruResp.Header.Get("Content-Language") != "ru" || koBody == ruBody {
		t.Errorf("languages: %q and %q", koResp.Header.Get("Content-Language"), ruResp.Header.Get("Content-Language"))
	}
	if !strings.Contains(koResp.Header.Get("Vary"), "Accept-Language") {
		t.Errorf("negotiated embed without Vary: Accept-Language: %q", koResp.Header.Get("Vary"))
	}
	if resp, body := c.getWith(bare, map[string]string{"Accept-Language": "ko"}); body != koBody || resp.Header.Get("ETag") != koResp.Header.Get("ETag") {
		t.Errorf("a second Korean browser got another page")
	}
	// The kept answer is the anonymous one: a signed-in admin gets a private page.
	if resp, _ := e.userClient(auth.RoleAdmin).get(path); resp.Header.Get("Cache-Control") != privateNoStore {
		t.Errorf("admin got %q", resp.Header.Get("Cache-Control"))
	}
	// Withdrawn through the application: the very next request shows the card.
	setState(t, e, v.ID, video.StateWithdrawn)
	if resp, _ := c.get(path); resp.StatusCode != http.StatusGone {
		t.Errorf("withdrawn video still served from the cache: %d", resp.StatusCode)
	}
}
