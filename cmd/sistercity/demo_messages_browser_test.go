package main

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"sistercity/internal/blob"
	"sistercity/internal/db"
	"sistercity/internal/db/dbtest"
	"sistercity/internal/i18n"
	"sistercity/internal/media"
	"sistercity/internal/messages"
	"sistercity/internal/polltest"
	"sistercity/internal/video"
	"sistercity/internal/web/webtest"
)

// TestDemoMessageInBrowser is issue 18's first must-show, on `serve --demo` itself: on a phone
// (390×844) at /ru/, an anonymous visitor opens the demo's call "Messages to Busan", the page
// solves the proof of work, the visitor sends a text with a short video made by ffmpeg and
// uploads it from the status page through its resumable upload; serve's own workers process
// it, the admin approves it, and it appears with its video on the Russian and Korean call
// pages; the withdrawal link takes it off and deletes the video's files from the media store.
func TestDemoMessageInBrowser(t *testing.T) {
	t.Parallel()
	dataDir, dbURL := dbtest.Migrated(t)
	args := []string{"--data-dir", dataDir, "--demo"}
	if dbURL != "" {
		args = append(args, "--database-url", dbURL)
	}
	base, stdout, _ := startServe(t, args...)
	password := regexp.MustCompile(`password: (\S+)`).FindStringSubmatch(stdout.String())
	if password == nil {
		t.Fatalf("no admin password printed:\n%s", stdout.String())
	}
	link := regexp.MustCompile(`<a href="/ru/messages/([0-9]+)">Послания Пусану</a>`).FindStringSubmatch(get(t, base+"/ru/"))
	if link == nil {
		t.Fatal("the Russian home page does not link the demo's call")
	}
	call, _ := strconv.ParseInt(link[1], 10, 64)
	clip := filepath.Join(t.TempDir(), "clip.mp4")
	if err := media.TestClip(context.Background(), clip, media.ClipOptions{Width: 640, Height: 360, Duration: 2 * time.Second, FastStart: true}); err != nil {
		t.Fatal(err)
	}

	const text = "Пусан, вот моё видео из Владивостока!"
	ctx := webtest.Browser(t, chromedp.WindowSize(390, 844))
	statusURL := webtest.SendMessage(t, ctx, base, call, text,
		chromedp.Click(chromedp.CSS(`input[name=video]`)),
		chromedp.Click(chromedp.CSS(`input[name=consent_video]`)),
	)
	mark, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("upload-form").dataset.video`))
	if err != nil || !strings.HasPrefix(mark, "m") {
		t.Fatalf("the status page's upload names no message: %q %v", mark, err)
	}
	msg, _ := strconv.ParseInt(strings.TrimPrefix(mark, "m"), 10, 64)
	webtest.UploadMessageVideo(t, ctx, clip)

	// serve's workers process the video; the sender's status page says when it is ready.
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	ready, failed := cat.Localizer("ru").T("messages2.video.ready"), cat.Localizer("ru").T("messages2.video.failed")
	state := regexp.MustCompile(`<span data-message-video>([^<]*)</span>`)
	polltest.Within(t, serveStartBound, "the message's video to be processed", func() (bool, string) {
		m := state.FindStringSubmatch(get(t, base+statusURL))
		if m == nil {
			return false, "no video state on the status page"
		}
		if s := html.UnescapeString(m[1]); s == failed {
			t.Fatalf("the message's video failed: %q", s)
		}
		return html.UnescapeString(m[1]) == ready, m[1]
	})

	// The admin approves it in the queue, with the session's CSRF token.
	jar, _ := cookiejar.New(nil)
	admin := &demoClient{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
	admin.signIn("admin", password[1])
	queue := fmt.Sprintf("/admin/messages/%d/queue", call)
	_, page := admin.get(queue)
	token := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(page)
	if token == nil || !strings.Contains(page, text) {
		t.Fatal("the queue does not show the new message with a CSRF token")
	}
	resp, err := admin.c.PostForm(fmt.Sprintf("%s%s/%d/approve", base, queue, msg), url.Values{"csrf_token": {token[1]}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve: %d", resp.StatusCode)
	}

	// The pages are public and the browser keeps them a while: each look asks for a URL of its
	// own. A look tells whether the message's text and its video are shown.
	look := 0
	shown := func(lang string) (hasText, hasVideo bool) {
		look++
		if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/%s/messages/%d?look=%d", base, lang, call, look))); err != nil {
			t.Fatal(err)
		}
		body, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("main").textContent`))
		if err != nil {
			t.Fatal(err)
		}
		src := fmt.Sprintf("/%s/messages/%d/videos/%d", lang, call, msg)
		has, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector('video[src=%q]') !== null`, src)))
		if err != nil {
			t.Fatal(err)
		}
		return strings.Contains(body, text), has
	}
	for _, lang := range []string{"ru", "ko"} {
		if hasText, hasVideo := shown(lang); !hasText || !hasVideo {
			t.Errorf("/%s/: the approved message shown %v, its video %v", lang, hasText, hasVideo)
		}
	}
	src := fmt.Sprintf("%s/ru/messages/%d/videos/%d", base, call, msg)
	if resp, err := http.Get(src); err != nil || resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "video/mp4" {
		t.Errorf("the message's video: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	// The message's video and its files, as serve keeps them: the database and the media store
	// of its data directory.
	d, err := db.Open(context.Background(), dbURL, dataDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	store, err := blob.Open(context.Background(), "", dataDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	m, err := messages.GetMessage(context.Background(), d.R, msg)
	if err != nil || m.VideoID == 0 {
		t.Fatalf("message %d: video %d, %v", msg, m.VideoID, err)
	}
	files := func() int {
		n := 0
		for _, prefix := range []string{video.KeyPrefix(m.VideoID), video.SourceKey(m.VideoID, "")} {
			for _, err := range store.List(context.Background(), prefix) {
				if err != nil {
					t.Fatal(err)
				}
				n++
			}
		}
		return n
	}
	if files() == 0 {
		t.Fatal("no stored file of the video before the withdrawal")
	}

	err = chromedp.Do(ctx,
		chromedp.Navigate(base+statusURL),
		chromedp.Click(chromedp.CSS(`form[action$="/withdraw"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-status="withdrawn"]`)),
	)
	if err != nil {
		t.Fatalf("withdraw: %v", err)
	}
	for _, lang := range []string{"ru", "ko"} {
		if hasText, hasVideo := shown(lang); hasText || hasVideo {
			t.Errorf("/%s/: the withdrawn message is still on the page: text %v, video %v", lang, hasText, hasVideo)
		}
	}
	if n := files(); n != 0 {
		t.Errorf("%d files of the withdrawn message's video left in the media store", n)
	}
	if _, err := video.Get(context.Background(), d.R, m.VideoID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("the withdrawn message's video is still there: %v", err)
	}
	if resp, err := http.Get(src); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("the withdrawn video still served: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
}
