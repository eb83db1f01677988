package web

import (
	"bytes"
	"container/list"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
)

// The page cache keeps the public pages as an anonymous visitor gets them — the bytes, their
// headers and, once asked for, their gzip and Brotli forms — so that the next visitor costs no
// query, no template and no compression. A page is kept for one data generation (db.Generation):
// any committed write, here or in another process on the database, makes every kept page stale
// and the next request renders it again. The validators are the page's own (cache.go), so an
// edit changes the ETag of exactly the pages whose bytes it changes. Memory is bounded by
// --page-cache-bytes, least recently used pages going first. Only answers that say they may be
// shared (Cache-Control: public, an ETag, no cookie) are kept; a visitor with a session, a
// signed-in user, a HEAD or Range request the cache cannot answer, goes to the handler. A
// request without a session cookie for a kept page is answered before the session, CSRF and
// routing middleware (cachedPages); the others through the route guard (servePage). The
// embeddable player and the all-languages feeds are kept the same way, the embed once for each
// language it can speak (pageKey). A page is also rendered again once it is pageMaxAge old, whatever the generation: what a page shows
// that follows the clock rather than the data (the view beacon's token, renewed hourly; "today"
// and the days until an anniversary) stays current on a site nobody edits.

const (
	// pageMaxAge is how long a page is kept at most.
	pageMaxAge = 10 * time.Minute
	// pageCacheKeyLen bounds the URL of a kept page (a longer one is rendered every time).
	pageCacheKeyLen = 512
	// pageCacheEntryShare: one page may take at most this fraction of the cache.
	pageCacheEntryShare = 8
	// Levels of the kept pages' compressed forms: each is made once per page and generation,
	// so they can be the strong ones.
	cachedGzipLevel   = gzip.BestCompression
	cachedBrotliLevel = 9
)

type pageCache struct {
	limit int64

	mu    sync.Mutex
	size  int64
	lru   list.List // of *cachedPage, most recently used first
	byKey map[string]*list.Element
}

// cachedPage is one kept answer.
type cachedPage struct {
	key     string
	pattern string // the route's, for the metrics of the requests answered from the cache
	gen     uint64
	born    time.Time   // when it was rendered; it is dropped at pageMaxAge
	header  http.Header // as the handler left it; never changed after it is kept
	etag    string
	mod     time.Time
	body    []byte
	// compress tells whether the body is worth a compressed form (compress.go's rules).
	compress bool

	mu     sync.Mutex // guards the compressed forms, made on first demand
	gz, br []byte
	size   int64 // counted in the cache; guarded by the cache's mu
	kept   bool  // still in the cache; guarded by the cache's mu
}

func newPageCache(limit int64) *pageCache {
	if limit <= 0 {
		return nil
	}
	return &pageCache{limit: limit, byKey: map[string]*list.Element{}}
}

// get returns the page kept under key for generation gen, or nil. A page of another
// generation, or older than pageMaxAge at now, is dropped.
func (c *pageCache) get(key string, gen uint64, now time.Time) *cachedPage {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[key]
	if !ok {
		return nil
	}
	p := el.Value.(*cachedPage)
	if p.gen != gen || now.Sub(p.born) > pageMaxAge {
		c.remove(el)
		return nil
	}
	c.lru.MoveToFront(el)
	return p
}

