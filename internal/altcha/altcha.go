// Package altcha is the server side of the ALTCHA proof-of-work protocol
// (https://altcha.org/docs/server-integration/): the server signs a challenge — the SHA-256 of a
// salt and a secret number below a maximum — and the browser finds the number by trying them in
// turn. A solution proves some seconds of a visitor's computing without a third-party service,
// a cookie or any tracking. The package keeps no state: refusing a replayed solution is the
// caller's, with the signature as the key of a solution used once (Verify's Payload.Signature).
package altcha

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Algorithm is the only hash the protocol's widget and ours use here.
const Algorithm = "SHA-256"

// maxPayloadBytes bounds the encoded solution a form may carry.
const maxPayloadBytes = 2048

// Errors of Verify.
var (
	ErrMalformed = errors.New("altcha: malformed solution")
	ErrWrong     = errors.New("altcha: wrong solution")
	ErrExpired   = errors.New("altcha: challenge expired")
)

// Challenge is what the browser is given to solve, as the protocol's JSON names it.
type Challenge struct {
	Algorithm string `json:"algorithm"`
	Challenge string `json:"challenge"`
	MaxNumber int64  `json:"maxnumber"`
	Salt      string `json:"salt"`
	Signature string `json:"signature"`
}

// Payload is a solution as the browser sends it back (base64 of this JSON).
type Payload struct {
	Algorithm string `json:"algorithm"`
	Challenge string `json:"challenge"`
	Number    int64  `json:"number"`
	Salt      string `json:"salt"`
	Signature string `json:"signature"`
}

// New makes a challenge whose number is at most maxNumber, good until expires, signed with key.
// The expiry is in the salt (?expires=unix seconds), as the protocol puts it, so it is covered
// by the hash and the signature.
func New(key []byte, maxNumber int64, expires time.Time) (Challenge, error) {
	if maxNumber < 1 {
		return Challenge{}, fmt.Errorf("altcha: max number %d", maxNumber)
	}
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return Challenge{}, err
	}
	r, err := rand.Int(rand.Reader, big.NewInt(maxNumber+1))
	if err != nil {
		return Challenge{}, err
	}
	n := r.Int64()
	salt := hex.EncodeToString(b[:]) + "?expires=" + strconv.FormatInt(expires.Unix(), 10)
	c := hash(salt, n)
	return Challenge{Algorithm: Algorithm, Challenge: c, MaxNumber: maxNumber, Salt: salt, Signature: sign(key, c)}, nil
}

// Verify checks an encoded solution: well formed, the number hashing with the salt to the
// challenge, the challenge signed with key, and the expiry in the salt after now.
func Verify(key []byte, encoded string, now time.Time) (Payload, error) {
	var p Payload
	if encoded == "" || len(encoded) > maxPayloadBytes {
		return p, ErrMalformed
	}
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return p, ErrMalformed
	}
	if err := json.Unmarshal(raw, &p); err != nil || p.Algorithm != Algorithm || p.Number < 0 {
		return p, ErrMalformed
	}
	if !hmac.Equal([]byte(hash(p.Salt, p.Number)), []byte(strings.ToLower(p.Challenge))) ||
		!hmac.Equal([]byte(sign(key, p.Challenge)), []byte(strings.ToLower(p.Signature))) {
		return p, ErrWrong
	}
	exp, ok := Expiry(p.Salt)
	if !ok || !now.Before(exp) {
		return p, ErrExpired
	}
	return p, nil
}

// Expiry is the expiry a salt carries, and whether it carries one.
func Expiry(salt string) (time.Time, bool) {
	_, query, ok := strings.Cut(salt, "?")
	if !ok {
		return time.Time{}, false
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return time.Time{}, false
	}
	sec, err := strconv.ParseInt(q.Get("expires"), 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(sec, 0), true
}

func hash(salt string, n int64) string {
	sum := sha256.Sum256([]byte(salt + strconv.FormatInt(n, 10)))
	return hex.EncodeToString(sum[:])
}

func sign(key []byte, challenge string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(strings.ToLower(challenge)))
	return hex.EncodeToString(m.Sum(nil))
}
