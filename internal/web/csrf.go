package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"time"

	"sistercity/internal/auth"
	"sistercity/internal/db"
)

// Anonymous forms (the sign-in form) are protected without a session per visitor: a signed
// double-submit token. The visitor's browser holds a random nonce in the csrfCookie cookie, set
// only by a page that shows such a form; the form carries the nonce's expiry and an HMAC of
// nonce and expiry under a secret kept in the database, shared by every serve process. A forger
// can neither read the cookie nor compute the HMAC for a nonce of their own.
const (
	csrfCookie      = "sistercity_csrf"
	csrfNonceBytes  = 16
	csrfTokenBytes  = 8 + sha256.Size
	csrfTokenLife   = 12 * time.Hour
	csrfCookieLife  = 30 * 24 * time.Hour
	csrfSecretKey   = "csrf_secret"
	csrfSecretBytes = 32
)

// loadCSRFSecret returns the server's CSRF secret from the settings table, making it on first
// use. Concurrent starts agree: the first insert wins and everyone reads it back.
func loadCSRFSecret(ctx context.Context, d *db.DB) ([]byte, error) {
	fresh := make([]byte, csrfSecretBytes)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	_, err := d.W.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`,
		csrfSecretKey, base64.RawStdEncoding.EncodeToString(fresh))
	if err != nil {
		return nil, fmt.Errorf("web: store csrf secret: %w", err)
	}
	var v string
	err = d.W.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = $1", csrfSecretKey).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errors.New("web: csrf secret vanished")
	}
	if err != nil {
		return nil, fmt.Errorf("web: read csrf secret: %w", err)
	}
	secret, err := base64.RawStdEncoding.DecodeString(v)
	if err != nil || len(secret) < 16 {
		return nil, errors.New("web: csrf secret in settings is malformed")
	}
	return secret, nil
}

// csrfNonce returns the visitor's nonce from the cookie, or "" when there is none or it is
// malformed.
func csrfNonce(r *http.Request) string {
	c, err := r.Cookie(csrfCookie)
	if err != nil {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || len(b) != csrfNonceBytes {
		return ""
	}
	return c.Value
}

func newCSRFNonce() string {
	b := make([]byte, csrfNonceBytes)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *Server) csrfMAC(nonce string, expiry int64) []byte {
	m := hmac.New(sha256.New, s.csrfSecret)
	m.Write([]byte("sistercity csrf v1\x00"))
	m.Write([]byte(nonce))
	var e [8]byte
	binary.BigEndian.PutUint64(e[:], uint64(expiry))
	m.Write(e[:])
	return m.Sum(nil)
}

// anonCSRFToken returns a token for nonce that is good for csrfTokenLife.
func (s *Server) anonCSRFToken(nonce string) string {
	expiry := s.now().Add(csrfTokenLife).Unix()
	b := make([]byte, 8, csrfTokenBytes)
	binary.BigEndian.PutUint64(b, uint64(expiry))
	b = append(b, s.csrfMAC(nonce, expiry)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// checkAnonCSRF tells whether token is an unexpired token for the nonce in r's cookie.
func (s *Server) checkAnonCSRF(r *http.Request, token string) bool {
	nonce := csrfNonce(r)
	if nonce == "" || len(token) != base64.RawURLEncoding.EncodedLen(csrfTokenBytes) {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != csrfTokenBytes {
		return false
	}
	expiry := int64(binary.BigEndian.Uint64(b[:8]))
	if expiry <= s.now().Unix() {
		return false
	}
	return hmac.Equal(b[8:], s.csrfMAC(nonce, expiry))
}

// checkCSRF tells whether token protects a state-changing request: the session's token of a
// signed-in user, or a visitor's signed double-submit token.
func (s *Server) checkCSRF(r *http.Request, token string) bool {
	if token == "" {
		return false
	}
	return auth.CheckCSRF(r.Context(), s.sessions, token) || s.checkAnonCSRF(r, token)
}

// pageCSRF returns the CSRF token for p's forms, and is called only when a template shows
// one: the session's token for a signed-in user; otherwise a signed token for the visitor's
// nonce, whose cookie render sets when the visitor has none yet.
func (s *Server) pageCSRF(r *http.Request, p *page) string {
	if p.User != nil {
		return auth.CSRFToken(r.Context(), s.sessions)
	}
	nonce := csrfNonce(r)
	if nonce == "" {
		nonce = newCSRFNonce()
		p.newNonce = nonce
	}
	return s.anonCSRFToken(nonce)
}

// setCSRFCookie gives the visitor the nonce their page's forms are signed for. It goes only
// with requests to the admin, where the sign-in form posts, or to the citizens' messages of one
// language, where a visitor sends or withdraws a message (messagesCookiePath), so that the other
// public requests stay cookie-free.
func (s *Server) setCSRFCookie(w http.ResponseWriter, r *http.Request, nonce string) {
	path := "/admin/"
	if p, ok := s.messagesCookiePath(r.URL.Path); ok {
		path = p
	}
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: nonce, Path: path, MaxAge: int(csrfCookieLife / time.Second),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.cfg.SecureCookies})
}
