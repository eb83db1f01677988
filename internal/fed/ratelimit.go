package fed

import (
	"sync"
	"time"
)

// hostLimiter counts inbox POSTs per remote host in fixed windows, in memory: a server that
// floods the inbox is answered 429 before its signature is even checked (which may fetch).
type hostLimiter struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	start  time.Time
	counts map[string]int
}

func newHostLimiter(limit int, window time.Duration) *hostLimiter {
	return &hostLimiter{limit: limit, window: window, counts: map[string]int{}}
}

func (l *hostLimiter) allow(host string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if now.Sub(l.start) >= l.window {
		// A new window forgets every host: the map never outgrows one window's senders.
		l.start, l.counts = now, map[string]int{}
	}
	l.counts[host]++
	return l.counts[host] <= l.limit
}
