package feed

// The tests read every feed with a third-party parser, never with this package's own code:
// github.com/mmcdole/gofeed, the only third-party Go feed parser the module proxy serves here
// (v1.4.2, which go-partial.tsv notes is served from an earlier copy). It is a test-only
// dependency. Where gofeed keeps nothing of an attribute (xml:lang on an Atom entry), the
// standard library's encoding/xml reads it.

import (
	"bytes"
	"encoding/xml"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
	gojson "github.com/mmcdole/gofeed/json"
)

// hostile is a title with markup, an ampersand, quotes, right-to-left text, an emoji and a
// control character that XML cannot carry.
const hostile = `<script>alert("x")</script> & <b>'bold'</b> שלום مرحبا 🎉`

func sampleFeed() *Feed {
	pub := time.Date(2020, 7, 9, 1, 0, 0, 0, time.UTC)
	return &Feed{
		Title: "Videos", Description: "Video messages", Lang: "en", Author: "Sister cities",
		HomeURL: "https://sister.example/en/videos", SelfURL: "https://sister.example/en/videos/feed.rss",
		ID: "https://sister.example/en/videos", Updated: pub.Add(time.Hour),
		Entries: []Entry{
			{
				ID: "https://sister.example/en/videos/1", URL: "https://sister.example/en/videos/1",
				Title:   Text{Value: "Видеообращение Владивостока", Lang: "ru"},
				Summary: Text{Value: "Жители & медики\nВладивостока"}, Content: Text{Value: "Производство: <администрация>"},
				Published: pub, Updated: pub.Add(time.Hour), Categories: []string{"covid-19", "support"},
				Thumbnail: &Image{URL: "https://sister.example/media/videos/1/t.jpg", Width: 320, Height: 180},
				Media: []Media{
					{URL: "https://sister.example/media/videos/1/a-240p.mp4", Type: "video/mp4", Width: 426, Height: 240, Duration: 3 * time.Second, Size: 1000, Bitrate: 300000, Lang: "ru", Title: "v"},
					{URL: "https://sister.example/media/videos/1/a-360p.mp4", Type: "video/mp4", Width: 640, Height: 360, Duration: 3 * time.Second, Size: 2000, Bitrate: 600000, Lang: "ru", Title: "v", Default: true},
				},
				Subtitles: []Subtitle{
					{URL: "https://sister.example/media/tracks/1.vtt", Type: "text/vtt", Lang: "ko", Label: "한국어", Title: "Subtitles: 한국어"},
					{URL: "https://sister.example/media/tracks/2.vtt", Type: "text/vtt", Lang: "ru", Label: "Русский", Title: "Subtitles: Русский"},
				},
			},
			{ID: "https://sister.example/en/videos/2", URL: "https://sister.example/en/videos/2", Title: Text{Value: hostile + "\x01", Lang: "en"},
				Summary: Text{Value: hostile}, Published: pub},
		},
	}
}

func render(t *testing.T, format Format, f *Feed) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, format, f); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestRSSParsesWithMediaRSS(t *testing.T) {
	body := render(t, RSS, sampleFeed())
	parsed, err := gofeed.NewParser().ParseString(string(body))
	if err != nil {
		t.Fatalf("gofeed: %v\n%s", err, body)
	}
	if parsed.FeedType != "rss" || parsed.Title != "Videos" || parsed.Language != "en" || len(parsed.Items) != 2 {
		t.Fatalf("parsed %+v", parsed)
	}
	it := parsed.Items[0]
	if it.Title != "Видеообращение Владивостока" || it.Link != "https://sister.example/en/videos/1" ||
		it.GUID != "https://sister.example/en/videos/1" || it.PublishedParsed == nil || !it.PublishedParsed.Equal(time.Date(2020, 7, 9, 1, 0, 0, 0, time.UTC)) {
		t.Errorf("item: %+v", it)
	}
	if it.DublinCoreExt == nil || len(it.DublinCoreExt.Language) != 1 || it.DublinCoreExt.Language[0] != "ru" {
		t.Errorf("the fallback item lacks dc:language ru: %+v", it.DublinCoreExt)
	}
	media := it.Extensions["media"]
	var subs []string
	for _, s := range media["subTitle"] {
		subs = append(subs, s.Attrs["lang"]+" "+s.Attrs["type"]+" "+s.Attrs["href"])
	}
	if strings.Join(subs, "|") != "ko text/vtt https://sister.example/media/tracks/1.vtt|ru text/vtt https://sister.example/media/tracks/2.vtt" {
		t.Errorf("subtitles: %q", subs)
	}
	contents := media["group"][0].Children["content"]
	if len(contents) != 2 {
		t.Fatalf("media:content: %+v", media["group"])
	}
	c := contents[1].Attrs
	if c["url"] != "https://sister.example/media/videos/1/a-360p.mp4" || c["width"] != "640" || c["height"] != "360" ||
		c["duration"] != "3" || c["type"] != "video/mp4" || c["isDefault"] != "true" || c["fileSize"] != "2000" {
		t.Errorf("media:content: %v", c)
	}
	if th := media["thumbnail"][0].Attrs; th["url"] != "https://sister.example/media/videos/1/t.jpg" || th["width"] != "320" {
		t.Errorf("thumbnail: %v", th)
	}
	if len(it.Enclosures) != 1 || it.Enclosures[0].URL != "https://sister.example/media/videos/1/a-360p.mp4" || it.Enclosures[0].Length != "2000" {
		t.Errorf("enclosure: %+v", it.Enclosures)
	}
	if strings.Join(it.Categories, ",") != "covid-19,support" {
		t.Errorf("categories: %v", it.Categories)
	}
	// Markup in a title arrives as the characters typed; in the description (HTML to readers)
	// it is escaped for HTML, so no reader runs it.
	hostileItem := parsed.Items[1]
	if hostileItem.Title != hostile+"\uFFFD" {
		t.Errorf("title: %q", hostileItem.Title)
	}
	if strings.Contains(hostileItem.Description, "<script") || !strings.Contains(hostileItem.Description, "&lt;script&gt;") {
		t.Errorf("description: %q", hostileItem.Description)
	}
	if bytes.Contains(body, []byte("<script")) || bytes.Contains(body, []byte("<b>")) {
		t.Errorf("raw markup in the feed:\n%s", body)
	}
}

