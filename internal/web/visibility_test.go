package web

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"sistercity/internal/auth"
	"sistercity/internal/civil"
	"sistercity/internal/exchange"
	"sistercity/internal/milestone"
	"sistercity/internal/visibility"
)

// TestVisibilityPublicPages walks every public page and feed that shows activities or
// milestones, in each language: an internal activity and an internal milestone appear on none,
// their public twins on the pages that list them.
func TestVisibilityPublicPages(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, partner, p := seedVladivostok(t, e)
	seedExchange(t, e, p)
	ctx := context.Background()
	day := func(s string) exchange.Span { return exchange.Span{Start: exchange.OnDate(civil.MustParse(s))} }
	act := func(title, status, vis string) *exchange.Activity {
		return &exchange.Activity{Kind: exchange.KindCulturalEvent, Status: status, Visibility: vis, Mode: exchange.ModeInPerson,
			FirstMode: exchange.ModeInPerson, OrganiserKind: exchange.OrganiserCity, Partnerships: []int64{p.ID},
			Texts:   []exchange.Text{{Lang: "en", Title: title}, {Lang: "ko", Title: title}, {Lang: "ru", Title: title}},
			Planned: day("2020-08-20"), Actual: exchange.Span{}}
	}
	ms := func(title, vis string) *milestone.Milestone {
		return &milestone.Milestone{On: civil.MustParse("2020-08-01"), Yearly: true, PartnershipID: p.ID, Visibility: vis,
			Texts: []milestone.Text{{Lang: "en", Title: title}, {Lang: "ko", Title: title}, {Lang: "ru", Title: title}}}
	}
	secretPlan := act("Secretplan Harbour Festival", exchange.StatusPlanned, "") // planned: internal by default
	secretHeld := act("Secretheld Trade Talks", exchange.StatusConfirmed, visibility.Internal)
	shown := act("Shownplan Film Week", exchange.StatusPlanned, visibility.Public)
	e.inTx(func(tx *sql.Tx) error {
		for _, a := range []*exchange.Activity{secretPlan, secretHeld, shown} {
			if err := exchange.Create(ctx, tx, a, civil.MustParse("2020-07-01"), nil, 0); err != nil {
				return err
			}
		}
		for _, m := range []*milestone.Milestone{ms("Secretday of the port", visibility.Internal), ms("Shownday of the bridge", visibility.Public)} {
			if err := milestone.Create(ctx, tx, m); err != nil {
				return err
			}
		}
		return nil
	})
	if got, _ := exchange.Get(ctx, e.db.R, secretPlan.ID); got.Visibility != visibility.Internal {
		t.Fatalf("a new planned activity is %q, want internal", got.Visibility)
	}

	c := e.client()
	pid := itoa64(partner.ID)
	pages := []string{"/sitemap.xml"}
	for _, lang := range []string{"ko", "ru", "en"} {
		pages = append(pages, "/"+lang+"/", "/"+lang+"/partners/"+pid, "/"+lang+"/timeline.atom",
			"/"+lang+"/partners/"+pid+"/timeline.atom", "/"+lang+"/calendar.ics", "/"+lang+"/partners/"+pid+"/calendar.ics",
			"/"+lang+"/statistics")
	}
	for _, path := range pages {
		resp, body := c.get(path)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", path, resp.StatusCode)
			continue
		}
		for _, secret := range []string{"Secretplan", "Secretheld", "Secretday"} {
			if strings.Contains(body, secret) {
				t.Errorf("%s shows the internal %q", path, secret)
			}
		}
		switch {
		case strings.Contains(path, "/partners/") || strings.HasSuffix(path, ".ics"):
			for _, want := range []string{"Shownplan", "Shownday"} {
				if !strings.HasSuffix(path, ".ics") && want == "Shownday" {
					continue // partner pages and feeds list activities and round anniversaries only
				}
				if !strings.Contains(body, want) {
					t.Errorf("%s lacks the public %q", path, want)
				}
			}
		case strings.HasSuffix(path, "timeline.atom"):
			if !strings.Contains(body, "Shownplan") {
				t.Errorf("%s lacks the public activity", path)
			}
		case strings.HasSuffix(path, "/") && path != "/":
			if !strings.Contains(body, "Shownday") {
				t.Errorf("%s: the home page's next milestones lack the public one", path)
			}
		}
	}

	// Made public by an editor, the planned activity shows at once: the write bumps the data
	// generation, so no cached page or snapshot keeps it hidden.
	editor := e.userClient(auth.RoleEditor)
	stored, _ := exchange.Get(ctx, e.db.R, secretPlan.ID)
	f := activityFormOf(stored)
	v := activityValues(f, p.ID)
	v.Set("visibility", visibility.Public)
	if resp, body := editor.post("/admin/activities/"+itoa64(stored.ID), v); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("make public: %d\n%s", resp.StatusCode, body)
	}
	if _, body := c.get("/en/partners/" + pid); !strings.Contains(body, "Secretplan") {
		t.Error("the activity made public is not on the partner page")
	}
}

