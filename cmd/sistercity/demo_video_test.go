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
