package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"sistercity/internal/auth"
	"sistercity/internal/problem"
)

type ctxKey int

const (
	keyRoute ctxKey = iota
	keyUser
)

// routeInfo is filled in by the matched route, so that the outer middleware can label metrics
// and logs with the route pattern rather than the raw path.
type routeInfo struct{ pattern string }

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ReadFrom counts the bytes and hands the copy to the writer beneath, so that a file's bytes
// still leave by sendfile.
func (w *statusWriter) ReadFrom(r io.Reader) (int64, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	n, err := readFromBeneath(w.ResponseWriter, r)
	w.bytes += n
	return n, err
}

// readFromBeneath copies r into w through the first writer at or beneath w that has a ReadFrom
// of its own — the connection's, which sends a file with sendfile — skipping the wrappers in
// between, which only act on the header. Call it once the header is written.
func readFromBeneath(w http.ResponseWriter, r io.Reader) (int64, error) {
	for inner := w; ; {
		if rf, ok := inner.(io.ReaderFrom); ok {
			return rf.ReadFrom(r)
		}
		u, ok := inner.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return io.Copy(w, r)
		}
		inner = u.Unwrap()
	}
}

// instrument logs each request and counts it by route and status.
func (s *Server) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &routeInfo{}
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), keyRoute, info)))
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		if sw.status >= 500 && clientGone(r) {
			sw.status = statusClientClosed
		}
		d := time.Since(start)
		s.metrics.observe(info.pattern, r.Method, sw.status, d)
		s.log.LogAttrs(r.Context(), levelFor(sw.status), "request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("route", info.pattern),
			slog.Int("status", sw.status), slog.Int64("bytes", sw.bytes), slog.Duration("duration", d),
			slog.String("client", clientAddr(r)))
	})
}

// recoverer turns a panic into a logged 500, so one bad request cannot stop the server.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "path", r.URL.Path, "value", fmt.Sprint(v), "stack", string(debug.Stack()))
				http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; "+
			"style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

// Request body limits: forms are small; JSON carries a whole subtitle track from the cue
// editor (track.MaxCues cues, track.MaxVTTBytes of text, with room for the JSON around it);
// multipart uploads carry a document or a register file.
const (
	maxFormBytes = 1 << 20
	maxJSONBytes = 8 << 20
)

func (s *Server) maxMultipartBytes() int64 {
	n := s.cfg.MaxDocumentBytes
	if n < maxImportBytes {
		n = maxImportBytes
	}
	return n + 1<<20
}

// crossOrigin refuses unsafe requests that a browser marks as coming from another site.
var crossOrigin = http.NewCrossOriginProtection()

// csrf checks every state-changing request: the browser must not mark it cross-site, and it must
// carry the session's token in the csrf_token field or the X-CSRF-Token header. It also bounds
// and parses the body, so handlers read r.Form and r.MultipartForm within limits.
func (s *Server) csrf(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		if r.URL.Path == beaconPath {
			// The viewing beacon has no session or cookie to protect and carries a signed
			// token of its own; it reads its small body and answers 204 whatever (beacon.go).
			next.ServeHTTP(w, r)
			return
		}
		if isInboxPost(r) {
			// ActivityPub deliveries: no session, no cookie; the inbox checks the HTTP
			// signature and bounds the body itself (fed.ServeInbox).
			next.ServeHTTP(w, r)
			return
		}
		if err := crossOrigin.Check(r); err != nil {
			s.fail(w, r, problem.New(http.StatusForbidden, "error.csrf"))
			return
		}
		ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		var err error
		if ct == "multipart/form-data" {
			release, ok := s.admitMultipart(w, r) // role, CSRF and a place before the body is read
			if !ok {
				return
			}
			defer release()
			err = r.ParseMultipartForm(multipartMemory)
		} else if ct == "application/json" {
			release, ok := s.admitLargeBody(w, r)
			if !ok {
				return
			}
			defer release()
			// Read by the handler, which reports a body over the limit in its own terms.
			r.Body = http.MaxBytesReader(w, r.Body, maxJSONBytes)
		} else if !tusChunk(r) {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
			err = r.ParseForm()
		}
		if err != nil {
			var tooBig *http.MaxBytesError
			if isTimeout(err) {
				s.timedOut(w, r)
				return
			}
			if errors.As(err, &tooBig) {
				s.fail(w, r, problem.New(http.StatusRequestEntityTooLarge, "error.too_large"))
				return
			}
			s.fail(w, r, problem.BadRequest("error.bad_request"))
			return
		}
		if r.MultipartForm != nil {
			defer r.MultipartForm.RemoveAll()
		}
		token := r.Header.Get("X-CSRF-Token")
		if token == "" {
			token = r.PostFormValue("csrf_token")
		}
		if !s.checkCSRF(r, token) {
			s.fail(w, r, problem.New(http.StatusForbidden, "error.csrf"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// guard runs a route: it labels the request with the route's pattern and, for routes that need a
// role, checks that a signed-in user holds it. Public pages for visitors who are not signed in
// go through the page cache (pagecache.go).
func (s *Server) guard(rt route) http.Handler {
	cached := s.pageCacheable(rt)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if info, ok := r.Context().Value(keyRoute).(*routeInfo); ok {
			info.pattern = rt.pattern
		}
		u := s.currentUser(r)
		if u != nil {
			r = r.WithContext(context.WithValue(r.Context(), keyUser, u))
		}
		if rt.role != "" {
			if u == nil {
				if r.Method == http.MethodGet && strings.HasPrefix(rt.pattern[strings.IndexByte(rt.pattern, ' ')+1:], reportsPath) {
					// What is shared with partners: nothing tells a visitor the URL is real.
					s.notFound(w, r)
					return
				}
				if r.Method == http.MethodGet {
					http.Redirect(w, r, "/admin/sign-in?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
					return
				}
				s.fail(w, r, problem.New(http.StatusForbidden, "error.forbidden"))
				return
			}
			if !u.Role.AtLeast(rt.role) {
				s.fail(w, r, problem.New(http.StatusForbidden, "error.forbidden"))
				return
			}
		}
		if cached && u == nil {
			s.servePage(w, r, rt.handler)
			return
		}
		rt.handler(w, r)
	})
}

// currentUser loads the session's user; a disabled or deleted account counts as signed out.
func (s *Server) currentUser(r *http.Request) *auth.User {
	if u, ok := r.Context().Value(keyUser).(*auth.User); ok {
		return u
	}
	return auth.SessionUser(r.Context(), s.sessions, s.db.R)
}

func userFrom(r *http.Request) *auth.User {
	u, _ := r.Context().Value(keyUser).(*auth.User)
	return u
}

// safeNext accepts only a local path as a redirect target after sign-in.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/admin"
	}
	return next
}

func levelFor(status int) slog.Level {
	switch {
	case status == statusClientClosed:
		return slog.LevelInfo
	case status >= 500:
		return slog.LevelError
	case status >= 400:
		return slog.LevelWarn
	default:
		return slog.LevelInfo
	}
}
