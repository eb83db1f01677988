package web

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"sistercity/internal/auth"
	"sistercity/internal/problem"
)

// This file bounds what a request may cost before anyone is known: where it comes from (the
// client's address behind trusted proxies), how long its body may take to arrive, how many large
// bodies are read at once, and that a large body's sender holds the route's role and the CSRF
// token before the body is read.

type limitsKey int

const (
	keyClient limitsKey = iota
	keyBodyState
)

// limiter is the Server's state for these limits.
type limiter struct {
	// large holds a token per multipart or JSON body being read; when full, one more is
	// answered 503.
	large chan struct{}
	// routes finds the route a request will reach, to check its role before its body is read.
	routes *http.ServeMux
	roles  map[string]auth.Role
}

func (s *Server) newLimiter() *limiter {
	l := &limiter{large: make(chan struct{}, max(s.cfg.MaxLargeBodies, 1)), routes: http.NewServeMux(), roles: map[string]auth.Role{}}
	for _, rt := range s.routes {
		l.routes.Handle(rt.pattern, http.NotFoundHandler())
		l.roles[rt.pattern] = rt.role
	}
	return l
}

// Status codes that only the logs and metrics see.
const statusClientClosed = 499 // the client went away before the answer (nginx's code)

// multipartMemory is how much of a multipart form is kept in memory; file parts beyond it are
// streamed to temporary files.
const multipartMemory = 1 << 20

// csrfPrefixBytes is how much of a multipart body is read to find the csrf_token field, which
// must come before any file part (the forms put it first).
const csrfPrefixBytes = 8 << 10

// largeBusyRetry is the Retry-After of a 503 when too many large bodies are being read.
const largeBusyRetry = 10 * time.Second

// limits is the outermost middleware of the limits: it finds the client's address, bounds the
// time to read the body, and sends HSTS when the site is https.
func (s *Server) limits(next http.Handler) http.Handler {
	hsts := strings.HasPrefix(s.cfg.BaseURL, "https://")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// net/http cancels the request's context when a read of the connection fails, for a
		// body that came too late as for a client that left. The first still gets an answer
		// (408), so the context passed on ends only when the client is gone.
		st := &bodyState{}
		ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
		stop := context.AfterFunc(r.Context(), func() {
			if !st.expired() {
				cancel()
			}
		})
		defer stop()
		defer cancel()
		if r.Context().Err() != nil {
			// Gone already: AfterFunc's own goroutine would cancel ctx some time into the handler.
			cancel()
		}
		ctx = context.WithValue(ctx, keyClient, s.clientIP(r))
		ctx = context.WithValue(ctx, keyBodyState, st)
		r = r.WithContext(ctx)
		if hsts {
			w.Header().Set("Strict-Transport-Security", "max-age=31536000")
		}
		s.bodyDeadline(w, r, s.bodyTimeout(r))
		next.ServeHTTP(w, r)
	})
}

// bodyState is the read deadline of a request's body, as unix nanoseconds; 0 is none.
type bodyState struct{ deadline atomic.Int64 }

func (b *bodyState) expired() bool {
	d := b.deadline.Load()
	return d != 0 && time.Now().UnixNano() >= d
}

// clientIP is the client's address: the connection's peer, or, when the peer is a trusted
// proxy, the address the proxies recorded in the forwarded header, read from the right and
// skipping the trusted proxies themselves, so a client cannot forge it by sending the header.
func (s *Server) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if !s.trustedProxy(ip) {
		return ip.String()
	}
	hops := forwardedFor(r.Header, s.cfg.ForwardedHeader)
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			break // garbage: believe no hop beyond it
		}
		if !s.trustedProxy(a) {
			return a.String()
		}
		ip = a
	}
	return ip.String()
}

