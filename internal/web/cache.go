package web

import (
	"encoding/binary"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cespare/xxhash/v2"
)

// Public pages shown to an anonymous visitor are the same for everyone, so browsers, proxies and
// CDNs may keep them for PublicMaxAge and then revalidate them: each carries a weak ETag made of
// a hash of its body (equal across serve processes) and a Last-Modified, and a conditional
// request whose validator still holds gets 304 Not Modified. Anything shown to a signed-in user,
// every admin page, any answer that sets a cookie and every error stays private, no-store.

const (
	privateNoStore = "private, no-store"
	// lastModifiedKeys bounds the URLs whose Last-Modified is remembered; lastModifiedKeyLen
	// bounds one URL. A URL past either gets the time of the request (an answer that is never
	// "not modified since", so always correct).
	lastModifiedKeys   = 4096
	lastModifiedKeyLen = 512
)

// lastModified remembers, per URL, since when its current body has been served: the data's
// change time as this process saw it. A changed body moves the time on by at least a second, so
// an If-Modified-Since from before the change never matches.
type lastModified struct {
	mu sync.Mutex
	m  map[string]lastModEntry
}

type lastModEntry struct {
	sum   uint64
	since time.Time
}

func (l *lastModified) at(key string, sum uint64, now time.Time) time.Time {
	now = now.UTC().Truncate(time.Second)
	if len(key) > lastModifiedKeyLen {
		return now
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]lastModEntry{}
	}
	e, ok := l.m[key]
	if ok && e.sum == sum {
		return e.since
	}
	if ok && !now.After(e.since) {
		now = e.since.Add(time.Second)
	}
	if !ok && len(l.m) >= lastModifiedKeys {
		for k := range l.m {
			delete(l.m, k)
			break
		}
	}
	l.m[key] = lastModEntry{sum: sum, since: now}
	return now
}

// publicPage tells whether the page p about to be rendered for r may be shared by caches.
func (s *Server) publicPage(w http.ResponseWriter, r *http.Request, status int, p *page) bool {
	return status == http.StatusOK && (r.Method == http.MethodGet || r.Method == http.MethodHead) &&
		!p.Admin && p.User == nil && !p.csrfUsed && len(w.Header().Values("Set-Cookie")) == 0 &&
		s.sessionUntouched(r)
}

// cachePublic sets the validators and Cache-Control of a public page with this body, and
// answers 304 when the request's validators still hold; it tells whether it did.
func (s *Server) cachePublic(w http.ResponseWriter, r *http.Request, body []byte) bool {
	return s.cachePublicWith(w, r, body, "")
}

// cachePublicWith is cachePublic for an answer that depends on extra beyond its body: a header
// that changes with a setting, so that its ETag changes too.
func (s *Server) cachePublicWith(w http.ResponseWriter, r *http.Request, body []byte, extra string) bool {
	d := xxhash.New()
	_, _ = d.Write(body)
	_, _ = d.WriteString(extra)
	sum := d.Sum64()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], sum)
	etag := `W/"` + hex.EncodeToString(b[:]) + `"`
	mod := s.lastMod.at(r.URL.RequestURI(), sum, time.Now())
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Last-Modified", mod.Format(http.TimeFormat))
	h.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(s.cfg.PublicMaxAge/time.Second)))
	addVary(h, "Accept-Encoding")
	if notModified(r, etag, mod) {
		h.Del("Content-Type")
		h.Del("Content-Length")
		w.WriteHeader(http.StatusNotModified)
		return true
	}
	return false
}

// notModified evaluates If-None-Match and, when there is none, If-Modified-Since (RFC 9110
// 13.2.2) against a representation's validators.
func notModified(r *http.Request, etag string, mod time.Time) bool {
	if inm := r.Header.Values("If-None-Match"); len(inm) > 0 {
		return etagListMatches(inm, etag)
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" {
		t, err := http.ParseTime(ims)
		return err == nil && !mod.After(t)
	}
	return false
}

// etagListMatches tells whether an If-None-Match list (one or more header lines) names etag,
// by weak comparison: "*" or an equal opaque tag, W/ or not. Malformed members match nothing;
// the lines are scanned once without allocating.
func etagListMatches(lines []string, etag string) bool {
	want := strings.TrimPrefix(etag, "W/")
	for _, line := range lines {
		for line != "" {
			var m string
			m, line, _ = strings.Cut(line, ",")
			m = strings.TrimSpace(m)
			if m == "*" || strings.TrimPrefix(m, "W/") == want {
				return true
			}
		}
	}
	return false
}
