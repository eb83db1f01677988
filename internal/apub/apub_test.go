package apub

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	xsd "git.sr.ht/~mariusor/go-xsd-duration"
	vocab "github.com/go-ap/activitypub"

	"sistercity/internal/outbox"
	"sistercity/internal/subtitle"
	"sistercity/internal/track"
	"sistercity/internal/video"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json")

var testSite = Site{
	Base: "https://busan.example",
	WatchURL: func(id int64, lang string) string {
		return "https://busan.example/" + lang + "/videos/" + strconv.FormatInt(id, 10)
	},
	MediaURL: func(key string) string { return "https://busan.example/media/" + key },
	TrackURL: func(id int64) string {
		return "https://busan.example/media/tracks/" + strconv.FormatInt(id, 10) + ".vtt"
	},
}

var published = time.Date(2020, 7, 9, 1, 0, 0, 0, time.UTC)

// fixedVideo is the story's video as the demo makes it, with fixed sizes and keys.
func fixedVideo() (*video.Video, *outbox.Object, []*track.Track) {
	v := &video.Video{ID: 7, OriginalLang: "ru", State: video.StatePublished, PublishedAt: published,
		Duration: 65*time.Second + 400*time.Millisecond, Processing: video.ProcReady,
		SourceInfo:   `{"format":"mov,mp4","width":1920,"height":1080,"frame_rate":59.94,"duration_ms":65400,"size":1000}`,
		PosterKey:    "videos/7/poster-ab.jpg",
		ThumbnailKey: "videos/7/thumb-ab.jpg",
		Texts: []video.Text{
			{Lang: "ko", Title: "부산·블라디보스토크 코로나19 극복 응원 영상", Description: "블라디보스토크 시민들이 보내온 응원."},
			{Lang: "ru", Title: "Видеообращение Владивостока в поддержку Пусана", Description: "Жители Владивостока поддерживают Пусан.\n\nВторой абзац."},
			{Lang: "en", Title: "Vladivostok's message of support to Busan", Description: "Support from <Vladivostok> & friends."},
		},
		Tags: []string{"support", "sister city", "코로나19"},
		Renditions: []video.Rendition{
			{Lines: 360, Width: 640, Height: 360, Size: 1_200_000, Key: "videos/7/360-ab.mp4"},
			{Lines: 1080, Width: 1920, Height: 1080, Size: 9_800_000, Key: "videos/7/1080-ab.mp4"},
		},
	}
	o := &outbox.Object{VideoID: 7, UUID: "0b6c1c3e-55a4-4f3e-9d0a-2f1e5d7c9b11", Published: published,
		Last: outbox.Activity{ID: 3, VideoID: 7, Kind: outbox.Update, At: published.Add(2 * time.Hour)}}
	var tracks []*track.Track
	for i, lang := range []string{"ko", "ru", "en"} {
		tracks = append(tracks, &track.Track{ID: int64(20 + i), VideoID: 7, Lang: lang, Kind: subtitle.KindSubtitles, Status: track.StatusApproved})
	}
	tracks = append(tracks, &track.Track{ID: 30, VideoID: 7, Lang: "ja", Kind: subtitle.KindSubtitles, Status: track.StatusDraft})
	return v, o, tracks
}

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it):\n%s", name, got)
	}
}

// TestVideoGolden: the fixed video's object and its activities, byte for byte.
func TestVideoGolden(t *testing.T) {
	v, o, tracks := fixedVideo()
	golden(t, "video.golden.json", marshal(t, testSite.NewVideo(v, o, tracks, true)))
	create, err := testSite.NewActivity(outbox.Activity{ID: 1, VideoID: 7, Kind: outbox.Create, At: published},
		v, testSite.NewVideo(v, o, tracks, false), true)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "create.golden.json", marshal(t, create))
	del, err := testSite.NewActivity(outbox.Activity{ID: 4, VideoID: 7, Kind: outbox.Delete, At: published.Add(24 * time.Hour)}, nil, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "delete.golden.json", marshal(t, del))
}

