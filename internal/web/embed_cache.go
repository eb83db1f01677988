package web

import (
	"bytes"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The embed is what partner sites put in front of their own visitors, so one popular page
// elsewhere sends this site many requests a second for the same few URLs. Its anonymous answers
// are kept in memory for a moment (defaultEmbedCacheTTL): far less than the --public-max-age
// for which browsers and shared caches already keep them, so no visitor sees anything staler
// than they already may. Each serve process keeps its own; nothing in it needs sharing.

const (
	defaultEmbedCacheTTL = time.Second
	// embedCacheEntries bounds the answers kept; embedCacheKeyLen bounds one URL kept.
	embedCacheEntries = 1024
	embedCacheKeyLen  = 512
)

type embedCache struct {
	ttl atomic.Int64 // nanoseconds; 0 keeps nothing
	mu  sync.Mutex
	m   map[string]*embedAnswer
}

// embedAnswer is one kept answer: its header as the handler left it, and its body.
type embedAnswer struct {
	stored time.Time
	header http.Header
	body   []byte
	etag   string
	mod    time.Time
	// gz and br are the body compressed, made once on the first request that accepts them
	// (nil when compressing does not pay).
	compressOnce sync.Once
	gz, br       []byte
}

// encoded returns the body in the best coding the request accepts, and that coding's name ("" for
// the body as it is).
func (a *embedAnswer) encoded(r *http.Request) ([]byte, string) {
	coding := negotiateCoding(r.Header.Get("Accept-Encoding"))
	if coding == codingIdentity || len(a.body) < minCompressBytes {
		return a.body, ""
	}
	a.compressOnce.Do(func() { a.gz, a.br = precompress(a.body) })
	if coding == codingBrotli && a.br != nil {
		return a.br, "br"
	}
	if coding == codingGzip && a.gz != nil {
		return a.gz, "gzip"
	}
	return a.body, ""
}

func (c *embedCache) get(key string, now time.Time) *embedAnswer {
	c.mu.Lock()
	defer c.mu.Unlock()
	a := c.m[key]
	if a == nil || now.Sub(a.stored) >= time.Duration(c.ttl.Load()) {
		return nil
	}
	return a
}

func (c *embedCache) put(key string, a *embedAnswer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*embedAnswer{}
	}
	if _, ok := c.m[key]; !ok && len(c.m) >= embedCacheEntries {
		for k, old := range c.m { // drop what has expired, else any one
			if a.stored.Sub(old.stored) >= time.Duration(c.ttl.Load()) {
				delete(c.m, k)
			}
		}
		for k := range c.m {
			if len(c.m) < embedCacheEntries {
				break
			}
			delete(c.m, k)
		}
	}
	c.m[key] = a
}

// cachedEmbed serves next's anonymous GET answers from the cache while they are fresh, with the
// conditional requests render would answer. Anything else — a signed-in user, a session, a HEAD,
// an answer that is not public — goes to next as it is.
func (s *Server) cachedEmbed(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.embedCache.ttl.Load() <= 0 || r.Method != http.MethodGet || userFrom(r) != nil || s.sessions.Token(r.Context()) != "" {
			next(w, r)
			return
		}
		lang, _ := s.embedLang(r)
		key := lang + " " + r.URL.RequestURI()
		if len(key) > embedCacheKeyLen {
			next(w, r)
			return
		}
		h := w.Header()
		if a := s.embedCache.get(key, time.Now()); a != nil {
			for k := range h {
				delete(h, k)
			}
			for k, v := range a.header {
				h[k] = slices.Clone(v)
			}
			if notModified(r, a.etag, a.mod) {
				h.Del("Content-Type")
				h.Del("Content-Length")
				w.WriteHeader(http.StatusNotModified)
				return
			}
			// The compressed bytes are made once, not per request; a body with its own
			// Content-Encoding passes the compress middleware untouched.
			body, coding := a.encoded(r)
			addVary(h, "Accept-Encoding")
			if coding != "" {
				h.Set("Content-Encoding", coding)
				h.Del("Accept-Ranges")
			}
			h.Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(body)
			return
		}
		rec := &answerRecorder{header: h.Clone()}
		next(rec, r)
		for k := range h {
			delete(h, k)
		}
		for k, v := range rec.header {
			h[k] = slices.Clone(v)
		}
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		w.WriteHeader(status)
		_, _ = w.Write(rec.body.Bytes())
		if status != http.StatusOK || rec.header.Get("ETag") == "" || !publicCacheControl(rec.header.Get("Cache-Control")) {
			return
		}
		mod, _ := http.ParseTime(rec.header.Get("Last-Modified"))
		s.embedCache.put(key, &embedAnswer{stored: time.Now(), header: rec.header.Clone(), body: bytes.Clone(rec.body.Bytes()),
			etag: rec.header.Get("ETag"), mod: mod})
	}
}

func publicCacheControl(cc string) bool { return len(cc) >= 6 && cc[:6] == "public" }

// answerRecorder keeps what a handler answers, to be sent and kept.
type answerRecorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (a *answerRecorder) Header() http.Header { return a.header }

func (a *answerRecorder) WriteHeader(code int) {
	if a.status == 0 {
		a.status = code
	}
}

func (a *answerRecorder) Write(b []byte) (int, error) {
	if a.status == 0 {
		a.status = http.StatusOK
	}
	return a.body.Write(b)
}
