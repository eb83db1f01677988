package auth

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"sistercity/internal/db"
	"sistercity/internal/db/dbtest"
)

func signInUser(t *testing.T, d *db.DB, name string) {
	t.Helper()
	err := d.InTx(context.Background(), func(tx *sql.Tx) error {
		_, err := CreateUser(context.Background(), tx, name, "", "correct horse battery", RoleEditor)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The failures of an account count under its canonical name, whatever case was typed.
func TestSignInFailuresCountPerCanonicalAccount(t *testing.T) {
	d := dbtest.Open(t)
	ctx := context.Background()
	signInUser(t, d, "ttrans2")
	for i, typed := range []string{"ttrans2", "TTRANS2", " TTrans2 ", "tTrans2", "ttrans2"} {
		if _, err := Authenticate(ctx, d, typed, "wrong", "10.0.0.9"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("failure %d as %q: %v", i, typed, err)
		}
	}
	for _, typed := range []string{"TTRANS2", "ttrans2", " Ttrans2"} {
		_, err := Authenticate(ctx, d, typed, "correct horse battery", "10.0.0.10")
		var le *LimitError
		if !errors.Is(err, ErrRateLimited) || !errors.As(err, &le) || le.RetryAfter <= 0 || le.RetryAfter > rateWindow {
			t.Fatalf("%q after %d failures: %v, want a LimitError", typed, maxPerAccount, err)
		}
	}
}

// ageAttempts moves the attempts under key back by d, as if they had happened earlier.
func ageAttempts(t *testing.T, d *db.DB, key string, by time.Duration) {
	t.Helper()
	rows, err := d.R.Query("SELECT id, at FROM login_attempts WHERE key = $1", key)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		id int64
		at time.Time
	}
	var rs []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.at); err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	rows.Close()
	for _, r := range rs {
		if _, err := d.W.Exec("UPDATE login_attempts SET at = $1 WHERE id = $2", r.at.Add(-by).UTC(), r.id); err != nil {
			t.Fatal(err)
		}
	}
}

// Past its limit, an address is slowed, not locked; a browser that proved the account's
// password before is not held back by the address at all.
func TestSignInAddressLimitSlowsAndSparesProvenBrowser(t *testing.T) {
	d := dbtest.Open(t)
	ctx := context.Background()
	signInUser(t, d, "ana")
	signInUser(t, d, "boris")
	const office = "192.0.2.7"
	u, err := Check(ctx, d, Attempt{Username: "ana", Password: "correct horse battery", Addr: office})
	if err != nil {
		t.Fatal(err)
	}
	proof, err := IssueProof(ctx, d, u)
	if err != nil {
		t.Fatal(err)
	}
	// Someone in the same office guesses at many accounts.
	for i := 0; i < maxPerAddress; i++ {
		if _, err := Authenticate(ctx, d, "guess"+string(rune('a'+i)), "wrong", office); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	var le *LimitError
	if _, err := Authenticate(ctx, d, "boris", "correct horse battery", office); !errors.As(err, &le) || le.RetryAfter > addressDelay {
		t.Fatalf("boris from the office after %d failures: %v, want a wait of at most %s", maxPerAddress, err, addressDelay)
	}
	// Ana's browser proved her password: the office's failures do not stop her, with any case.
	if u, err := Check(ctx, d, Attempt{Username: "ANA", Password: "correct horse battery", Addr: office, Proof: proof}); err != nil || u.Username != "ana" {
		t.Fatalf("ana with her proof: %v", err)
	}
	// The proof is Ana's only: for boris it counts for nothing.
	if _, err := Check(ctx, d, Attempt{Username: "boris", Password: "correct horse battery", Addr: office, Proof: proof}); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("boris with ana's proof: %v, want ErrRateLimited", err)
	}
	// Once the wait has passed, the address may try again: slowed, not locked out.
	ageAttempts(t, d, addressKeyPref+office, addressDelay+time.Second)
	if _, err := Authenticate(ctx, d, "boris", "correct horse battery", office); err != nil {
		t.Fatalf("boris after the wait: %v", err)
	}
	// A further failure doubles the wait.
	ageAttempts(t, d, addressKeyPref+office, addressDelay+time.Second)
	if _, err := Authenticate(ctx, d, "guessz", "wrong", office); !errors.Is(err, ErrBadCredentials) {
		t.Fatal(err)
	}
	if _, err := Authenticate(ctx, d, "boris", "correct horse battery", office); !errors.As(err, &le) || le.RetryAfter <= addressDelay {
		t.Fatalf("after %d failures: %v, want a wait over %s", maxPerAddress+1, err, addressDelay)
	}
	// Another address is not affected.
	if _, err := Authenticate(ctx, d, "boris", "correct horse battery", "198.51.100.1"); err != nil {
		t.Fatalf("boris from elsewhere: %v", err)
	}
}

// Guessing at an account locks it for other browsers, but not for the browser that proved its
// password, which has a counter of its own.
func TestSignInGuessingDoesNotLockOutProvenBrowser(t *testing.T) {
	d := dbtest.Open(t)
	ctx := context.Background()
	signInUser(t, d, "ana")
	u, err := Authenticate(ctx, d, "ana", "correct horse battery", "10.1.1.1")
	if err != nil {
		t.Fatal(err)
	}
	proof, err := IssueProof(ctx, d, u)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := HasProof(ctx, d, "Ana", proof); err != nil || !ok {
		t.Fatalf("HasProof: %v %v", ok, err)
	}
	for i := 0; i < maxPerAccount; i++ {
		if _, err := Authenticate(ctx, d, "ana", "wrong", "203.0.113.5"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	if _, err := Authenticate(ctx, d, "ana", "correct horse battery", "10.1.1.1"); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("without the proof: %v, want ErrRateLimited", err)
	}
	if _, err := Check(ctx, d, Attempt{Username: "ana", Password: "correct horse battery", Addr: "10.1.1.1", Proof: "forged"}); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("with a forged proof: %v, want ErrRateLimited", err)
	}
	if u, err := Check(ctx, d, Attempt{Username: "ana", Password: "correct horse battery", Addr: "10.1.1.1", Proof: proof}); err != nil || u.Username != "ana" {
		t.Fatalf("with the proof, after someone's guessing: %v", err)
	}
	// The proven browser's own mistakes still count, under its own counter.
	for i := 0; i < maxPerAccount; i++ {
		if _, err := Check(ctx, d, Attempt{Username: "ana", Password: "wrong", Addr: "10.1.1.1", Proof: proof}); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("typo %d: %v", i, err)
		}
	}
	if _, err := Check(ctx, d, Attempt{Username: "ana", Password: "correct horse battery", Addr: "10.1.1.1", Proof: proof}); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("proof after %d failures of its own: %v, want ErrRateLimited", maxPerAccount, err)
	}
}

// Authenticate is Check of a sign-in without a proof, as most tests make it.
func Authenticate(ctx context.Context, d *db.DB, username, password, addr string) (*User, error) {
	return Check(ctx, d, Attempt{Username: username, Password: password, Addr: addr})
}
