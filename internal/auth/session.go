package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"

	"sistercity/internal/db"
	"sistercity/internal/jobs"
)

// SessionStore keeps scs sessions in the sessions table of either database, so that any serve
// process behind a load balancer can read a session another wrote.
type SessionStore struct {
	db *db.DB
}

// NewSessionStore returns a store over d.
func NewSessionStore(d *db.DB) *SessionStore { return &SessionStore{db: d} }

var _ scs.CtxStore = (*SessionStore)(nil)

// FindCtx returns the data of an unexpired session.
func (s *SessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	var data []byte
	var expiry time.Time
	err := s.db.R.QueryRowContext(ctx, "SELECT data, expiry FROM sessions WHERE token = $1", token).Scan(&data, &expiry)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("auth: find session: %w", err)
	}
	if !expiry.After(time.Now()) {
		return nil, false, nil
	}
	return data, true, nil
}

// CommitCtx saves a session. The session of a disabled account is not kept: a request that
// began before the account was disabled must not bring back the session EndSessions deleted.
func (s *SessionStore) CommitCtx(ctx context.Context, token string, data []byte, expiry time.Time) error {
	_, err := s.db.W.ExecContext(ctx, `INSERT INTO sessions (token, data, expiry) VALUES ($1, $2, $3)
		ON CONFLICT (token) DO UPDATE SET data = excluded.data, expiry = excluded.expiry`, token, data, expiry.UTC())
	if err != nil {
		return fmt.Errorf("auth: commit session: %w", err)
	}
	// Checked after the write, so that a disabling committed before or during it is seen.
	if uid := sessionUserOf(data); uid != 0 {
		_, err = s.db.W.ExecContext(ctx, `DELETE FROM sessions WHERE token = $1
			AND EXISTS (SELECT 1 FROM users WHERE id = $2 AND disabled = $3)`, token, uid, true)
		if err != nil {
			return fmt.Errorf("auth: commit session: %w", err)
		}
	}
	return nil
}

// DeleteCtx removes a session.
func (s *SessionStore) DeleteCtx(ctx context.Context, token string) error {
	if _, err := s.db.W.ExecContext(ctx, "DELETE FROM sessions WHERE token = $1", token); err != nil {
		return fmt.Errorf("auth: delete session: %w", err)
	}
	return nil
}

// sessionUserOf is the account a stored session is bound to; 0 when none or unreadable.
func sessionUserOf(data []byte) int64 {
	_, values, err := scs.GobCodec{}.Decode(data)
	if err != nil {
		return 0
	}
	id, _ := values[sessionUserID].(int64)
	return id
}

// EndSessions deletes every session bound to account id, inside tx: they are over for good,
// whatever happens to the account afterwards (a disabled account enabled again signs in anew).
func EndSessions(ctx context.Context, tx *sql.Tx, id int64) error {
	rows, err := tx.QueryContext(ctx, "SELECT token, data FROM sessions")
	if err != nil {
		return fmt.Errorf("auth: end sessions of user %d: %w", id, err)
	}
	var tokens []string
	for rows.Next() {
		var token string
		var data []byte
		if err := rows.Scan(&token, &data); err != nil {
			rows.Close()
			return fmt.Errorf("auth: end sessions of user %d: %w", id, err)
		}
		if sessionUserOf(data) == id {
			tokens = append(tokens, token)
		}
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("auth: end sessions of user %d: %w", id, err)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("auth: end sessions of user %d: %w", id, err)
	}
	for _, token := range tokens {
		if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE token = $1", token); err != nil {
			return fmt.Errorf("auth: end sessions of user %d: %w", id, err)
		}
	}
	return nil
}

// Find, Commit and Delete satisfy scs.Store; scs calls the Ctx variants.
func (s *SessionStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}
func (s *SessionStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}
func (s *SessionStore) Delete(token string) error { return s.DeleteCtx(context.Background(), token) }

