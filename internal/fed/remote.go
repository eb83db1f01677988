package fed

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"sistercity/internal/db"
)

// RemoteActor is what we keep of another server's actor: enough to verify its signatures and
// deliver to it. Names are plain text cut to maxName runes; pages escape them.
type RemoteActor struct {
	ID          string
	Host        string
	Inbox       string
	SharedInbox string
	KeyID       string
	PublicKey   string
	Username    string
	Name        string
	FetchedAt   time.Time
}

// Bounds of remote strings kept.
const (
	maxName    = 100
	maxURL     = 2048
	maxContent = 5000
	maxKeyPEM  = 8192
)

// actorTTL is how long a fetched actor is believed before it is fetched again when needed.
const actorTTL = 24 * time.Hour

// bound cuts s to n runes, dropping invalid UTF-8 and control characters.
func bound(s string, n int) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// remoteActorByKey returns the actor owning keyID, from the cache unless refresh is set or the
// entry is old, fetching it otherwise. The fetched actor must own the key: its publicKey has
// that id and names it as owner.
func (s *Service) remoteActorByKey(ctx context.Context, keyID string, refresh bool) (*RemoteActor, error) {
	if !refresh {
		a, err := lookupActor(ctx, s.db.R, "key_id", keyID)
		if err == nil && s.now().Sub(a.FetchedAt) < actorTTL {
			return a, nil
		}
		if err != nil && !errors.Is(err, db.ErrNotFound) {
			return nil, err
		}
	}
	a, err := s.fetchActor(ctx, strings.SplitN(keyID, "#", 2)[0])
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKeyFetch, err)
	}
	if a.KeyID != keyID {
		return nil, fmt.Errorf("%w: actor %s does not own key %s", ErrBadSignature, a.ID, keyID)
	}
	if err := s.db.InTxQuiet(ctx, func(tx *sql.Tx) error { return storeActor(ctx, tx, a) }); err != nil {
		return nil, err
	}
	return a, nil
}

// RemoteActorByID returns the actor id, cached or fetched.
func (s *Service) RemoteActorByID(ctx context.Context, id string) (*RemoteActor, error) {
	a, err := lookupActor(ctx, s.db.R, "id", id)
	if err == nil && s.now().Sub(a.FetchedAt) < actorTTL {
		return a, nil
	}
	a, err = s.fetchActor(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.db.InTxQuiet(ctx, func(tx *sql.Tx) error { return storeActor(ctx, tx, a) }); err != nil {
		return nil, err
	}
	return a, nil
}

type actorDoc struct {
	ID                string `json:"id"`
	Type              any    `json:"type"`
	Inbox             string `json:"inbox"`
	PreferredUsername string `json:"preferredUsername"`
	Name              string `json:"name"`
	Owner             string `json:"owner"`        // when the document is a key
	PublicKeyPem      string `json:"publicKeyPem"` // when the document is a key
	PublicKey         *struct {
		ID           string `json:"id"`
		Owner        string `json:"owner"`
		PublicKeyPem string `json:"publicKeyPem"`
	} `json:"publicKey"`
	Endpoints *struct {
		SharedInbox string `json:"sharedInbox"`
	} `json:"endpoints"`
}

// fetchActor fetches an actor (or a key document, then its owner) and checks it.
func (s *Service) fetchActor(ctx context.Context, rawURL string) (*RemoteActor, error) {
	for hop := 0; hop < 2; hop++ {
		b, err := s.get(ctx, rawURL)
		if err != nil {
			return nil, err
		}
		var d actorDoc
		if err := json.Unmarshal(b, &d); err != nil {
			return nil, fmt.Errorf("fed: actor %s: %w", rawURL, err)
		}
		if d.PublicKey == nil && d.Owner != "" && d.PublicKeyPem != "" {
			rawURL = d.Owner // a key document (GoToSocial's key URL): its owner is the actor
			continue
		}
		return s.checkActor(rawURL, &d)
	}
	return nil, fmt.Errorf("fed: actor %s: key documents in a loop", rawURL)
}

func (s *Service) checkActor(fetched string, d *actorDoc) (*RemoteActor, error) {
	fu, err := url.Parse(fetched)
	if err != nil {
		return nil, err
	}
	id, err := url.Parse(d.ID)
	if err != nil || id.Host == "" || !strings.EqualFold(id.Host, fu.Host) {
		return nil, fmt.Errorf("fed: actor %s: its id %q is on another host", fetched, bound(d.ID, 200))
	}
	if d.PublicKey == nil || d.PublicKey.Owner != d.ID || d.PublicKey.PublicKeyPem == "" || len(d.PublicKey.PublicKeyPem) > maxKeyPEM {
		return nil, fmt.Errorf("fed: actor %s: no public key it owns", fetched)
	}
	if _, err := ParsePublicKeyPEM(d.PublicKey.PublicKeyPem); err != nil {
		return nil, err
	}
	for _, u := range []string{d.Inbox, d.PublicKey.ID} {
		if !sameHostURL(u, id.Host) {
			return nil, fmt.Errorf("fed: actor %s: inbox or key on another host", fetched)
		}
	}
	a := &RemoteActor{ID: d.ID, Host: strings.ToLower(id.Host), Inbox: d.Inbox, KeyID: d.PublicKey.ID,
		PublicKey: d.PublicKey.PublicKeyPem, Username: bound(d.PreferredUsername, maxName), Name: bound(d.Name, maxName),
		FetchedAt: s.now().UTC()}
	if d.Endpoints != nil && d.Endpoints.SharedInbox != "" && len(d.Endpoints.SharedInbox) <= maxURL {
		if _, err := url.Parse(d.Endpoints.SharedInbox); err == nil {
			a.SharedInbox = d.Endpoints.SharedInbox
		}
	}
	if len(a.ID) > maxURL || len(a.Inbox) > maxURL || len(a.KeyID) > maxURL {
		return nil, fmt.Errorf("fed: actor %s: URLs too long", fetched)
	}
	return a, nil
}

// sameHostURL tells whether u is an http(s) URL on host.
func sameHostURL(u, host string) bool {
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "https" || p.Scheme == "http") && strings.EqualFold(p.Host, host)
}

// hostOf is the host of an http(s) URL, lower-cased; "" when it has none.
func hostOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return strings.ToLower(p.Host)
}

func lookupActor(ctx context.Context, q db.Querier, column, value string) (*RemoteActor, error) {
	var a RemoteActor
	err := q.QueryRowContext(ctx, `SELECT id, host, inbox, shared_inbox, key_id, public_key, username, name, fetched_at
		FROM fed_remote_actors WHERE `+column+` = $1`, value).Scan(&a.ID, &a.Host, &a.Inbox, &a.SharedInbox, &a.KeyID,
		&a.PublicKey, &a.Username, &a.Name, &a.FetchedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, db.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("fed: remote actor: %w", err)
	}
	return &a, nil
}

func storeActor(ctx context.Context, tx *sql.Tx, a *RemoteActor) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO fed_remote_actors (id, host, inbox, shared_inbox, key_id, public_key, username, name, fetched_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (id) DO UPDATE SET host = excluded.host, inbox = excluded.inbox, shared_inbox = excluded.shared_inbox,
			key_id = excluded.key_id, public_key = excluded.public_key, username = excluded.username, name = excluded.name,
			fetched_at = excluded.fetched_at`,
		a.ID, a.Host, a.Inbox, a.SharedInbox, a.KeyID, a.PublicKey, a.Username, a.Name, a.FetchedAt)
	if err != nil {
		return fmt.Errorf("fed: store remote actor: %w", err)
	}
	return nil
}
