package web

import (
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/chromedp/chromedp"
	"strconv"
	"testing"

	"sistercity/internal/web/webtest"
)

// TestBrowserAccessibility opens the public pages and the sign-in page in Chromium and audits
// them for the WCAG basics.
func TestBrowserAccessibility(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, partner, _ := seedVladivostok(t, e)
	ctx := webtest.Browser(t)
	for _, path := range []string{"/en/", "/ko/", "/ru/partners", "/ko/partners/" + strconv.FormatInt(partner.ID, 10), "/admin/sign-in", "/ru/nowhere"} {
		auditPage(t, ctx, e.ts.URL+path)
	}
}

// TestBrowserAuditFindsProblems proves the audit can fail: a page with an unlabelled input,
// no lang, and grey-on-white text must be reported.
func TestBrowserAuditFindsProblems(t *testing.T) {
	t.Parallel()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`<!doctype html><html><body><main><h1>x</h1><input name="q"><p style="color:#bbb">faint</p></main></body></html>`))
	}))
	defer ts.Close()
	ctx := webtest.Browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL)); err != nil {
		t.Fatal(err)
	}
	problems, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](a11yAudit))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"html has no lang", "unlabelled control q", "contrast"}
	for _, w := range want {
		found := false
		for _, p := range problems {
			if strings.HasPrefix(p, w) {
				found = true
			}
		}
		if !found {
			t.Errorf("audit missed %q; found %q", w, problems)
		}
	}
}
