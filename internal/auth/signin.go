package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"sistercity/internal/db"
)

// ErrBadCredentials is returned for an unknown user, a wrong password or a disabled account; the
// three are not told apart, so that sign-in reveals nothing about which accounts exist.
var ErrBadCredentials = errors.New("auth: bad credentials")

// ErrRateLimited is returned when too many sign-ins failed recently.
var ErrRateLimited = errors.New("auth: too many attempts")

// Sign-in limits: per account and per client address within the window. The attempts live in
// the database, so that the limit holds across serve processes.
const (
	rateWindow     = 15 * time.Minute
	maxPerAccount  = 5
	maxPerAddress  = 20
	accountKeyPref = "user:"
	addressKeyPref = "ip:"
)

// dummyHash makes a sign-in for an unknown user take as long as one for a known user: checking a
// password against it does the same argon2id work as against a real hash. It is made of the same
// parameters and random salt and key rather than by hashing, which would take 19 MiB and a
// fraction of a second at the start of every process; a random key matches no password.
var dummyHash = unmatchableHash()

// Authenticate checks username and password for a client at addr, counting failures.
func Authenticate(ctx context.Context, d *db.DB, username, password, addr string) (*User, error) {
	keys := []string{accountKeyPref + username, addressKeyPref + addr}
	limits := []int{maxPerAccount, maxPerAddress}
	since := time.Now().Add(-rateWindow).UTC()
	for i, k := range keys {
		var n int
		if err := d.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM login_attempts WHERE key = $1 AND at > $2", k, since).Scan(&n); err != nil {
			return nil, fmt.Errorf("auth: count attempts: %w", err)
		}
		if n >= limits[i] {
			return nil, ErrRateLimited
		}
	}
	if len(password) > maxPasswordLength || len(username) > 100 {
		return nil, ErrBadCredentials
	}
	u, err := GetUserByName(ctx, d.R, username)
	hash := dummyHash
	if err == nil {
		hash = u.passwordHash
	} else if !errors.Is(err, db.ErrNotFound) {
		return nil, err
	}
	ok, _ := CheckPassword(hash, password)
	if err != nil || !ok || u.Disabled {
		now := time.Now().UTC()
		for _, k := range keys {
			if _, err := d.W.ExecContext(ctx, "INSERT INTO login_attempts (key, at) VALUES ($1, $2)", k, now); err != nil {
				return nil, fmt.Errorf("auth: record attempt: %w", err)
			}
		}
		return nil, ErrBadCredentials
	}
	if _, err := d.W.ExecContext(ctx, "DELETE FROM login_attempts WHERE key = $1", keys[0]); err != nil {
		return nil, fmt.Errorf("auth: clear attempts: %w", err)
	}
	return u, nil
}
