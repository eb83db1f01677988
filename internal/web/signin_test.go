package web

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"sistercity/internal/auth"
)

func TestSignInFlow(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	editor := e.userClient(auth.RoleEditor)
	resp, body := editor.get("/admin/")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "u-editor") {
		t.Fatalf("admin home after sign-in: %d", resp.StatusCode)
	}

	anon := e.client()
	if resp, _ := anon.get("/admin/"); resp.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(resp.Header.Get("Location"), "/admin/sign-in?next=") {
		t.Fatalf("anonymous admin GET: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	anon.lang = "ru"
	body = anon.signIn("u-editor", "wrong password!", http.StatusUnauthorized)
	if !strings.Contains(body, "Неверное имя пользователя или пароль.") {
		t.Fatal("failed sign-in message is not in Russian")
	}

	// An open redirect through ?next= is refused.
	c := e.client()
	resp, _ = c.post("/admin/sign-in", url.Values{"username": {"u-editor"}, "password": {testPassword}, "next": {"//evil.example/"}})
	if loc := resp.Header.Get("Location"); loc != "/admin" {
		t.Fatalf("next=//evil.example/ redirected to %q", loc)
	}

	// Sign-out ends the session.
	resp, _ = editor.post("/admin/sign-out", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", resp.StatusCode)
	}
	if resp, _ := editor.get("/admin/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("admin after sign-out: %d", resp.StatusCode)
	}
}

func TestSignInIsRateLimited(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	e.userClient(auth.RoleViewer)
	c := e.client()
	for i := 0; i < 5; i++ {
		c.signIn("u-viewer", "not the password", http.StatusUnauthorized)
	}
	c.signIn("u-viewer", testPassword, http.StatusTooManyRequests)
}

func TestCSRFIsRequired(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	admin := e.userClient(auth.RoleAdmin)
	for _, token := range []string{"", "forged-token"} {
		form := url.Values{"csrf_token": {token}}
		if token == "" {
			form = url.Values{}
		}
		resp, body := admin.do("POST", "/admin/sign-out", strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("POST with token %q: %d, want 403", token, resp.StatusCode)
		}
		if !strings.Contains(body, "The form expired") {
			t.Fatalf("no CSRF message: %s", body)
		}
	}
	// A cross-site request is refused even with the token.
	req, _ := http.NewRequest("POST", e.ts.URL+"/admin/sign-out", strings.NewReader("csrf_token="+admin.csrf()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := admin.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site POST: %d, want 403", resp.StatusCode)
	}
}

func TestPasswordResetEndsSessions(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	c := e.userClient(auth.RoleEditor)
	e.inTx(func(tx *sql.Tx) error {
		u, err := auth.GetUserByName(context.Background(), tx, "u-editor")
		if err != nil {
			return err
		}
		return auth.SetPassword(context.Background(), tx, u.ID, "a brand new password")
	})
	if resp, _ := c.get("/admin/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("old session still works after a password reset: %d", resp.StatusCode)
	}
}

func TestOversizedFormIsRefused(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	c := e.userClient(auth.RoleAdmin)
	big := url.Values{"csrf_token": {c.csrf()}, "x": {strings.Repeat("a", 2<<20)}}
	resp, _ := c.do("POST", "/admin/sign-out", strings.NewReader(big.Encode()), "application/x-www-form-urlencoded")
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("2 MiB form: %d, want 413", resp.StatusCode)
	}
}

func TestExpiredSessionSignsOut(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	c := e.userClient(auth.RoleViewer)
	if _, err := e.db.W.Exec("UPDATE sessions SET expiry = $1", fixedNow.AddDate(-1, 0, 0)); err != nil {
		t.Fatal(err)
	}
	if resp, _ := c.get("/admin/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("expired session: %d, want a redirect to sign-in", resp.StatusCode)
	}
	// And a POST with that session's old token is refused.
	resp, _ := c.do("POST", "/admin/sign-out", strings.NewReader("csrf_token=x"), "application/x-www-form-urlencoded")
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("POST on an expired session: %d, want 403", resp.StatusCode)
	}
}
