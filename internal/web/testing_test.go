package web

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"sistercity/internal/auth"
	"sistercity/internal/blob"
	"sistercity/internal/config"
	"sistercity/internal/db"
	"sistercity/internal/db/dbtest"
	"sistercity/internal/i18n"
	"sistercity/internal/jobs"
	"sistercity/internal/jobs/jobstest"
)

// testEnv is a real server on a fresh database, reached over real HTTP.
type testEnv struct {
	t     testing.TB
	srv   *Server
	db    *db.DB
	queue *jobs.Queue
	ts    *httptest.Server
}

// jobs lists the queue's jobs, for tests that check what was enqueued.
func (e *testEnv) jobs() *jobstest.Jobs { return jobstest.Must(e.t, e.db) }

// fixedNow is the date the tests live on, so ages and "future" checks do not drift.
var fixedNow = time.Date(2020, 7, 10, 12, 0, 0, 0, time.UTC)

func newTestEnv(t testing.TB) *testEnv {
	t.Helper()
	return newTestEnvOn(t, dbtest.Open(t))
}

// newTestEnvOn is newTestEnv on the database d, which another testEnv may share (two serve
// processes on one database).
func newTestEnvOn(t testing.TB, d *db.DB) *testEnv {
	t.Helper()
	return newTestEnvAt(t, d, fixedNow)
}

// newTestEnvAt is newTestEnvOn with the server's clock pinned at now.
func newTestEnvAt(t testing.TB, d *db.DB, now time.Time) *testEnv {
	t.Helper()
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	docs, err := blob.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.MaxDocumentBytes = 1 << 20
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	// The queue only enqueues here: tests that need jobs run them with e.queue or their own
	// workers.
	queue, err := jobs.New(d, jobs.Config{Workers: 0}, log)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Options{Config: cfg, DB: d, Catalog: cat, Docs: docs, Queue: queue,
		Log: log, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &testEnv{t: t, srv: srv, db: d, queue: queue, ts: ts}
}

// inTx runs fn in a transaction and fails the test on error.
func (e *testEnv) inTx(fn func(tx *sql.Tx) error) {
	e.t.Helper()
	if err := e.db.InTx(context.Background(), fn); err != nil {
		e.t.Fatal(err)
	}
}

// client is a browser-like client with its own cookie jar.
type client struct {
	e    *testEnv
	http *http.Client
	lang string
}

func (e *testEnv) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

const testPassword = "correct horse battery"

// userClient creates a user with role and returns a client signed in as that user.
func (e *testEnv) userClient(role auth.Role) *client {
	e.t.Helper()
	name := "u-" + string(role)
	e.inTx(func(tx *sql.Tx) error {
		_, err := auth.CreateUser(context.Background(), tx, name, "", testPassword, role)
		return err
	})
	c := e.client()
	c.signIn(name, testPassword, http.StatusSeeOther)
	return c
}

func (c *client) do(method, path string, body io.Reader, contentType string) (*http.Response, string) {
	c.e.t.Helper()
	req, err := http.NewRequest(method, c.e.ts.URL+path, body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.lang != "" {
		req.Header.Set("Accept-Language", c.lang)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (c *client) get(path string) (*http.Response, string) { return c.do("GET", path, nil, "") }

var csrfRe = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// csrf fetches a page and returns the CSRF token in its forms.
func (c *client) csrf() string {
	c.e.t.Helper()
	resp, body := c.get("/admin/sign-in")
	if resp.StatusCode == http.StatusSeeOther { // signed in already
		_, body = c.get("/admin/")
	}
	m := csrfRe.FindStringSubmatch(body)
	if m == nil {
		c.e.t.Fatal("no csrf token on the sign-in page")
	}
	return m[1]
}

// post sends a form with the session's CSRF token added.
func (c *client) post(path string, form url.Values) (*http.Response, string) {
	c.e.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if form.Get("csrf_token") == "" {
		form.Set("csrf_token", c.csrf())
	}
	return c.do("POST", path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
}

func (c *client) signIn(username, password string, wantStatus int) string {
	c.e.t.Helper()
	resp, body := c.post("/admin/sign-in", url.Values{"username": {username}, "password": {password}})
	if resp.StatusCode != wantStatus {
		c.e.t.Fatalf("sign in as %s: status %d, want %d\n%s", username, resp.StatusCode, wantStatus, body)
	}
	return body
}
