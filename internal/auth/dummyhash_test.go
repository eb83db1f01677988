package auth

import (
	"strings"
	"testing"
)

// TestDummyHashLikeReal checks that the hash an unknown user's sign-in is checked against has a
// real hash's format and argon2id parameters, so that checking it costs the same, and that it
// matches neither the empty password nor one it could have been made from.
func TestDummyHashLikeReal(t *testing.T) {
	real, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	rp, dp := strings.Split(real, "$"), strings.Split(dummyHash, "$")
	if len(dp) != len(rp) || strings.Join(dp[:4], "$") != strings.Join(rp[:4], "$") {
		t.Fatalf("dummy hash %q has other parameters than a real one %q", dummyHash, real)
	}
	if len(dp[4]) != len(rp[4]) || len(dp[5]) != len(rp[5]) {
		t.Fatalf("dummy hash %q: salt or key of another length than in %q", dummyHash, real)
	}
	for _, pw := range []string{"", "correct horse battery", "sistercity-timing-equaliser"} {
		ok, err := CheckPassword(dummyHash, pw)
		if err != nil {
			t.Fatalf("the dummy hash is malformed: %v", err)
		}
		if ok {
			t.Fatalf("the dummy hash matches %q", pw)
		}
	}
	if unmatchableHash() == dummyHash {
		t.Fatal("two unmatchable hashes are the same")
	}
}
