package main

import (
	"bytes"
	"context"
	"crypto/rsa"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-fed/httpsig"

	"sistercity/internal/db"
	"sistercity/internal/fed"
	"sistercity/internal/jobs"
	"sistercity/internal/safehttp"
)

const (
	modePersonal = "personal"
	modeShared   = "shared"

	orderSorted      = "sorted"
	orderInterleaved = "interleaved"

	sideBaseline   = "baseline"
	sideSistercity = "sistercity"
)

// perHost is fed's bound on deliveries in flight to one remote host (internal/fed, deliver.go);
// the baseline keeps to it so that both sides may press a server equally hard.
const perHost = 4

// bench is one run: the database, the queue and fed.Service as serve builds them, the city's
// key, the servers, and the inboxes of the current followers.
type bench struct {
	d       *db.DB
	q       *jobs.Queue
	fs      *fed.Service
	key     *rsa.PrivateKey
	farm    *farm
	workers int
	inboxes []string // distinct, as Fanout computes them, in the baseline's order
	order   string   // orderInterleaved (servers in turn, as Fanout enqueues them) or orderSorted (by URL)

	baseClient *http.Client
	rounds     int
	trace      tracer
}

func (b *bench) close() {
	if b.farm != nil {
		b.farm.stop()
	}
	if b.q != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_ = b.q.Stop(ctx)
		cancel()
	}
	if b.d != nil {
		b.d.Close()
	}
}

// followers replaces the city's followers with n accepted ones spread over the servers, with
// personal or shared inboxes, and returns how many deliveries a fan-out makes to them.
func (b *bench) followers(ctx context.Context, mode string, n int) (int, error) {
	f := b.farm
	per := make(map[string]int)
	seen := map[string]bool{}
	b.inboxes = b.inboxes[:0]
	now := time.Now().UTC()
	err := b.d.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM fed_followers"); err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO fed_followers (actor_id, follow_id, inbox, shared_inbox, state, created_at)
			VALUES ($1, $2, $3, $4, 'accepted', $5)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i := range n {
			base := f.urls[i%len(f.urls)]
			actor := base + "/users/u" + strconv.Itoa(i)
			inbox, shared := actor+"/inbox", ""
			if mode == modeShared {
				shared = base + "/inbox"
				u, _ := url.Parse(base)
				per[u.Host]++
			}
			if _, err := stmt.ExecContext(ctx, actor, actor+"#follows/1", inbox, shared, now); err != nil {
				return err
			}
			target := inbox
			if shared != "" {
				target = shared
			}
			if !seen[target] {
				seen[target] = true
				b.inboxes = append(b.inboxes, target)
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("followers: %w", err)
	}
	if b.order != orderInterleaved {
		// By inbox URL: one server's inboxes one after another (Fanout's order before it took
		// the servers in turn).
		slices.Sort(b.inboxes)
	}
	f.mu.Lock()
	f.perShared = per
	f.mu.Unlock()
	return len(b.inboxes), nil
}

// result is one round of one side.
type result struct {
	deliveries, reached, dups int
	enqueue, elapsed          time.Duration
	peakHeap                  uint64
}

func (r result) perSec() float64        { return float64(r.deliveries) / r.elapsed.Seconds() }
func (r result) reachedPerSec() float64 { return float64(r.reached) / r.elapsed.Seconds() }

// round sends this round's Create to every inbox, from side, and waits until every inbox has
// received and verified it.
func (b *bench) round(ctx context.Context, side string, deliveries int, cap time.Duration) (result, error) {
	b.rounds++
	activity := createActivity(b.fs.ActorID(), b.rounds)
	id := activity["id"].(string)
	b.farm.expect(id, deliveries)
	runtime.GC() // each round starts from the same heap
	stopSampler, peak := sampleHeap()
	ctx, cancel := context.WithTimeout(ctx, cap)
	defer cancel()

	var r result
	b.trace.start(ctx, b)
	start := time.Now()
	errc := make(chan error, 1)
	switch side {
	case sideSistercity:
		err := b.d.InTx(ctx, func(tx *sql.Tx) error { return b.fs.Fanout(ctx, tx, activity) })
		r.enqueue = time.Since(start)
		if err != nil {
			stopSampler()
			return r, err
		}
		errc <- nil
	default:
		go func() { errc <- b.baseline(ctx, activity) }()
	}
	rr, err := b.farm.wait(ctx)
	stopSampler()
	if berr := <-errc; err == nil {
		err = berr
	}
	if err != nil {
		return r, fmt.Errorf("%w (%d of %d deliveries arrived)", err, rr.deliveries, deliveries)
	}
	r.deliveries, r.reached, r.dups = rr.deliveries, rr.reached, rr.dups
	r.elapsed = rr.last.Sub(start)
	r.peakHeap = *peak
	b.trace.cpuUsed(ctx, b, side, deliveries)
	if side == sideSistercity {
		if err := b.trace.round(ctx, b, start, rr.last); err != nil {
			return r, err
		}
	}
	return r, nil
}

// baseline POSTs activity to every inbox from b.workers goroutines, at most perHost at once to
// one host, each request signed as fed signs a delivery: same library, algorithm, headers, key.
func (b *bench) baseline(ctx context.Context, activity map[string]any) error {
	body, err := json.Marshal(activity)
	if err != nil {
		return err
	}
	if b.baseClient == nil {
		// Kept across rounds as fed's client is, with as many idle connections per host.
		b.baseClient = &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
			Proxy: nil, ForceAttemptHTTP2: true, MaxIdleConns: safehttp.MaxIdleConns, MaxIdleConnsPerHost: perHost, IdleConnTimeout: 90 * time.Second,
		}}
	}
	sems := map[string]chan struct{}{}
	for _, in := range b.inboxes {
		u, _ := url.Parse(in)
		if sems[u.Host] == nil {
			sems[u.Host] = make(chan struct{}, perHost)
		}
	}
	keyID := b.fs.KeyID()
	var (
		next     atomic.Int64
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	for range b.workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(b.inboxes) || ctx.Err() != nil {
					return
				}
				inbox := b.inboxes[i]
				u, _ := url.Parse(inbox)
				sem := sems[u.Host]
				sem <- struct{}{}
				err := b.post(ctx, inbox, body, keyID)
				<-sem
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	return firstErr
}

