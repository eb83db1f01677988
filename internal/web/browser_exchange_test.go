package web

import (
	"testing"

	"github.com/chromedp/chromedp"

	"sistercity/internal/auth"
	"sistercity/internal/web/webtest"
)

// TestBrowserExchangeAccessibility audits the exchange programme's pages in Chromium for the
// WCAG basics — the dashboard, activities with their checklist and minutes, milestones and
// relations, and the public partner page with its timeline — and an activity form sent back
// with mistakes.
func TestBrowserExchangeAccessibility(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, partner, p := seedVladivostok(t, e)
	acts := seedExchange(t, e, p)
	f := &exchangeFixture{e: e, partnership: p.ID}
	visit := acts["visit"].ID
	item := f.item(visit)
	f.minutes(visit)
	m := f.milestone()
	e.userClient(auth.RoleAdmin)
	ctx := webtest.Browser(t)
	webtest.SignIn(t, ctx, e.ts.URL+"/admin/sign-in?lang=ko", "u-admin", testPassword)
	var err error
	for _, path := range []string{
		"/admin/dashboard?from=2020-01-01",
		"/admin/activities", "/admin/activities/new", "/admin/activities/" + itoa64(visit),
		"/admin/activities/" + itoa64(acts["busan_day"].ID) + "?lang=ru",
		"/admin/activities/" + itoa64(visit) + "/checklist/" + itoa64(item),
		"/admin/milestones", "/admin/milestones/" + itoa64(m), "/admin/relations/new", "/admin/relations/" + itoa64(f.relation(1)) + "?lang=en",
		"/ko/partners/" + itoa64(partner.ID), "/ru/partners/" + itoa64(partner.ID),
		"/en/statistics", "/ko/statistics",
	} {
		auditPage(t, ctx, e.ts.URL+path)
	}

	// Send the new-activity form with an end before its start and a time without a zone.
	err = chromedp.Do(ctx,
		chromedp.Navigate(e.ts.URL+"/admin/activities/new?partnership="+itoa64(p.ID)+"&lang=en"),
		chromedp.WaitVisible(chromedp.ID("f-title_en")),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("f-title_en").value = "Delegation";
			document.getElementById("f-planned_start_date").value = "2020-09-10";
			document.getElementById("f-planned_start_time").value = "10:00";
			document.getElementById("f-planned_end_date").value = "2020-09-09";
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
		t.Errorf("activity form with mistakes: %s", p)
	}
}
