package fed

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"database/sql"
	"encoding/pem"
	"errors"
	"fmt"
	"reflect"
	"sync"

	"sistercity/internal/db"
)

// The actor's RSA key pair: generated once, kept in the settings table (PKCS#8 PEM), replaced
// only by Rotate. 2048 bits is what Mastodon, GoToSocial and PeerTube make and accept.
const (
	keyPrivate = "fed_private_key"
	keyBits    = 2048
)

// keyCache keeps the parsed key of the PEM last read, so a signature does not parse it again;
// the PEM is still read each time, so a rotation in another process is seen at once.
type keyCache struct {
	mu  sync.Mutex
	pem string
	key *rsa.PrivateKey
}

// Key returns the actor's private key, making and storing it on first use. Concurrent first
// uses agree: the first insert wins and everyone reads it back.
func (s *Service) Key(ctx context.Context) (*rsa.PrivateKey, error) {
	p, err := readKeyPEM(ctx, s.db.R)
	if errors.Is(err, sql.ErrNoRows) {
		fresh, gerr := newKeyPEM()
		if gerr != nil {
			return nil, gerr
		}
		if _, err := s.db.W.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`,
			keyPrivate, fresh); err != nil {
			return nil, fmt.Errorf("fed: store key: %w", err)
		}
		p, err = readKeyPEM(ctx, s.db.W)
	}
	if err != nil {
		return nil, fmt.Errorf("fed: read key: %w", err)
	}
	return s.keys.parse(p)
}

// keyIn is Key inside tx, for a transaction that must not wait for another connection.
func (s *Service) keyIn(ctx context.Context, q db.Querier) (*rsa.PrivateKey, error) {
	p, err := readKeyPEM(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("fed: read key: %w", err)
	}
	return s.keys.parse(p)
}

func (c *keyCache) parse(p string) (*rsa.PrivateKey, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p == c.pem && c.key != nil {
		return c.key, nil
	}
	block, _ := pem.Decode([]byte(p))
	if block == nil {
		return nil, errors.New("fed: key in settings is not PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("fed: key in settings: %w", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("fed: key in settings is not RSA")
	}
	c.pem, c.key = p, rk
	return rk, nil
}

func readKeyPEM(ctx context.Context, q db.Querier) (string, error) {
	var v string
	err := q.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = $1", keyPrivate).Scan(&v)
	return v, err
}

func newKeyPEM() (string, error) {
	k, err := rsa.GenerateKey(rand.Reader, keyBits)
	if err != nil {
		return "", fmt.Errorf("fed: generate key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}

// PublicKeyPEM returns k's public half as Mastodon publishes it (PKIX, "PUBLIC KEY").
func PublicKeyPEM(k *rsa.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

// ParsePublicKeyPEM reads a remote actor's publicKeyPem: PKIX, or PKCS#1 as some servers send.
func ParsePublicKeyPEM(p string) (*rsa.PublicKey, error) {
	block, _ := pem.Decode([]byte(p))
	if block == nil {
		return nil, errors.New("fed: public key is not PEM")
	}
	if k, err := x509.ParsePKIXPublicKey(block.Bytes); err == nil {
		if rk, ok := k.(*rsa.PublicKey); ok {
			return rk, nil
		}
		return nil, errors.New("fed: public key is not RSA")
	}
	rk, err := x509.ParsePKCS1PublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("fed: public key: %w", err)
	}
	return rk, nil
}

// Rotate replaces the actor's key in tx and enqueues an Update of the actor to every follower,
// signed with the new key (followers re-fetch the actor and find the new key there).
func (s *Service) Rotate(ctx context.Context, tx *sql.Tx) error {
	fresh, err := newKeyPEM()
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, keyPrivate, fresh); err != nil {
		return fmt.Errorf("fed: rotate key: %w", err)
	}
	actor, err := s.ActorIn(ctx, tx)
	if err != nil {
		return err
	}
	return s.sendActorUpdate(ctx, tx, actor)
}

// ActorBefore is the actor document as tx sees it before a change that may alter it (the
// site's identity), for UpdateActorIfChanged; nil while the actor has no key, when nobody can
// follow it yet.
func (s *Service) ActorBefore(ctx context.Context, tx *sql.Tx) (map[string]any, error) {
	if _, err := readKeyPEM(ctx, tx); errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return s.ActorIn(ctx, tx)
}

// UpdateActorIfChanged enqueues an Update of the actor to every follower, as Rotate does,
// when the actor as tx now sees it differs from before (ActorBefore's): remote servers keep a
// copy of the name, summary, icon and header, and refresh it on Update.
func (s *Service) UpdateActorIfChanged(ctx context.Context, tx *sql.Tx, before map[string]any) error {
	if before == nil {
		return nil
	}
	after, err := s.ActorIn(ctx, tx)
	if err != nil {
		return err
	}
	if reflect.DeepEqual(before, after) {
		return nil
	}
	return s.sendActorUpdate(ctx, tx, after)
}

// sendActorUpdate enqueues the Update of actor to every follower.
func (s *Service) sendActorUpdate(ctx context.Context, tx *sql.Tx, actor map[string]any) error {
	update := map[string]any{
		"@context":  contextURLs,
		"id":        s.ActorID() + "#updates/" + randomID(),
		"type":      "Update",
		"actor":     s.ActorID(),
		"to":        []string{Public},
		"cc":        []string{s.base + FollowersPath},
		"object":    actor,
		"published": s.now().UTC().Format("2006-01-02T15:04:05Z"),
	}
	return s.Fanout(ctx, tx, update)
}
