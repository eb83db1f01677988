// Package webtest holds steps in Chromium that browser tests of more than one package take, so
// that each is written once: a form sent and the page that answers waited for (Submit); a
// visitor sending a citizen's message (internal/web's tests against a call they create,
// cmd/sistercity's against the demo's call on `serve --demo`) and uploading its video. It is
// imported by tests only.
package webtest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// SendMessage is a visitor sending a message on a phone: from base's /ru/ to call's page and
// its form, the name and body typed, the publication consent and what more adds ticked; it
// waits for the page's module to solve the proof of work (CPU in the browser: a generous
// bound), sends the form and returns the path of the status page it lands on.
func SendMessage(t testing.TB, ctx context.Context, base string, call int64, body string, more ...chromedp.Action[chromedp.Void]) string {
	t.Helper()
	actions := []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(base + "/ru/"),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`a[href="/ru/messages/%d"]`, call))),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`a[href="/ru/messages/%d/send"]`, call))),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`a[href="/ru/messages/%d/send"]`, call))),
		chromedp.WaitVisible(chromedp.ID("f-body")),
		chromedp.SendKeys(chromedp.ID("f-name"), "Ольга"),
		chromedp.SendKeys(chromedp.ID("f-body"), body),
		chromedp.Click(chromedp.CSS(`input[name=consent_publish]`)),
	}
	if err := chromedp.Do(ctx, append(actions, more...)...); err != nil {
		t.Fatalf("fill the form: %v", err)
	}
	solved := chromedp.Poll[bool](`document.querySelector("input[name=altcha]").value !== ""`, chromedp.WithPollingTimeout(5*time.Minute))
	if _, err := chromedp.Run(ctx, solved); err != nil {
		t.Fatalf("the proof of work was not solved: %v", err)
	}
	err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`form[data-altcha] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-status="waiting"]`)),
	)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	path, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`))
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// UploadMessageVideo uploads the video file clip from the status page the browser shows, as a
// sender does: the file picked, the upload started, until the page says it is done. The upload
// must have gone through the page's tus-js-client (resumable), not a plain form.
func UploadMessageVideo(t testing.TB, ctx context.Context, clip string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("upload-file"))); err != nil {
		t.Fatalf("the status page offers no upload: %v", err)
	}
	err := chromedp.Do(ctx,
		chromedp.SetUploadFiles(chromedp.ID("upload-file"), []string{clip}),
		chromedp.Click(chromedp.ID("upload-start")),
		chromedp.WaitVisible(chromedp.CSS(`#upload-form[data-state="done"]`)),
	)
	if err != nil {
		msg, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("upload-text").textContent`))
		t.Fatalf("upload: %v (page says %q)", err, msg)
	}
	if by, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("upload-form").upload instanceof tus.Upload`)); !by {
		t.Error("the status page did not upload through tus-js-client")
	}
}
