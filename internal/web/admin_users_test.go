package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sistercity/internal/auth"
	"sistercity/internal/auth/authtest"
)

var shownPasswordRe = regexp.MustCompile(`id="new-password" value="([^"]+)"`)

func userID(t *testing.T, e *testEnv, username string) int64 {
	t.Helper()
	u, err := auth.GetUserByName(context.Background(), e.db.R, username)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// TestAdminUsers follows the accounts an admin manages, one step per subtest; a failed step
// stops the steps after it.
func TestAdminUsers(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	admin := e.userClient(auth.RoleAdmin)
	ctx := context.Background()
	me := userID(t, e, "u-admin")
	var anaPassword string
	step := func(name string, fn func(t *testing.T)) {
		if !t.Run(name, fn) {
			t.FailNow()
		}
	}

	step("an account made without a password gets one, shown once, that works", func(t *testing.T) {
		if resp, body := admin.get("/admin/users"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "u-admin") {
			t.Fatalf("user list: %d", resp.StatusCode)
		}
		resp, body := admin.post("/admin/users", url.Values{"username": {"Ana"}, "display_name": {"Ana Kim"}, "role": {"editor"}})
		m := shownPasswordRe.FindStringSubmatch(body)
		if resp.StatusCode != http.StatusOK || m == nil || resp.Header.Get("Cache-Control") != privateNoStore {
			t.Fatalf("create user: %d\n%s", resp.StatusCode, body)
		}
		anaPassword = m[1]
		e.client().signIn("ana", anaPassword, http.StatusSeeOther)
		if u, _ := auth.GetUserByName(ctx, e.db.R, "ana"); u.Role != auth.RoleEditor || u.DisplayName != "Ana Kim" {
			t.Fatalf("created user: %+v", u)
		}
	})

	step("a refused account is not made, and the form says which field", func(t *testing.T) {
		n := e.countRows("users")
		for _, tt := range []struct {
			form  url.Values
			field string
		}{
			{url.Values{"username": {"ana"}, "role": {"viewer"}}, "username"},
			{url.Values{"username": {"bo"}, "role": {"viewer"}, "password": {"short"}}, "password"},
			{url.Values{"username": {"x y"}, "role": {"viewer"}}, "username"},
			{url.Values{"username": {"cho"}, "role": {"owner"}}, "role"},
		} {
			resp, body := admin.post("/admin/users", tt.form)
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="err-`+tt.field+`"`) {
				t.Errorf("%v: %d, want 422 with an error on %s", tt.form, resp.StatusCode, tt.field)
			}
		}
		if got := e.countRows("users"); got != n {
			t.Fatalf("refused accounts were created: %d users, want %d", got, n)
		}
	})

	step("the only admin can neither step down nor disable themself", func(t *testing.T) {
		resp, body := admin.post("/admin/users/"+itoa64(me)+"/role", url.Values{"role": {"editor"}})
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, e.shown("en", "admin.users.last_admin")) {
			t.Fatalf("demote the last admin: %d", resp.StatusCode)
		}
		if resp, _ := admin.post("/admin/users/"+itoa64(me)+"/disable", nil); resp.StatusCode != http.StatusConflict {
			t.Fatalf("disable oneself: %d", resp.StatusCode)
		}
		if u, _ := auth.GetUser(ctx, e.db.R, me); u.Role != auth.RoleAdmin || u.Disabled {
			t.Fatalf("the last admin changed: %+v", u)
		}
	})

	step("a second admin who is disabled does not count", func(t *testing.T) {
		resp, _ := admin.post("/admin/users", url.Values{"username": {"bo"}, "role": {"admin"}, "password": {"a long enough password"}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("create second admin: %d", resp.StatusCode)
		}
		bo := userID(t, e, "bo")
		if resp, _ := admin.post("/admin/users/"+itoa64(bo)+"/disable", nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("disable bo: %d", resp.StatusCode)
		}
		e.client().signIn("bo", "a long enough password", http.StatusUnauthorized)
		if resp, _ := admin.post("/admin/users/"+itoa64(me)+"/role", url.Values{"role": {"viewer"}}); resp.StatusCode != http.StatusConflict {
			t.Fatalf("demote with only a disabled admin left: %d", resp.StatusCode)
		}
		if resp, _ := admin.post("/admin/users/"+itoa64(bo)+"/enable", nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("enable bo: %d", resp.StatusCode)
		}
	})

	step("a reset shows a new password once and signs the account out everywhere", func(t *testing.T) {
		ana := e.client()
		ana.signIn("ana", anaPassword, http.StatusSeeOther)
		resp, body := admin.post("/admin/users/"+itoa64(userID(t, e, "ana"))+"/password", nil)
		m := shownPasswordRe.FindStringSubmatch(body)
		if resp.StatusCode != http.StatusOK || m == nil || m[1] == anaPassword {
			t.Fatalf("reset: %d", resp.StatusCode)
		}
		if resp, _ := ana.get("/admin/"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("ana's session survived the reset: %d", resp.StatusCode)
		}
		e.client().signIn("ana", m[1], http.StatusSeeOther)
	})

	step("resetting one's own password keeps one signed in", func(t *testing.T) {
		resp, body := admin.post("/admin/users/"+itoa64(me)+"/password", nil)
		if resp.StatusCode != http.StatusOK || shownPasswordRe.FindStringSubmatch(body) == nil {
			t.Fatalf("own reset: %d", resp.StatusCode)
		}
		if resp, _ := admin.get("/admin/users"); resp.StatusCode != http.StatusOK {
			t.Fatalf("signed out by one's own reset: %d", resp.StatusCode)
		}
	})

	step("with another admin enabled, the first may step down", func(t *testing.T) {
		if resp, _ := admin.post("/admin/users/"+itoa64(me)+"/role", url.Values{"role": {"editor"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("demote with another admin: %d", resp.StatusCode)
		}
		if resp, _ := admin.get("/admin/users"); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("the demoted admin still manages users: %d", resp.StatusCode)
		}
	})

	step("every change is audited, never with a password hash", func(t *testing.T) {
		entries, _ := authtest.AuditLog(ctx, e.db.R, auth.EntityUser, 50, 0)
		var actions []auth.Action
		for _, a := range entries {
			actions = append(actions, a.Action)
			if strings.Contains(a.Before+a.After, "argon2") {
				t.Fatal("the audit log holds a password hash")
			}
		}
		want := []auth.Action{auth.ActionSetRole, auth.ActionResetPassword, auth.ActionResetPassword, auth.ActionEnable,
			auth.ActionDisable, auth.ActionCreate, auth.ActionCreate}
		if !slices.Equal(actions, want) {
			t.Fatalf("user audit: %v, want %v", actions, want)
		}
	})
}

// Disabling an account ends its sessions for good: enabling it again does not let an old
// session cookie back in.
func TestReenabledAccountOldSessionRefused(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	admin := e.userClient(auth.RoleAdmin)
	editor := e.userClient(auth.RoleEditor)
	old := editor.http.Jar.Cookies(mustURL(t, e.ts.URL))
	if resp, _ := editor.get("/admin/"); resp.StatusCode != http.StatusOK {
		t.Fatalf("signed-in editor: %d", resp.StatusCode)
	}
	id := itoa64(userID(t, e, "u-editor"))
	if resp, _ := admin.post("/admin/users/"+id+"/disable", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: %d", resp.StatusCode)
	}
	if resp, _ := editor.get("/admin/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("disabled account still signed in: %d", resp.StatusCode)
	}
	if resp, _ := admin.post("/admin/users/"+id+"/enable", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("enable: %d", resp.StatusCode)
	}
	// The old cookie, as it was before the disabling, is refused.
	again := e.client()
	again.http.Jar.SetCookies(mustURL(t, e.ts.URL), old)
	if resp, _ := again.get("/admin/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the old session came back with the account: %d", resp.StatusCode)
	}
	// Signing in again works.
	e.client().signIn("u-editor", testPassword, http.StatusSeeOther)
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