func (s *Server) trustedProxy(ip netip.Addr) bool {
	for _, p := range s.cfg.Proxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// forwardedFor lists the addresses in the named header, the client's first, over all its lines.
func forwardedFor(h http.Header, name string) []string {
	var hops []string
	for _, line := range h.Values(name) {
		for elem := range strings.SplitSeq(line, ",") {
			elem = strings.TrimSpace(elem)
			if !strings.EqualFold(name, "Forwarded") {
				hops = append(hops, elem)
				continue
			}
			for pair := range strings.SplitSeq(elem, ";") {
				k, v, _ := strings.Cut(strings.TrimSpace(pair), "=")
				if strings.EqualFold(k, "for") {
					hops = append(hops, strings.Trim(v, `"`))
				}
			}
		}
	}
	return hops
}

// parseHop reads one address of a forwarded header: 192.0.2.1, 192.0.2.1:4711, 2001:db8::1 or
// [2001:db8::1]:4711. "unknown" and obfuscated names are not addresses.
func parseHop(v string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(v); err == nil {
		return ap.Addr().Unmap(), true
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(v, "["), "]"))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// bodyTimeout is how long the body of r may take to arrive: long for an upload chunk, short
// for anything else (a checked multipart form is given longer later, see admitMultipart).
func (s *Server) bodyTimeout(r *http.Request) time.Duration {
	if tusChunk(r) {
		return s.cfg.UploadBodyTimeout
	}
	return s.cfg.BodyTimeout
}

// bodyDeadline sets the connection's read deadline for the body of r, and clears it once the
// body has been read, so that a handler that takes its time after reading is not cut off.
func (s *Server) bodyDeadline(w http.ResponseWriter, r *http.Request, d time.Duration) {
	if r.Body == nil || r.Body == http.NoBody || d <= 0 {
		return
	}
	rc := http.NewResponseController(w)
	at := time.Now().Add(d)
	if rc.SetReadDeadline(at) != nil {
		return // not a connection (a test's recorder)
	}
	st, _ := r.Context().Value(keyBodyState).(*bodyState)
	if st == nil {
		st = &bodyState{}
	}
	st.deadline.Store(at.UnixNano())
	if _, ok := r.Body.(*deadlineBody); !ok {
		r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc, st: st}
	}
}

type deadlineBody struct {
	io.ReadCloser
	rc *http.ResponseController
	st *bodyState
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		_ = b.rc.SetReadDeadline(time.Time{})
		b.st.deadline.Store(0)
	}
	return n, err
}

// isTimeout tells whether err is a body that did not arrive in time: the connection's read
// deadline, not a context's (a slow query is no fault of the client).
func isTimeout(err error) bool {
	return errors.Is(err, os.ErrDeadlineExceeded)
}

// timedOut answers a request whose body did not arrive in time, and closes the connection.
func (s *Server) timedOut(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Connection", "close")
	s.fail(w, r, problem.New(http.StatusRequestTimeout, "limits.timeout"))
}

// routeRole is the role of the route r will reach; ok is false when none matches.
func (s *Server) routeRole(r *http.Request) (auth.Role, bool) {
	_, pattern := s.lim.routes.Handler(r)
	role, ok := s.lim.roles[pattern]
	return role, ok
}

// admitRole refuses, without reading its body, a request to a route whose role its sender
// lacks. It answers and returns false when it refuses.
func (s *Server) admitRole(w http.ResponseWriter, r *http.Request) bool {
	role, ok := s.routeRole(r)
	if !ok || role == "" {
		return true
	}
	if u := s.currentUser(r); u == nil || !u.Role.AtLeast(role) {
		s.fail(w, r, problem.New(http.StatusForbidden, "error.forbidden"))
		return false
	}
	return true
}

// admitLarge takes a place among the large bodies read at once, or answers 503. The caller
// calls release when done with the body.
func (s *Server) admitLarge(w http.ResponseWriter, r *http.Request) (release func(), ok bool) {
	select {
	case s.lim.large <- struct{}{}:
		return func() { <-s.lim.large }, true
	default:
		w.Header().Set("Retry-After", strconv.Itoa(int(largeBusyRetry/time.Second)))
		w.Header().Set("Connection", "close")
		s.fail(w, r, problem.New(http.StatusServiceUnavailable, "limits.busy"))
		return nil, false
	}
}

// admitLargeBody checks the route's role of a request with a JSON body before the handler
// reads it, and takes a place among the large bodies (the CSRF token is in its header, checked
// next). It answers and returns false when it refuses.
func (s *Server) admitLargeBody(w http.ResponseWriter, r *http.Request) (release func(), ok bool) {
	if !s.admitRole(w, r) {
		return nil, false
	}
	return s.admitLarge(w, r)
}

