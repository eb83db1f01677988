package fed

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-fed/httpsig"

	"sistercity/internal/db"
	"sistercity/internal/jobs/jobstest"
	"sistercity/internal/polltest"
	"sistercity/internal/publog"
)

// hangingInboxes is a remote server that accepts connections and checks each POST's signature,
// then never answers the inboxes hangs says (until release, or until the client gives up) and
// answers the others 202. After release every inbox is answered 202.
type hangingInboxes struct {
	*httptest.Server
	hangs    func(name string) bool
	release  chan struct{}
	mu       sync.Mutex
	released bool
	hits     map[string]int // inbox name → verified POSTs received
	posts    int            // verified POSTs received
	answered map[string]int // inbox name → POSTs answered 2xx
	hung     int            // POSTs left unanswered until the client gave up
	inflight int            // POSTs waiting for an answer now
	peak     int            // most POSTs waiting for an answer at once
	bad      []string
}

func newHangingInboxes(t *testing.T, s *Service, hangs func(name string) bool) *hangingInboxes {
	t.Helper()
	key, err := s.Key(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	h := &hangingInboxes{hangs: hangs, release: make(chan struct{}), hits: map[string]int{}, answered: map[string]int{}}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/users/"), "/inbox")
		// Reading the body to its end lets the server see the client hang up (r.Context()).
		_, _ = io.Copy(io.Discard, r.Body)
		v, err := httpsig.NewVerifier(r)
		if err == nil {
			err = v.Verify(&key.PublicKey, httpsig.RSA_SHA256)
		}
		h.mu.Lock()
		if err != nil || v.KeyId() != s.KeyID() {
			h.bad = append(h.bad, fmt.Sprintf("%s: %v", name, err))
			h.mu.Unlock()
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		h.hits[name]++
		h.posts++
		hang := !h.released && h.hangs(name)
		if hang {
			h.inflight++
			h.peak = max(h.peak, h.inflight)
		}
		h.mu.Unlock()
		if hang {
			select {
			case <-h.release:
			case <-r.Context().Done():
			}
			h.mu.Lock()
			h.inflight--
			if r.Context().Err() != nil {
				h.hung++
				h.mu.Unlock()
				return
			}
			h.mu.Unlock()
		}
		h.mu.Lock()
		h.answered[name]++
		h.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	}))
	// Cleanups run last first: the handlers still waiting return before Close waits for them.
	t.Cleanup(h.Close)
	t.Cleanup(h.unblock)
	return h
}

func (h *hangingInboxes) inbox(name string) string { return h.URL + "/users/" + name + "/inbox" }

// unblock answers every inbox from now on, those waiting included.
func (h *hangingInboxes) unblock() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.released {
		h.released = true
		close(h.release)
	}
}

type hangingState struct {
	hits, answered              map[string]int
	posts, hung, inflight, peak int
	bad                         []string
}

func (h *hangingInboxes) state() hangingState {
	h.mu.Lock()
	defer h.mu.Unlock()
	return hangingState{hits: maps(h.hits), answered: maps(h.answered), posts: h.posts, hung: h.hung, inflight: h.inflight, peak: h.peak,
		bad: slices.Clone(h.bad)}
}

