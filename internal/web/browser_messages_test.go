package web

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"sistercity/internal/web/webtest"
)

// TestMessagesBrowser: on a phone, an anonymous visitor opens the call from the Russian home
// page, the page's module solves the proof of work, the visitor sends a text and lands on its
// status page; an editor approves it and it appears on the Russian and Korean call pages; the
// withdrawal link takes it off again.
func TestMessagesBrowser(t *testing.T) {
	t.Parallel()
	e := newMessageEnv(t)
	call := e.createCall("2020-07-01", "2020-07-31")
	callURL := fmt.Sprintf("%s/ru/messages/%d", e.ts.URL, call)
	ctx := webtest.Browser(t)
	auditPage(t, ctx, callURL+"/send")
	statusURL := webtest.SendMessage(t, ctx, e.ts.URL, call, "Пусан, мы с тобой!")

	var id int64
	_ = e.db.R.QueryRow("SELECT id FROM citizen_messages").Scan(&id)
	if resp, _ := e.editor.post(fmt.Sprintf("/admin/messages/%d/queue/%d/approve", call, id), nil); resp.StatusCode != 303 {
		t.Fatalf("approve: %d", resp.StatusCode)
	}
	// The pages are public and the browser keeps them a while (pageMaxAge): each look asks
	// for a URL of its own.
	look := 0
	shown := func(lang string) bool {
		look++
		if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/%s/messages/%d?look=%d", e.ts.URL, lang, call, look))); err != nil {
			t.Fatal(err)
		}
		text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("main").textContent`))
		if err != nil {
			t.Fatal(err)
		}
		return strings.Contains(text, "Пусан, мы с тобой!")
	}
	if !shown("ru") || !shown("ko") {
		t.Fatal("the approved message is not on the Russian and Korean pages")
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(e.ts.URL+statusURL),
		chromedp.Click(chromedp.CSS(`form[action$="/withdraw"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-status="withdrawn"]`)),
	)
	if err != nil {
		t.Fatalf("withdraw: %v", err)
	}
	if shown("ru") {
		t.Error("the withdrawn message is still on the page")
	}
}
