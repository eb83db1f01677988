package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"sistercity/internal/db"
)

// ErrBadCredentials is returned for an unknown user, a wrong password or a disabled account; the
// three are not told apart, so that sign-in reveals nothing about which accounts exist.
var ErrBadCredentials = errors.New("auth: bad credentials")

// ErrRateLimited is returned when too many sign-ins failed recently. The error returned is a
// *LimitError, which says how long to wait.
var ErrRateLimited = errors.New("auth: too many attempts")

// LimitError refuses a sign-in for RetryAfter; errors.Is(err, ErrRateLimited) holds for it.
type LimitError struct{ RetryAfter time.Duration }

func (e *LimitError) Error() string {
	return fmt.Sprintf("auth: too many attempts, retry in %s", e.RetryAfter)
}
func (e *LimitError) Is(target error) bool { return target == ErrRateLimited }

// Sign-in limits. Failures are counted within rateWindow in the database, so that the limits
// hold across serve processes:
//
//   - per account (its canonical, lower-cased name, whatever case was typed): maxPerAccount
//     failures lock it for the rest of the window. A browser that proved the account's password
//     before (it holds a proof cookie for it, see IssueProof) has a counter of its own instead,
//     so that someone else's guessing cannot lock the owner out;
//   - per client address, a backstop against guessing many accounts: after maxPerAddress
//     failures, each further attempt from the address waits addressDelay, doubled with each
//     further failure up to rateWindow. A browser holding a proof for the account it signs in
//     to skips this limit: many people may share an address (an office, a proxy), and one of
//     them guessing must not stop the others.
const (
	rateWindow     = 15 * time.Minute
	maxPerAccount  = 5
	maxPerAddress  = 20
	addressDelay   = 15 * time.Second
	proofLifetime  = 90 * 24 * time.Hour
	accountKeyPref = "user:"
	addressKeyPref = "ip:"
	proofKeyPref   = "proof:"
)

// dummyHash makes a sign-in for an unknown user take as long as one for a known user: checking a
// password against it does the same argon2id work as against a real hash. It is made of the same
// parameters and random salt and key rather than by hashing, which would take 19 MiB and a
// fraction of a second at the start of every process; a random key matches no password.
var dummyHash = unmatchableHash()

// Attempt is one sign-in.
type Attempt struct {
	Username, Password string
	// Addr is the client's address.
	Addr string
	// Proof is the proof a previous sign-in on this browser left (IssueProof), or "".
	Proof string
}

// CanonicalUsername is the form under which an account is stored and its failures counted.
func CanonicalUsername(username string) string { return strings.ToLower(strings.TrimSpace(username)) }

// Check checks a sign-in attempt against the limits and the account, counting failures.
func Check(ctx context.Context, d *db.DB, a Attempt) (*User, error) {
	name := CanonicalUsername(a.Username)
	now := time.Now().UTC()
	since := now.Add(-rateWindow)
	accountKey := accountKeyPref + name
	proven := false
	if a.Proof != "" && len(name) <= 100 {
		ok, err := hasProof(ctx, d.R, name, a.Proof, now)
		if err != nil {
			return nil, err
		}
		if ok {
			proven = true
			accountKey = proofKey(name, a.Proof) + ":failures"
		}
	}
	n, first, _, err := failures(ctx, d.R, accountKey, since)
	if err != nil {
		return nil, err
	}
	if n >= maxPerAccount {
		return nil, &LimitError{RetryAfter: max(first.Add(rateWindow).Sub(now), time.Second)}
	}
	keys := []string{accountKey}
	if !proven {
		addrKey := addressKeyPref + a.Addr
		n, _, last, err := failures(ctx, d.R, addrKey, since)
		if err != nil {
			return nil, err
		}
		if n >= maxPerAddress {
			if wait := last.Add(addressWait(n)).Sub(now); wait > 0 {
				return nil, &LimitError{RetryAfter: max(wait, time.Second)}
			}
		}
		keys = append(keys, addrKey)
	}
	if len(a.Password) > maxPasswordLength || len(name) > 100 {
		return nil, ErrBadCredentials
	}
	u, err := GetUserByName(ctx, d.R, name)
	hash := dummyHash
	if err == nil {
		hash = u.passwordHash
	} else if !errors.Is(err, db.ErrNotFound) {
		return nil, err
	}
	ok, _ := CheckPassword(hash, a.Password)
	if err != nil || !ok || u.Disabled {
		for _, k := range keys {
			if _, err := d.W.ExecContext(ctx, "INSERT INTO login_attempts (key, at) VALUES ($1, $2)", k, now); err != nil {
				return nil, fmt.Errorf("auth: record attempt: %w", err)
			}
		}
		return nil, ErrBadCredentials
	}
	// The password is proven: the account's failures (and this browser's) no longer count.
	if _, err := d.W.ExecContext(ctx, "DELETE FROM login_attempts WHERE key = $1 OR key = $2", accountKeyPref+name, keys[0]); err != nil {
		return nil, fmt.Errorf("auth: clear attempts: %w", err)
	}
	return u, nil
}

