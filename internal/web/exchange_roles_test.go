package web

import (
	"context"
	"database/sql"
	"net/http"
	"strings"
	"testing"

	"sistercity/internal/attach"
	"sistercity/internal/auth"
	"sistercity/internal/civil"
	"sistercity/internal/exchange"
	"sistercity/internal/milestone"
)

// exchangeFixture makes real records for the exchange routes' wildcards, so that the role walk
// reaches the handlers' work rather than a page that does not exist.
type exchangeFixture struct {
	e           *testEnv
	partnership int64
}

func (f *exchangeFixture) activity() int64 {
	ctx := context.Background()
	a := &exchange.Activity{Kind: exchange.KindOutboundVisit, Status: exchange.StatusPlanned, Mode: exchange.ModeInPerson,
		FirstMode: exchange.ModeInPerson, OrganiserKind: exchange.OrganiserCity, Partnerships: []int64{f.partnership},
		Texts: []exchange.Text{{Lang: "en", Title: "Visit"}}, Planned: exchange.Span{Start: exchange.OnDate(civil.MustParse("2020-09-01"))}}
	f.e.inTx(func(tx *sql.Tx) error { return exchange.Create(ctx, tx, a, civil.MustParse("2020-07-01"), nil, 0) })
	return a.ID
}

func (f *exchangeFixture) minutes(activity int64) int64 {
	ctx := context.Background()
	d := &exchange.Document{Title: "Minutes", Filename: "m.pdf", ContentType: "application/pdf", Size: 100,
		StorageKey: "activities/" + itoa64(activity) + "/" + randomHex(8)}
	if err := f.e.srv.docs.Put(ctx, d.StorageKey, strings.NewReader(string(pdf(100)))); err != nil {
		f.e.t.Fatal(err)
	}
	f.e.inTx(func(tx *sql.Tx) error { return attach.Add(ctx, tx, attach.Activity, activity, d, 0) })
	return d.ID
}

func (f *exchangeFixture) item(activity int64) int64 {
	c := &exchange.ChecklistItem{ActivityID: activity, Item: exchange.ItemGifts}
	f.e.inTx(func(tx *sql.Tx) error { return exchange.AddItem(context.Background(), tx, c) })
	return c.ID
}

func (f *exchangeFixture) milestone() int64 {
	m := &milestone.Milestone{Texts: []milestone.Text{{Lang: "en", Title: "Day"}}, On: civil.MustParse("2010-01-01")}
	f.e.inTx(func(tx *sql.Tx) error { return milestone.Create(context.Background(), tx, m) })
	return m.ID
}

var relationCountries = []string{"JP", "CN", "US", "FR", "DE", "ES", "IT", "TW", "VN", "MX", "BR", "CL", "AU", "NZ", "TR", "IN"}

func (f *exchangeFixture) relation(n int) int64 {
	r := &milestone.Relation{CountryA: "KR", CountryB: relationCountries[n%len(relationCountries)], EstablishedOn: civil.MustParse("1990-09-30")}
	r.Normalize()
	f.e.inTx(func(tx *sql.Tx) error { return milestone.CreateRelation(context.Background(), tx, r) })
	return r.ID
}

// TestExchangeRoutesEnforceRoles walks every route of the exchange programme's admin with every
// role on real records: a role below the route's minimum gets 403, one at or above it gets
// through without a server error, and a visitor without a session is sent to sign in.
func TestExchangeRoutesEnforceRoles(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	f := &exchangeFixture{e: e, partnership: p.ID}
	shared := f.activity()
	ids := map[string]int64{"activities": shared, "minutes": f.minutes(shared), "checklist": f.item(shared),
		"milestones": f.milestone(), "relations": f.relation(0)}
	relations := 1

	clients := map[auth.Role]*client{}
	for _, role := range auth.Roles {
		clients[role] = e.userClient(role)
	}
	anon := e.client()
	pathOf := func(pattern string, fresh bool) string {
		_, path, _ := strings.Cut(pattern, " ")
		local := map[string]int64{}
		for k, v := range ids {
			local[k] = v
		}
		if fresh && strings.HasSuffix(path, "/delete") {
			switch {
			case strings.Contains(path, "/minutes/"):
				local["minutes"] = f.minutes(shared)
			case strings.Contains(path, "/checklist/"):
				local["checklist"] = f.item(shared)
			case strings.HasPrefix(path, "/admin/activities/"):
				local["activities"] = f.activity()
			case strings.HasPrefix(path, "/admin/milestones/"):
				local["milestones"] = f.milestone()
			case strings.HasPrefix(path, "/admin/relations/"):
				local["relations"] = f.relation(relations)
				relations++
			}
		}
		segs := strings.Split(path, "/")
		for i, s := range segs {
			if strings.HasPrefix(s, "{") {
				segs[i] = itoa64(local[segs[i-1]])
			}
		}
		return strings.Join(segs, "/")
	}
	routes := e.srv.exchangeRoutes()
	if len(routes) < 25 {
		t.Fatalf("only %d exchange routes", len(routes))
	}
	for _, rt := range routes {
		method, _, _ := strings.Cut(rt.pattern, " ")
		if method == "GET" {
			resp, _ := anon.get(pathOf(rt.pattern, false))
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/sign-in?next=") {
				t.Errorf("anonymous %s: %d", rt.pattern, resp.StatusCode)
			}
		} else if resp, _ := anon.post(pathOf(rt.pattern, false), nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("anonymous %s: %d, want 403", rt.pattern, resp.StatusCode)
		}
		for _, role := range auth.Roles {
			allowed := role.AtLeast(rt.role)
			path := pathOf(rt.pattern, allowed)
			var resp *http.Response
			if method == "GET" {
				resp, _ = clients[role].get(path)
			} else {
				resp, _ = clients[role].post(path, nil)
			}
			switch {
			case !allowed && resp.StatusCode != http.StatusForbidden:
				t.Errorf("%s as %s: %d, want 403 (needs %s)", rt.pattern, role, resp.StatusCode, rt.role)
			case allowed && (resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusUnauthorized):
				t.Errorf("%s as %s: %d, want it let through", rt.pattern, role, resp.StatusCode)
			case allowed && resp.StatusCode >= 500:
				t.Errorf("%s as %s: %d on an empty form", rt.pattern, role, resp.StatusCode)
			case allowed && method == "GET" && resp.StatusCode != http.StatusOK:
				t.Errorf("%s as %s: %d, want 200", rt.pattern, role, resp.StatusCode)
			}
		}
	}
	// Every page of the exchange admin is linked from the navigation.
	_, body := clients[auth.RoleViewer].get("/admin/")
	for _, href := range []string{"/admin/dashboard", "/admin/activities", "/admin/milestones"} {
		if !strings.Contains(body, `href="`+href+`"`) {
			t.Errorf("navigation lacks %s", href)
		}
	}
}