// Sweep removes expired sessions and old sign-in attempts; the auth.sweep periodic job runs it (RegisterSweep).
func Sweep(ctx context.Context, d *db.DB, now time.Time) error {
	if _, err := d.W.ExecContext(ctx, "DELETE FROM sessions WHERE expiry < $1", now.UTC()); err != nil {
		return fmt.Errorf("auth: sweep sessions: %w", err)
	}
	if _, err := d.W.ExecContext(ctx, "DELETE FROM login_attempts WHERE at < $1", now.Add(-rateWindow).UTC()); err != nil {
		return fmt.Errorf("auth: sweep sign-in attempts: %w", err)
	}
	return nil
}

// SweepArgs is the periodic job that runs Sweep.
type SweepArgs struct{}

// Kind names the job.
func (SweepArgs) Kind() string { return "auth.sweep" }

// RegisterSweep has the queue's leader run Sweep every interval: once across all replicas,
// wherever jobs run (see jobs.RegisterPeriodic).
func RegisterSweep(q *jobs.Queue, d *db.DB, every time.Duration) error {
	return jobs.RegisterPeriodic(q, jobs.WorkFunc[SweepArgs](func(ctx context.Context, _ *jobs.Job[SweepArgs]) error {
		return Sweep(ctx, d, time.Now())
	}), jobs.Periodic{Every: every})
}

// NewSessionManager returns the scs manager with sistercity's cookie settings.
func NewSessionManager(d *db.DB, lifetime time.Duration, secure bool) *scs.SessionManager {
	sm := scs.New()
	sm.Store = NewSessionStore(d)
	sm.Lifetime = lifetime
	sm.IdleTimeout = lifetime
	sm.Cookie.Name = "sistercity_session"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = secure
	sm.Cookie.Persist = false
	return sm
}

// Session keys.
const (
	sessionUserID = "user_id"
	sessionCSRF   = "csrf"
	sessionStamp  = "stamp"
)

// SignIn binds the session to u, with a new token against session fixation.
func SignIn(ctx context.Context, sm *scs.SessionManager, u *User) error {
	if err := sm.RenewToken(ctx); err != nil {
		return fmt.Errorf("auth: renew session: %w", err)
	}
	sm.Put(ctx, sessionUserID, u.ID)
	sm.Put(ctx, sessionStamp, u.stamp())
	sm.Put(ctx, sessionCSRF, newToken())
	return nil
}

// SessionUser returns the user bound to the session, or nil when nobody is signed in, the account
// is gone or disabled, or its password changed since the session began (a reset signs the
// account out everywhere).
func SessionUser(ctx context.Context, sm *scs.SessionManager, q db.Querier) *User {
	id := sm.GetInt64(ctx, sessionUserID)
	if id == 0 {
		return nil
	}
	u, err := GetUser(ctx, q, id)
	if err != nil || u.Disabled || subtle.ConstantTimeCompare([]byte(sm.GetString(ctx, sessionStamp)), []byte(u.stamp())) != 1 {
		return nil
	}
	return u
}

// SignOut ends the session.
func SignOut(ctx context.Context, sm *scs.SessionManager) error {
	return sm.Destroy(ctx)
}

// CSRFToken returns the session's CSRF token, making one if the session has none.
func CSRFToken(ctx context.Context, sm *scs.SessionManager) string {
	tok := sm.GetString(ctx, sessionCSRF)
	if tok == "" {
		tok = newToken()
		sm.Put(ctx, sessionCSRF, tok)
	}
	return tok
}

// CheckCSRF tells whether got is the session's CSRF token.
func CheckCSRF(ctx context.Context, sm *scs.SessionManager, got string) bool {
	want := sm.GetString(ctx, sessionCSRF)
	return want != "" && got != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Anonymous tells whether no user is bound to the session.
func Anonymous(ctx context.Context, sm *scs.SessionManager) bool {
	return sm.GetInt64(ctx, sessionUserID) == 0
}