// admitMultipart checks a multipart request before its body is read: its declared size, the
// route's role, and the CSRF token, from the X-CSRF-Token header or from a csrf_token field
// before the first file part; then it takes a place among the large bodies and gives the body
// the longer upload deadline. It answers and returns false when it refuses.
func (s *Server) admitMultipart(w http.ResponseWriter, r *http.Request) (release func(), ok bool) {
	if r.ContentLength > s.maxMultipartBytes() {
		s.fail(w, r, problem.New(http.StatusRequestEntityTooLarge, "error.too_large"))
		return nil, false
	}
	if !s.admitRole(w, r) {
		return nil, false
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.maxMultipartBytes())
	token := r.Header.Get("X-CSRF-Token")
	if token == "" {
		var err error
		if token, err = csrfFromPrefix(r); err != nil {
			if isTimeout(err) {
				s.timedOut(w, r)
			} else {
				s.fail(w, r, problem.BadRequest("error.bad_request"))
			}
			return nil, false
		}
	}
	if !s.checkCSRF(r, token) {
		s.fail(w, r, problem.New(http.StatusForbidden, "error.csrf"))
		return nil, false
	}
	if release, ok = s.admitLarge(w, r); !ok {
		return nil, false
	}
	s.bodyDeadline(w, r, s.cfg.UploadBodyTimeout)
	return release, true
}

// csrfFromPrefix reads the first csrfPrefixBytes of a multipart body and finds the csrf_token
// field among the fields before the first file part; the body is put back whole for the
// handler. No token found gives "".
func csrfFromPrefix(r *http.Request) (string, error) {
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return "", errors.New("web: multipart without boundary")
	}
	buf := make([]byte, csrfPrefixBytes)
	n, err := io.ReadFull(r.Body, buf)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return "", err
	}
	buf = buf[:n]
	r.Body = prefixedBody{Reader: io.MultiReader(bytes.NewReader(buf), r.Body), Closer: r.Body}
	mr := multipart.NewReader(bytes.NewReader(buf), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil || p.FileName() != "" {
			return "", nil
		}
		if p.FormName() == "csrf_token" {
			b, _ := io.ReadAll(io.LimitReader(p, 256))
			return string(b), nil
		}
	}
}

type prefixedBody struct {
	io.Reader
	io.Closer
}

// clientGone tells whether r failed only because its client went away.
func clientGone(r *http.Request) bool {
	return errors.Is(r.Context().Err(), context.Canceled)
}

// metricsHandler serves /metrics to requests bearing the configured token; without a token
// configured, /metrics does not exist.
func (s *Server) metricsHandler(h http.Handler) http.Handler {
	want := []byte("Bearer " + s.cfg.MetricsToken)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.MetricsToken == "" {
			s.notFound(w, r)
			return
		}
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// proofCookie keeps the proof that this browser signed in to an account before (auth.IssueProof),
// which spares it the per-address sign-in limit for that account.
const proofCookie = "signin_proof"

// signInProof reads this browser's sign-in proof.
func signInProof(r *http.Request) string {
	if c, err := r.Cookie(proofCookie); err == nil {
		return c.Value
	}
	return ""
}

// keepSignInProof gives the browser a proof for u, unless the one it sent is already valid.
func (s *Server) keepSignInProof(w http.ResponseWriter, r *http.Request, u *auth.User) {
	if ok, err := auth.HasProof(r.Context(), s.db, u.Username, signInProof(r)); err == nil && ok {
		return
	}
	token, err := auth.IssueProof(r.Context(), s.db, u)
	if err != nil {
		s.log.Warn("sign-in proof", "err", err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: proofCookie, Value: token, Path: "/admin/sign-in", MaxAge: 90 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.cfg.SecureCookies})
}

// retryAfter sets Retry-After from a rate-limit error and returns its seconds, 0 if unknown.
func retryAfter(w http.ResponseWriter, err error) int {
	var le *auth.LimitError
	if !errors.As(err, &le) {
		return 0
	}
	secs := int((le.RetryAfter + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return secs
}

// sessionError answers a failure to load or save the session: nothing when the client is gone
// (a 499 in the log), a logged 500 otherwise.
func (s *Server) sessionError(w http.ResponseWriter, r *http.Request, err error) {
	if clientGone(r) {
		s.log.Debug("client closed the request", "path", r.URL.Path, "err", err)
		w.WriteHeader(statusClientClosed)
		return
	}
	s.log.Error("session", "path", r.URL.Path, "err", err)
	http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
}
