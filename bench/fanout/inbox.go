package main

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-fed/httpsig"
)

// farm is the remote servers: plain net/http servers on loopback, each with a shared inbox
// (/inbox) and a personal inbox per user (/users/{name}/inbox). Every POST is checked as a
// Mastodon-like receiver would check it, with the same library sistercity signs with: the
// signature verifies with the city's public key under its keyId, it covers (request-target),
// host, date and digest, the Host is the server's own, the Digest is the body's SHA-256, the
// Date is within an hour, and the body is the activity of the current round. Only then is it
// counted, once per inbox.
//
// Each server listens on an address of its own in 127.0.0.0/8 (127.0.0.1, 127.0.0.2, …), so
// that the servers are distinct hosts to fed (its bound per host, its batches, its idle
// connections) as the servers of the fediverse are, and a thousand of them cost a thousand
// listening sockets, not a thousand processes. Linux routes the whole /8 to loopback.
type farm struct {
	pub   *rsa.PublicKey
	keyID string
	// perShared is how many followers a delivery to a server's shared inbox reaches, by host.
	perShared map[string]int

	servers []*http.Server
	urls    []string // base URL of each server, http://127.0.X.Y:PORT

	mu       sync.Mutex
	round    string          // id of the activity expected
	earlier  map[string]bool // ids of the activities of the rounds before
	late     int             // verified POSTs of an earlier round's activity, whole run
	seen     map[string]bool // host+path of inboxes reached in this round
	reached  int             // followers reached in this round
	bad      []string        // first refusals, for the report
	badCount int
	dups     int
	last     time.Time // when the last expected delivery arrived
	done     chan struct{}
	want     int // deliveries expected in this round

	received atomic.Int64 // every POST, verified or not
}

// maxServers is how many loopback addresses serverAddr hands out.
const maxServers = 250 * 250

// serverAddr is server i's address: 127.0.0.1, 127.0.0.2, … 127.0.0.250, 127.0.1.1, …
func serverAddr(i int) string {
	return "127.0." + strconv.Itoa(i/250) + "." + strconv.Itoa(1+i%250)
}

// startFarm starts n servers, each on a free port of its own loopback address.
func startFarm(n int, pub *rsa.PublicKey, keyID string) (*farm, error) {
	if n > maxServers {
		return nil, fmt.Errorf("%d servers: at most %d", n, maxServers)
	}
	f := &farm{pub: pub, keyID: keyID}
	for i := range n {
		ln, err := net.Listen("tcp", serverAddr(i)+":0")
		if err != nil {
			f.stop()
			return nil, fmt.Errorf("server %d of %d: %w", i+1, n, err)
		}
		host := ln.Addr().String()
		srv := &http.Server{Handler: server{f, host}, ReadHeaderTimeout: 10 * time.Second}
		f.servers = append(f.servers, srv)
		f.urls = append(f.urls, "http://"+host)
		go func() { _ = srv.Serve(ln) }()
	}
	return f, nil
}

// server is one remote server of the farm: host is its own host:port, the only Host it
// accepts (the signature covers it: a delivery meant for another server fails here).
type server struct {
	f    *farm
	host string
}

func (s server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.f.serve(w, r, s.host) }

func (f *farm) stop() {
	for _, s := range f.servers {
		_ = s.Close()
	}
}

// expect starts a round: the activity id to accept and how many distinct inboxes must get it.
func (f *farm) expect(id string, deliveries int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.earlier == nil {
		f.earlier = map[string]bool{}
	}
	if f.round != "" {
		f.earlier[f.round] = true
	}
	f.round, f.want = id, deliveries
	f.seen = make(map[string]bool, deliveries)
	f.reached, f.bad, f.badCount, f.dups = 0, nil, 0, 0
	f.done = make(chan struct{})
}

// roundResult is what the servers saw in a round.
type roundResult struct {
	deliveries, reached, bad, dups int
	badSample                      []string
	last                           time.Time
}

