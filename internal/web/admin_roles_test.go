package web

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sistercity/internal/attach"
	"sistercity/internal/auth"
	"sistercity/internal/civil"
	"sistercity/internal/register"
)

// roleFixture holds one record of each kind, for the route wildcards.
type roleFixture struct {
	e           *testEnv
	home        *register.City
	partnership int64
	document    int64
	claim       int64
	user        int64 // an account no test client uses, for the account routes
}

func newRoleFixture(t *testing.T, e *testEnv) *roleFixture {
	t.Helper()
	home, _, p := seedVladivostok(t, e)
	f := &roleFixture{e: e, home: home, partnership: p.ID}
	f.document = f.addDocument()
	f.claim = f.addClaim()
	e.inTx(func(tx *sql.Tx) error {
		u, err := auth.CreateUser(context.Background(), tx, "bystander", "", testPassword, auth.RoleViewer)
		f.user = u.ID
		return err
	})
	return f
}

func (f *roleFixture) addDocument() int64 {
	ctx := context.Background()
	d := &register.Document{Title: "Agreement", Filename: "a.pdf", ContentType: "application/pdf", Size: 100,
		StorageKey: "documents/" + itoa64(f.partnership) + "/" + randomHex(8)}
	if err := f.e.srv.docs.Put(ctx, d.StorageKey, strings.NewReader(string(pdf(100)))); err != nil {
		f.e.t.Fatal(err)
	}
	f.e.inTx(func(tx *sql.Tx) error { return attach.Add(ctx, tx, attach.Partnership, f.partnership, d, 0) })
	return d.ID
}

func (f *roleFixture) addClaim() int64 {
	ctx := context.Background()
	f.e.inTx(func(tx *sql.Tx) error {
		return register.SetDateClaim(ctx, tx, f.partnership, register.DateClaim{CityID: f.home.ID,
			ClaimedOn: civil.MustParse("1992-06-30"), Source: "Busan Metropolitan City"})
	})
	p, err := register.GetPartnership(ctx, f.e.db.R, f.partnership)
	if err != nil {
		f.e.t.Fatal(err)
	}
	return p.DateClaims[0].ID
}

var wildcardRe = regexp.MustCompile(`\{([a-z]+)(\.\.\.)?\}`)

// path turns a route pattern into a request path. A route that deletes gets a record made for
// this one request, so that every role finds something to delete.
func (f *roleFixture) path(pattern string, fresh bool) string {
	_, p, _ := strings.Cut(pattern, " ")
	p = strings.TrimSuffix(p, "{$}")
	ids := map[string]int64{"partnerships": f.partnership, "documents": f.document, "claims": f.claim,
		"users": f.user, "cities": f.home.ID}
	if fresh && strings.HasSuffix(p, "/delete") {
		switch {
		case strings.Contains(p, "/documents/"):
			ids["documents"] = f.addDocument()
		case strings.Contains(p, "/claims/"):
			ids["claims"] = f.addClaim()
		case strings.HasPrefix(p, "/admin/partnerships/"):
			c := addCity(f.e.t, f.e, "Partner for deletion", "JP")
			np := &register.Partnership{HomeCityID: f.home.ID, PartnerCityID: c.ID, Type: register.TypeFriendship,
				Status: register.StatusActive}
			f.e.inTx(func(tx *sql.Tx) error { return register.CreatePartnership(context.Background(), tx, np, 0) })
			ids["partnerships"] = np.ID
		case strings.HasPrefix(p, "/admin/cities/"):
			ids["cities"] = addCity(f.e.t, f.e, "City for deletion", "JP").ID
		}
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if !wildcardRe.MatchString(s) {
			continue
		}
		id, ok := ids[segs[i-1]]
		if !ok {
			id = 1 // a wildcard this test does not know: any value reaches the role check
		}
		segs[i] = itoa64(id)
	}
	return strings.Join(segs, "/")
}

