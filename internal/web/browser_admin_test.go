package web

import (
	"testing"

	"github.com/chromedp/chromedp"

	"sistercity/internal/auth"
	"sistercity/internal/web/webtest"
)

// describedByAudit returns the aria-describedby references that point at nothing, and the
// invalid fields that point at no message.
const describedByAudit = `(() => {
  const problems = [];
  for (const el of document.querySelectorAll("[aria-describedby]")) {
    for (const id of el.getAttribute("aria-describedby").split(/\s+/)) {
      if (!document.getElementById(id)) problems.push("aria-describedby points at nothing: " + id);
    }
  }
  for (const el of document.querySelectorAll("[aria-invalid=true]")) {
    if (!el.getAttribute("aria-describedby")) problems.push("invalid without a message: " + el.name);
  }
  return problems;
})()`

// TestBrowserAdminAccessibility signs in as an admin in Chromium and audits the register and
// account pages for the WCAG basics, a form sent back with mistakes included.
func TestBrowserAdminAccessibility(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, partner, p := seedVladivostok(t, e)
	e.userClient(auth.RoleAdmin)
	ctx := webtest.Browser(t)
	webtest.SignIn(t, ctx, e.ts.URL+"/admin/sign-in?lang=ru", "u-admin", testPassword)
	var err error
	for _, path := range []string{
		"/admin/cities", "/admin/cities/new", "/admin/cities/" + itoa64(partner.ID),
		"/admin/partnerships", "/admin/partnerships/new", "/admin/partnerships/" + itoa64(p.ID),
		"/admin/users", "/admin/audit", "/admin/audit?entity=bogus", "/admin/videos?q=x", "/admin/translations",
	} {
		auditPage(t, ctx, e.ts.URL+path)
	}

	// Send the new-city form with a date in the future, past the browser's own checks.
	err = chromedp.Do(ctx,
		chromedp.Navigate(e.ts.URL+"/admin/cities/new"),
		chromedp.WaitVisible(chromedp.ID("f-name_en")),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("f-name_en").value = "Nakhodka";
			document.getElementById("f-country").value = "RU";
			document.getElementById("f-founded_on").value = "2999-01-01";
			document.querySelector("main form.form").submit();`),
		chromedp.WaitVisible(chromedp.CSS(`[aria-invalid="true"]`)),
	)
	if err != nil {
		t.Fatalf("send the form: %v", err)
	}
	problems, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](a11yAudit))
	if err != nil {
		t.Fatal(err)
	}
	refs, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](describedByAudit))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range append(problems, refs...) {
		t.Errorf("city form with a mistake: %s", p)
	}
}
