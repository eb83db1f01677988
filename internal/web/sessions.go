package web

import (
	"encoding/base64"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"

	"sistercity/internal/auth"
	"sistercity/internal/config"
	"sistercity/internal/db"
)

func newSessions(d *db.DB, cfg config.Config) *scs.SessionManager {
	return auth.NewSessionManager(d, cfg.SessionLifetime, cfg.SecureCookies)
}

// loadSession does what scs's LoadAndSave does, with two differences that keep anonymous
// visitors off the sessions table: a cookie that cannot be a session token is ignored without
// a look-up, and no Vary: Cookie is added to every answer (pages that depend on the session are
// private, no-store; public pages are the same for everyone). Only sign-in makes a session, so
// an anonymous session found (left by an earlier version, which made one per visitor) is ended.
// A session that cannot be loaded counts as none.
func (s *Server) loadSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := ""
		if c, err := r.Cookie(s.sessions.Cookie.Name); err == nil && wellFormedSessionToken(c.Value) {
			token = c.Value
		}
		ctx, err := s.sessions.Load(r.Context(), token)
		if err != nil {
			if clientGone(r) {
				s.sessionError(w, r, err)
				return
			}
			s.log.Warn("session not loaded", "err", err)
			if ctx, err = s.sessions.Load(r.Context(), ""); err != nil {
				s.sessionError(w, r, err)
				return
			}
		}
		if s.sessions.Token(ctx) != "" && auth.Anonymous(ctx, s.sessions) {
			if err := s.sessions.Destroy(ctx); err != nil {
				s.log.Warn("anonymous session not ended", "err", err)
			}
		}
		r = r.WithContext(ctx)
		sw := &sessionWriter{ResponseWriter: w, s: s, r: r}
		next.ServeHTTP(sw, r)
		if !sw.written {
			s.commitSession(w, r)
		}
	})
}

// wellFormedSessionToken tells whether v can be a token scs made: 32 random bytes, base64url.
func wellFormedSessionToken(v string) bool {
	if len(v) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(v)
	return err == nil
}

// commitSession saves a changed session and sends its cookie, or clears the cookie of an ended
// one; an untouched session writes nothing.
func (s *Server) commitSession(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	switch s.sessions.Status(ctx) {
	case scs.Modified:
		token, expiry, err := s.sessions.Commit(ctx)
		if err != nil {
			if clientGone(r) {
				s.log.Debug("client closed the request", "path", r.URL.Path, "err", err)
				return
			}
			s.log.Error("session not saved", "err", err)
			return
		}
		s.sessions.WriteSessionCookie(ctx, w, token, expiry)
	case scs.Destroyed:
		s.sessions.WriteSessionCookie(ctx, w, "", time.Time{})
	}
}

// sessionWriter commits the session just before the header goes out.
type sessionWriter struct {
	http.ResponseWriter
	s       *Server
	r       *http.Request
	written bool
}

func (sw *sessionWriter) WriteHeader(code int) {
	if !sw.written {
		sw.written = true
		sw.s.commitSession(sw.ResponseWriter, sw.r)
	}
	sw.ResponseWriter.WriteHeader(code)
}

func (sw *sessionWriter) Write(b []byte) (int, error) {
	if !sw.written {
		sw.WriteHeader(http.StatusOK)
	}
	return sw.ResponseWriter.Write(b)
}

func (sw *sessionWriter) Unwrap() http.ResponseWriter { return sw.ResponseWriter }

// sessionUntouched tells whether the request's session will be neither saved nor ended: no
// cookie goes out, so the answer may be shared.
func (s *Server) sessionUntouched(r *http.Request) bool {
	return s.sessions.Status(r.Context()) == scs.Unmodified
}