// put keeps p, replacing what was kept under its key, unless it is too large; a page of an
// older generation than the one kept is not put back.
func (c *pageCache) put(p *cachedPage) {
	p.size = int64(len(p.key) + len(p.body) + 512) // the header and the bookkeeping, roughly
	if p.size > c.limit/pageCacheEntryShare {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[p.key]; ok {
		if el.Value.(*cachedPage).gen > p.gen {
			return
		}
		c.remove(el)
	}
	p.kept = true
	c.byKey[p.key] = c.lru.PushFront(p)
	c.size += p.size
	c.evict()
}

// grow counts n more bytes for p (a compressed form made), if p is still kept.
func (c *pageCache) grow(p *cachedPage, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !p.kept {
		return
	}
	p.size += int64(n)
	c.size += int64(n)
	c.evict()
}

func (c *pageCache) evict() {
	for c.size > c.limit {
		el := c.lru.Back()
		if el == nil {
			return
		}
		c.remove(el)
	}
}

func (c *pageCache) remove(el *list.Element) {
	p := el.Value.(*cachedPage)
	c.lru.Remove(el)
	delete(c.byKey, p.key)
	c.size -= p.size
	p.kept = false
}

// encoded returns the body in coding, making and counting it on first demand.
func (p *cachedPage) encoded(c *pageCache, coding contentCoding) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	dst := &p.gz
	if coding == codingBrotli {
		dst = &p.br
	}
	if *dst != nil {
		return *dst
	}
	var b bytes.Buffer
	switch coding {
	case codingGzip:
		w, _ := gzip.NewWriterLevel(&b, cachedGzipLevel)
		_, _ = w.Write(p.body)
		_ = w.Close()
	case codingBrotli:
		w := brotli.NewWriterOptions(&b, brotli.WriterOptions{Quality: cachedBrotliLevel, LGWin: brotliWindowBits})
		_, _ = w.Write(p.body)
		_ = w.Close()
	}
	*dst = bytes.Clone(b.Bytes())
	c.grow(p, len(*dst))
	return *dst
}

// pageCacheable tells whether answers of the route with this pattern may be kept: the public
// pages under a language prefix (/ko/…), the embeddable player, the all-languages feeds, the
// sitemap and the HLS master playlist — not the stored media, static files or the admin. The
// master is made from the database like a page, and grows while processing records renditions:
// each record is a committed write, a new generation, so the next player gets the grown master.
func (s *Server) pageCacheable(rt route) bool {
	method, path, _ := strings.Cut(rt.pattern, " ")
	if rt.role != "" || method != http.MethodGet {
		return false
	}
	if strings.HasPrefix(path, embedPrefix) || strings.HasPrefix(path, allFeedsPath) || path == sitemapPath || path == hlsMasterPattern {
		return true
	}
	lang, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	return s.cat.Has(lang)
}

// The paths outside a language prefix whose anonymous answers the page cache keeps
// (pageCacheable); the cachedPages shortcut knows them by their prefix alone.
const (
	embedPrefix  = "/embed/"
	allFeedsPath = "/videos/feed."
	sitemapPath  = "/sitemap.xml"
)

// pageKey is the key of r's page in the cache, or "" when r cannot be answered from it: not a
// GET or HEAD, a Range request, or a URL too long to keep. The embed's language may come from
// the browser's Accept-Language (embedLang): its key holds the language it resolves to, so
// every browser of one language shares one kept page.
func (s *Server) pageKey(r *http.Request) string {
	if s.pageCache == nil || (r.Method != http.MethodGet && r.Method != http.MethodHead) || r.Header.Get("Range") != "" {
		return ""
	}
	// A watch page's URL also answers its ActivityPub object (content negotiation): such a
	// request neither gets a kept page nor has its JSON kept as one, so a browser never gets
	// JSON and a remote server never gets HTML.
	if wantsActivity(r) {
		return ""
	}
	key := s.origin(r) + " " + r.URL.RequestURI()
	if strings.HasPrefix(r.URL.Path, embedPrefix) {
		if lang, negotiated := s.embedLang(r); negotiated {
			key += " " + lang
		}
	}
	if len(key) > pageCacheKeyLen {
		return ""
	}
	return key
}

