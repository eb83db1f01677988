package web

import (
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestFeedCache: a feed is built once for many concurrent requests, served from memory for
// feedCacheFor, built again after it; a failed build keeps nothing; the keys are bounded.
func TestFeedCache(t *testing.T) {
	t.Parallel()
	var c feedCache
	t0 := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	var builds atomic.Int32
	build := func() (*builtFeed, error) {
		builds.Add(1)
		time.Sleep(10 * time.Millisecond) // the others arrive while this one builds
		return &builtFeed{body: []byte(strconv.Itoa(int(builds.Load())))}, nil
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if f, err := c.load("a", 1, t0, build); err != nil || string(f.body) != "1" {
				t.Errorf("load: %v %v", f, err)
			}
		})
	}
	wg.Wait()
	if n := builds.Load(); n != 1 {
		t.Fatalf("20 concurrent loads built %d times, want 1", n)
	}
	if f, _ := c.load("a", 1, t0.Add(feedCacheFor-time.Millisecond), build); string(f.body) != "1" {
		t.Errorf("within %s: built again", feedCacheFor)
	}
	if f, _ := c.load("a", 1, t0.Add(feedCacheFor), build); string(f.body) != "2" {
		t.Errorf("after %s: not built again", feedCacheFor)
	}
	// A clock that went back does not keep a feed for longer.
	if f, _ := c.load("a", 1, t0.Add(-time.Hour), build); string(f.body) != "3" {
		t.Errorf("clock back: not built again")
	}
	// A write (a new data generation) makes the kept feed stale within the second.
	if f, _ := c.load("a", 2, t0.Add(-time.Hour), build); string(f.body) != "4" {
		t.Errorf("new generation: not built again")
	}
	boom := errors.New("boom")
	if _, err := c.load("b", 1, t0, func() (*builtFeed, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Errorf("error: %v", err)
	}
	if f, err := c.load("b", 1, t0, build); err != nil || f == nil {
		t.Errorf("after a failed build: %v %v", f, err)
	}
	for i := range 3 * feedCacheKeys {
		if _, err := c.load("k"+strconv.Itoa(i), 1, t0, build); err != nil {
			t.Fatal(err)
		}
	}
	if len(c.m) > feedCacheKeys {
		t.Errorf("%d keys kept, at most %d", len(c.m), feedCacheKeys)
	}
}