func (b *bench) post(ctx context.Context, inbox string, body []byte, keyID string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, inbox, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`)
	req.Header.Set("User-Agent", "sistercity-bench")
	signer, _, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256}, httpsig.DigestSha256,
		[]string{httpsig.RequestTarget, "host", "date", "digest"}, httpsig.Signature, 0)
	if err != nil {
		return err
	}
	req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	req.Header.Set("Host", req.URL.Host)
	if err := signer.SignRequest(b.key, keyID, req, body); err != nil {
		return err
	}
	req.Header.Del("Host")
	resp, err := b.baseClient.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s: status %d", inbox, resp.StatusCode)
	}
	return nil
}

// sampleHeap records the largest live heap (HeapAlloc) every 50 ms until stopped.
func sampleHeap() (stop func(), peak *uint64) {
	peak = new(uint64)
	done := make(chan struct{})
	finished := make(chan struct{})
	read := func() {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		*peak = max(*peak, m.HeapAlloc)
	}
	go func() {
		defer close(finished)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			read()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-finished }, peak
}

// createActivity is a Create of a video shaped as fedvideo sends them (PeerTube's Video, with
// names, descriptions and subtitles in three languages), about 3 KB, with a distinct id per round.
func createActivity(actor string, round int) map[string]any {
	base := strings.TrimSuffix(actor, fed.ActorPath)
	obj := base + fed.VideoPathPrefix + "1"
	var subs []map[string]any
	for _, l := range []string{"ko", "ru", "en"} {
		subs = append(subs, map[string]any{"identifier": l, "name": l, "url": obj + "/captions/" + l + ".vtt"})
	}
	return map[string]any{
		"@context":  []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
		"id":        obj + "#create-" + strconv.Itoa(round),
		"type":      "Create",
		"actor":     actor,
		"to":        []string{fed.Public},
		"cc":        []string{base + fed.FollowersPath},
		"published": "2026-12-06T12:00:00Z",
		"object": map[string]any{
			"id": obj, "type": "Video", "uuid": "0b9c5f0e-5d7a-4a59-9d7b-2f1a3c4d5e6f",
			"name":    "Busan–Vladivostok: a youth exchange",
			"nameMap": map[string]string{"en": "Busan–Vladivostok: a youth exchange", "ko": "부산–블라디보스토크 청소년 교류", "ru": "Пусан — Владивосток: молодёжный обмен"},
			"content": "<p>Students of both cities visit each other's schools.</p>",
			"contentMap": map[string]string{"en": "<p>Students of both cities visit each other's schools.</p>",
				"ko": "<p>두 도시의 학생들이 서로의 학교를 방문합니다.</p>", "ru": "<p>Школьники двух городов посещают школы друг друга.</p>"},
			"duration": "PT2M30S", "attributedTo": actor, "to": []string{fed.Public}, "cc": []string{base + fed.FollowersPath},
			"url": []map[string]any{
				{"type": "Link", "mediaType": "text/html", "href": base + "/en/videos/1"},
				{"type": "Link", "mediaType": "video/mp4", "href": base + "/media/videos/1/720p.mp4", "height": 720, "size": 31457280, "fps": 30},
				{"type": "Link", "mediaType": "video/mp4", "href": base + "/media/videos/1/480p.mp4", "height": 480, "size": 15728640, "fps": 30},
			},
			"icon":             []map[string]any{{"type": "Image", "url": base + "/media/videos/1/poster.jpg", "mediaType": "image/jpeg", "width": 1280, "height": 720}},
			"subtitleLanguage": subs,
			"tag":              []map[string]any{{"type": "Hashtag", "name": "#busan"}, {"type": "Hashtag", "name": "#부산"}, {"type": "Hashtag", "name": "#пусан"}},
			"published":        "2026-12-06T12:00:00Z",
		},
	}
}
