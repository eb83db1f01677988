package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
)

// Static files are served from memory under content-hashed names, /static/style.3f2a9c1b2d.css,
// which never change meaning and are cached for a year; a deploy that changes a file changes
// its name. The plain names (/static/style.css) still work with a short lifetime, and so does a
// hashed name of an earlier build, which gets today's file without the year. Each file is
// compressed once, at start, at the best gzip and Brotli levels.

const (
	staticHashLen     = 10
	staticImmutable   = "public, max-age=31536000, immutable"
	staticShortLived  = "public, max-age=300"
	staticBrotliLevel = 11
	// A large file (the hls.js bundle, half a megabyte) is compressed on its first request
	// rather than at start, which it would delay by seconds, and at a lower Brotli level: 11
	// would take seconds for a few per cent.
	staticLargeFile        = 128 << 10
	staticLargeBrotliLevel = 7
)

type staticFile struct {
	name   string // style.css
	hashed string // style.3f2a9c1b2d.css
	ctype  string
	tag    string // the content hash, which the ETags are made of
	body   []byte
	gz, br []byte // nil when compressing does not pay
	// compress, when not nil, computes gz and br of a large file once, on first use.
	compress func()
}

// compressed returns f with its compressed variants in place.
func (f *staticFile) compressed() *staticFile {
	if f.compress != nil {
		f.compress()
	}
	return f
}

type staticSet struct {
	byName   map[string]*staticFile
	byHashed map[string]*staticFile
}

// staticAssets reads and compresses the embedded static files once per process; they are
// fixed at build time.
var staticAssets = sync.OnceValue(func() *staticSet {
	set := &staticSet{byName: map[string]*staticFile{}, byHashed: map[string]*staticFile{}}
	_ = fs.WalkDir(assets, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(assets, p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		sum := sha256.Sum256(body)
		tag := hex.EncodeToString(sum[:])[:staticHashLen]
		ext := path.Ext(name)
		f := &staticFile{name: name, hashed: strings.TrimSuffix(name, ext) + "." + tag + ext, tag: tag, body: body}
		f.ctype = mime.TypeByExtension(ext)
		if f.ctype == "" {
			f.ctype = http.DetectContentType(body)
		}
		switch {
		case !compressible(f.ctype):
		case len(body) > staticLargeFile:
			f.compress = sync.OnceFunc(func() { f.gz, f.br = precompress(body) })
		default:
			f.gz, f.br = precompress(body)
		}
		set.byName[name] = f
		set.byHashed[f.hashed] = f
		return nil
	})
	return set
})

// precompress returns body gzipped and Brotli-compressed at the best levels; a variant no
// smaller than body is dropped.
func precompress(body []byte) (gz, br []byte) {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	_, _ = zw.Write(body)
	_ = zw.Close()
	if b.Len() < len(body) {
		gz = bytes.Clone(b.Bytes())
	}
	b.Reset()
	level := staticBrotliLevel
	if len(body) > staticLargeFile {
		level = staticLargeBrotliLevel
	}
	bw := brotli.NewWriterLevel(&b, level)
	_, _ = bw.Write(body)
	_ = bw.Close()
	if b.Len() < len(body) {
		br = bytes.Clone(b.Bytes())
	}
	return gz, br
}

// staticURL is the content-hashed URL of a static file, for the templates' {{static "…"}}.
func staticURL(name string) string {
	if f, ok := staticAssets().byName[name]; ok {
		return "/static/" + f.hashed
	}
	return "/static/" + name
}

// lookup finds the file a static path names and the Cache-Control it is served with.
func (set *staticSet) lookup(name string) (*staticFile, string) {
	if f, ok := set.byHashed[name]; ok {
		return f, staticImmutable
	}
	if f, ok := set.byName[name]; ok {
		return f, staticShortLived
	}
	// A hashed name of another build: name.<hex>.ext.
	ext := path.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	if i := strings.LastIndexByte(stem, '.'); i > 0 && isHex(stem[i+1:]) {
		if f, ok := set.byName[stem[:i]+ext]; ok {
			return f, staticShortLived
		}
	}
	return nil, ""
}

func isHex(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// static serves the embedded CSS, JavaScript and images from memory, in the best coding the
// client accepts.
func (s *Server) static() http.Handler {
	set := staticAssets()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, cacheControl := set.lookup(r.PathValue("file"))
		if f == nil {
			s.notFound(w, r)
			return
		}
		f = f.compressed()
		h := w.Header()
		body, etag := f.body, `"`+f.tag+`"`
		if f.gz != nil || f.br != nil {
			h.Set("Vary", "Accept-Encoding")
			switch coding := negotiateCoding(r.Header.Get("Accept-Encoding")); {
			case coding == codingBrotli && f.br != nil:
				body, etag = f.br, `"`+f.tag+`-br"`
				h.Set("Content-Encoding", "br")
			case coding != codingIdentity && f.gz != nil:
				body, etag = f.gz, `"`+f.tag+`-gz"`
				h.Set("Content-Encoding", "gzip")
			}
		}
		h.Set("Cache-Control", cacheControl)
		h.Set("ETag", etag)
		if inm := r.Header.Values("If-None-Match"); len(inm) > 0 && etagListMatches(inm, etag) {
			h.Del("Content-Encoding")
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h.Set("Content-Type", f.ctype)
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = w.Write(body)
		}
	})
}
