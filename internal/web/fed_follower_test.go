package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-fed/httpsig"

	"sistercity/internal/blob"
	"sistercity/internal/config"
	"sistercity/internal/db/dbtest"
	"sistercity/internal/fed"
	"sistercity/internal/i18n"
	"sistercity/internal/jobs"
)

// newFedEnv is a testEnv with federation on: its --base-url is its own loopback address,
// loopback is allowed to outbound requests, and the job queue runs deliveries.
func newFedEnv(t *testing.T) *testEnv {
	t.Helper()
	return newFedEnvWith(t, false)
}

// newFedEnvWith is newFedEnv whose queue, with sending, also runs the outbox.send job, as a
// worker process does: the outbox goes out by itself, without SendOnce — on its trigger only
// (triggerOnly), so that a test sees what the trigger sends.
func newFedEnvWith(t *testing.T, sending bool) *testEnv {
	t.Helper()
	d := dbtest.Open(t)
	ts := httptest.NewUnstartedServer(nil)
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	docs, err := blob.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.BaseURL = "http://" + ts.Listener.Addr().String()
	cfg.FedAllowed = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	queue, err := jobs.New(d, jobs.Config{Workers: 1, Queues: map[string]int{fed.Queue: 4}, FetchPollInterval: 100 * time.Millisecond,
		Backoff: func(int) time.Duration { return 200 * time.Millisecond }}, log)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Options{Config: cfg, DB: d, Catalog: cat, Docs: docs, Queue: queue, Log: log, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.fed.Register(queue); err != nil {
		t.Fatal(err)
	}
	if err := srv.portal.Register(queue); err != nil {
		t.Fatal(err)
	}
	if sending {
		sender, err := NewOutboxSender(d, srv.fed, cfg.BaseURL, log)
		if err != nil {
			t.Fatal(err)
		}
		sender.backstop = triggerOnly
		if err := sender.Register(queue); err != nil {
			t.Fatal(err)
		}
	}
	if err := queue.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = srv
	ts.Start()
	t.Cleanup(func() {
		ts.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = queue.Stop(ctx)
	})
	return &testEnv{t: t, srv: srv, db: d, queue: queue, ts: ts}
}

// follower is a Mastodon-shaped remote server on loopback: one actor with its own RSA key, an
// inbox and a shared inbox, and a check of every request's signature with the third-party
// library, against the key it fetches from our actor.
type follower struct {
	t      *testing.T
	ts     *httptest.Server
	key    *rsa.PrivateKey
	name   string
	mu     sync.Mutex
	got    []map[string]any // activities received with a valid signature
	keyIDs []string         // the key id each of them was signed under
	badSig []string         // requests whose signature did not verify
}

func newFollower(t *testing.T, name string) *follower {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &follower{t: t, key: k, name: name}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/alice", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/activity+json")
		_ = json.NewEncoder(w).Encode(f.actor())
	})
	mux.HandleFunc("POST /users/alice/inbox", f.inbox)
	mux.HandleFunc("POST /inbox", f.inbox)
	f.ts = httptest.NewServer(mux)
	t.Cleanup(f.ts.Close)
	return f
}

func (f *follower) id() string    { return f.ts.URL + "/users/alice" }
func (f *follower) keyID() string { return f.id() + "#main-key" }

func (f *follower) actor() map[string]any {
	der, _ := x509.MarshalPKIXPublicKey(&f.key.PublicKey)
	return map[string]any{
		"@context":          []string{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
		"id":                f.id(),
		"type":              "Person",
		"preferredUsername": "alice",
		"name":              f.name,
		"inbox":             f.id() + "/inbox",
		"endpoints":         map[string]any{"sharedInbox": f.ts.URL + "/inbox"},
		"publicKey": map[string]any{"id": f.keyID(), "owner": f.id(),
			"publicKeyPem": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))},
	}
}

// inbox verifies the request as Mastodon does: fetch the signer's actor, take its key, verify.
func (f *follower) inbox(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	err := func() error {
		v, err := httpsig.NewVerifier(r)
		if err != nil {
			return err
		}
		req, _ := http.NewRequest(http.MethodGet, v.KeyId(), nil)
		req.Header.Set("Accept", "application/activity+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var actor struct {
			PublicKey struct {
				PublicKeyPem string `json:"publicKeyPem"`
			} `json:"publicKey"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&actor); err != nil {
			return err
		}
		pub, err := fed.ParsePublicKeyPEM(actor.PublicKey.PublicKeyPem)
		if err != nil {
			return err
		}
		if err := v.Verify(pub, httpsig.RSA_SHA256); err != nil {
			return err
		}
		// As Mastodon checks: the signature covers the digest, and the digest is the body's.
		sum := sha256.Sum256(body)
		if sig := r.Header.Get("Signature"); !strings.Contains(sig, `headers="(request-target) host date digest"`) {
			return fmt.Errorf("signed headers: %s", sig)
		}
		if d := r.Header.Get("Digest"); d != "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]) {
			return fmt.Errorf("digest %q is not the body's", d)
		}
		return nil
	}()
	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil {
		f.badSig = append(f.badSig, err.Error())
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var a map[string]any
	_ = json.Unmarshal(body, &a)
	f.got = append(f.got, a)
	if v, err := httpsig.NewVerifier(r); err == nil {
		f.keyIDs = append(f.keyIDs, v.KeyId())
	}
	w.WriteHeader(http.StatusAccepted)
}

// signedBy is the key id the i-th activity received was signed under.
func (f *follower) signedBy(i int) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.keyIDs[i]
}

// received returns the activities of type typ received so far.
func (f *follower) received(typ string) []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []map[string]any
	for _, a := range f.got {
		if a["type"] == typ {
			out = append(out, a)
		}
	}
	return out
}

// signedPost sends body to url signed with key under keyID; mutate may spoil the request
// after signing (a Date, a Digest) to test refusals.
func signedPost(t *testing.T, url string, body []byte, key *rsa.PrivateKey, keyID string, date time.Time, mutate func(*http.Request)) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/activity+json")
	req.Header.Set("Date", date.UTC().Format(http.TimeFormat))
	req.Header.Set("Host", req.URL.Host)
	signer, _, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256}, httpsig.DigestSha256,
		[]string{httpsig.RequestTarget, "host", "date", "digest"}, httpsig.Signature, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := signer.SignRequest(key, keyID, req, body); err != nil {
		t.Fatal(err)
	}
	req.Header.Del("Host")
	if mutate != nil {
		mutate(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// send posts activity to our inbox, signed by the follower.
func (f *follower) send(e *testEnv, path string, activity map[string]any) int {
	f.t.Helper()
	b, _ := json.Marshal(activity)
	return signedPost(f.t, e.ts.URL+path, b, f.key, f.keyID(), time.Now(), nil).StatusCode
}

// triggerOnly is the outbox's backstop in tests of the trigger: an hour away, and not at start,
// so that whatever reaches a follower within a test's bound was sent on a trigger.
var triggerOnly = jobs.Periodic{Every: time.Hour}
