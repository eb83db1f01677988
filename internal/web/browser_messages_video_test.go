package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"sistercity/internal/db"
	"sistercity/internal/video"
	"sistercity/internal/web/webtest"
)

// TestMessagesBrowserVideo: on a phone (390×844) at /ru/, an anonymous visitor opens the call
// from the home page, the page's module solves the proof of work, the visitor sends a text
// with a short video, which the status page uploads through its resumable upload; the video is
// processed, an editor approves the message and it appears, with its video, on the Russian and
// Korean call pages; the withdrawal link takes it off and deletes the video's files.
func TestMessagesBrowserVideo(t *testing.T) {
	t.Parallel()
	e, call := videoMessageEnv(t)
	clip, _ := testClip(t, 2*time.Second)
	ctx := webtest.Browser(t, chromedp.WindowSize(390, 844))
	statusURL := webtest.SendMessage(t, ctx, e.ts.URL, call, "Пусан, вот моё видео!",
		chromedp.Click(chromedp.CSS(`input[name=video]`)),
		chromedp.Click(chromedp.CSS(`input[name=consent_video]`)),
	)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("upload-file"))); err != nil {
		t.Fatalf("the status page offers no upload: %v", err)
	}
	auditPageHere(t, ctx)
	webtest.UploadMessageVideo(t, ctx, clip)
	m := lastMessage(t, e, call)
	if v := e.processMessageVideo(m.ID); !v.Processed() {
		t.Fatalf("video not processed: %q %q", v.Processing, v.Failure)
	}
	if resp, body := e.editor.post(fmt.Sprintf("/admin/messages/%d/queue/%d/approve", call, m.ID), nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve: %d %s", resp.StatusCode, body)
	}

	// The pages are public and the browser keeps them a while (pageMaxAge): each look asks
	// for a URL of its own. A look tells whether the message's text and its video are shown.
	look := 0
	shown := func(lang string) (text, video bool) {
		look++
		if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/%s/messages/%d?look=%d", e.ts.URL, lang, call, look))); err != nil {
			t.Fatal(err)
		}
		body, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("main").textContent`))
		if err != nil {
			t.Fatal(err)
		}
		src := fmt.Sprintf("/%s/messages/%d/videos/%d", lang, call, m.ID)
		has, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector('video[src=%q]') !== null`, src)))
		if err != nil {
			t.Fatal(err)
		}
		return strings.Contains(body, "Пусан, вот моё видео!"), has
	}
	for _, lang := range []string{"ru", "ko"} {
		if text, video := shown(lang); !text || !video {
			t.Errorf("/%s/: the approved message shown %v, its video %v", lang, text, video)
		}
	}
	src := fmt.Sprintf("/ru/messages/%d/videos/%d", call, m.ID)
	if resp, _ := e.client().get(src); resp.StatusCode != http.StatusOK {
		t.Errorf("the message's video: %d", resp.StatusCode)
	}

	vid := lastMessage(t, e, call).VideoID
	if e.videoFiles(vid) == 0 {
		t.Fatal("no stored file of the video before the withdrawal")
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(e.ts.URL+statusURL),
		chromedp.Click(chromedp.CSS(`form[action$="/withdraw"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-status="withdrawn"]`)),
	)
	if err != nil {
		t.Fatalf("withdraw: %v", err)
	}
	if text, video := shown("ru"); text || video {
		t.Errorf("the withdrawn message is still on the page: text %v, video %v", text, video)
	}
	if n := e.videoFiles(vid); n != 0 {
		t.Errorf("%d files of the withdrawn message's video left in the store", n)
	}
	if _, err := video.Get(context.Background(), e.db.R, vid); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("the withdrawn message's video is still there: %v", err)
	}
	if resp, _ := e.client().get(src); resp.StatusCode != http.StatusNotFound {
		t.Errorf("withdrawn video still served: %d", resp.StatusCode)
	}
}

// auditPageHere audits the page the browser shows, as auditPage does after opening one.
func auditPageHere(t *testing.T, ctx context.Context) {
	t.Helper()
	problems, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](a11yAudit))
	if err != nil {
		t.Fatalf("audit: %v", err)
	}
	for _, p := range problems {
		t.Errorf("status page: %s", p)
	}
}