func maps(m map[string]int) map[string]int {
	c := make(map[string]int, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// delivery is one activity (by its id) to one inbox, as a delivery job carries it.
type delivery struct{ activity, inbox string }

// pendingDeliveries are the deliveries to host that the unfinished delivery jobs in d still
// carry, with how many jobs carry each, and the states of the jobs that carry host's inboxes.
func pendingDeliveries(t *testing.T, d *db.DB, host string) (pending map[delivery]int, states map[string]int) {
	t.Helper()
	col := "json(args)"
	if d.Dialect == db.Postgres {
		col = "CAST(args AS TEXT)"
	}
	pending, states = map[delivery]int{}, map[string]int{}
	err := db.Each(context.Background(), d.R, "SELECT kind, "+col+", state FROM river_job WHERE kind LIKE 'fed.deliver%'", nil,
		func(rows *sql.Rows) error {
			var kind, args, state string
			if err := rows.Scan(&kind, &args, &state); err != nil {
				return err
			}
			var a struct {
				Inbox    string   `json:"inbox"`
				Inboxes  []string `json:"inboxes"`
				Activity struct {
					ID string `json:"id"`
				} `json:"activity"`
			}
			if err := json.Unmarshal([]byte(args), &a); err != nil {
				return err
			}
			inboxes := a.Inboxes
			if kind == "fed.deliver" {
				inboxes = []string{a.Inbox}
			}
			if hostOf(inboxes[0]) != host {
				return nil
			}
			states[state]++
			if state == "completed" || state == "cancelled" || state == "discarded" {
				return nil
			}
			for _, in := range inboxes {
				pending[delivery{a.Activity.ID, in}]++
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	return pending, states
}

// A server that accepts connections and never answers, with more delivery jobs waiting for it
// than the queue has workers, holds none of them: the deliveries to a healthy server enqueued
// after them all arrive, while the hanging server's are still there to be retried, none lost.
// The video's publication log has them pending, and counts attempts, not snoozes.
func TestDeliveryHangingHostHoldsNoWorkers(t *testing.T) {
	t.Parallel()
	// A 10 s client timeout, short for the test, long enough that no POST to the healthy server
	// times out on a busy machine: on the code before this test, the hanging server's jobs
	// ahead of the healthy one's (308 POSTs, 4 at a time) held the 4 workers for over 6 minutes.
	s, d := newWorkingServiceWith(t, 10*time.Second, 2*time.Second)
	hang := newHangingInboxes(t, s, func(string) bool { return true })
	healthy := newBatchInboxes(t, s, nil)
	ctx := context.Background()
	var video int64
	if err := d.InTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO videos (original_lang, state, created_at, updated_at)
			VALUES ('ko', 'published', $1, $1) RETURNING id`, time.Now().UTC()).Scan(&video)
	}); err != nil {
		t.Fatal(err)
	}
	deliver := func(id string, inboxes []string) {
		t.Helper()
		if err := d.InTx(ctx, func(tx *sql.Tx) error {
			return s.deliverAll(ctx, tx, map[string]any{"type": "Update", "id": id}, inboxes, video, id, "")
		}); err != nil {
			t.Fatal(err)
		}
	}
	want := map[delivery]int{}
	var hangInboxes []string
	for i := range 6 * batchSize {
		in := hang.inbox(fmt.Sprintf("u%03d", i))
		hangInboxes = append(hangInboxes, in)
		want[delivery{"http://127.0.0.1:1/ap/notes/0", in}] = 1
	}
	deliver("http://127.0.0.1:1/ap/notes/0", hangInboxes) // 6 batches
	for i := 1; i <= 8; i++ {
		id := fmt.Sprintf("http://127.0.0.1:1/ap/notes/%d", i)
		deliver(id, []string{hang.inbox("solo")}) // a job of its own each
		want[delivery{id, hang.inbox("solo")}] = 1
	}
	polltest.Until(t, "the hanging server holding as many POSTs as one host may have", func() (bool, string) {
		st := hang.state()
		return st.inflight >= perHost, fmt.Sprintf("%d waiting", st.inflight)
	})

	var healthyInboxes []string
	for i := range batchSize + 10 {
		healthyInboxes = append(healthyInboxes, healthy.inbox(fmt.Sprintf("u%02d", i)))
	}
	start := time.Now()
	deliver("http://127.0.0.1:1/ap/notes/100", healthyInboxes) // 2 batches
	for i := 101; i <= 103; i++ {
		deliver(fmt.Sprintf("http://127.0.0.1:1/ap/notes/%d", i), []string{healthy.inbox("solo")})
	}
	polltest.Until(t, "every delivery to the healthy server", func() (bool, string) {
		hits, bad := healthy.state()
		if len(bad) > 0 {
			t.Fatalf("refused signatures: %v", bad)
		}
		n := 0
		for i := range batchSize + 10 {
			if hits[fmt.Sprintf("u%02d", i)] > 0 {
				n++
			}
		}
		st := hang.state()
		return n == batchSize+10 && hits["solo"] == 3,
			fmt.Sprintf("%d of %d inboxes reached, solo %d of 3; the hanging server: %d POSTs, %d given up on, %d waiting",
				n, batchSize+10, hits["solo"], sum(st.hits), st.hung, st.inflight)
	})
	t.Logf("the healthy server reached in %s", time.Since(start).Round(time.Millisecond))
	hits, _ := healthy.state()
	for name, n := range hits {
		if want := map[bool]int{true: 3, false: 1}[name == "solo"]; n != want {
			t.Errorf("healthy %s received %d POSTs, want %d", name, n, want)
		}
	}
	st := hang.state()
	if len(st.bad) > 0 {
		t.Fatalf("refused signatures: %v", st.bad)
	}
	pending, states := pendingDeliveries(t, d, hostOf(hang.URL))
	for dl := range want {
		if pending[dl] != 1 {
			t.Errorf("%s to %s: in %d unfinished jobs, want 1", dl.activity, dl.inbox, pending[dl])
		}
	}
	if len(pending) != len(want) {
		t.Errorf("%d deliveries to the hanging server pending, want %d", len(pending), len(want))
	}
	// The log, once attempts to the hanging server have ended and its jobs have been snoozed
	// more times than it received POSTs.
	logged := func() (attempts int) {
		entries, err := publog.List(ctx, d.R, video)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.Name != hostOf(hang.URL) {
				continue
			}
			if e.Status != publog.StatusPending {
				t.Errorf("publication log: %s %q, want pending", e.Status, e.Detail)
			}
			attempts += int(e.Count)
		}
		return attempts
	}
	polltest.Until(t, "attempts to the hanging server logged, more snoozes than POSTs", func() (bool, string) {
		n, snoozed, posts := logged(), snoozes(t, d), hang.state().posts
		return n >= 2 && snoozed > posts, fmt.Sprintf("%d attempts logged, %d snoozes, %d POSTs", n, snoozed, posts)
	})
	// Every attempt logged made a POST at least (the server counts them after the log is read:
	// more POSTs may have come); snoozes logged as attempts would be more.
	if n, posts := logged(), hang.state().posts; n > posts {
		t.Errorf("publication log: %d attempts to the hanging server, which received %d POSTs", n, posts)
	}
	t.Logf("the hanging server: %d POSTs, %d given up on; its jobs by state %v", sum(st.hits), st.hung, states)
}

// snoozes is how many times the delivery jobs in d were snoozed.
func snoozes(t *testing.T, d *db.DB) int {
	t.Helper()
	col := "json(metadata)"
	if d.Dialect == db.Postgres {
		col = "CAST(metadata AS TEXT)"
	}
	n := 0
	err := db.Each(context.Background(), d.R, "SELECT "+col+" FROM river_job WHERE kind LIKE 'fed.deliver%'", nil,
		func(rows *sql.Rows) error {
			var b []byte
			if err := rows.Scan(&b); err != nil {
				return err
			}
			var m struct {
				Snoozes int `json:"snoozes"`
			}
			if err := json.Unmarshal(b, &m); err != nil {
				return err
			}
			n += m.Snoozes
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// A batch whose server stops answering stops at the first POST that times out: the server
// gets at most perHost POSTs that it leaves unanswered, the inboxes that did not get the
// activity go on in jobs of their own, and once the server answers each inbox has the
// activity once.
func TestDeliveryBatchStopsAtFirstTimeout(t *testing.T) {
	t.Parallel()
	// The retries wait an hour: the test runs them by hand once it has looked at the attempt.
	// a, b and c are on the hanging server's host and their POSTs go out beside its first:
	// the first timeout stops those still unanswered, so it is long enough (10 s) that on a
	// busy machine the answering inboxes have answered by then.
	s, d := newWorkingServiceWith(t, 10*time.Second, time.Hour)
	srv := newHangingInboxes(t, s, func(name string) bool { return strings.HasPrefix(name, "h") })
	names := []string{"a", "b", "c"}
	for i := range 20 {
		names = append(names, fmt.Sprintf("h%02d", i))
	}
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
	host := hostOf(srv.URL)
	polltest.Until(t, "the batch finished, the unreached inboxes in jobs of their own", func() (bool, string) {
		_, states := pendingDeliveries(t, d, host)
		st := srv.state()
		return states["completed"] == 1 && st.inflight == 0, fmt.Sprintf("jobs %v, POSTs %v, %d waiting", states, st.hits, st.inflight)
	})
	st := srv.state()
	if len(st.bad) > 0 {
		t.Fatalf("refused signatures: %v", st.bad)
	}
	if st.hung == 0 || st.hung > perHost || st.peak > perHost {
		t.Errorf("%d POSTs left unanswered (%d at once), want 1 to %d", st.hung, st.peak, perHost)
	}
	pending, states := pendingDeliveries(t, d, host)
	for _, n := range names {
		in := srv.inbox(n)
		switch want := map[bool]int{true: 1, false: 0}[n[0] == 'h']; {
		case pending[delivery{"http://127.0.0.1:1/ap/videos/1#create", in}] != want:
			t.Errorf("%s: in %d unfinished jobs, want %d", n, pending[delivery{"http://127.0.0.1:1/ap/videos/1#create", in}], want)
		}
	}
	if states["completed"] != 1 || len(pending) != 20 {
		t.Fatalf("jobs %v, %d pending: want the batch completed and 20 split off", states, len(pending))
	}

	// The server answers again; the retries run now instead of in an hour.
	srv.unblock()
	j := jobstest.Must(t, d)
	page, err := j.List(ctx, jobstest.Filter{Kinds: []string{"fed.deliver"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.InTx(ctx, func(tx *sql.Tx) error {
		for _, job := range page.Jobs {
			if _, err := j.Retry(ctx, tx, job.ID); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	polltest.Until(t, "every inbox answered, every job finished", func() (bool, string) {
		pending, states := pendingDeliveries(t, d, host)
		st := srv.state()
		return len(pending) == 0 && sum(st.answered) >= len(names), fmt.Sprintf("jobs %v, answered %v", states, st.answered)
	})
	st = srv.state()
	for _, n := range names {
		if st.answered[n] != 1 {
			t.Errorf("%s: answered %d POSTs, want 1", n, st.answered[n])
		}
	}
	for _, n := range names[:3] {
		if st.hits[n] != 1 {
			t.Errorf("%s received %d POSTs, want 1", n, st.hits[n])
		}
	}
}

// A host's slots: perHost at once; after a POST without answer one at a time (a probe) until
// an answer; the snooze of a job that found none doubles only while the host does not answer.
func TestHostSlots(t *testing.T) {
	h := &hostSlots{sem: make(chan struct{}, perHost)}
	for i := range perHost {
		if !h.tryAcquire() {
			t.Fatalf("slot %d refused", i+1)
		}
	}
	if h.tryAcquire() {
		t.Fatal("a slot beyond perHost")
	}
	// Busy since it began: a job waits for a slot, and gets the first one given back.
	go func() {
		time.Sleep(50 * time.Millisecond)
		h.release()
	}()
	if !h.acquire(context.Background()) {
		t.Fatal("no slot for a job waiting while the host is busy since a moment")
	}
	// Neither an answer nor a slot taken lately: the host may hang, no wait.
	h.busySince.Store(0)
	if h.acquire(context.Background()) {
		t.Fatal("a slot beyond perHost")
	}
	h.done(&noAnswerError{context.DeadlineExceeded})
	h.release()
	if h.tryAcquire() {
		t.Fatal("a second POST in flight to a host that does not answer")
	}
	for range perHost - 1 {
		h.release()
	}
	if !h.tryAcquire() || h.tryAcquire() {
		t.Fatal("want exactly one probe of a host that does not answer")
	}
	for n := range 8 {
		d := min(hostBusyFirst<<n, hostBusyMax)
		if got := h.busyDelay(n); got < d || got >= 2*d {
			t.Errorf("host not answering, snooze %d: %s, want [%s, %s)", n, got, d, 2*d)
		}
	}
	h.done(nil)
	for i := range perHost - 1 {
		if !h.tryAcquire() {
			t.Fatalf("slot %d refused after the host answered", i+2)
		}
	}
	if got := h.busyDelay(6); got < hostBusyFirst || got >= 2*hostBusyFirst {
		t.Errorf("host answering, snooze 6: %s, want [%s, %s)", got, hostBusyFirst, 2*hostBusyFirst)
	}
}

// A batch of several servers' inboxes, one of which stops answering: the batch stops its POSTs
// to that server at the first that times out, while the others' inboxes each get the activity
// once; the hanging server's inboxes go on in jobs of their own, none lost.
func TestDeliveryBatchOfManyServersOneHanging(t *testing.T) {
	t.Parallel()
	// 10 s: no POST to the healthy server times out on a busy machine (each must arrive once).
	s, d := newWorkingServiceWith(t, 10*time.Second, time.Hour)
	hanging := newHangingInboxes(t, s, func(string) bool { return true })
	healthy := newHangingInboxes(t, s, func(string) bool { return false })
	var inboxes []string
	for i := range 6 {
		inboxes = append(inboxes, hanging.inbox(fmt.Sprintf("h%d", i)), healthy.inbox(fmt.Sprintf("k%d", i)))
	}
	ctx := context.Background()
	const id = "http://127.0.0.1:1/ap/videos/2#create"
	if err := d.InTx(ctx, func(tx *sql.Tx) error {
		return s.Deliver(ctx, tx, map[string]any{"type": "Create", "id": id}, inboxes)
	}); err != nil {
		t.Fatal(err)
	}
	polltest.Until(t, "the healthy server's inboxes reached", func() (bool, string) {
		st := healthy.state()
		return sum(st.answered) >= 6, fmt.Sprintf("answered %v", st.answered)
	})
	polltest.Until(t, "the batch finished, the hanging server's inboxes in jobs of their own", func() (bool, string) {
		_, states := pendingDeliveries(t, d, hostOf(hanging.URL))
		return states["completed"] == 1 && hanging.state().inflight == 0, fmt.Sprintf("jobs %v", states)
	})
	for _, srv := range []*hangingInboxes{hanging, healthy} {
		if st := srv.state(); len(st.bad) > 0 {
			t.Fatalf("refused signatures: %v", st.bad)
		}
	}
	if st := healthy.state(); len(st.answered) != 6 {
		t.Errorf("healthy server answered %v, want each of 6 inboxes once", st.answered)
	} else {
		for name, n := range st.answered {
			if n != 1 || st.hits[name] != 1 {
				t.Errorf("%s: %d POSTs answered of %d, want 1", name, n, st.hits[name])
			}
		}
	}
	if st := hanging.state(); st.hung == 0 || st.hung > perHost {
		t.Errorf("%d POSTs left unanswered by the hanging server, want 1 to %d", st.hung, perHost)
	}
	pending, _ := pendingDeliveries(t, d, hostOf(hanging.URL))
	for i := range 6 {
		if n := pending[delivery{id, hanging.inbox(fmt.Sprintf("h%d", i))}]; n != 1 {
			t.Errorf("h%d: in %d unfinished jobs, want 1", i, n)
		}
	}
	if healthyPending, _ := pendingDeliveries(t, d, hostOf(healthy.URL)); len(healthyPending) != 0 {
		t.Errorf("the healthy server's inboxes still pending: %v", healthyPending)
	}
}
