package fed

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-fed/httpsig"

	"sistercity/internal/db"
	"sistercity/internal/db/dbtest"
	"sistercity/internal/jobs"
	"sistercity/internal/polltest"
	"sistercity/internal/safehttp"
)

// batchInboxes is a remote server with personal inboxes (/users/<name>/inbox) that checks
// each POST's signature with the city's key and answers each inbox from a script: the status
// of its first, second, … POST, then 202.
type batchInboxes struct {
	*httptest.Server
	mu     sync.Mutex
	script map[string][]int // inbox name → statuses of its first POSTs
	hits   map[string]int   // inbox name → verified POSTs received
	bad    []string         // what failed verification
}

func newBatchInboxes(t *testing.T, s *Service, script map[string][]int) *batchInboxes {
	t.Helper()
	key, err := s.Key(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b := &batchInboxes{script: script, hits: map[string]int{}}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/users/"), "/inbox")
		b.mu.Lock()
		defer b.mu.Unlock()
		v, err := httpsig.NewVerifier(r)
		if err == nil {
			err = v.Verify(&key.PublicKey, httpsig.RSA_SHA256)
		}
		if err != nil || v.KeyId() != s.KeyID() {
			b.bad = append(b.bad, fmt.Sprintf("%s: %v", name, err))
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		n := b.hits[name]
		b.hits[name] = n + 1
		if n < len(b.script[name]) {
			w.WriteHeader(b.script[name][n])
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(b.Close)
	return b
}

func (b *batchInboxes) inbox(name string) string { return b.URL + "/users/" + name + "/inbox" }

func (b *batchInboxes) state() (map[string]int, []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	hits := make(map[string]int, len(b.hits))
	for k, v := range b.hits {
		hits[k] = v
	}
	return hits, append([]string(nil), b.bad...)
}

// newWorkingService is newTestService with a queue that works the deliveries, retrying after
// 100 ms.
func newWorkingService(t *testing.T) (*Service, *db.DB) {
	t.Helper()
	return newWorkingServiceWith(t, 0, 100*time.Millisecond)
}

// newWorkingServiceWith is newWorkingService with the client's timeout (0: safehttp's, as in
// production) and the queue's wait before a retry.
func newWorkingServiceWith(t *testing.T, timeout, backoff time.Duration) (*Service, *db.DB) {
	t.Helper()
	d := dbtest.Open(t)
	q, err := jobs.New(d, jobs.Config{Workers: 1, Queues: map[string]int{Queue: 4}, FetchPollInterval: 100 * time.Millisecond,
		Backoff: func(int) time.Duration { return backoff }}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Options{DB: d, BaseURL: "http://127.0.0.1:1", Queue: q,
		Client: safehttp.New(safehttp.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, Timeout: timeout})})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Register(q); err != nil {
		t.Fatal(err)
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Stop(context.Background()) })
	return s, d
}

// deliveryJobs are the delivery jobs in d by kind, with their args as JSON, and how many have
// not finished.
func deliveryJobs(t *testing.T, d *db.DB) (byKind map[string][]string, unfinished int) {
	t.Helper()
	col := "json(args)"
	if d.Dialect == db.Postgres {
		col = "CAST(args AS TEXT)"
	}
	byKind = map[string][]string{}
	err := db.Each(context.Background(), d.R, "SELECT kind, "+col+", state FROM river_job WHERE kind LIKE 'fed.deliver%' ORDER BY id", nil,
		func(rows *sql.Rows) error {
			var kind, args, state string
			if err := rows.Scan(&kind, &args, &state); err != nil {
				return err
			}
			byKind[kind] = append(byKind[kind], args)
			if state != "completed" && state != "cancelled" && state != "discarded" {
				unfinished++
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	return byKind, unfinished
}

// A fan-out to many inboxes of one server is one batch job. An inbox that fails (503) among
// good ones goes on in a job of its own and is retried until it answers; the good ones get the
// activity exactly once, and an inbox that refuses it for good (410) is not retried.
func TestDeliveryBatchSplitsOffFailures(t *testing.T) {
	t.Parallel()
	s, d := newWorkingService(t)
	unavailable := http.StatusServiceUnavailable
	srv := newBatchInboxes(t, s, map[string][]int{"bad": {unavailable, unavailable}, "gone": {http.StatusGone}})
	names := []string{"a", "b", "bad", "c", "gone", "d"}
	var inboxes []string
	for _, n := range names {
		inboxes = append(inboxes, srv.inbox(n))
	}
	ctx := context.Background()
	if err := d.InTx(ctx, func(tx *sql.Tx) error {
		return s.Deliver(ctx, tx, map[string]any{"type": "Create", "id": "http://127.0.0.1:1/ap/videos/1#create"}, inboxes)
	}); err != nil {
		t.Fatal(err)
	}
	// One batch enqueued (the queue may already have run it and split a job off).
	jobsNow, _ := deliveryJobs(t, d)
	if len(jobsNow["fed.deliver_batch"]) != 1 {
		t.Fatalf("enqueued %v, want one batch", jobsNow)
	}
	polltest.Until(t, "the failing inbox reached on its third attempt, every job finished", func() (bool, string) {
		hits, bad := srv.state()
		if len(bad) > 0 {
			t.Fatalf("refused signatures: %v", bad)
		}
		byKind, unfinished := deliveryJobs(t, d)
		return hits["bad"] == 3 && unfinished == 0, fmt.Sprintf("hits %v, jobs %v, %d unfinished", hits, byKind, unfinished)
	})
	hits, _ := srv.state()
	for _, n := range []string{"a", "b", "c", "d", "gone"} {
		if hits[n] != 1 {
			t.Errorf("%s received %d POSTs, want 1", n, hits[n])
		}
	}
	byKind, _ := deliveryJobs(t, d)
	if len(byKind["fed.deliver_batch"]) != 1 || len(byKind["fed.deliver"]) != 1 {
		t.Fatalf("jobs %v: want the batch and one job split off", byKind)
	}
	var split DeliverArgs
	if err := json.Unmarshal([]byte(byKind["fed.deliver"][0]), &split); err != nil {
		t.Fatal(err)
	}
	if split.Inbox != srv.inbox("bad") || split.Tried != 1 {
		t.Fatalf("split off %+v, want the failing inbox after one attempt", split)
	}
}

// When every inbox of a batch fails, nobody has the activity: the batch is retried whole, and
// each inbox gets it once it answers.
func TestDeliveryBatchRetriedWholeWhenAllFail(t *testing.T) {
	t.Parallel()
	s, d := newWorkingService(t)
	down := []int{http.StatusBadGateway}
	srv := newBatchInboxes(t, s, map[string][]int{"a": down, "b": down, "c": down})
	ctx := context.Background()
	if err := d.InTx(ctx, func(tx *sql.Tx) error {
		return s.Deliver(ctx, tx, map[string]any{"type": "Create"}, []string{srv.inbox("a"), srv.inbox("b"), srv.inbox("c")})
	}); err != nil {
		t.Fatal(err)
	}
	polltest.Until(t, "every inbox reached, the batch finished", func() (bool, string) {
		hits, bad := srv.state()
		if len(bad) > 0 {
			t.Fatalf("refused signatures: %v", bad)
		}
		byKind, unfinished := deliveryJobs(t, d)
		return hits["a"] == 2 && hits["b"] == 2 && hits["c"] == 2 && unfinished == 0,
			fmt.Sprintf("hits %v, jobs %v, %d unfinished", hits, byKind, unfinished)
	})
	byKind, _ := deliveryJobs(t, d)
	if len(byKind["fed.deliver_batch"]) != 1 || len(byKind["fed.deliver"]) != 0 {
		t.Fatalf("jobs %v: want the one batch, nothing split off", byKind)
	}
	if _, skip, err := s.hostState(ctx, hostOf(srv.URL)); err != nil || skip {
		t.Fatalf("host state after it answered: skip %v, %v", skip, err)
	}
}

// Followers on several servers with an inbox or two each share one batch job. A server that
// fails (503) gets its inbox retried in a job of its own until it answers, and its failure is
// recorded only against it; the other servers get the activity exactly once, and an inbox that
// refuses it for good (410) is not retried while another inbox of its server is reached.
func TestDeliveryBatchOfManyServers(t *testing.T) {
	t.Parallel()
	s, d := newWorkingService(t)
	unavailable := http.StatusServiceUnavailable
	up := newBatchInboxes(t, s, nil)
	down := newBatchInboxes(t, s, map[string][]int{"bad": {unavailable, unavailable}})
	mixed := newBatchInboxes(t, s, map[string][]int{"gone": {http.StatusGone}})
	inboxes := []string{up.inbox("a"), down.inbox("bad"), mixed.inbox("gone"), mixed.inbox("b"), up.inbox("c")}
	ctx := context.Background()
	if err := d.InTx(ctx, func(tx *sql.Tx) error {
		return s.Deliver(ctx, tx, map[string]any{"type": "Create", "id": "http://127.0.0.1:1/ap/videos/1#create"}, inboxes)
	}); err != nil {
		t.Fatal(err)
	}
	// One batch enqueued (the queue may already have run it and split a job off).
	jobsNow, _ := deliveryJobs(t, d)
	if len(jobsNow["fed.deliver_batch"]) != 1 {
		t.Fatalf("enqueued %v, want one batch", jobsNow)
	}
	polltest.Until(t, "the failing server reached on its third attempt, every job finished", func() (bool, string) {
		hits, _ := down.state()
		byKind, unfinished := deliveryJobs(t, d)
		return hits["bad"] == 3 && unfinished == 0, fmt.Sprintf("hits %v, jobs %v, %d unfinished", hits, byKind, unfinished)
	})
	for _, srv := range []*batchInboxes{up, down, mixed} {
		if _, bad := srv.state(); len(bad) > 0 {
			t.Fatalf("refused signatures: %v", bad)
		}
	}
	for srv, names := range map[*batchInboxes][]string{up: {"a", "c"}, mixed: {"gone", "b"}} {
		hits, _ := srv.state()
		for _, n := range names {
			if hits[n] != 1 {
				t.Errorf("%s received %d POSTs, want 1", srv.inbox(n), hits[n])
			}
		}
	}
	byKind, _ := deliveryJobs(t, d)
	if len(byKind["fed.deliver_batch"]) != 1 || len(byKind["fed.deliver"]) != 1 {
		t.Fatalf("jobs %v: want the batch and one job split off", byKind)
	}
	var split DeliverArgs
	if err := json.Unmarshal([]byte(byKind["fed.deliver"][0]), &split); err != nil {
		t.Fatal(err)
	}
	if split.Inbox != down.inbox("bad") || split.Tried != 1 {
		t.Fatalf("split off %+v, want the failing inbox after one attempt", split)
	}
	// The failing server's record was made by the batch and cleared when it answered; the
	// others never had one.
	for _, srv := range []*batchInboxes{up, down, mixed} {
		if recorded, skip, err := s.hostState(ctx, hostOf(srv.URL)); err != nil || recorded || skip {
			t.Errorf("%s at the end: recorded %v, skip %v, %v", srv.URL, recorded, skip, err)
		}
	}
}

// A batch's servers marked unreachable are skipped, the others reached; hostStates reads the
// records of several hosts at once.
func TestDeliveryBatchSkipsUnreachableServer(t *testing.T) {
	t.Parallel()
	s, d := newWorkingService(t)
	up := newBatchInboxes(t, s, nil)
	gone := newBatchInboxes(t, s, nil)
	ctx := context.Background()
	if _, err := d.W.ExecContext(ctx, "INSERT INTO fed_hosts (host, failing_since, unreachable) VALUES ($1, $2, TRUE)",
		hostOf(gone.URL), time.Now().UTC().Add(-8*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	states, err := s.hostStates(ctx, []string{hostOf(up.URL), hostOf(gone.URL)})
	if err != nil || len(states) != 1 || !states[hostOf(gone.URL)] {
		t.Fatalf("hostStates: %v, %v; want only the unreachable host, marked", states, err)
	}
	if err := d.InTx(ctx, func(tx *sql.Tx) error {
		return s.Deliver(ctx, tx, map[string]any{"type": "Create"}, []string{up.inbox("a"), gone.inbox("x"), up.inbox("b")})
	}); err != nil {
		t.Fatal(err)
	}
	polltest.Until(t, "the reachable server reached, the batch finished", func() (bool, string) {
		hits, _ := up.state()
		byKind, unfinished := deliveryJobs(t, d)
		return hits["a"] == 1 && hits["b"] == 1 && unfinished == 0, fmt.Sprintf("hits %v, jobs %v, %d unfinished", hits, byKind, unfinished)
	})
	if hits, _ := gone.state(); len(hits) != 0 {
		t.Fatalf("the unreachable server received %v", hits)
	}
}
