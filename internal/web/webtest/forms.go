package webtest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"sistercity/internal/polltest"
)

// Submit sends the form of the element the CSS selector css finds (or that form itself), as
// chromedp.Submit does, and returns once the page that answers has loaded. It marks the
// document it leaves and polls, by evaluating in whatever document the tab shows, until a new
// one is complete: chromedp's WaitVisible right after a submission can keep following the old
// document and never return (chromedp issues 168 and 682), and CI once saw
// TestDemoIdentityInBrowser wait there for ten minutes. The bound is generous: a busy
// machine's server and browser may take a while, but never that long.
func Submit(t testing.TB, ctx context.Context, css string) {
	t.Helper()
	send := fmt.Sprintf(`(() => {
		const e = document.querySelector(%q);
		const f = e && (e.tagName === "FORM" ? e : e.form);
		if (!f) return false;
		window.webtestLeft = true;
		f.submit();
		return true;
	})()`, css)
	sent, err := chromedp.Run(ctx, chromedp.Evaluate[bool](send))
	if err != nil {
		t.Fatalf("submit %s: %v", css, err)
	}
	if !sent {
		t.Fatalf("submit %s: no such form on %s", css, location(ctx))
	}
	WaitLoaded(t, ctx)
}

// WaitLoaded waits until the tab shows a complete document other than the one a step marked
// as left (window.webtestLeft, set by Submit), for polltest.Bound. An evaluation that fails
// while the documents change counts as not yet.
func WaitLoaded(t testing.TB, ctx context.Context) {
	t.Helper()
	polltest.Until(t, "a new page loaded", func() (bool, string) {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.webtestLeft ? "old" : document.readyState`))
		if ctx.Err() != nil {
			t.Fatalf("the browser ended while waiting for a new page: %v", ctx.Err())
		}
		if err != nil {
			return false, err.Error()
		}
		return got == "complete", fmt.Sprintf("the document is %q, at %s", got, location(ctx))
	})
}

// location is the tab's address, for a failure's message.
func location(ctx context.Context) string {
	href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href`))
	if err != nil {
		return "(unknown: " + strings.TrimSpace(err.Error()) + ")"
	}
	return href
}

// SignIn signs in on the sign-in page at signIn (an address with its ?lang=) as user with
// password, and waits for the admin page it leads to (one with the sign-out form).
func SignIn(t testing.TB, ctx context.Context, signIn, user, password string) {
	t.Helper()
	err := chromedp.Do(ctx, chromedp.Navigate(signIn), chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), user), chromedp.SendKeys(chromedp.ID("password"), password))
	if err != nil {
		t.Fatalf("sign in as %s: %v", user, err)
	}
	Submit(t, ctx, "#password")
	in, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('form[action="/admin/sign-out"]') !== null`))
	if err != nil || !in {
		t.Fatalf("sign in as %s: not signed in at %s (%v)", user, location(ctx), err)
	}
}
