package fed

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"sistercity/internal/db/dbtest"
	"sistercity/internal/jobs"
	"sistercity/internal/safehttp"
)

// A signed POST whose signer's actor cannot be fetched — it answers HTML, redirects in a loop,
// answers more than 1 MiB or never answers — is refused with 401, logged once, and nothing of
// it is kept.
func TestInboxUnfetchableSigner(t *testing.T) {
	t.Parallel()
	var ts *httptest.Server
	ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch strings.Split(r.URL.Path, "/")[1] {
		case "html":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte("<!doctype html><title>Log in</title>"))
		case "loop":
			http.Redirect(w, r, ts.URL+"/loop/again"+r.URL.Path[len("/loop"):], http.StatusFound)
		case "huge":
			w.Header().Set("Content-Type", ContentType)
			_, _ = w.Write([]byte(`{"id":"` + strings.Repeat("x", safehttp.MaxJSONBytes) + `"}`))
		case "slow":
			select { // until our client gives up
			case <-r.Context().Done():
			case <-time.After(time.Minute):
			}
		}
	}))
	defer ts.Close()
	var logged bytes.Buffer
	d := dbtest.Open(t)
	q, err := jobs.New(d, jobs.Config{Workers: 0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{DB: d, BaseURL: "http://127.0.0.1:1", Queue: q, Log: slog.New(slog.NewTextHandler(&logged, nil)),
		Client: safehttp.New(safehttp.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, Timeout: time.Second})})
	if err != nil {
		t.Fatal(err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	kinds := []string{"html", "loop", "huge", "slow"}
	for _, kind := range kinds {
		actor := ts.URL + "/" + kind + "/users/alice"
		body, _ := json.Marshal(map[string]any{"id": actor + "#follows/1", "type": "Follow", "actor": actor, "object": s.ActorID()})
		req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:1"+SharedInboxPath, bytes.NewReader(body))
		req.Header.Set("Content-Type", ContentType)
		if err := s.signWith(key, actor+"#main-key", req, body); err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		s.ServeInbox(rec, req.WithContext(context.Background()))
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", kind, rec.Code)
		}
	}
	for _, table := range []string{"fed_remote_actors", "fed_followers"} {
		var n int
		if err := d.R.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%d rows in %s", n, table)
		}
	}
	log := logged.String()
	if n := strings.Count(log, "inbox: refused"); n != len(kinds) || strings.Contains(log, "level=ERROR") {
		t.Errorf("%d refusals logged for %d requests:\n%s", n, len(kinds), log)
	}
}

// A partner's or a blocked account's handle (@user@host) is found by WebFinger over https: the
// actor's self link, whatever the case of the handle; an unknown user is ErrUnknownUser.
func TestResolveActorHandle(t *testing.T) {
	t.Parallel()
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if r.URL.Path != "/.well-known/webfinger" || !strings.EqualFold(r.URL.Query().Get("resource"), "acct:vladivostok@"+host) {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/jrd+json")
		_ = json.NewEncoder(w).Encode(map[string]any{"subject": "acct:vladivostok@" + host, "links": []any{
			map[string]any{"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": "https://" + host + "/"},
			map[string]any{"rel": "self", "type": ContentType, "href": "https://" + host + "/ap/actor"},
		}})
	}))
	defer ts.Close()
	d := dbtest.Open(t)
	client := safehttp.New(safehttp.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	// The test server's certificate, trusted as a public server's would be.
	client.Transport.(*http.Transport).TLSClientConfig = ts.Client().Transport.(*http.Transport).TLSClientConfig
	s, err := New(Options{DB: d, BaseURL: "http://127.0.0.1:1", Client: client})
	if err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(ts.URL, "https://")
	ctx := context.Background()
	for _, in := range []string{"@vladivostok@" + host, "Vladivostok@" + host} {
		if id, err := s.ResolveActor(ctx, in); err != nil || id != ts.URL+"/ap/actor" {
			t.Errorf("ResolveActor(%q) = %q, %v", in, id, err)
		}
	}
	if _, err := s.ResolveActor(ctx, "@nobody@"+host); !errors.Is(err, ErrUnknownUser) {
		t.Errorf("unknown user: %v, want ErrUnknownUser", err)
	}
}

// A server's open redirect does not let another server speak for its actors: an actor fetched
// from one host and answered by another after a redirect, claiming an id on the first, is refused.
func TestInboxSignerRedirectedElsewhere(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := PublicKeyPEM(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	victim := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound) // an open redirect
	}))
	defer victim.Close()
	alice := victim.URL + "/users/alice"
	evil := httptest.NewUnstartedServer(nil)
	keyID := victim.URL + "/out?to=http://" + evil.Listener.Addr().String() + "/actor#main-key"
	evil.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ContentType)
		_ = json.NewEncoder(w).Encode(map[string]any{"id": alice, "type": "Person", "inbox": alice + "/inbox",
			"publicKey": map[string]any{"id": keyID, "owner": alice, "publicKeyPem": pub}})
	})
	evil.Start()
	defer evil.Close()
	s := newTestService(t, nil)
	body, _ := json.Marshal(map[string]any{"id": alice + "#follows/1", "type": "Follow", "actor": alice, "object": s.ActorID()})
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:1"+SharedInboxPath, bytes.NewReader(body))
	if err := s.signWith(key, keyID, req, body); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	s.ServeInbox(rec, req)
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("status %d, want 401", rec.Code)
	}
	var n int
	if err := s.db.R.QueryRow("SELECT COUNT(*) FROM fed_remote_actors").Scan(&n); err != nil || n != 0 {
		t.Errorf("%d actors kept (%v)", n, err)
	}
}
