package main

import (
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strings"
	"testing"
)

// TestDemoMessages starts with --demo and finds the open call "Messages to Busan": linked from
// the Russian home page, its page shows the three approved messages and not the waiting one,
// the Korean page gives the Russian message in its Korean translation, marked as such, and the
// admin's queue has the waiting one. A photo message and a video message made by ffmpeg are
// approved, their files served, and the video is offered for a compilation. A second load adds
// nothing.
func TestDemoMessages(t *testing.T) {
	t.Parallel()
	args := append(dbArgs(t), "--demo")
	base, stdout, stop := startServe(t, args...)
	m := regexp.MustCompile(`password: (\S+)`).FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("no admin password printed:\n%s", stdout.String())
	}
	jar, _ := cookiejar.New(nil)
	b := &demoClient{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
	_, home := b.get("/ru/")
	link := regexp.MustCompile(`<a href="(/ru/messages/[0-9]+)">Послания Пусану</a>`).FindStringSubmatch(home)
	if link == nil {
		t.Fatal("the Russian home page does not link the open call")
	}
	status, ru := b.get(link[1])
	if status != http.StatusOK || !strings.Contains(ru, "Держитесь, мы с вами.") || !strings.Contains(ru, "블라디보스토크 시민 여러분의 응원에") ||
		!strings.Contains(ru, "Желаем здоровья") || strings.Contains(ru, "Привет из Владивостока") {
		t.Errorf("the Russian call page (%d) does not show the approved messages alone", status)
	}
	// The photo message and the video message made by ffmpeg, approved, with their files.
	for _, media := range []struct{ re, typ string }{
		{`<img src="(/ru/messages/[0-9]+/photos/[0-9]+)"`, "image/jpeg"},
		{`<video src="(/ru/messages/[0-9]+/videos/[0-9]+)"`, "video/mp4"},
	} {
		src := regexp.MustCompile(media.re).FindStringSubmatch(ru)
		if src == nil {
			t.Errorf("the Russian call page has no %s message", media.typ)
			continue
		}
		if resp, err := b.c.Get(base + src[1]); err != nil || resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != media.typ {
			t.Errorf("%s: %v %v", src[1], resp, err)
		} else {
			resp.Body.Close()
		}
	}
	if !strings.Contains(ru, "Видеопривет Пусану") || !strings.Contains(ru, "Солнце над морем") {
		t.Error("the Russian call page lacks the texts of the photo and video messages")
	}
	_, ko := b.get(strings.Replace(link[1], "/ru/", "/ko/", 1))
	if !regexp.MustCompile(`(?s)부산의 친구 여러분!.{0,400}?<span class="badge">번역</span>`).MatchString(ko) {
		t.Error("the Korean call page lacks the marked translation")
	}
	b.signIn("admin", m[1])
	status, queue := b.get(strings.Replace(link[1], "/ru/messages/", "/admin/messages/", 1) + "/queue?lang=en")
	// The waiting part, between its heading and the decided part's (the order form above it
	// lists the approved messages).
	start, end := strings.Index(queue, `id="waiting-title"`), strings.Index(queue, `id="decided-title"`)
	if status != http.StatusOK || start < 0 || end < start {
		t.Fatalf("queue: %d\n%s", status, queue)
	}
	waiting := queue[start:end]
	if !strings.Contains(waiting, "Привет из Владивостока") || strings.Contains(waiting, "Держитесь") {
		t.Error("the queue's waiting part is not the one waiting message")
	}
	// The video message's sender agreed to the compiled video: the compilation form offers it.
	_, comp := b.get(strings.Replace(link[1], "/ru/messages/", "/admin/messages/", 1) + "/compilations?lang=en")
	if !strings.Contains(comp, "Дмитрий") {
		t.Error("the compilation form does not offer the demo's video message")
	}
	stop()
	_, stdout, stop = startServe(t, args...)
	defer stop()
	if strings.Contains(stdout.String(), "password:") {
		t.Error("a second start printed a password")
	}
}
