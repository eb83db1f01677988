package safehttp

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

func get(t *testing.T, c *http.Client, url string) error {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req.WithContext(context.Background()))
	if err != nil {
		return err
	}
	_, err = Read(resp, MaxJSONBytes)
	return err
}

// Each kind of address is refused before a connection is made; the names resolve first, so a
// host name that points at loopback is refused like the address itself.
func TestRefusals(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer ts.Close()
	port := ts.URL[strings.LastIndex(ts.URL, ":"):]
	c := New(Options{})
	for _, url := range []string{
		ts.URL,                               // loopback
		"http://localhost" + port,            // a name resolving to loopback
		"http://[::1]" + port,                // IPv6 loopback
		"http://10.255.255.1:9",              // private
		"http://192.168.0.1:9",               // private
		"http://[fd00::1]:9",                 // unique local
		"http://169.254.169.254/latest/meta", // link-local (cloud metadata)
		"http://[fe80::1%25lo]:9",            // IPv6 link-local
		"http://0.0.0.0" + port,              // unspecified
		"http://100.64.0.1:9",                // carrier-grade NAT
	} {
		if err := get(t, c, url); !errors.Is(err, ErrRefused) {
			t.Errorf("GET %s: err %v, want ErrRefused", url, err)
		}
	}
}

func TestAllowList(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("{}")) }))
	defer ts.Close()
	if err := get(t, New(Options{Allow: loopback}), ts.URL); err != nil {
		t.Fatalf("allowed loopback: %v", err)
	}
	// The list allows what it names, nothing else.
	other := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	if err := get(t, New(Options{Allow: other}), ts.URL); !errors.Is(err, ErrRefused) {
		t.Fatalf("loopback with 10/8 allowed: %v", err)
	}
}

func TestAllowedPublic(t *testing.T) {
	for _, a := range []string{"93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"} {
		if !Allowed(netip.MustParseAddr(a), nil) {
			t.Errorf("%s refused", a)
		}
	}
	if Allowed(netip.MustParseAddr("::ffff:127.0.0.1"), nil) {
		t.Error("IPv4-mapped loopback allowed")
	}
}

func TestRedirectLimit(t *testing.T) {
	var ts *httptest.Server
	ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, ts.URL+"/again", http.StatusFound) // a loop
	}))
	defer ts.Close()
	err := get(t, New(Options{Allow: loopback}), ts.URL)
	if err == nil || !strings.Contains(err.Error(), "redirects") {
		t.Fatalf("redirect loop: %v", err)
	}
}

func TestSizeLimit(t *testing.T) {
	big := strings.Repeat("x", MaxJSONBytes+1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/chunked" {
			w.(http.Flusher).Flush() // no Content-Length: the limit is found while reading
		}
		w.Write([]byte(big))
	}))
	defer ts.Close()
	c := New(Options{Allow: loopback})
	for _, p := range []string{"/", "/chunked"} {
		if err := get(t, c, ts.URL+p); !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: err %v, want ErrTooLarge", p, err)
		}
	}
}

func TestTimeout(t *testing.T) {
	done := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-done }))
	defer ts.Close()
	defer close(done)
	c := New(Options{Allow: loopback, Timeout: 200 * time.Millisecond})
	if err := get(t, c, ts.URL); err == nil {
		t.Fatal("a server that never answers: no error")
	}
}
