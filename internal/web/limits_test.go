package web

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"sistercity/internal/auth"
	"sistercity/internal/blob"
	"sistercity/internal/config"
	"sistercity/internal/db/dbtest"
	"sistercity/internal/i18n"
	"sistercity/internal/jobs"
	"sistercity/internal/polltest"
)

// syncBuffer is a log destination the server and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newLimitsEnv is newTestEnv with the configuration changed by set and the log written to logw.
func newLimitsEnv(t *testing.T, set func(*config.Config), logw io.Writer) *testEnv {
	t.Helper()
	d := dbtest.Open(t)
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
	if set != nil {
		set(&cfg)
	}
	if logw == nil {
		logw = io.Discard
	}
	log := slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: slog.LevelDebug}))
	queue, err := jobs.New(d, jobs.Config{Workers: 0}, log)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Options{Config: cfg, DB: d, Catalog: cat, Docs: docs, Queue: queue,
		Log: log, Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &testEnv{t: t, srv: srv, db: d, queue: queue, ts: ts}
}

// rawConn opens a connection to the test server and writes head (the request line and
// headers, without the blank line) and the first part of the body; the rest is never sent
// unless the test writes it.
func (e *testEnv) rawConn(head string, body []byte) net.Conn {
	e.t.Helper()
	conn, err := net.Dial("tcp", e.ts.Listener.Addr().String())
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, strings.ReplaceAll(head, "\n", "\r\n")+"\r\n"); err != nil {
		e.t.Fatal(err)
	}
	if _, err := conn.Write(body); err != nil {
		e.t.Fatal(err)
	}
	return conn
}

// readAnswer reads the response on conn, waiting generously: a server that waits for the rest
// of the body never answers, and the test fails here.
func (e *testEnv) readAnswer(conn net.Conn) *http.Response {
	e.t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		e.t.Fatalf("no answer before the body was sent: %v", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// cookieHeader is the Cookie header of c for the test server.
func (c *client) cookieHeader() string {
	u, _ := url.Parse(c.e.ts.URL)
	var parts []string
	for _, ck := range c.http.Jar.Cookies(u) {
		parts = append(parts, ck.Name+"="+ck.Value)
	}
	return strings.Join(parts, "; ")
}

// multipartPrefix is the start of a multipart body: the fields, then a file part's header and
// fill bytes of it.
func multipartPrefix(boundary string, fields map[string]string, fill int) []byte {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	_ = mw.SetBoundary(boundary)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", "big.csv")
	_, _ = fw.Write(bytes.Repeat([]byte("x"), fill))
	return b.Bytes()
}

const testBoundary = "limitsboundary0123456789"

func multipartHead(path string, length int, cookie string) string {
	h := fmt.Sprintf("POST %s HTTP/1.1\nHost: example.test\nContent-Type: multipart/form-data; boundary=%s\nContent-Length: %d\n",
		path, testBoundary, length)
	if cookie != "" {
		h += "Cookie: " + cookie + "\n"
	}
	return h
}

// A large multipart body is refused before it is read when its sender lacks the route's role
// or its CSRF token does not come first: the server answers while the client has sent only
// 64 KiB of 10 MiB.
func TestLargeMultipartRefusedBeforeBodyIsRead(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	const declared = 10 << 20
	const sent = 64 << 10

	// Anonymous.
	conn := e.rawConn(multipartHead("/admin/import", declared, ""), multipartPrefix(testBoundary, nil, sent))
	if resp := e.readAnswer(conn); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("anonymous: %d, want 403", resp.StatusCode)
	}

	// A viewer, whose role is too low, with a valid token.
	viewer := e.userClient(auth.RoleViewer)
	conn = e.rawConn(multipartHead("/admin/import", declared, viewer.cookieHeader()),
		multipartPrefix(testBoundary, map[string]string{"csrf_token": viewer.csrf()}, sent))
	if resp := e.readAnswer(conn); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("viewer: %d, want 403", resp.StatusCode)
	}

	// An editor whose token would come only after the file.
	editor := e.userClient(auth.RoleEditor)
	conn = e.rawConn(multipartHead("/admin/import", declared, editor.cookieHeader()), multipartPrefix(testBoundary, nil, sent))
	if resp := e.readAnswer(conn); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("editor without a leading token: %d, want 403", resp.StatusCode)
	}

	// A declared size over the limit is refused at once, whoever sends it.
	conn = e.rawConn(multipartHead("/admin/import", 100<<20, editor.cookieHeader()),
		multipartPrefix(testBoundary, map[string]string{"csrf_token": editor.csrf()}, sent))
	if resp := e.readAnswer(conn); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("100 MiB declared: %d, want 413", resp.StatusCode)
	}

	// The editor's form with the token first is still read and handled.
	resp, body := editor.upload("cities.csv", []byte("name_ko,name_en\n"), nil)
	if resp.StatusCode == http.StatusForbidden || resp.StatusCode >= 500 {
		t.Fatalf("editor's import: %d\n%s", resp.StatusCode, body)
	}
}

