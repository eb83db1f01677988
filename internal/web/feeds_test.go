package web

// Every feed is read with a third-party parser, never with our own code: github.com/mmcdole/gofeed
// v1.4.2, the only third-party Go feed parser the module proxy serves here (go-partial.tsv notes
// it is served from an earlier copy), a test-only dependency. Where gofeed keeps nothing of an
// attribute (xml:lang on an Atom entry), the standard library's encoding/xml reads it.

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/xml"
	"html"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/mmcdole/gofeed"
	gojson "github.com/mmcdole/gofeed/json"

	"sistercity/internal/track"
	"sistercity/internal/video"
	"sistercity/internal/web/webtest"
)

// feedGet fetches path with extra headers and returns the answer and its body.
func feedGet(t *testing.T, e *testEnv, path string, headers map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", e.ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// parseFeed fetches a feed, checks its status and Content-Type and parses it with gofeed.
func parseFeed(t *testing.T, e *testEnv, path, ctype string) (*gofeed.Feed, []byte, *http.Response) {
	t.Helper()
	resp, body := feedGet(t, e, path, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d\n%s", path, resp.StatusCode, body)
	}
	if got := resp.Header.Get("Content-Type"); got != ctype {
		t.Errorf("%s: Content-Type %q, want %q", path, got, ctype)
	}
	f, err := gofeed.NewParser().ParseString(string(body))
	if err != nil {
		t.Fatalf("%s does not parse: %v\n%s", path, err, body)
	}
	return f, body, resp
}

// subtitleLangs lists the languages of an RSS or Atom item's media:subTitle elements, and checks
// that each points at the track's public WebVTT.
func subtitleLangs(t *testing.T, e *testEnv, it *gofeed.Item) []string {
	t.Helper()
	var langs []string
	for _, s := range it.Extensions["media"]["subTitle"] {
		langs = append(langs, s.Attrs["lang"])
		href := s.Attrs["href"]
		if s.Attrs["type"] != "text/vtt" || !strings.HasPrefix(href, e.ts.URL+"/media/tracks/") {
			t.Errorf("media:subTitle %v", s.Attrs)
			continue
		}
		resp, vtt := feedGet(t, e, strings.TrimPrefix(href, e.ts.URL), nil)
		if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(vtt, []byte("WEBVTT")) {
			t.Errorf("%s: %d %q", href, resp.StatusCode, vtt)
		}
	}
	return langs
}

func TestVideoFeeds(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	home, partner, p := seedVladivostok(t, e)
	// No English text: the English feeds fall back to the Russian original, marked.
	v := seedVideo(t, e, p, video.StatePublished, ruOnly, video.Text{Lang: "ko", Title: "부산·블라디보스토크 코로나19 극복 응원 영상"})
	for _, lang := range []string{"ko", "ru", "en"} {
		addTrack(t, e, v.ID, lang, track.StatusApproved, lang == "ko", "Привет, Пусан!")
	}
	addTrack(t, e, v.ID, "ja", track.StatusDraft, false, "こんにちは") // a draft is no part of any feed
	id := itoa64(v.ID)

	// RSS: the item, its renditions and its three approved subtitle tracks with their languages.
	rss, body, resp := parseFeed(t, e, "/en/videos/feed.rss", "application/rss+xml; charset=utf-8")
	if len(rss.Items) != 1 || rss.Language != "en" || rss.FeedLink != e.ts.URL+"/en/videos/feed.rss" {
		t.Fatalf("RSS: %+v", rss)
	}
	it := rss.Items[0]
	if it.Title != ruOnly.Title || it.Link != e.ts.URL+"/en/videos/"+id || it.PublishedParsed == nil || !it.PublishedParsed.Equal(fixedNow) {
		t.Errorf("RSS item: %+v", it)
	}
	if it.DublinCoreExt == nil || !slices.Equal(it.DublinCoreExt.Language, []string{"ru"}) || !bytes.Contains(body, []byte(`<item xml:lang="ru">`)) {
		t.Errorf("the Russian fallback is not marked: %s", body)
	}
	if got := subtitleLangs(t, e, it); !slices.Equal(got, []string{"en", "ko", "ru"}) {
		t.Errorf("RSS subtitle tracks: %v, want en ko ru", got)
	}
	contents := it.Extensions["media"]["group"][0].Children["content"]
	if len(contents) != len(v.Renditions) {
		t.Fatalf("media:content: %d, want %d", len(contents), len(v.Renditions))
	}
	for i, c := range contents {
		rd := v.Renditions[i]
		if c.Attrs["url"] != e.ts.URL+mediaURL(rd.Key) || c.Attrs["width"] != strconv.Itoa(rd.Width) || c.Attrs["height"] != strconv.Itoa(rd.Height) ||
			c.Attrs["duration"] != "2" || c.Attrs["type"] != "video/mp4" {
			t.Errorf("media:content %v for %+v", c.Attrs, rd)
		}
	}
	if th := it.Extensions["media"]["thumbnail"]; len(th) != 1 || th[0].Attrs["url"] != e.ts.URL+mediaURL(v.ThumbnailKey) {
		t.Errorf("media:thumbnail %+v", th)
	}
	if len(it.Enclosures) != 1 || it.Enclosures[0].Type != "video/mp4" {
		t.Errorf("enclosure %+v", it.Enclosures)
	}
	// In Korean the video has its own title: nothing marked.
	ko, koBody, _ := parseFeed(t, e, "/ko/videos/feed.rss", "application/rss+xml; charset=utf-8")
	if ko.Items[0].Title != "부산·블라디보스토크 코로나19 극복 응원 영상" || bytes.Contains(koBody, []byte("xml:lang")) || ko.Items[0].DublinCoreExt != nil {
		t.Errorf("Korean RSS: %s", koBody)
	}

	// Atom and JSON Feed.
	atom, atomBody, _ := parseFeed(t, e, "/en/videos/feed.atom", "application/atom+xml; charset=utf-8")
	if len(atom.Items) != 1 || atom.Items[0].Title != ruOnly.Title || len(atom.Items[0].Enclosures) != len(v.Renditions) {
		t.Errorf("Atom: %+v", atom)
	}
	if got := subtitleLangs(t, e, atom.Items[0]); !slices.Equal(got, []string{"en", "ko", "ru"}) {
		t.Errorf("Atom subtitle tracks: %v", got)
	}
	var atomDoc struct {
		Lang    string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
		Entries []struct {
			Lang string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal(atomBody, &atomDoc); err != nil || atomDoc.Lang != "en" || len(atomDoc.Entries) != 1 || atomDoc.Entries[0].Lang != "ru" {
		t.Errorf("Atom xml:lang: %+v %v", atomDoc, err)
	}
	json, jsonBody, _ := parseFeed(t, e, "/en/videos/feed.json", "application/feed+json; charset=utf-8")
	if len(json.Items) != 1 || json.Items[0].Title != ruOnly.Title {
		t.Errorf("JSON Feed: %+v", json)
	}
	raw, err := (&gojson.Parser{}).Parse(bytes.NewReader(jsonBody))
	if err != nil || raw.Language != "en" || raw.Items[0].Language != "ru" {
		t.Errorf("JSON Feed languages: %v %+v", err, raw)
	}

	// The all-languages feed: each video in its original language, marked, linking the watch
	// page in that language.
	all, _, _ := parseFeed(t, e, "/videos/feed.json", "application/feed+json; charset=utf-8")
	if len(all.Items) != 1 || all.Items[0].Title != ruOnly.Title || all.Items[0].Link != e.ts.URL+"/ru/videos/"+id {
		t.Errorf("all-languages feed: %+v", all.Items)
	}
	if allRSS, _, _ := parseFeed(t, e, "/videos/feed.rss", "application/rss+xml; charset=utf-8"); allRSS.Language != "" ||
		allRSS.Items[0].DublinCoreExt == nil || allRSS.Items[0].DublinCoreExt.Language[0] != "ru" {
		t.Errorf("all-languages RSS: %+v", allRSS)
	}

	// Per partner city and per tag; an unknown partner or tag, or a city that is no partner,
	// is not found.
	for _, f := range []string{"rss", "atom", "json"} {
		partnerFeed, _, _ := parseFeed(t, e, "/en/partners/"+itoa64(partner.ID)+"/videos."+f, map[string]string{
			"rss": "application/rss+xml; charset=utf-8", "atom": "application/atom+xml; charset=utf-8", "json": "application/feed+json; charset=utf-8"}[f])
		if len(partnerFeed.Items) != 1 || !strings.Contains(partnerFeed.Title, "Vladivostok") {
			t.Errorf("partner feed .%s: %+v", f, partnerFeed)
		}
		for _, path := range []string{"/en/partners/" + itoa64(home.ID) + "/videos." + f, "/en/partners/999999/videos." + f,
			"/en/partners/x/videos." + f, "/en/videos/tags/no-such-tag/feed." + f, "/en/videos/tags/" + strings.Repeat("x", 41) + "/feed." + f} {
			if resp, _ := feedGet(t, e, path, nil); resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s: %d, want 404", path, resp.StatusCode)
			}
		}
	}
	tagFeed, _, _ := parseFeed(t, e, "/ru/videos/tags/support/feed.atom", "application/atom+xml; charset=utf-8")
	if len(tagFeed.Items) != 1 || !strings.Contains(tagFeed.Title, "«support»") {
		t.Errorf("tag feed: %+v", tagFeed)
	}
	if resp, _ := feedGet(t, e, "/ru/videos/tags/SUPPORT/feed.rss", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("a tag in capitals: %d", resp.StatusCode)
	}

	// Conditional GET: the ETag or Last-Modified of the answer gets 304; the feed is public and
	// compressed for who accepts it.
	etag, mod := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	if etag == "" || mod == "" || !strings.HasPrefix(resp.Header.Get("Cache-Control"), "public, max-age=") {
		t.Fatalf("RSS validators: %v", resp.Header)
	}
	if r2, b2 := feedGet(t, e, "/en/videos/feed.rss", map[string]string{"If-None-Match": etag}); r2.StatusCode != http.StatusNotModified || len(b2) != 0 {
		t.Errorf("If-None-Match: %d", r2.StatusCode)
	}
	if r2, _ := feedGet(t, e, "/en/videos/feed.rss", map[string]string{"If-Modified-Since": mod}); r2.StatusCode != http.StatusNotModified {
		t.Errorf("If-Modified-Since: %d", r2.StatusCode)
	}
	gz, gzBody := feedGet(t, e, "/en/videos/feed.rss", map[string]string{"Accept-Encoding": "gzip"})
	if gz.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("not compressed: %v", gz.Header)
	} else if zr, err := gzip.NewReader(bytes.NewReader(gzBody)); err != nil {
		t.Error(err)
	} else if plain, _ := io.ReadAll(zr); !bytes.Equal(plain, body) {
		t.Errorf("gzip body differs")
	}
	br, brBody := feedGet(t, e, "/en/videos/feed.rss", map[string]string{"Accept-Encoding": "br"})
	if plain, err := io.ReadAll(brotli.NewReader(bytes.NewReader(brBody))); br.Header.Get("Content-Encoding") != "br" || err != nil || !bytes.Equal(plain, body) {
		t.Errorf("brotli: %v %v", br.Header, err)
	}
	if gz.Header.Get("ETag") != etag || br.Header.Get("Vary") != "Accept-Encoding" || resp.Header.Get("Vary") != "Accept-Encoding" {
		t.Errorf("validators or Vary differ between codings: %v / %v / %v", resp.Header, gz.Header, br.Header)
	}
	// A forged Host never reaches the feed's links.
	if _, forged := feedGet(t, e, "/en/videos/feed.rss", map[string]string{"Host": "evil.example"}); bytes.Contains(forged, []byte("evil.example")) {
		t.Errorf("the Host header reached the feed")
	}

	// A title with markup is escaped, and the changed feed has a new ETag.
	ctx := context.Background()
	hostile := `<script>alert("x")</script> & <b>'Ура'</b> שלום 🎉`
	e.inTx(func(tx *sql.Tx) error {
		got, err := video.Get(ctx, tx, v.ID)
		if err != nil {
			return err
		}
		got.Texts = append(got.Texts, video.Text{Lang: "en", Title: hostile, Description: hostile})
		got.Normalize()
		return video.Update(ctx, tx, got)
	})
	// Feeds are built at most once a second (feed_cache.go): wait for the change.
	for _, path := range []string{"/en/videos/feed.rss", "/en/videos/feed.json", "/en/videos/feed.atom"} {
		waitFor(t, "the new title in "+path, func() bool {
			_, b := feedGet(t, e, path, nil)
			return bytes.Contains(b, []byte("Ура"))
		})
	}
	changed, changedBody, _ := parseFeed(t, e, "/en/videos/feed.rss", "application/rss+xml; charset=utf-8")
	if changed.Items[0].Title != hostile || bytes.Contains(changedBody, []byte("<script")) || bytes.Contains(changedBody, []byte("<b>")) ||
		strings.Contains(changed.Items[0].Description, "<script") {
		t.Errorf("hostile title: %q / %q\n%s", changed.Items[0].Title, changed.Items[0].Description, changedBody)
	}
	if j, _, _ := parseFeed(t, e, "/en/videos/feed.json", "application/feed+json; charset=utf-8"); j.Items[0].Title != hostile {
		t.Errorf("JSON title %q", j.Items[0].Title)
	}
	if a, _, _ := parseFeed(t, e, "/en/videos/feed.atom", "application/atom+xml; charset=utf-8"); a.Items[0].Title != hostile || a.Items[0].Description != hostile {
		t.Errorf("Atom title %q", a.Items[0].Title)
	}
	if r2, _ := feedGet(t, e, "/en/videos/feed.rss", map[string]string{"If-None-Match": etag}); r2.StatusCode != http.StatusOK {
		t.Errorf("the old ETag after a change: %d, want 200", r2.StatusCode)
	}

	// Withdrawn, the video leaves every feed, and its tag's feed is gone.
	e.inTx(func(tx *sql.Tx) error {
		got, err := video.Get(ctx, tx, v.ID)
		if err != nil {
			return err
		}
		return video.SetState(ctx, tx, got, video.StateWithdrawn, fixedNow)
	})
	for _, path := range []string{"/en/videos/feed.rss", "/videos/feed.atom", "/en/partners/" + itoa64(partner.ID) + "/videos.json"} {
		waitFor(t, "the withdrawn video to leave "+path, func() bool {
			resp, body := feedGet(t, e, path, nil)
			f, err := gofeed.NewParser().ParseString(string(body))
			if resp.StatusCode != http.StatusOK || err != nil {
				t.Fatalf("%s after withdrawal: %d %v\n%s", path, resp.StatusCode, err, body)
			}
			return len(f.Items) == 0
		})
	}
	waitFor(t, "the tag feed to go", func() bool {
		resp, _ := feedGet(t, e, "/ru/videos/tags/support/feed.atom", nil)
		return resp.StatusCode == http.StatusNotFound
	})
}

// TestFeedAutodiscovery: the pages name their feeds in their heads.
func TestFeedAutodiscovery(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, partner, p := seedVladivostok(t, e)
	seedExchange(t, e, p)
	pid := itoa64(partner.ID)
	c := e.client()
	for path, wants := range map[string][]string{
		"/en/": {`<link rel="alternate" type="application/rss+xml" title="Sister cities: videos (RSS)" href="/en/videos/feed.rss">`,
			`type="application/atom+xml" title="Sister cities: videos (Atom)" href="/en/videos/feed.atom">`,
			`type="application/feed+json" title="Sister cities: videos (JSON Feed)" href="/en/videos/feed.json">`,
			`type="application/atom+xml" title="Sister cities: exchange programme (Atom)" href="/en/timeline.atom">`},
		"/ko/videos": {`type="application/rss+xml" title="자매도시: 영상 (RSS)" href="/ko/videos/feed.rss">`, `<a href="/ko/videos/feed.json" type="application/feed+json"`},
		"/en/partners/" + pid: {`href="/en/partners/` + pid + `/videos.rss">`, `href="/en/partners/` + pid + `/timeline.atom">`,
			`<a href="/en/partners/` + pid + `/timeline.atom" type="application/atom+xml">Follow this timeline (Atom feed)</a>`},
		"/en/statistics":                 {`href="/en/timeline.atom">`},
		"/en/videos?city=" + pid:         {`href="/en/partners/` + pid + `/videos.atom">`},
		"/en/videos?tag=no-video-has-it": {`href="/en/videos/feed.rss">`},
	} {
		resp, body := c.get(path)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		body = html.UnescapeString(body) // html/template writes the + of a media type as &#43;
		for _, w := range wants {
			if !strings.Contains(body, w) {
				t.Errorf("%s lacks %s", path, w)
			}
		}
		if strings.Contains(path, "tag=") && strings.Contains(body, "/videos/tags/") {
			t.Errorf("%s names the feed of a tag no video carries", path)
		}
	}
}

// TestTimelineFeed: the exchange programme's timeline as Atom, per language and per partner,
// without cancelled activities, titles in another language marked.
func TestTimelineFeed(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	home, partner, p := seedVladivostok(t, e)
	seedExchange(t, e, p)
	f, body, _ := parseFeed(t, e, "/ru/timeline.atom", "application/atom+xml; charset=utf-8")
	var titles []string
	for _, it := range f.Items {
		titles = append(titles, it.Title)
		if it.Link != e.ts.URL+"/ru/partners/"+itoa64(partner.ID) || it.UpdatedParsed == nil {
			t.Errorf("entry %+v", it)
		}
	}
	slices.Sort(titles)
	if want := []string{"Youth camp", "День Пусана во Владивостоке", "Официальный визит делегации Пусана"}; !slices.Equal(titles, want) {
		t.Errorf("titles %q, want %q", titles, want)
	}
	if !bytes.Contains(body, []byte(`<title type="text">Youth camp</title>`)) || !bytes.Contains(body, []byte("COVID-19")) {
		t.Errorf("timeline: %s", body)
	}
	var doc struct {
		Entries []struct {
			Lang  string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
			Title string `xml:"title"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	for _, en := range doc.Entries {
		if want := map[bool]string{true: "en", false: ""}[en.Title == "Youth camp"]; en.Lang != want {
			t.Errorf("entry %q xml:lang %q, want %q", en.Title, en.Lang, want)
		}
	}
	pf, _, _ := parseFeed(t, e, "/en/partners/"+itoa64(partner.ID)+"/timeline.atom", "application/atom+xml; charset=utf-8")
	if len(pf.Items) != 3 || !strings.Contains(pf.Title, "Vladivostok") {
		t.Errorf("partner timeline: %+v", pf)
	}
	if resp, _ := feedGet(t, e, "/en/partners/"+itoa64(home.ID)+"/timeline.atom", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("timeline of a city that is no partner: %d", resp.StatusCode)
	}
}

// TestBrowserFeedLinksAccessibility audits, in Chromium, the pages that show links to feeds: the
// video index (also filtered by tag and by partner city) and a partner page with a video.
func TestBrowserFeedLinksAccessibility(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, partner, p := seedVladivostok(t, e)
	seedVideo(t, e, p, video.StatePublished, ruOnly)
	ctx := webtest.Browser(t)
	pid := itoa64(partner.ID)
	for _, path := range []string{"/en/videos", "/ko/videos?tag=support", "/ru/videos?city=" + pid, "/en/partners/" + pid, "/ko/partners/" + pid} {
		auditPage(t, ctx, e.ts.URL+path)
	}
}

// TestFeedConditionalCompressed: a feed reader that asks for gzip or Brotli gets 304 for the
// ETag it holds, on the feeds the page cache keeps (under a language) and the others alike, and
// a compressed page the same, even when the first answer was rendered, not kept.
func TestFeedConditionalCompressed(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	seedVideo(t, e, p, video.StatePublished, ruOnly)
	for _, path := range []string{"/ru/videos/feed.json", "/ru/videos/feed.rss", "/videos/feed.atom", "/ru/videos"} {
		for _, coding := range []string{"gzip", "br"} {
			resp, _ := feedGet(t, e, path, map[string]string{"Accept-Encoding": coding})
			etag := resp.Header.Get("ETag")
			if resp.StatusCode != http.StatusOK || etag == "" {
				t.Fatalf("%s (%s): %d, ETag %q", path, coding, resp.StatusCode, etag)
			}
			for range 2 {
				again, _ := feedGet(t, e, path, map[string]string{"Accept-Encoding": coding, "If-None-Match": etag})
				if again.StatusCode != http.StatusNotModified {
					t.Errorf("%s (%s) with its ETag: %d, want 304", path, coding, again.StatusCode)
				}
			}
		}
	}
}
