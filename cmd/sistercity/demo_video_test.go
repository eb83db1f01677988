package main

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestDemoVideo is the "must show": with serve --demo, /ko/videos lists the support
// video, its watch page offers a playable source, and a range request on that media URL gets
// 206 with 100 bytes. A second start makes nothing new.
func TestDemoVideo(t *testing.T) {
	t.Parallel()
	args := append(dbArgs(t), "--demo")
	base, _, stop := startServe(t, args...)
	index := get(t, base+"/ko/videos")
	link := regexp.MustCompile(`<a href="(/ko/videos/\d+)">`).FindStringSubmatch(index)
	if link == nil || !strings.Contains(index, "부산·블라디보스토크 코로나19 극복 응원 영상") {
		t.Fatalf("/ko/videos lacks the demo video:\n%s", index)
	}
	watch := get(t, base+link[1])
	src := regexp.MustCompile(`<source src="(/media/videos/[^"]+\.mp4)" type="video/mp4">`).FindStringSubmatch(watch)
	if src == nil {
		t.Fatalf("watch page has no source:\n%s", watch)
	}
	req, _ := http.NewRequest("GET", base+src[1], nil)
	req.Header.Set("Range", "bytes=0-99")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent || len(b) != 100 {
		t.Errorf("range on %s: %d with %d bytes", src[1], resp.StatusCode, len(b))
	}
	for _, lang := range []string{"ru", "en"} {
		body := get(t, base+strings.Replace(link[1], "/ko/", "/"+lang+"/", 1))
		want := map[string]string{"ru": "Видеообращение Владивостока в поддержку Пусана", "en": "Vladivostok&#39;s message of support to Busan"}[lang]
		if !strings.Contains(body, want) {
			t.Errorf("/%s watch page lacks %q", lang, want)
		}
	}
	// Korean, Russian and English subtitles, the page's language preselected, each served as
	// WebVTT.
	checkDemoTracks(t, base, link[1])
	// The support video is linked to its video-message activity, so the Vladivostok timeline
	// links to it.
	if n := timelineVideoLinks(t, base, link[1]); n != 1 {
		t.Errorf("partner timelines link the video %d times, want 1", n)
	}
	if code := stop(); code != 0 {
		t.Fatalf("serve exited with %d", code)
	}
	base, _, _ = startServe(t, args...)
	again := get(t, base+"/ko/videos")
	if n := strings.Count(again, `class="video-card"`); n != 1 {
		t.Errorf("after a second start: %d videos, want 1", n)
	}
	if !strings.Contains(again, src[1][:strings.LastIndex(src[1], "-")]) {
		t.Errorf("the second start processed the video again")
	}
	if n := timelineVideoLinks(t, base, link[1]); n != 1 {
		t.Errorf("after a second start the timelines link the video %d times, want 1", n)
	}
	checkDemoTracks(t, base, link[1])
}

var demoTrackRe = regexp.MustCompile(`<track kind="subtitles" src="(/media/tracks/\d+\.vtt)" srclang="([a-z]+)" label="([^"]*)" data-track-id="\d+"( default)?>`)

// checkDemoTracks checks that the watch page of the demo video offers exactly its Korean,
// Russian and English tracks in each language, with the page's language as the default, and
// that each track's cues load as WebVTT.
func checkDemoTracks(t *testing.T, base, koWatch string) {
	t.Helper()
	want := map[string]string{"ko": "블라디보스토크가 부산을 응원합니다.", "ru": "Владивосток поддерживает Пусан.", "en": "Vladivostok stands with Busan."}
	for _, page := range []string{"ko", "ru", "en"} {
		body := get(t, base+strings.Replace(koWatch, "/ko/", "/"+page+"/", 1))
		found := demoTrackRe.FindAllStringSubmatch(body, -1)
		if len(found) != 3 {
			t.Errorf("/%s watch page offers %d tracks, want 3:\n%s", page, len(found), body)
			continue
		}
		for _, m := range found {
			if (m[4] != "") != (m[2] == page) {
				t.Errorf("/%s: track %s default=%v", page, m[2], m[4] != "")
			}
			if page != "ko" {
				continue
			}
			resp, err := http.Get(base + m[1])
			if err != nil {
				t.Fatal(err)
			}
			vtt, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/vtt; charset=utf-8" ||
				!strings.HasPrefix(string(vtt), "WEBVTT") || !strings.Contains(string(vtt), want[m[2]]) {
				t.Errorf("%s track %s: %d %q\n%s", m[2], m[1], resp.StatusCode, resp.Header.Get("Content-Type"), vtt)
			}
		}
		if !strings.Contains(body, want[page]) {
			t.Errorf("/%s watch page's transcript lacks %q", page, want[page])
		}
	}
}

// timelineVideoLinks counts the timeline lines of the Korean partner pages that link to href.
func timelineVideoLinks(t *testing.T, base, href string) int {
	t.Helper()
	n := 0
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile(`href="(/ko/partners/\d+)"`).FindAllStringSubmatch(get(t, base+"/ko/partners"), -1) {
		if seen[m[1]] {
			continue
		}
		seen[m[1]] = true
		n += strings.Count(get(t, base+m[1]), `<span class="videos">영상: <a href="`+href+`"`)
	}
	return n
}