func TestAtomParsesWithLanguages(t *testing.T) {
	body := render(t, Atom, sampleFeed())
	parsed, err := gofeed.NewParser().ParseString(string(body))
	if err != nil {
		t.Fatalf("gofeed: %v\n%s", err, body)
	}
	if parsed.FeedType != "atom" || parsed.Title != "Videos" || parsed.Language != "en" || len(parsed.Items) != 2 ||
		parsed.UpdatedParsed == nil || parsed.FeedLink != "https://sister.example/en/videos/feed.rss" {
		t.Fatalf("parsed %+v", parsed)
	}
	it := parsed.Items[0]
	if it.Title != "Видеообращение Владивостока" || it.Description != "Жители & медики\nВладивостока" ||
		it.Content != "Производство: <администрация>" || len(it.Enclosures) != 2 {
		t.Errorf("entry: %+v", it)
	}
	if got := it.Extensions["media"]["subTitle"]; len(got) != 2 || got[1].Attrs["lang"] != "ru" {
		t.Errorf("subtitles: %+v", got)
	}
	if parsed.Items[1].Title != hostile+"\uFFFD" {
		t.Errorf("title: %q", parsed.Items[1].Title)
	}
	// xml:lang on the entries: only the fallback one is marked.
	var doc struct {
		Entries []struct {
			Lang string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Entries) != 2 || doc.Entries[0].Lang != "ru" || doc.Entries[1].Lang != "" {
		t.Errorf("xml:lang of the entries: %+v", doc.Entries)
	}
}

func TestJSONFeedParses(t *testing.T) {
	body := render(t, JSON, sampleFeed())
	parsed, err := gofeed.NewParser().ParseString(string(body))
	if err != nil {
		t.Fatalf("gofeed: %v\n%s", err, body)
	}
	if parsed.FeedType != "json" || parsed.FeedVersion != "https://jsonfeed.org/version/1.1" || parsed.Title != "Videos" || len(parsed.Items) != 2 {
		t.Fatalf("parsed %+v", parsed)
	}
	if parsed.Items[1].Title != hostile+"\x01" {
		t.Errorf("title: %q", parsed.Items[1].Title)
	}
	// gofeed's JSON Feed parser keeps the 1.1 fields the universal one drops.
	raw, err := (&gojson.Parser{}).Parse(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if raw.Language != "en" || raw.Items[0].Language != "ru" || raw.Items[1].Language != "" {
		t.Errorf("languages: feed %q, items %q %q", raw.Language, raw.Items[0].Language, raw.Items[1].Language)
	}
	var vtt, mp4 int
	for _, a := range *raw.Items[0].Attachments {
		switch a.MimeType {
		case "text/vtt":
			vtt++
		case "video/mp4":
			mp4++
			if a.DurationInSeconds != 3 {
				t.Errorf("attachment duration %d", a.DurationInSeconds)
			}
		}
	}
	if vtt != 2 || mp4 != 2 {
		t.Errorf("attachments: %d subtitles, %d renditions", vtt, mp4)
	}
}

// TestEmptyFeeds: a feed without entries is valid in every format, and its bytes do not depend
// on the clock.
func TestEmptyFeeds(t *testing.T) {
	for _, format := range Formats {
		f := &Feed{Title: "Tag", HomeURL: "https://sister.example/", SelfURL: "https://sister.example/f", ID: "https://sister.example/f", Author: "x"}
		a, b := render(t, format, f), render(t, format, f)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two writes differ", format)
		}
		parsed, err := gofeed.NewParser().ParseString(string(a))
		if err != nil || len(parsed.Items) != 0 {
			t.Errorf("%s: %v %+v\n%s", format, err, parsed, a)
		}
	}
}

// BenchmarkWrite writes a feed of 1,000 videos, each with 2 renditions and 3 subtitle tracks, in
// each format: the writer alone, without the database (internal/web's BenchmarkVideoFeed
// measures a request).
//
//	go test ./internal/feed -run '^$' -bench Write -benchmem
func BenchmarkWrite(b *testing.B) {
	f := sampleFeed()
	one := f.Entries[0]
	one.Subtitles = append(one.Subtitles, Subtitle{URL: "https://sister.example/media/tracks/3.vtt", Type: "text/vtt", Lang: "en", Label: "English", Title: "Subtitles: English"})
	f.Entries = nil
	for i := range 1000 {
		e := one
		e.ID = "https://sister.example/en/videos/" + strconv.Itoa(i)
		e.URL = e.ID
		f.Entries = append(f.Entries, e)
	}
	for _, format := range Formats {
		b.Run(string(format), func(b *testing.B) {
			var buf bytes.Buffer
			for b.Loop() {
				buf.Reset()
				if err := Write(&buf, format, f); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(buf.Len()), "bytes/feed")
		})
	}
}
