package fed

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-fed/httpsig"

	"sistercity/internal/safehttp"
)

// HTTP Signatures as Mastodon, GoToSocial and PeerTube use them: the draft-cavage scheme with
// rsa-sha256 (hs2019 accepted on the way in: it names no algorithm, and an RSA key means
// rsa-sha256), over (request-target), host, date and, with a body, digest.
//
// github.com/go-fed/httpsig is the signing library: the one go-fed and (as a fork) GoToSocial
// are built on, and the one the module proxy serves.

var (
	postHeaders = []string{httpsig.RequestTarget, "host", "date", "digest"}
	getHeaders  = []string{httpsig.RequestTarget, "host", "date"}
)

// The Date window of a signed request: Mastodon's, 12 hours into the past (a retried delivery
// is signed again, but a queue may hold it a while, and proxies may delay it) and 1 hour into the
// future (clock skew). Outside it a captured request cannot be replayed.
const (
	maxDatePast   = 12 * time.Hour
	maxDateFuture = time.Hour
)

// sign signs req with the actor's key; body is the request's body (nil for a GET).
func (s *Service) sign(ctx context.Context, req *http.Request, body []byte) error {
	key, err := s.Key(ctx)
	if err != nil {
		return err
	}
	return s.signWith(key, "", req, body)
}

// signWith is sign with key, read once by the caller (a batch of deliveries signs each of its
// requests with the key it read at its start), under keyID: one of the city's actors' key ids
// (see Service.keyIDOf), "" for the city's own.
func (s *Service) signWith(key *rsa.PrivateKey, keyID string, req *http.Request, body []byte) error {
	if keyID == "" {
		keyID = s.KeyID()
	}
	headers := getHeaders
	if body != nil {
		headers = postHeaders
	}
	// A Signer is not safe for concurrent use: one per request.
	signer, _, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256}, httpsig.DigestSha256, headers, httpsig.Signature, 0)
	if err != nil {
		return fmt.Errorf("fed: signer: %w", err)
	}
	req.Header.Set("Date", s.now().UTC().Format(http.TimeFormat))
	req.Header.Set("Host", req.URL.Host)
	if err := signer.SignRequest(key, keyID, req, body); err != nil {
		return fmt.Errorf("fed: sign: %w", err)
	}
	// net/http sends req.Host; the header was only there for the signature string.
	req.Header.Del("Host")
	return nil
}

// Errors of Verify; all of them mean 401 to the sender.
var (
	ErrUnsigned     = errors.New("fed: request not signed")
	ErrBadSignature = errors.New("fed: signature does not verify")
	ErrDate         = errors.New("fed: Date missing or outside the window")
	ErrDigest       = errors.New("fed: Digest missing or wrong")
	ErrHeaders      = errors.New("fed: signature does not cover (request-target) host date digest")
	ErrKeyFetch     = errors.New("fed: signer's key could not be fetched")
)

