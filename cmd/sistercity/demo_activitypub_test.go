package main

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"testing"

	vocab "github.com/go-ap/activitypub"
)

// TestDemoVideoActivityPub is the "must show" for the Video object, on `serve --demo`:
// the demo video's object, asked for on its watch page as Mastodon asks, decodes with a
// third-party ActivityStreams library (go-ap) as a Video whose nameMap has its Korean, Russian
// and English titles, and holds three subtitleLanguage entries, one per approved demo track.
func TestDemoVideoActivityPub(t *testing.T) {
	t.Parallel()
	base, _, stop := startServe(t, append(dbArgs(t), "--demo")...)
	defer stop()
	link := regexp.MustCompile(`<a href="/ko(/videos/(\d+))">`).FindStringSubmatch(get(t, base+"/ko/videos"))
	if link == nil {
		t.Fatal("/ko/videos lists no demo video")
	}
	req, _ := http.NewRequest("GET", base+"/ru"+link[1], nil)
	req.Header.Set("Accept", `application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"`)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/activity+json" {
		t.Fatalf("watch page as ActivityPub: %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	it, err := vocab.UnmarshalJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	if it.GetType() != vocab.VideoType || it.GetID() != vocab.IRI(base+"/ap/videos/"+link[2]) {
		t.Fatalf("decoded %s %s", it.GetType(), it.GetID())
	}
	var raw struct {
		NameMap          json.RawMessage
		SubtitleLanguage []struct{ Identifier, Name, URL string }
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	var names vocab.NaturalLanguageValues
	if err := names.UnmarshalJSON(raw.NameMap); err != nil {
		t.Fatal(err)
	}
	for lang, want := range map[string]string{
		"ko": "부산·블라디보스토크 코로나19 극복 응원 영상",
		"ru": "Видеообращение Владивостока в поддержку Пусана",
		"en": "Vladivostok's message of support to Busan",
	} {
		if got := names.Get(vocab.LangRef(lang)).String(); got != want {
			t.Errorf("nameMap[%s] = %q, want %q", lang, got, want)
		}
	}
	if len(raw.SubtitleLanguage) != 3 {
		t.Fatalf("subtitleLanguage: %+v", raw.SubtitleLanguage)
	}
	for _, s := range raw.SubtitleLanguage {
		if s.Identifier == "" || s.Name == "" {
			t.Errorf("subtitle language %+v", s)
		}
		if vtt := get(t, s.URL); len(vtt) < 6 || vtt[:6] != "WEBVTT" {
			t.Errorf("%s is not WebVTT", s.URL)
		}
	}
}