// waitFor is polltest.Until for a condition with nothing to say about its state.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	polltest.Until(t, what, func() (bool, string) { return cond(), "not yet" })
}

// Only --max-large-bodies multipart bodies are read at once; one more is answered 503 with
// Retry-After, and a place is free again once a body is done with.
func TestLargeBodiesAreCapped(t *testing.T) {
	t.Parallel()
	e := newLimitsEnv(t, func(c *config.Config) { c.MaxLargeBodies = 2 }, nil)
	editor := e.userClient(auth.RoleEditor)
	token := editor.csrf()
	var stalled []net.Conn
	for range 2 {
		prefix := multipartPrefix(testBoundary, map[string]string{"csrf_token": token}, 32<<10)
		stalled = append(stalled, e.rawConn(multipartHead("/admin/import", 512<<10, editor.cookieHeader()), prefix))
	}
	waitFor(t, "two bodies being read", func() bool { return len(e.srv.lim.large) == 2 })

	resp, body := editor.upload("cities.csv", []byte("name_ko,name_en\n"), nil)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("third body: %d, Retry-After %q, want 503 with Retry-After\n%s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if !strings.Contains(body, "many files") {
		t.Errorf("the 503 page does not say why:\n%s", body)
	}

	stalled[0].Close()
	waitFor(t, "a place to free", func() bool { return len(e.srv.lim.large) == 1 })
	if resp, body := editor.upload("cities.csv", []byte("name_ko,name_en\n"), nil); resp.StatusCode == http.StatusServiceUnavailable {
		t.Fatalf("with a free place: %d\n%s", resp.StatusCode, body)
	}
}

// A body that does not arrive within --body-timeout is answered 408 and its connection closed.
func TestSlowBodyIsCutOff(t *testing.T) {
	t.Parallel()
	e := newLimitsEnv(t, func(c *config.Config) {
		c.BodyTimeout = 300 * time.Millisecond
		c.UploadBodyTimeout = time.Hour
	}, nil)
	conn := e.rawConn("POST /admin/sign-in HTTP/1.1\nHost: example.test\nContent-Type: application/x-www-form-urlencoded\nContent-Length: 1000\n",
		[]byte("username=a"))
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer to a stalled body: %v", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("stalled body: %d, want 408", resp.StatusCode)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("the connection stays open after the 408: %v", err)
	}

	// An upload chunk gets the long deadline, anything else the short one.
	chunk := httptest.NewRequest("PATCH", uploadsPath+"abc", strings.NewReader("x"))
	chunk.Header.Set("Content-Type", "application/offset+octet-stream")
	form := httptest.NewRequest("POST", "/admin/sign-in", strings.NewReader("x"))
	if got := e.srv.bodyTimeout(chunk); got != time.Hour {
		t.Errorf("upload chunk deadline %s, want 1h", got)
	}
	if got := e.srv.bodyTimeout(form); got != 300*time.Millisecond {
		t.Errorf("form deadline %s, want 300ms", got)
	}
}

