package web

import (
	"sync"
	"time"
)

// rateLimiter is a token bucket per client address, in memory only: addresses are never
// written anywhere, and are forgotten once their bucket is full again. The beacons and the
// citizens' message form each have one.
type rateLimiter struct {
	burst  float64 // requests at once
	refill float64 // requests a second after the burst
	max    int     // addresses kept at most

	mu      sync.Mutex
	buckets map[string]*rateBucket
}

type rateBucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(burst, refill float64, max int) *rateLimiter {
	return &rateLimiter{burst: burst, refill: refill, max: max, buckets: map[string]*rateBucket{}}
}

// allow takes one request from addr's bucket, telling whether there was one.
func (l *rateLimiter) allow(addr string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[addr]
	if b == nil {
		if len(l.buckets) >= l.max {
			l.forget(now)
		}
		b = &rateBucket{tokens: l.burst, last: now}
		l.buckets[addr] = b
	}
	if d := now.Sub(b.last).Seconds(); d > 0 {
		b.tokens = min(l.burst, b.tokens+d*l.refill)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// forget drops the buckets that have filled up again since; if none has, it drops them all.
func (l *rateLimiter) forget(now time.Time) {
	for addr, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.refill >= l.burst {
			delete(l.buckets, addr)
		}
	}
	if len(l.buckets) >= l.max {
		clear(l.buckets)
	}
}
