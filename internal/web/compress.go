package web

import (
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
)

// contentCoding is a compression a response may be sent with.
type contentCoding int

const (
	codingIdentity contentCoding = iota
	codingGzip
	codingBrotli
)

func (c contentCoding) String() string {
	switch c {
	case codingGzip:
		return "gzip"
	case codingBrotli:
		return "br"
	}
	return "identity"
}

// negotiateCoding picks the coding for an Accept-Encoding header: the supported coding with
// the highest q-value, Brotli before gzip on a tie; identity when neither is acceptable. An
// element that does not parse is ignored. The header is scanned once, whatever its length,
// without allocating.
func negotiateCoding(header string) contentCoding {
	qBr, qGzip, qStar := -1.0, -1.0, -1.0
	for header != "" {
		var elem string
		elem, header, _ = strings.Cut(header, ",")
		name, params, _ := strings.Cut(elem, ";")
		name = strings.TrimSpace(name)
		q := 1.0
		if params = strings.TrimSpace(params); params != "" {
			k, v, ok := strings.Cut(params, "=")
			if !ok || !strings.EqualFold(strings.TrimSpace(k), "q") {
				continue
			}
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || f < 0 || f > 1 {
				continue
			}
			q = f
		}
		switch {
		case strings.EqualFold(name, "br"):
			qBr = q
		case strings.EqualFold(name, "gzip"), strings.EqualFold(name, "x-gzip"):
			qGzip = q
		case name == "*":
			qStar = q
		}
	}
	if qBr < 0 {
		qBr = max(qStar, 0)
	}
	if qGzip < 0 {
		qGzip = max(qStar, 0)
	}
	switch {
	case qBr > 0 && qBr >= qGzip:
		return codingBrotli
	case qGzip > 0:
		return codingGzip
	}
	return codingIdentity
}

// compressible tells whether a response of this Content-Type is worth compressing: text,
// scripts, styles, data and feeds — never video, audio or raster images, which are compressed
// already.
func compressible(contentType string) bool {
	if contentType == "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	if strings.HasPrefix(mt, "text/") {
		return true
	}
	switch mt {
	case "application/javascript", "application/json", "application/xml", "image/svg+xml",
		"application/rss+xml", "application/atom+xml", "application/manifest+json",
		"application/ld+json", "application/problem+json":
		return true
	}
	return strings.HasSuffix(mt, "+json") || strings.HasSuffix(mt, "+xml")
}

// minCompressBytes: a smaller body of known length goes out as it is.
const minCompressBytes = 512

// Levels for responses compressed as they are sent: fast ones, since every request pays for
// them. Static files are compressed once at start, at the best levels.
const (
	dynamicGzipLevel   = 5
	dynamicBrotliLevel = 4
	brotliWindowBits   = 18
)

var (
	gzipWriters = sync.Pool{New: func() any {
		w, _ := gzip.NewWriterLevel(io.Discard, dynamicGzipLevel)
		return w
	}}
	brotliWriters = sync.Pool{New: func() any {
		return brotli.NewWriterOptions(io.Discard, brotli.WriterOptions{Quality: dynamicBrotliLevel, LGWin: brotliWindowBits})
	}}
)

// compressor is the part of a pooled writer the middleware uses.
type compressor interface {
	io.WriteCloser
	Flush() error
	Reset(io.Writer)
}

// compress sends compressible responses gzip- or Brotli-encoded as the client's Accept-Encoding
// allows, and marks them Vary: Accept-Encoding. Responses that set their own Content-Encoding
// (the pre-compressed static files), partial content, HEAD answers and media pass through
// untouched, so a file still leaves by sendfile.
func compress(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cw := &compressWriter{ResponseWriter: w, r: r, coding: negotiateCoding(r.Header.Get("Accept-Encoding"))}
		defer cw.close()
		next.ServeHTTP(cw, r)
	})
}

type compressWriter struct {
	http.ResponseWriter
	r       *http.Request
	coding  contentCoding
	decided bool
	enc     compressor
}

// addVary adds field to the Vary header unless it is there.
func addVary(h http.Header, field string) {
	for _, v := range h.Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f == "*" || strings.EqualFold(f, field) {
				return
			}
		}
	}
	h.Add("Vary", field)
}

// decide chooses, once the handler is about to send its header, whether the body is compressed.
func (cw *compressWriter) decide(code int) {
	cw.decided = true
	h := cw.Header()
	if h.Get("Content-Encoding") != "" || !compressible(h.Get("Content-Type")) {
		return
	}
	addVary(h, "Accept-Encoding")
	if cw.coding == codingIdentity || cw.r.Method == http.MethodHead || code < 200 ||
		code == http.StatusNoContent || code == http.StatusNotModified || code == http.StatusPartialContent ||
		h.Get("Content-Range") != "" {
		return
	}
	if cl := h.Get("Content-Length"); cl != "" {
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil && n < minCompressBytes {
			return
		}
	}
	h.Del("Content-Length")
	h.Del("Accept-Ranges")
	h.Set("Content-Encoding", cw.coding.String())
	// The compressed bytes differ from the identity ones, so a strong validator becomes weak.
	if et := h.Get("ETag"); et != "" && !strings.HasPrefix(et, "W/") {
		h.Set("ETag", "W/"+et)
	}
	switch cw.coding {
	case codingGzip:
		cw.enc = gzipWriters.Get().(*gzip.Writer)
	case codingBrotli:
		cw.enc = brotliWriters.Get().(*brotli.Writer)
	}
	cw.enc.Reset(cw.ResponseWriter)
}

func (cw *compressWriter) WriteHeader(code int) {
	if !cw.decided && code >= 200 {
		cw.decide(code)
	}
	cw.ResponseWriter.WriteHeader(code)
}

func (cw *compressWriter) Write(b []byte) (int, error) {
	if !cw.decided {
		cw.WriteHeader(http.StatusOK)
	}
	if cw.enc != nil {
		return cw.enc.Write(b)
	}
	return cw.ResponseWriter.Write(b)
}

// ReadFrom compresses what it copies, or hands the copy to the connection beneath (sendfile).
func (cw *compressWriter) ReadFrom(src io.Reader) (int64, error) {
	if !cw.decided {
		cw.WriteHeader(http.StatusOK)
	}
	if cw.enc != nil {
		return io.Copy(struct{ io.Writer }{cw.enc}, src)
	}
	return readFromBeneath(cw.ResponseWriter, src)
}

func (cw *compressWriter) Flush() {
	if cw.enc != nil {
		_ = cw.enc.Flush()
	}
	_ = http.NewResponseController(cw.ResponseWriter).Flush()
}

func (cw *compressWriter) Unwrap() http.ResponseWriter { return cw.ResponseWriter }

// close ends the compressed stream and returns the writer to its pool.
func (cw *compressWriter) close() {
	if cw.enc == nil {
		return
	}
	_ = cw.enc.Close()
	cw.enc.Reset(io.Discard)
	switch e := cw.enc.(type) {
	case *gzip.Writer:
		gzipWriters.Put(e)
	case *brotli.Writer:
		brotliWriters.Put(e)
	}
	cw.enc = nil
}
