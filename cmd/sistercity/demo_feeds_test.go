package main

// The feeds are read with a third-party parser, never with our own code: github.com/mmcdole/gofeed
// v1.4.2, the only third-party Go feed parser the module proxy serves here (go-partial.tsv notes
// it is served from an earlier copy), a test-only dependency.

import (
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"
)

// TestDemoFeeds is the "must show" for feeds: with serve --demo, the RSS, Atom and JSON
// feeds of the videos parse; the RSS lists the demo video's three subtitle tracks (Korean,
// Russian, English) with their languages; a second request with the ETag gets 304. The partner
// city's and the tag's feeds and the exchange timeline parse too.
func TestDemoFeeds(t *testing.T) {
	t.Parallel()
	base, _, _ := startServe(t, append(dbArgs(t), "--demo")...)
	fetch := func(path string, header http.Header) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest("GET", base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	parse := func(path string) *gofeed.Feed {
		t.Helper()
		resp, body := fetch(path, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		f, err := gofeed.NewParser().ParseString(body)
		if err != nil {
			t.Fatalf("%s does not parse: %v\n%s", path, err, body)
		}
		// Conditional GET: the ETag the answer carried gets 304.
		etag := resp.Header.Get("ETag")
		if again, _ := fetch(path, http.Header{"If-None-Match": {etag}}); etag == "" || again.StatusCode != http.StatusNotModified {
			t.Errorf("%s with If-None-Match %q: %d, want 304", path, etag, again.StatusCode)
		}
		return f
	}

	want := map[string]string{"ko": "부산·블라디보스토크 코로나19 극복 응원 영상", "ru": "Видеообращение Владивостока в поддержку Пусана",
		"en": "Vladivostok's message of support to Busan"}
	for lang, title := range want {
		for _, format := range []string{"rss", "atom", "json"} {
			f := parse("/" + lang + "/videos/feed." + format)
			if f.FeedType != map[string]string{"rss": "rss", "atom": "atom", "json": "json"}[format] || len(f.Items) != 1 || f.Items[0].Title != title {
				t.Errorf("/%s/videos/feed.%s: %s with %d items", lang, format, f.FeedType, len(f.Items))
				continue
			}
			if format == "json" {
				continue
			}
			var langs []string
			for _, s := range f.Items[0].Extensions["media"]["subTitle"] {
				langs = append(langs, s.Attrs["lang"])
				if resp, vtt := fetch(strings.TrimPrefix(s.Attrs["href"], base), nil); resp.StatusCode != http.StatusOK || !strings.HasPrefix(vtt, "WEBVTT") {
					t.Errorf("%s: %d", s.Attrs["href"], resp.StatusCode)
				}
			}
			slices.Sort(langs)
			if !slices.Equal(langs, []string{"en", "ko", "ru"}) {
				t.Errorf("/%s/videos/feed.%s: subtitle tracks %v, want en, ko, ru", lang, format, langs)
			}
		}
	}
	all := parse("/videos/feed.atom")
	if len(all.Items) != 1 || all.Items[0].Title != want["ru"] {
		t.Errorf("all-languages feed: %+v", all.Items)
	}
	tag := parse("/ko/videos/tags/covid-19/feed.rss")
	if len(tag.Items) != 1 {
		t.Errorf("tag feed: %d items", len(tag.Items))
	}
	partners := get(t, base+"/en/partners")
	m := regexp.MustCompile(`href="/en/partners/(\d+)"[^>]*>Vladivostok<`).FindStringSubmatch(partners)
	if m == nil {
		t.Fatalf("no Vladivostok on /en/partners")
	}
	if f := parse("/ru/partners/" + m[1] + "/videos.json"); len(f.Items) != 1 {
		t.Errorf("partner feed: %d items", len(f.Items))
	}
	if f := parse("/ko/timeline.atom"); len(f.Items) == 0 {
		t.Errorf("the demo's exchange timeline is empty")
	}
	if f := parse("/en/partners/" + m[1] + "/timeline.atom"); len(f.Items) == 0 {
		t.Errorf("Vladivostok's timeline is empty")
	}
}