func TestClientAddressBehindTrustedProxies(t *testing.T) {
	t.Parallel()
	cfg := config.Default()
	cfg.TrustedProxies = "10.0.0.0/8, 192.0.2.1"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	s := &Server{cfg: cfg}
	for _, tc := range []struct {
		remote, header, value, want string
	}{
		{"203.0.113.9:5000", "X-Forwarded-For", "198.51.100.1", "203.0.113.9"},                  // not a proxy: header ignored
		{"10.1.2.3:5000", "X-Forwarded-For", "198.51.100.1", "198.51.100.1"},                    // one proxy
		{"10.1.2.3:5000", "X-Forwarded-For", "6.6.6.6, 198.51.100.1, 10.9.9.9", "198.51.100.1"}, // forged hop on the left
		{"10.1.2.3:5000", "X-Forwarded-For", "", "10.1.2.3"},
		{"10.1.2.3:5000", "X-Forwarded-For", "garbage, 198.51.100.1", "198.51.100.1"},
		{"10.1.2.3:5000", "X-Forwarded-For", "198.51.100.1, garbage", "10.1.2.3"},
		{"[::ffff:192.0.2.1]:80", "X-Forwarded-For", "[2001:db8::7]:4711", "2001:db8::7"},
		{"10.1.2.3:5000", "Forwarded", `for=198.51.100.1;proto=https, for="[2001:db8::1]:80"`, "2001:db8::1"},
	} {
		s.cfg.ForwardedHeader = tc.header
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		if tc.value != "" {
			r.Header.Set(tc.header, tc.value)
		}
		if got := s.clientIP(r); got != tc.want {
			t.Errorf("%s with %s: %q: got %q, want %q", tc.remote, tc.header, tc.value, got, tc.want)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.example"} {
		c := config.Default()
		c.TrustedProxies = bad
		if err := c.Validate(); err == nil {
			t.Errorf("--trusted-proxies=%s accepted", bad)
		}
	}
}

// signInFrom signs in through a proxy that says the client is at addr.
func (c *client) signInFrom(addr, username, password string) *http.Response {
	c.e.t.Helper()
	form := url.Values{"username": {username}, "password": {password}, "csrf_token": {c.csrf()}}
	req, _ := http.NewRequest("POST", c.e.ts.URL+"/admin/sign-in", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", addr)
	resp, err := c.http.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// Behind a trusted proxy, one client's failures do not hold back the others; without one, the
// header is not believed, and a browser that signed in before is still let in.
func TestSignInLimitsBehindProxy(t *testing.T) {
	t.Parallel()
	for _, trusted := range []bool{true, false} {
		t.Run(fmt.Sprint("trusted=", trusted), func(t *testing.T) {
			e := newLimitsEnv(t, func(c *config.Config) {
				if trusted {
					c.TrustedProxies = "127.0.0.0/8,::1/128"
					_ = c.Validate()
				}
			}, nil)
			e.inTx(func(tx *sql.Tx) error {
				_, err := auth.CreateUser(context.Background(), tx, "ana", "", testPassword, auth.RoleEditor)
				return err
			})
			known := e.client() // Ana's own browser, which signed in before
			if resp := known.signInFrom("198.51.100.20", "ana", testPassword); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("first sign-in: %d", resp.StatusCode)
			}
			known.post("/admin/sign-out", nil)
			guesser := e.client()
			for i := range 21 {
				guesser.signInFrom("198.51.100.66", fmt.Sprintf("guess%d", i), "wrong password")
			}
			if resp := guesser.signInFrom("198.51.100.66", "ana", testPassword); resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
				t.Fatalf("the guesser's address: %d, want 429 with Retry-After", resp.StatusCode)
			}
			fresh := e.client() // a colleague's browser, never signed in here
			want := http.StatusSeeOther
			if !trusted {
				want = http.StatusTooManyRequests // everyone shares the proxy's address
			}
			if resp := fresh.signInFrom("198.51.100.21", "ana", testPassword); resp.StatusCode != want {
				t.Fatalf("a new browser elsewhere: %d, want %d", resp.StatusCode, want)
			}
			if resp := known.signInFrom("198.51.100.20", "ana", testPassword); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("Ana's browser: %d, want 303", resp.StatusCode)
			}
		})
	}
}

// A request whose client went away is logged as 499 at info level, not as an error 500.
func TestClientClosedIsNotAnError(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	e := newLimitsEnv(t, nil, &logs)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequest("GET", "/en/partners", nil).WithContext(ctx)
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	out := logs.String()
	if strings.Contains(out, "level=ERROR") || !strings.Contains(out, "status=499") || !strings.Contains(out, "level=INFO msg=request") {
		t.Fatalf("log of a request whose client left:\n%s", out)
	}
}

func TestMetricsNeedToken(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	if resp, _ := e.client().get("/metrics"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("/metrics without --metrics-token: %d, want 404", resp.StatusCode)
	}
	e = newLimitsEnv(t, func(c *config.Config) { c.MetricsToken = "s3cret" }, nil)
	if resp, _ := e.client().get("/metrics"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("/metrics without the token: %d, want 401", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", e.ts.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "sistercity_http_requests_total") {
		t.Fatalf("/metrics with the token: %d\n%.300s", resp.StatusCode, b)
	}
}

func TestHSTSOnlyOverHTTPS(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	if resp, _ := e.client().get("/en/"); resp.Header.Get("Strict-Transport-Security") != "" {
		t.Fatalf("HSTS without an https base URL")
	}
	e = newLimitsEnv(t, func(c *config.Config) { c.BaseURL = "https://sister.example.org" }, nil)
	if resp, _ := e.client().get("/en/"); !strings.HasPrefix(resp.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Fatalf("no HSTS with an https base URL: %q", resp.Header.Get("Strict-Transport-Security"))
	}
}
