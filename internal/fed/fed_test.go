package fed

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"sistercity/internal/db/dbtest"
	"sistercity/internal/jobs"
	"sistercity/internal/safehttp"
)

func TestBound(t *testing.T) {
	long := strings.Repeat("ж", 10000)
	if got := bound(long, maxName); utf8.RuneCountInString(got) != maxName+1 || !strings.HasSuffix(got, "…") {
		t.Fatalf("bound: %d runes", utf8.RuneCountInString(got))
	}
	if got := bound("a\x00b\x1bc\xffd\ne", 100); got != "abcd\ne" {
		t.Fatalf("control characters and invalid UTF-8: %q", got)
	}
}

func TestPlainText(t *testing.T) {
	got := plainText(`<p>Hello <b>Busan</b></p><p>second<br>line</p><script>x</script>`)
	if got != "Hello Busan\nsecond\nline" {
		t.Fatalf("plainText: %q", got)
	}
}

func TestDigestMatches(t *testing.T) {
	body := []byte(`{"type":"Follow"}`)
	sum := sha256.Sum256(body)
	good := "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:])
	for _, tc := range []struct {
		values []string
		want   bool
	}{
		{[]string{good}, true},
		{[]string{"sha-256=" + good[8:]}, true},
		{[]string{"SHA-512=abc, " + good}, true},
		{[]string{"SHA-256=AAAA"}, false},
		{nil, false},
	} {
		if got := digestMatches(tc.values, body); got != tc.want {
			t.Errorf("%v: %v", tc.values, got)
		}
	}
}

func TestValidUsername(t *testing.T) {
	for u, want := range map[string]bool{"busan": true, "busan_city2": true, "": false, "Busan": false,
		"bu san": false, "부산": false, strings.Repeat("a", 31): false} {
		if ValidUsername(u) != want {
			t.Errorf("%q: want %v", u, want)
		}
	}
}

func TestHostLimiter(t *testing.T) {
	l := newHostLimiter(3, time.Hour)
	for i := range 3 {
		if !l.allow("a.example") {
			t.Fatalf("request %d refused", i)
		}
	}
	if l.allow("a.example") {
		t.Fatal("fourth request allowed")
	}
	if !l.allow("b.example") {
		t.Fatal("another host refused")
	}
}

func newTestService(t *testing.T, now func() time.Time) *Service {
	t.Helper()
	d := dbtest.Open(t)
	q, err := jobs.New(d, jobs.Config{Workers: 0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{DB: d, BaseURL: "http://127.0.0.1:1", Queue: q, Now: now,
		Client: safehttp.New(safehttp.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The key is made once and kept; a second Service on the same database signs with it.
func TestKeyKept(t *testing.T) {
	s := newTestService(t, nil)
	ctx := context.Background()
	k1, err := s.Key(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := New(Options{DB: s.db, BaseURL: "http://127.0.0.1:1"})
	k2, err := s2.Key(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !k1.Equal(k2) {
		t.Fatal("a second Key made another key")
	}
}

// A delivery a server refuses with 4xx ends; a 5xx is retried and marks the host failing, which
// after a week of failures is skipped until it sends us something.
func TestDeliveryFailures(t *testing.T) {
	now := time.Now()
	clock := func() time.Time { return now }
	s := newTestService(t, clock)
	status := http.StatusServiceUnavailable
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Signature") == "" || r.Header.Get("Digest") == "" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(status)
	}))
	defer ts.Close()
	ctx := context.Background()
	args := DeliverArgs{Inbox: ts.URL + "/inbox", Activity: []byte(`{"type":"Create"}`)}
	host := hostOf(args.Inbox)
	if err := s.deliver(ctx, args); err == nil {
		t.Fatal("503: no error to retry")
	}
	if _, skip, _ := s.hostState(ctx, host); skip {
		t.Fatal("unreachable after one failure")
	}
	now = now.Add(8 * 24 * time.Hour)
	_ = s.deliver(ctx, args)
	if _, skip, _ := s.hostState(ctx, host); !skip {
		t.Fatal("not unreachable after a week of failures")
	}
	status = http.StatusAccepted
	if err := s.deliver(ctx, args); err != nil {
		t.Fatalf("skipped delivery: %v", err)
	}
	if err := s.hostAnswered(ctx, host); err != nil {
		t.Fatal(err)
	}
	if err := s.deliver(ctx, args); err != nil {
		t.Fatalf("after the host answered: %v", err)
	}
	status = http.StatusGone
	err := s.deliver(ctx, args)
	if err == nil || !strings.Contains(err.Error(), "410") {
		t.Fatalf("410: %v", err)
	}
}

// TestBatchesInTurn: the inboxes of a fan-out go out each once, with their servers in turn, a
// host's runs of k in batches of their own and the shorter runs of several hosts packed
// together.
func TestBatchesInTurn(t *testing.T) {
	inboxes := []string{"https://a.example/1", "https://a.example/2", "https://a.example/3", "",
		"https://b.example/1", "https://a.example/1", "https://c.example/inbox", "https://b.example/2"}
	flat := slices.Concat(batchesInTurn(inboxes, 1)...)
	want := []string{"https://a.example/1", "https://b.example/1", "https://c.example/inbox", "https://a.example/2",
		"https://b.example/2", "https://a.example/3"}
	if !slices.Equal(flat, want) {
		t.Fatalf("k=1: got %v\nwant %v", flat, want)
	}
	got := batchesInTurn(inboxes, 2)
	wantBatches := [][]string{{"https://a.example/1", "https://a.example/2"}, {"https://b.example/1", "https://b.example/2"},
		{"https://c.example/inbox", "https://a.example/3"}}
	if !slices.EqualFunc(got, wantBatches, slices.Equal) {
		t.Fatalf("k=2: got %v\nwant %v", got, wantBatches)
	}
	// Shared inboxes of many servers, one each: batches of k servers, not a job per server.
	var shared []string
	for i := range 7 {
		shared = append(shared, "https://s"+strconv.Itoa(i)+".example/inbox")
	}
	got = batchesInTurn(shared, 3)
	if len(got) != 3 || len(got[0]) != 3 || len(got[1]) != 3 || len(got[2]) != 1 || !slices.Equal(slices.Concat(got...), shared) {
		t.Fatalf("7 servers, k=3: got %v", got)
	}
	// A host with 4 inboxes and three with one, k=3: the big host's full run alone, the rest packed.
	mixed := []string{"https://a.example/1", "https://a.example/2", "https://a.example/3", "https://a.example/4",
		"https://b.example/inbox", "https://c.example/inbox", "https://d.example/inbox"}
	got = batchesInTurn(mixed, 3)
	wantBatches = [][]string{{"https://a.example/1", "https://a.example/2", "https://a.example/3"},
		{"https://b.example/inbox", "https://c.example/inbox", "https://d.example/inbox"}, {"https://a.example/4"}}
	if !slices.EqualFunc(got, wantBatches, slices.Equal) {
		t.Fatalf("mixed, k=3: got %v\nwant %v", got, wantBatches)
	}
}
