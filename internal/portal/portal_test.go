package portal

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

const (
	actor = "https://vladivostok.example/ap/actor"
	objID = "https://vladivostok.example/ap/videos/7"
)

// video is a Video object as a sistercity or PeerTube sends it, with what mutate changes.
func video(mutate func(m map[string]any)) []byte {
	m := map[string]any{
		"id": objID, "type": "Video", "name": "Видеообращение",
		"nameMap":      map[string]any{"ru": "Видеообращение", "ko": "응원 영상", "en": "Support video"},
		"content":      "<p>Владивосток</p>",
		"contentMap":   map[string]any{"ru": "<p>Владивосток <script>alert(1)</script><a href=\"javascript:alert(1)\" onclick=\"x()\">поддерживает</a></p>", "ko": "<p>응원<img src=x onerror=alert(1)></p>"},
		"duration":     "PT1M5S",
		"published":    "2020-07-01T10:00:00Z",
		"attributedTo": []any{map[string]any{"type": "Organization", "id": actor}},
		"to":           []any{"https://www.w3.org/ns/activitystreams#Public"},
		"language":     map[string]any{"identifier": "ru", "name": "русский"},
		"url": []any{
			map[string]any{"type": "Link", "mediaType": "text/html", "href": "https://vladivostok.example/ru/videos/7"},
			map[string]any{"type": "Link", "mediaType": "video/mp4", "href": "https://vladivostok.example/media/videos/7/240.mp4", "height": 240},
			map[string]any{"type": "Link", "mediaType": "video/mp4", "href": "https://vladivostok.example/media/videos/7/360.mp4", "height": 360},
			map[string]any{"type": "Link", "mediaType": "video/mp4", "href": "javascript:alert(1)", "height": 720},
		},
		"icon": []any{map[string]any{"url": "https://vladivostok.example/media/videos/7/poster.jpg", "width": 1280},
			map[string]any{"url": "https://vladivostok.example/media/videos/7/thumb.jpg", "width": 320}},
		"subtitleLanguage": []any{
			map[string]any{"identifier": "ko", "name": "한국어", "url": "https://vladivostok.example/media/tracks/1.vtt"},
			map[string]any{"identifier": "<x>", "name": "bad", "url": "https://vladivostok.example/media/tracks/2.vtt"},
			// PeerTube 6's shape: a list of links.
			map[string]any{"identifier": "en", "name": "English", "url": []any{
				map[string]any{"type": "Link", "mediaType": "application/x-mpegURL", "href": "https://vladivostok.example/en.m3u8"},
				map[string]any{"type": "Link", "mediaType": "text/vtt", "href": "https://vladivostok.example/en.vtt"}}},
		},
	}
	if mutate != nil {
		mutate(m)
	}
	b, _ := json.Marshal(m)
	return b
}

func TestParseVideo(t *testing.T) {
	t.Parallel()
	now := time.Date(2020, 7, 10, 0, 0, 0, 0, time.UTC)
	v, err := parseVideo(video(nil), actor, objID, now)
	if err != nil {
		t.Fatal(err)
	}
	if title, lang := v.Title("ko"); title != "응원 영상" || lang != "ko" {
		t.Errorf("ko title: %q %q", title, lang)
	}
	if title, lang := v.Title("ja"); title != "Видеообращение" || lang != "ru" {
		t.Errorf("a language it lacks falls back to the original: %q %q", title, lang)
	}
	desc, _ := v.Description("ru")
	for _, bad := range []string{"<script", "javascript:", "onclick", "alert"} {
		if strings.Contains(desc, bad) {
			t.Errorf("ru description keeps %q: %s", bad, desc)
		}
	}
	if !strings.Contains(desc, "поддерживает") {
		t.Errorf("ru description lost its text: %s", desc)
	}
	if ko, _ := v.Description("ko"); strings.Contains(ko, "onerror") {
		t.Errorf("ko description: %s", ko)
	}
	if v.Duration != 65*time.Second || v.URL != "https://vladivostok.example/ru/videos/7" ||
		len(v.Media) != 2 || v.Media[0].Height != 360 || len(v.Tracks) != 2 || v.Tracks[0].Lang != "ko" || v.Tracks[1].URL != "https://vladivostok.example/en.vtt" ||
		v.PosterURL != "https://vladivostok.example/media/videos/7/poster.jpg" || !v.Published.Equal(time.Date(2020, 7, 1, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("video: %+v", v)
	}
	if hosts := v.Hosts(); len(hosts) != 1 || hosts[0] != "https://vladivostok.example" {
		t.Errorf("hosts: %v", hosts)
	}
}

func TestParseVideoRefusals(t *testing.T) {
	t.Parallel()
	now := time.Now()
	for name, tc := range map[string]struct {
		mutate func(m map[string]any)
		public bool // refused as not public (removed), rather than as bad
	}{
		"another id":             {mutate: func(m map[string]any) { m["id"] = "https://vladivostok.example/ap/videos/8" }},
		"not a video":            {mutate: func(m map[string]any) { m["type"] = "Note" }},
		"another actor's":        {mutate: func(m map[string]any) { m["attributedTo"] = "https://elsewhere.example/u/m" }},
		"no playable file":       {mutate: func(m map[string]any) { m["url"] = []any{} }},
		"no name":                {mutate: func(m map[string]any) { m["name"] = ""; m["nameMap"] = nil }},
		"unlisted":               {mutate: func(m map[string]any) { m["to"] = []any{actor + "/followers"} }, public: true},
		"tombstone":              {mutate: func(m map[string]any) { m["type"] = "Tombstone" }, public: true},
		"malformed":              {mutate: func(m map[string]any) { m["nameMap"] = "x" }},
		"duration is not a time": {mutate: func(m map[string]any) { m["duration"] = []any{1} }},
	} {
		_, err := parseVideo(video(tc.mutate), actor, objID, now)
		if err == nil || errors.Is(err, errNotPublic) != tc.public {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// Remote names are kept as plain text, without control characters, cut to a bound; pages
// escape them.
func TestParseVideoLongName(t *testing.T) {
	t.Parallel()
	v, err := parseVideo(video(func(m map[string]any) {
		m["name"] = "<b>" + strings.Repeat("й", 10000) + "\x00"
		m["nameMap"] = nil
	}), actor, objID, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if n := len([]rune(v.Name)); n != maxName+1 || !strings.HasPrefix(v.Name, "<b>") {
		t.Errorf("name of %d runes: %.20q", n, v.Name)
	}
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{"PT1H2M3S": time.Hour + 2*time.Minute + 3*time.Second, "PT5S": 5 * time.Second,
		"P1D": 0, "": 0, "PT99999999999S": 0} {
		if got := parseDuration(in); got != want {
			t.Errorf("%q: %v, want %v", in, got, want)
		}
	}
}

func TestPosterKey(t *testing.T) {
	t.Parallel()
	for file, ok := range map[string]bool{"0123456789abcdef0123456789abcdef.jpg": true, "0123456789abcdef0123456789abcdef.webp": true,
		"0123456789abcdef0123456789abcdef.exe": false, "../../etc/passwd": false, "0123456789abcdef0123456789abcdeg.jpg": false, "": false} {
		if _, err := PosterKey(file); (err == nil) != ok {
			t.Errorf("%q: %v", file, err)
		}
	}
}