// cachedPages answers a request without a session cookie from the page cache before any
// session, CSRF or route work, when the page is kept; everything else goes on to next, where
// the route guard runs servePage. The pages kept are only those of the public routes, so the
// URL alone tells.
func (s *Server) cachedPages(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if key := s.pageKey(r); key != "" {
			if _, err := r.Cookie(s.sessions.Cookie.Name); err != nil { // none: an anonymous visitor
				if p := s.pageCache.get(key, s.db.Generation(r.Context()), s.now()); p != nil {
					if info, ok := r.Context().Value(keyRoute).(*routeInfo); ok {
						info.pattern = p.pattern
					}
					s.serveCachedPage(w, r, p)
					return
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// servePage answers r from the page cache, or runs next and keeps its answer when it may.
func (s *Server) servePage(w http.ResponseWriter, r *http.Request, next http.HandlerFunc) {
	ctx := r.Context()
	key := s.pageKey(r)
	if key == "" || s.sessions.Token(ctx) != "" || !s.sessionUntouched(r) {
		next(w, r)
		return
	}
	gen := s.db.Generation(ctx) // before the handler reads anything
	if p := s.pageCache.get(key, gen, s.now()); p != nil {
		s.serveCachedPage(w, r, p)
		return
	}
	if r.Method == http.MethodHead {
		next(w, r)
		return
	}
	// The handler renders the whole page, uncompressed: the conditional request is answered
	// here, and the compressed forms are the cache's (a handler that compressed its answer
	// itself, as the feeds do, would make it one the cache cannot keep).
	plain := r.Clone(ctx)
	plain.Header.Del("If-None-Match")
	plain.Header.Del("If-Modified-Since")
	plain.Header.Del("Accept-Encoding")
	rec := &pageRecorder{header: w.Header().Clone()}
	next(rec, plain)
	if p := s.keepable(r, key, gen, rec); p != nil {
		s.pageCache.put(p)
		s.serveCachedPage(w, r, p)
		return
	}
	h := w.Header()
	clear(h)
	for k, v := range rec.header {
		h[k] = v
	}
	w.WriteHeader(rec.statusCode())
	_, _ = w.Write(rec.body.Bytes())
}

// keepable makes a cachedPage of a recorded answer that may be shared, or returns nil.
func (s *Server) keepable(r *http.Request, key string, gen uint64, rec *pageRecorder) *cachedPage {
	h := rec.header
	etag := h.Get("ETag")
	if rec.statusCode() != http.StatusOK || !strings.HasPrefix(h.Get("Cache-Control"), "public") || etag == "" ||
		len(h.Values("Set-Cookie")) > 0 || h.Get("Content-Encoding") != "" || !s.sessionUntouched(r) {
		return nil
	}
	h.Del("Content-Length")
	p := &cachedPage{key: key, gen: gen, born: s.now(), header: h, etag: etag, body: bytes.Clone(rec.body.Bytes()),
		compress: compressible(h.Get("Content-Type")) && rec.body.Len() >= minCompressBytes}
	if lm := h.Get("Last-Modified"); lm != "" {
		p.mod, _ = http.ParseTime(lm)
	}
	if info, ok := r.Context().Value(keyRoute).(*routeInfo); ok {
		p.pattern = info.pattern
	}
	return p
}

// serveCachedPage answers r with a kept page: 304 when its validators still hold, otherwise
// the body in the best coding the client accepts.
func (s *Server) serveCachedPage(w http.ResponseWriter, r *http.Request, p *cachedPage) {
	// The kept header replaces what the middleware set before it: it was made through the same
	// middleware, and what the handler took away (the embed's X-Frame-Options) stays away.
	h := w.Header()
	clear(h)
	for k, v := range p.header {
		h[k] = v[:len(v):len(v)] // an Add below must not write into the kept slice
	}
	if p.compress {
		addVary(h, "Accept-Encoding")
	}
	if p.mod.IsZero() {
		h.Del("Last-Modified")
	}
	if notModified(r, p.etag, p.mod) {
		h.Del("Content-Type")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := p.body
	if coding := negotiateCoding(r.Header.Get("Accept-Encoding")); p.compress && coding != codingIdentity {
		body = p.encoded(s.pageCache, coding)
		h.Set("Content-Encoding", coding.String())
		if !strings.HasPrefix(p.etag, "W/") {
			h.Set("ETag", "W/"+p.etag)
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// pageRecorder keeps a handler's answer for the page cache.
type pageRecorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (p *pageRecorder) Header() http.Header { return p.header }

func (p *pageRecorder) WriteHeader(code int) {
	if p.status == 0 {
		p.status = code
	}
}

func (p *pageRecorder) Write(b []byte) (int, error) {
	if p.status == 0 {
		p.status = http.StatusOK
	}
	return p.body.Write(b)
}

func (p *pageRecorder) statusCode() int {
	if p.status == 0 {
		return http.StatusOK
	}
	return p.status
}