// addressWait is how long an address with n failures in the window waits after its last one.
func addressWait(n int) time.Duration {
	wait := addressDelay
	for i := maxPerAddress; i < n && wait < rateWindow; i++ {
		wait *= 2
	}
	return min(wait, rateWindow)
}

// failures counts the failures under key since, with the first and the last of them.
func failures(ctx context.Context, q db.Querier, key string, since time.Time) (n int, first, last time.Time, err error) {
	if err = q.QueryRowContext(ctx, "SELECT COUNT(*) FROM login_attempts WHERE key = $1 AND at > $2", key, since).Scan(&n); err != nil {
		return 0, first, last, fmt.Errorf("auth: count attempts: %w", err)
	}
	if n == 0 {
		return 0, first, last, nil
	}
	// The column itself, not MIN/MAX, so that SQLite hands back a time.
	if err = q.QueryRowContext(ctx, "SELECT at FROM login_attempts WHERE key = $1 AND at > $2 ORDER BY at LIMIT 1", key, since).Scan(&first); err != nil {
		return 0, first, last, fmt.Errorf("auth: count attempts: %w", err)
	}
	if err = q.QueryRowContext(ctx, "SELECT at FROM login_attempts WHERE key = $1 AND at > $2 ORDER BY at DESC LIMIT 1", key, since).Scan(&last); err != nil {
		return 0, first, last, fmt.Errorf("auth: count attempts: %w", err)
	}
	return n, first, last, nil
}

// IssueProof records that this browser proved u's password and returns the token for it to
// keep (in a cookie) and present at its next sign-in to u. The proof lives in login_attempts
// under its own key, with its expiry as the time, so that the sweep of old attempts removes it
// once expired; only a hash of the token is stored.
func IssueProof(ctx context.Context, d *db.DB, u *User) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("auth: proof: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	if _, err := d.W.ExecContext(ctx, "INSERT INTO login_attempts (key, at) VALUES ($1, $2)",
		proofKey(CanonicalUsername(u.Username), token), time.Now().Add(proofLifetime).UTC()); err != nil {
		return "", fmt.Errorf("auth: proof: %w", err)
	}
	return token, nil
}

// HasProof reports whether token is an unexpired proof for the account named username.
func HasProof(ctx context.Context, d *db.DB, username, token string) (bool, error) {
	return hasProof(ctx, d.R, CanonicalUsername(username), token, time.Now().UTC())
}

func hasProof(ctx context.Context, q db.Querier, name, token string, now time.Time) (bool, error) {
	if len(token) > 100 {
		return false, nil
	}
	var n int
	err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM login_attempts WHERE key = $1 AND at > $2", proofKey(name, token), now).Scan(&n)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("auth: proof: %w", err)
	}
	return n > 0, nil
}

func proofKey(name, token string) string {
	h := sha256.Sum256([]byte(token))
	return proofKeyPref + name + ":" + hex.EncodeToString(h[:])
}