// activityValues is the form an editor would send back for f unchanged.
func activityValues(f activityForm, partnership int64) url.Values {
	v := url.Values{"version": {itoa64(f.Version)}, "kind": {f.Kind}, "status": {f.Status}, "mode": {f.Mode},
		"first_mode": {f.FirstMode}, "organiser_kind": {f.OrganiserKind}, "partnerships": {itoa64(partnership)},
		"planned_start_date": {f.Moments[0].Date}, "visibility": {f.Visibility}}
	for _, row := range f.Fixed {
		v.Set("title_"+row.Lang, row.Title)
	}
	return v
}

// TestVisibilityAdmin covers the editor's side: the default of a new planned activity, the
// choice in the form, a change of status that keeps the visibility, the badges and the filter,
// the audit of a change, and what is refused (a bad value, no CSRF token, a viewer).
func TestVisibilityAdmin(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	ctx := context.Background()
	editor := e.userClient(auth.RoleEditor)
	editor.lang = "en"

	_, body := editor.get("/admin/activities/new?partnership=" + itoa64(p.ID))
	if !strings.Contains(body, `id="f-visibility-internal" name="visibility" value="internal" aria-describedby="h-visibility-internal" checked`) {
		t.Errorf("the new activity form does not default to internal")
	}
	v := busanDayValues(p.ID)
	v.Del("visibility")
	resp, _ := editor.post("/admin/activities", v)
	id := idFrom(t, resp)
	a, _ := exchange.Get(ctx, e.db.R, id)
	if a.Visibility != visibility.Internal {
		t.Fatalf("new planned activity: %q", a.Visibility)
	}

	// Confirmed: still internal, and the page says so next to the status.
	f := activityFormOf(a)
	v = activityValues(f, p.ID)
	v.Set("status", exchange.StatusConfirmed)
	v.Set("status_changed_on", "2020-07-01")
	if resp, body := editor.post("/admin/activities/"+itoa64(id), v); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm: %d\n%s", resp.StatusCode, body)
	}
	a, _ = exchange.Get(ctx, e.db.R, id)
	if a.Status != exchange.StatusConfirmed || a.Visibility != visibility.Internal {
		t.Fatalf("confirming published the activity: %+v", a)
	}
	_, body = editor.get("/admin/activities/" + itoa64(id))
	if !strings.Contains(body, `As saved: <strong>Confirmed</strong> <span class="visibility-badge visibility-internal">Internal</span>`) {
		t.Errorf("the edit page does not show the visibility beside the status")
	}

	// A bad value: 422 in the reader's language, nothing saved.
	before := auditCount(t, e, auth.EntityActivity)
	gen := e.db.Generation(ctx)
	v = activityValues(activityFormOf(a), p.ID)
	v.Set("visibility", "everyone")
	editor.lang = "ru"
	resp, body = editor.post("/admin/activities/"+itoa64(id)+"?lang=ru", v)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="err-visibility"`) {
		t.Errorf("bad visibility: %d", resp.StatusCode)
	}
	editor.lang = "en"
	editor.get("/admin/activities?lang=en") // the language chosen is kept: back to English
	if got, _ := exchange.Get(ctx, e.db.R, id); got.Version != a.Version || got.Visibility != visibility.Internal {
		t.Errorf("bad visibility saved: %+v", got)
	}

	// Without the CSRF token, or as a viewer: refused.
	v.Set("visibility", visibility.Public)
	noToken := url.Values{}
	for k, vs := range v {
		noToken[k] = vs
	}
	noToken.Set("csrf_token", "forged")
	if resp, _ := editor.post("/admin/activities/"+itoa64(id), noToken); resp.StatusCode != http.StatusForbidden {
		t.Errorf("without CSRF: %d", resp.StatusCode)
	}
	viewer := e.userClient(auth.RoleViewer)
	if resp, _ := viewer.post("/admin/activities/"+itoa64(id), v); resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer: %d", resp.StatusCode)
	}
	if got, _ := exchange.Get(ctx, e.db.R, id); got.Visibility != visibility.Internal {
		t.Fatalf("a refused request changed the visibility")
	}

	// Made public: audited, and the data generation moves on.
	if resp, body := editor.post("/admin/activities/"+itoa64(id), v); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("make public: %d\n%s", resp.StatusCode, body)
	}
	if n := auditCount(t, e, auth.EntityActivity); n != before+1 {
		t.Errorf("audit entries: %d, want %d", n, before+1)
	}
	if e.db.Generation(ctx) == gen {
		t.Error("making an activity public did not bump the data generation")
	}

	// The list: a badge per row and a filter.
	e.inTx(func(tx *sql.Tx) error {
		b := &exchange.Activity{Kind: exchange.KindYouth, Status: exchange.StatusPlanned, Mode: exchange.ModeInPerson,
			FirstMode: exchange.ModeInPerson, OrganiserKind: exchange.OrganiserCity, Partnerships: []int64{p.ID},
			Texts: []exchange.Text{{Lang: "en", Title: "Quiet youth camp"}}, Planned: exchange.Span{Start: exchange.OnDate(civil.MustParse("2020-09-01"))}}
		return exchange.Create(ctx, tx, b, civil.MustParse("2020-07-01"), nil, 0)
	})
	_, body = editor.get("/admin/activities")
	if !strings.Contains(body, `visibility-internal">Internal</span>`) || !strings.Contains(body, `visibility-public">Public</span>`) {
		t.Errorf("the list lacks the badges")
	}
	_, body = editor.get("/admin/activities?visibility=internal")
	if !strings.Contains(body, "Quiet youth camp") || strings.Contains(body, "Busan Day in Vladivostok") {
		t.Errorf("the internal filter shows the wrong rows")
	}

	// Milestones: the form offers the choice, a bad value is refused, a change is audited.
	mv := url.Values{"title_en": {"Harbour day"}, "on": {"2020-08-01"}, "yearly": {"1"}, "visibility": {"internal"}}
	_, body = editor.get("/admin/milestones/new")
	if !strings.Contains(body, `value="public" aria-describedby="h-visibility-public" checked`) {
		t.Errorf("the new milestone form does not default to public")
	}
	resp, _ = editor.post("/admin/milestones", mv)
	mid := idFrom(t, resp)
	m, err := milestone.Get(ctx, e.db.R, mid)
	if err != nil || m.Visibility != visibility.Internal {
		t.Fatalf("internal milestone: %+v, %v", m, err)
	}
	_, body = editor.get("/admin/milestones")
	if !strings.Contains(body, `visibility-internal">Internal</span>`) {
		t.Errorf("the milestone list lacks the badge")
	}
	mv.Set("version", itoa64(m.Version))
	mv.Set("visibility", "secret")
	if resp, _ := editor.post("/admin/milestones/"+itoa64(mid), mv); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("bad milestone visibility: %d", resp.StatusCode)
	}
	before = auditCount(t, e, auth.EntityMilestone)
	mv.Set("visibility", "public")
	if resp, body := editor.post("/admin/milestones/"+itoa64(mid), mv); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("milestone made public: %d\n%s", resp.StatusCode, body)
	}
	if m, _ := milestone.Get(ctx, e.db.R, mid); m.Visibility != visibility.Public {
		t.Errorf("milestone: %q", m.Visibility)
	}
	if n := auditCount(t, e, auth.EntityMilestone); n != before+1 {
		t.Errorf("milestone audit entries: %d, want %d", n, before+1)
	}
}
