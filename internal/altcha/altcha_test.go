package altcha

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// solve finds the number as the browser does.
func solve(t *testing.T, c Challenge) string {
	t.Helper()
	for n := int64(0); n <= c.MaxNumber; n++ {
		if hash(c.Salt, n) == c.Challenge {
			b, _ := json.Marshal(Payload{Algorithm: c.Algorithm, Challenge: c.Challenge, Number: n, Salt: c.Salt, Signature: c.Signature})
			return base64.StdEncoding.EncodeToString(b)
		}
	}
	t.Fatal("no solution")
	return ""
}

func TestAltchaVerify(t *testing.T) {
	t.Parallel()
	key := []byte("0123456789abcdef")
	now := time.Date(2020, 7, 10, 12, 0, 0, 0, time.UTC)
	c, err := New(key, 500, now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	good := solve(t, c)
	if _, err := Verify(key, good, now); err != nil {
		t.Fatalf("good solution refused: %v", err)
	}
	if _, err := Verify(key, good, now.Add(2*time.Minute)); !errors.Is(err, ErrExpired) {
		t.Errorf("expired: %v", err)
	}
	if _, err := Verify([]byte("another key....."), good, now); !errors.Is(err, ErrWrong) {
		t.Errorf("other key: %v", err)
	}
	var p Payload
	raw, _ := base64.StdEncoding.DecodeString(good)
	_ = json.Unmarshal(raw, &p)
	p.Number++
	b, _ := json.Marshal(p)
	if _, err := Verify(key, base64.StdEncoding.EncodeToString(b), now); !errors.Is(err, ErrWrong) {
		t.Errorf("wrong number: %v", err)
	}
	// A salt with a later expiry is a different challenge: the signature no longer fits.
	p.Number--
	p.Salt = p.Salt[:24] + "?expires=9999999999"
	b, _ = json.Marshal(p)
	if _, err := Verify(key, base64.StdEncoding.EncodeToString(b), now); !errors.Is(err, ErrWrong) {
		t.Errorf("forged expiry: %v", err)
	}
	for _, bad := range []string{"", "not base64!", base64.StdEncoding.EncodeToString([]byte("{}")), base64.StdEncoding.EncodeToString([]byte("[1]"))} {
		if _, err := Verify(key, bad, now); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