// TestVideoDecodesWithGoAP: a third-party ActivityStreams library reads our object as a Video
// with its names in ko, ru and en, its duration, links and attribution; PeerTube's own
// subtitleLanguage, which such libraries do not know, holds the three approved tracks.
func TestVideoDecodesWithGoAP(t *testing.T) {
	v, o, tracks := fixedVideo()
	b := marshal(t, testSite.NewVideo(v, o, tracks, true))
	it, err := vocab.UnmarshalJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	if it.GetType() != vocab.VideoType {
		t.Fatalf("type %v", it.GetType())
	}
	// go-ap keeps a language map in name itself (JSON-LD's other form); our nameMap and
	// contentMap, ActivityStreams' own terms, are read with its NaturalLanguageValues.
	var maps struct{ NameMap, ContentMap, Duration json.RawMessage }
	if err := json.Unmarshal(b, &maps); err != nil {
		t.Fatal(err)
	}
	var names, contents vocab.NaturalLanguageValues
	if err := names.UnmarshalJSON(maps.NameMap); err != nil {
		t.Fatal(err)
	}
	if err := contents.UnmarshalJSON(maps.ContentMap); err != nil {
		t.Fatal(err)
	}
	for _, tx := range v.Texts {
		if got := names.Get(vocab.LangRef(tx.Lang)).String(); got != tx.Title {
			t.Errorf("nameMap[%s] = %q, want %q", tx.Lang, got, tx.Title)
		}
	}
	if len(names) != 3 {
		t.Errorf("nameMap has %d languages", len(names))
	}
	if got := contents.Get(vocab.LangRef("en")).String(); got != "<p>Support from &lt;Vladivostok&gt; &amp; friends.</p>" {
		t.Errorf("contentMap[en] = %q", got)
	}
	var dur time.Duration
	if err := xsd.Unmarshal(bytes.Trim(maps.Duration, `"`), &dur); err != nil || dur != 65*time.Second {
		t.Errorf("duration %s: %v %v", maps.Duration, dur, err)
	}
	err = vocab.OnObject(it, func(ob *vocab.Object) error {
		if ob.ID != "https://busan.example/ap/videos/7" || !ob.Published.Equal(published) {
			t.Errorf("id %s published %v", ob.ID, ob.Published)
		}
		if ob.Name.First().String() != v.Texts[1].Title {
			t.Errorf("name %v", ob.Name)
		}
		by, ok := ob.AttributedTo.(vocab.ItemCollection)
		// The city, and its channel as PeerTube names a video's (fed.Channel).
		if !ok || len(by) != 2 || by[0].GetID() != "https://busan.example/ap/actor" || by[0].GetType() != vocab.OrganizationType ||
			by[1].GetID() != "https://busan.example/ap/channel" || by[1].GetType() != vocab.GroupType {
			t.Errorf("attributedTo %#v", ob.AttributedTo)
		}
		if !ob.To.Contains(vocab.PublicNS) || !ob.CC.Contains(vocab.IRI("https://busan.example/ap/actor/followers")) {
			t.Errorf("to %v cc %v", ob.To, ob.CC)
		}
		urls, ok := ob.URL.(vocab.ItemCollection)
		if !ok || len(urls) != 3 {
			t.Fatalf("url: %#v", ob.URL)
		}
		return vocab.OnLink(urls[2], func(l *vocab.Link) error {
			if l.MediaType != "video/mp4" || l.Height != 1080 || l.Href != "https://busan.example/media/videos/7/1080-ab.mp4" {
				t.Errorf("rendition link %+v", l)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	var pt struct {
		SubtitleLanguage []Language `json:"subtitleLanguage"`
		UUID             string     `json:"uuid"`
	}
	if err := json.Unmarshal(b, &pt); err != nil {
		t.Fatal(err)
	}
	if len(pt.SubtitleLanguage) != 3 || pt.SubtitleLanguage[1] != (Language{"ru", "русский", "https://busan.example/media/tracks/21.vtt"}) {
		t.Errorf("subtitleLanguage %+v", pt.SubtitleLanguage)
	}
	if pt.UUID != o.UUID {
		t.Errorf("uuid %q", pt.UUID)
	}
}

// TestContentEscapes: markup in a title stays text in JSON, and markup in a description is
// escaped in content; no description makes no content.
func TestContentEscapes(t *testing.T) {
	for in, want := range map[string]string{
		"":                                    "",
		"  ":                                  "",
		"<script>alert(1)</script>":           "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>",
		"a\nb\n\n\nc":                         "<p>a<br>b</p><p>c</p>",
		`<img src=x onerror="x">`:             "<p>&lt;img src=x onerror=&#34;x&#34;&gt;</p>",
		"Tom & Jerry's \"show\"\r\nnext line": "<p>Tom &amp; Jerry&#39;s &#34;show&#34;<br>next line</p>",
	} {
		if got := Content(in); got != want {
			t.Errorf("Content(%q) = %q, want %q", in, got, want)
		}
	}
	v, o, _ := fixedVideo()
	v.Texts = []video.Text{{Lang: "ru", Title: `<b>Заголовок</b>`, Description: `<a href="javascript:x">ссылка</a>`}}
	obj := testSite.NewVideo(v, o, nil, true)
	if obj.Name != `<b>Заголовок</b>` || obj.Content != "<p>&lt;a href=&#34;javascript:x&#34;&gt;ссылка&lt;/a&gt;</p>" ||
		obj.ContentMap["ru"] != obj.Content {
		t.Errorf("name %q content %q", obj.Name, obj.Content)
	}
	if b := marshal(t, obj); strings.Contains(string(b), "<b>") || strings.Contains(string(b), "<a ") {
		t.Errorf("markup unescaped in JSON:\n%s", b)
	}
}

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "PT0S", 65 * time.Second: "PT1M5S", 65*time.Second + 600*time.Millisecond: "PT1M6S",
		time.Hour: "PT1H", 3723 * time.Second: "PT1H2M3S", 120 * time.Second: "PT2M",
	} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %s, want %s", d, got, want)
		}
	}
}

// TestUnlistedAudience: an unlisted video goes to the followers, with Public in cc.
func TestUnlistedAudience(t *testing.T) {
	v, o, tracks := fixedVideo()
	v.State = video.StateUnlisted
	obj := testSite.NewVideo(v, o, tracks, false)
	if len(obj.To) != 1 || obj.To[0] != testSite.FollowersID() || obj.Cc[0] != Public {
		t.Errorf("to %v cc %v", obj.To, obj.Cc)
	}
}

// TestOutboxPages: first, last, prev and next of the outbox pages.
func TestOutboxPages(t *testing.T) {
	c := testSite.NewOutbox(45, 20)
	if c.TotalItems != 45 || c.First != "https://busan.example/ap/actor/outbox?page=1" || c.Last != "https://busan.example/ap/actor/outbox?page=3" {
		t.Errorf("collection %+v", c)
	}
	p := testSite.NewOutboxPage(2, 45, 20, nil)
	if p.Prev != testSite.pageURL(1) || p.Next != testSite.pageURL(3) || p.OrderedItems == nil {
		t.Errorf("page 2 %+v", p)
	}
	if p := testSite.NewOutboxPage(3, 45, 20, nil); p.Next != "" {
		t.Errorf("page 3 next %q", p.Next)
	}
	if c := testSite.NewOutbox(0, 20); c.Last != c.First {
		t.Errorf("empty outbox %+v", c)
	}
}