// Verify checks r's signature (and, with a body, its Digest) and returns the actor that owns
// the signing key. body is r's body, already read.
func (s *Service) Verify(ctx context.Context, r *http.Request, body []byte) (*RemoteActor, error) {
	if r.Header.Get("Signature") == "" && !strings.HasPrefix(r.Header.Get("Authorization"), "Signature ") {
		return nil, ErrUnsigned
	}
	v, err := httpsig.NewVerifier(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	covered := signedHeaders(r)
	need := getHeaders
	if r.Method == http.MethodPost {
		need = postHeaders
	}
	for _, h := range need {
		if !slices.Contains(covered, h) {
			return nil, ErrHeaders
		}
	}
	date, err := http.ParseTime(r.Header.Get("Date"))
	now := s.now()
	if err != nil || date.Before(now.Add(-maxDatePast)) || date.After(now.Add(maxDateFuture)) {
		return nil, ErrDate
	}
	if r.Method == http.MethodPost && !digestMatches(r.Header.Values("Digest"), body) {
		return nil, ErrDigest
	}
	keyID := v.KeyId()
	actor, err := s.remoteActorByKey(ctx, keyID, false)
	if err != nil {
		return nil, err
	}
	if verifyWith(v, actor) == nil {
		return actor, nil
	}
	// The key may have been rotated since we cached it: fetch the actor once more.
	if actor, err = s.remoteActorByKey(ctx, keyID, true); err != nil {
		return nil, err
	}
	if err := verifyWith(v, actor); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	return actor, nil
}

func verifyWith(v httpsig.Verifier, a *RemoteActor) error {
	pub, err := ParsePublicKeyPEM(a.PublicKey)
	if err != nil {
		return err
	}
	return v.Verify(pub, httpsig.RSA_SHA256)
}

// signedHeaders lists the headers parameter of r's signature, lower-cased. Without one, the
// draft says only date is signed.
func signedHeaders(r *http.Request) []string {
	sig := r.Header.Get("Signature")
	if sig == "" {
		sig = strings.TrimPrefix(r.Header.Get("Authorization"), "Signature ")
	}
	for part := range strings.SplitSeq(sig, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && k == "headers" {
			return strings.Fields(strings.ToLower(strings.Trim(v, `"`)))
		}
	}
	return []string{"date"}
}

// digestMatches tells whether one of the Digest values is the SHA-256 of body (RFC 3230; the
// only algorithm fediverse servers send).
func digestMatches(values []string, body []byte) bool {
	sum := sha256.Sum256(body)
	want := base64.StdEncoding.EncodeToString(sum[:])
	for _, line := range values {
		for d := range strings.SplitSeq(line, ",") {
			alg, val, ok := strings.Cut(strings.TrimSpace(d), "=")
			if ok && strings.EqualFold(alg, "SHA-256") && val == want {
				return true
			}
		}
	}
	return false
}

// ErrGone is a fetch answered 404 or 410: the object is no more.
var ErrGone = errors.New("fed: object gone")

// Fetch is a signed GET of an ActivityPub document (an actor, an object, a collection) through
// the safe client, bounded to safehttp.MaxJSONBytes; nothing from a rejected host.
func (s *Service) Fetch(ctx context.Context, rawURL string) ([]byte, error) {
	return s.get(ctx, rawURL)
}

// get fetches url with a signed GET (GoToSocial and Mastodon in secure mode refuse unsigned
// fetches) and returns its ActivityStreams JSON, at most 1 MiB.
func (s *Service) get(ctx context.Context, rawURL string) ([]byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("fed: fetch %q: not an http(s) URL", rawURL)
	}
	if err := s.refuseBlockedHost(ctx, u.Host); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", ContentType+", "+ldContentType)
	req.Header.Set("User-Agent", "sistercity/"+s.version+" (+"+s.base+"/)")
	if err := s.sign(ctx, req, nil); err != nil {
		return nil, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fed: fetch %s: %w", u.Host, err)
	}
	// What answers must be the host asked: the documents' ids are checked against it, so an
	// open redirect on a server would otherwise let another server speak for its actors.
	if final := resp.Request.URL; !strings.EqualFold(final.Host, u.Host) {
		resp.Body.Close()
		return nil, fmt.Errorf("fed: fetch %s: redirected to another host, %s", u.Host, bound(final.Host, 200))
	}
	if resp.StatusCode == http.StatusGone || resp.StatusCode == http.StatusNotFound {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: fetch %s: status %d", ErrGone, u.Host, resp.StatusCode)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("fed: fetch %s: status %d", u.Host, resp.StatusCode)
	}
	if !isActivityJSON(resp.Header.Get("Content-Type")) {
		resp.Body.Close()
		return nil, fmt.Errorf("fed: fetch %s: answered %q, not ActivityStreams", u.Host, resp.Header.Get("Content-Type"))
	}
	b, err := safehttp.Read(resp, safehttp.MaxJSONBytes)
	if err != nil {
		return nil, fmt.Errorf("fed: fetch %s: %w", u.Host, err)
	}
	return b, nil
}

// isActivityJSON tells whether a Content-Type is one ActivityPub objects come in.
func isActivityJSON(ct string) bool {
	ct = strings.ToLower(ct)
	return strings.HasPrefix(ct, "application/activity+json") || strings.HasPrefix(ct, "application/ld+json") ||
		strings.HasPrefix(ct, "application/json")
}

// AcceptsActivity tells whether an Accept header asks for ActivityStreams rather than HTML.
func AcceptsActivity(accept string) bool {
	a := strings.ToLower(accept)
	return strings.Contains(a, "application/activity+json") || strings.Contains(a, "application/ld+json")
}
