// Package fed is the city's presence on the fediverse (ActivityPub): its actor and keys, the
// discovery documents (WebFinger, host-meta, NodeInfo), HTTP signatures on what it sends and
// receives, the inbox (follows, likes, announces, replies, deletions) and delivery through the
// durable job queue. The web package only routes requests here.
//
// Everything a remote server sends is bounded and checked before it is stored; remote strings
// are kept as plain text, cut to a length, and escaped when shown.
package fed

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"sistercity/internal/db"
	"sistercity/internal/jobs"
)

// ContentType is the media type of what the actor and the inbox speak.
const ContentType = "application/activity+json"

// ldContentType is the other media type ActivityPub servers ask for and send.
const ldContentType = `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`

// Public is the special collection that addresses everyone.
const Public = "https://www.w3.org/ns/activitystreams#Public"

// MaxBodyBytes bounds an activity POSTed to the inbox.
const MaxBodyBytes = 1 << 20

// Paths of the city's actor under the base URL; fedvideo relies on them.
const (
	ActorPath       = "/ap/actor"
	InboxPath       = "/ap/actor/inbox"
	SharedInboxPath = "/ap/inbox"
	OutboxPath      = "/ap/actor/outbox"
	FollowersPath   = "/ap/actor/followers"
	FollowingPath   = "/ap/actor/following"
	VideoPathPrefix = "/ap/videos/"
	// The city's video channel and the account that owns it, as PeerTube shapes a video's
	// authors (see Channel).
	ChannelPath = "/ap/channel"
	AccountPath = "/ap/account"
	// Their followers: each actor's own (a remote may follow the city, the channel and the
	// account apart), while the inboxes and the outbox are the city's.
	ChannelFollowersPath = ChannelPath + "/followers"
	AccountFollowersPath = AccountPath + "/followers"
)

// Suffixes of the channel's and the account's preferredUsername after the city's.
const (
	ChannelSuffix = "_videos"
	AccountSuffix = "_office"
)

// Service is the city's federation: one per process.
type Service struct {
	db     *db.DB
	base   string
	host   string
	client *http.Client
	queue  *jobs.Queue
	log    *slog.Logger
	now    func() time.Time
	keys   keyCache
	rate   *hostLimiter
	// version is the software version NodeInfo reports.
	version string
	// partners takes partner instances' activities (SetPartners); nil without portals.
	partners Partners
}

// Options are what a Service is built from.
type Options struct {
	DB *db.DB
	// BaseURL is the site's public URL (config --base-url), without a trailing slash.
	BaseURL string
	// Client makes every outbound request; it must be a safehttp client.
	Client  *http.Client
	Queue   *jobs.Queue
	Log     *slog.Logger
	Now     func() time.Time
	Version string
	// RatePerMinute bounds the inbox POSTs accepted from one remote host; 0 is 300.
	RatePerMinute int
}

// New returns the Service; it does not touch the database.
func New(o Options) (*Service, error) {
	u, err := url.Parse(o.BaseURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("fed: base URL %q: want http(s)://host", o.BaseURL)
	}
	s := &Service{db: o.DB, base: strings.TrimRight(o.BaseURL, "/"), host: u.Host, client: o.Client, queue: o.Queue,
		log: o.Log, now: o.Now, version: o.Version}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("component", "fed")
	if s.now == nil {
		s.now = time.Now
	}
	if s.version == "" {
		s.version = "dev"
	}
	rate := o.RatePerMinute
	if rate == 0 {
		rate = 300
	}
	s.rate = newHostLimiter(rate, time.Minute)
	return s, nil
}

// ActorID is the city actor's id.
func (s *Service) ActorID() string { return s.base + ActorPath }

// KeyID is the id of the actor's public key.
func (s *Service) KeyID() string { return s.ActorID() + "#main-key" }

// Host is the host of the base URL, as WebFinger's acct: uses it.
func (s *Service) Host() string { return s.host }

// Settings are the federation settings the admin changes.
type Settings struct {
	Username         string
	ManuallyApproves bool
	AuthorizedFetch  bool
}

// DefaultUsername is the actor's preferredUsername until the admin sets one.
const DefaultUsername = "city"

const (
	keyUsername  = "fed_username"
	keyApprove   = "fed_manually_approves"
	keyAuthFetch = "fed_authorized_fetch"
)

// LoadSettings reads the settings; missing ones take their defaults.
func LoadSettings(ctx context.Context, q db.Querier) (Settings, error) {
	st := Settings{Username: DefaultUsername}
	rows, err := q.QueryContext(ctx, "SELECT key, value FROM settings WHERE key IN ($1, $2, $3)", keyUsername, keyApprove, keyAuthFetch)
	if err != nil {
		return st, fmt.Errorf("fed: settings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return st, fmt.Errorf("fed: settings: %w", err)
		}
		switch k {
		case keyUsername:
			st.Username = v
		case keyApprove:
			st.ManuallyApproves = v == "true"
		case keyAuthFetch:
			st.AuthorizedFetch = v == "true"
		}
	}
	return st, rows.Err()
}

// ErrBadUsername is returned by SaveSettings for a username WebFinger cannot carry.
var ErrBadUsername = errors.New("fed: username: 1 to 30 of a-z, 0-9 and _")

// ValidUsername tells whether u may be the preferredUsername: what Mastodon accepts.
func ValidUsername(u string) bool {
	if len(u) == 0 || len(u) > 30 {
		return false
	}
	for _, c := range u {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// SaveSettings writes st in tx.
func SaveSettings(ctx context.Context, tx *sql.Tx, st Settings) error {
	if !ValidUsername(st.Username) {
		return ErrBadUsername
	}
	for k, v := range map[string]string{keyUsername: st.Username, keyApprove: fmt.Sprint(st.ManuallyApproves), keyAuthFetch: fmt.Sprint(st.AuthorizedFetch)} {
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, k, v); err != nil {
			return fmt.Errorf("fed: save settings: %w", err)
		}
	}
	return nil
}