// adminRouteList returns the admin's routes, sign-out last because it ends the session the
// other routes are tried with.
func adminRouteList(s *Server) []route {
	var rs []route
	for _, rt := range s.routes {
		if strings.HasPrefix(rt.pattern, "GET /admin") || strings.HasPrefix(rt.pattern, "POST /admin") {
			rs = append(rs, rt)
		}
	}
	slices.SortStableFunc(rs, func(a, b route) int {
		return boolInt(a.pattern == "POST /admin/sign-out") - boolInt(b.pattern == "POST /admin/sign-out")
	})
	return rs
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (c *client) postToken(path, token string) *http.Response {
	c.e.t.Helper()
	form := url.Values{}
	if token != "" {
		form.Set("csrf_token", token)
	}
	resp, _ := c.do("POST", path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
	return resp
}

// TestAdminRoutesEnforceRoles walks every route of the admin with every role and without a
// session: a role below the route's minimum is refused, one at or above it is let through, and
// a POST without the session's CSRF token is refused for everyone.
func TestAdminRoutesEnforceRoles(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	f := newRoleFixture(t, e)
	routes := adminRouteList(e.srv)
	if len(routes) < 25 {
		t.Fatalf("only %d admin routes found", len(routes))
	}

	// One client per role: signing in costs an argon2 hash.
	clients := map[auth.Role]*client{}
	tokens := map[auth.Role]string{}
	for _, role := range auth.Roles {
		clients[role] = e.userClient(role)
		tokens[role] = clients[role].csrf()
	}
	anon := e.client()
	anonToken := anon.csrf()

	admin := clients[auth.RoleAdmin]
	for _, rt := range routes {
		if !strings.HasPrefix(rt.pattern, "POST ") {
			continue
		}
		path := f.path(rt.pattern, false)
		for _, token := range []string{"", "forged-" + tokens[auth.RoleAdmin][:8]} {
			if resp := admin.postToken(path, token); resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s with csrf_token %q: %d, want 403", rt.pattern, token, resp.StatusCode)
			}
		}
	}

	for _, rt := range routes {
		method, _, _ := strings.Cut(rt.pattern, " ")
		if rt.role == "" {
			continue // sign-in: public, refused only without a CSRF token (above)
		}
		if method == "GET" && strings.HasPrefix(rt.pattern, "GET "+reportsPath) {
			// What is shared with partners answers 404, not a sign-in page (TestReports).
			if resp, _ := anon.get(f.path(rt.pattern, false)); resp.StatusCode != http.StatusNotFound {
				t.Errorf("anonymous %s: %d, want 404", rt.pattern, resp.StatusCode)
			}
		} else if method == "GET" {
			resp, _ := anon.get(f.path(rt.pattern, false))
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/sign-in?next=") {
				t.Errorf("anonymous %s: %d → %q, want 303 to sign-in", rt.pattern, resp.StatusCode, resp.Header.Get("Location"))
			}
		} else if resp := anon.postToken(f.path(rt.pattern, false), anonToken); resp.StatusCode != http.StatusForbidden {
			t.Errorf("anonymous %s: %d, want 403", rt.pattern, resp.StatusCode)
		}
		for _, role := range auth.Roles {
			allowed := role.AtLeast(rt.role)
			path := f.path(rt.pattern, allowed)
			var resp *http.Response
			if method == "GET" {
				resp, _ = clients[role].get(path)
			} else {
				resp = clients[role].postToken(path, tokens[role])
			}
			switch {
			case !allowed && resp.StatusCode != http.StatusForbidden:
				t.Errorf("%s as %s: %d, want 403 (needs %s)", rt.pattern, role, resp.StatusCode, rt.role)
			case allowed && (resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusUnauthorized):
				t.Errorf("%s as %s: %d, want it let through", rt.pattern, role, resp.StatusCode)
			case allowed && resp.StatusCode >= 500:
				t.Errorf("%s as %s: %d on an empty form", rt.pattern, role, resp.StatusCode)
			}
		}
	}
}
