package web

import (
	"bytes"
	"io"
	"sync"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
)

// Feed readers poll, many of them the same few feeds, and building a feed reads the database
// and writes tens of kilobytes of XML (about 5 ms for the 50 latest videos). So a built feed is
// kept in memory for feedCacheFor and served from there: however many readers ask, a feed is
// built at most once a second per URL in each serve process, while the others wait for that one
// build rather than each making their own. A change shows in the feeds at most feedCacheFor
// later — well within the --public-max-age that caches downstream may keep them anyway.
const (
	feedCacheFor = time.Second
	// feedCacheKeys bounds the feeds kept (a feed of 50 videos is 50–80 KB).
	feedCacheKeys = 64
)

// builtFeed is the bytes of a built feed and what the publication log needs to know of them.
type builtFeed struct {
	body     []byte
	lang     string  // the feed's language, for Content-Language; "" for many
	videoIDs []int64 // the videos the feed carries

	// The body compressed, made once on the first request that accepts each coding, rather
	// than by the compress middleware on every request.
	gzipOnce, brOnce sync.Once
	gzip, br         []byte
}

// encoded is the body in a content coding, gzip or br.
func (f *builtFeed) encoded(c contentCoding) []byte {
	switch c {
	case codingGzip:
		f.gzipOnce.Do(func() {
			zw := gzipWriters.Get().(*gzip.Writer)
			f.gzip = compressWith(zw, f.body)
			gzipWriters.Put(zw)
		})
		return f.gzip
	case codingBrotli:
		f.brOnce.Do(func() {
			bw := brotliWriters.Get().(*brotli.Writer)
			f.br = compressWith(bw, f.body)
			brotliWriters.Put(bw)
		})
		return f.br
	}
	return f.body
}

// compressWith compresses b with a pooled writer of the compress middleware, which it leaves
// reset for the pool.
func compressWith(c compressor, b []byte) []byte {
	var buf bytes.Buffer
	c.Reset(&buf)
	_, _ = c.Write(b) // writes to a bytes.Buffer do not fail
	_ = c.Close()
	c.Reset(io.Discard)
	return buf.Bytes()
}

// feedCache keeps built feeds by URL (and origin) for feedCacheFor.
type feedCache struct {
	mu sync.Mutex
	m  map[string]*feedSlot
}

// feedSlot is one URL's feed; its mutex makes concurrent requests share one build.
type feedSlot struct {
	mu    sync.Mutex
	built time.Time
	gen   uint64 // the data generation it was built at (db.Generation)
	feed  *builtFeed
}

// load returns the feed under key, built by build when there is none of generation gen younger
// than feedCacheFor at now. A write makes the kept feed stale at once: the page cache, which
// keeps the answer for the whole generation, must never get a feed built before the write. An
// error of build is returned and nothing is kept.
func (c *feedCache) load(key string, gen uint64, now time.Time, build func() (*builtFeed, error)) (*builtFeed, error) {
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]*feedSlot{}
	}
	slot := c.m[key]
	if slot == nil {
		if len(c.m) >= feedCacheKeys {
			c.evict(now)
		}
		slot = &feedSlot{}
		c.m[key] = slot
	}
	c.mu.Unlock()

	slot.mu.Lock()
	defer slot.mu.Unlock()
	if slot.feed != nil && slot.gen == gen && now.Sub(slot.built) < feedCacheFor && !now.Before(slot.built) {
		return slot.feed, nil
	}
	f, err := build()
	if err != nil {
		slot.feed = nil
		return nil, err
	}
	slot.feed, slot.built, slot.gen = f, now, gen
	return f, nil
}

// evict makes room: it drops the feeds that have expired, or when none has, one of them. The
// caller holds c.mu.
func (c *feedCache) evict(now time.Time) {
	for k, slot := range c.m {
		if slot.mu.TryLock() {
			stale := slot.feed == nil || now.Sub(slot.built) >= feedCacheFor
			slot.mu.Unlock()
			if stale {
				delete(c.m, k)
			}
		}
	}
	for k := range c.m {
		if len(c.m) < feedCacheKeys {
			break
		}
		delete(c.m, k)
	}
}