// wait blocks until every expected delivery arrived, a refusal happened, or ctx ends.
func (f *farm) wait(ctx context.Context) (roundResult, error) {
	f.mu.Lock()
	done := f.done
	f.mu.Unlock()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	r := roundResult{deliveries: len(f.seen), reached: f.reached, bad: f.badCount, dups: f.dups,
		badSample: slices.Clone(f.bad), last: f.last}
	if err == nil && r.bad > 0 {
		err = fmt.Errorf("%d deliveries refused, e.g. %s", r.bad, strings.Join(r.badSample, "; "))
	}
	return r, err
}

// serve answers a POST to the server whose host is host.
func (f *farm) serve(w http.ResponseWriter, r *http.Request, host string) {
	f.received.Add(1)
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		http.Error(w, "body", http.StatusRequestEntityTooLarge)
		return
	}
	id, err := f.check(r, body)
	if err == nil && r.Host != host {
		err = fmt.Errorf("signed for host %q, received by server %s", r.Host, host)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err == nil && id != f.round && f.earlier[id] {
		// At least once: an earlier round's delivery retried (a POST the sender saw fail
		// after this server had it). Counted for the report, not for this round.
		f.late++
		w.WriteHeader(http.StatusAccepted)
		return
	}
	if err == nil && id != f.round {
		err = fmt.Errorf("activity %q, not this round's", id)
	}
	if err != nil {
		f.badCount++
		if len(f.bad) < 3 {
			f.bad = append(f.bad, r.Host+r.URL.Path+": "+err.Error())
		}
		f.finish() // a refusal ends the round: it is a failure, not slowness
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	key := r.Host + r.URL.Path
	if f.seen[key] {
		f.dups++ // at-least-once: a retried job may come again; counted, not an error
	} else {
		f.seen[key] = true
		if r.URL.Path == "/inbox" {
			f.reached += f.perShared[r.Host]
		} else {
			f.reached++
		}
		if len(f.seen) == f.want {
			f.last = time.Now()
			f.finish()
		}
	}
	w.WriteHeader(http.StatusAccepted)
}

// finish ends the round, once (a refusal may have ended it before the last delivery came).
// f.mu is held.
func (f *farm) finish() {
	if f.done == nil {
		return
	}
	select {
	case <-f.done:
	default:
		close(f.done)
	}
}

// lateDeliveries is how many verified POSTs of an earlier round's activity came, whole run.
func (f *farm) lateDeliveries() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.late
}

// check verifies r as a receiving server does and returns the activity's id.
func (f *farm) check(r *http.Request, body []byte) (string, error) {
	v, err := httpsig.NewVerifier(r)
	if err != nil {
		return "", fmt.Errorf("signature: %w", err)
	}
	if v.KeyId() != f.keyID {
		return "", fmt.Errorf("keyId %q", v.KeyId())
	}
	if err := v.Verify(f.pub, httpsig.RSA_SHA256); err != nil {
		return "", fmt.Errorf("signature: %w", err)
	}
	covered := signedHeaders(r.Header.Get("Signature"))
	for _, h := range []string{httpsig.RequestTarget, "host", "date", "digest"} {
		if !slices.Contains(covered, h) {
			return "", fmt.Errorf("signature does not cover %s", h)
		}
	}
	date, err := http.ParseTime(r.Header.Get("Date"))
	if err != nil || time.Since(date).Abs() > time.Hour {
		return "", errors.New("date missing or outside the window")
	}
	sum := sha256.Sum256(body)
	if r.Header.Get("Digest") != "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]) {
		return "", errors.New("digest mismatch")
	}
	var a struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &a); err != nil {
		return "", fmt.Errorf("body: %w", err)
	}
	return a.ID, nil
}

// signedHeaders is the headers parameter of a Signature header, lower-cased.
func signedHeaders(sig string) []string {
	for part := range strings.SplitSeq(sig, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && k == "headers" {
			return strings.Fields(strings.ToLower(strings.Trim(v, `"`)))
		}
	}
	return []string{"date"}
}
