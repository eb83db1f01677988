package fed

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/net/idna"

	"sistercity/internal/db"
)

// Moderation: domain blocks and actor blocks, as Mastodon has them.
//
// A reject block (a domain's, or any actor block) refuses every inbox POST and signed fetch from
// it with 403 before its key is fetched, and we never fetch from it nor deliver to it; making
// the block removes, in its transaction, what it had delivered: follows, likes and boosts,
// replies and the cached actors. A silence block (Mastodon's "limit") keeps the follows of its
// actors and still delivers to them, but leaves its replies out of the admin's default reply
// list (shown only when asked for) and its likes and boosts out of every count.

// Severities of a domain block.
const (
	SeverityReject  = "reject"
	SeveritySilence = "silence"
)

// Bounds of what the admin types.
const (
	maxDomainInput = 300
	maxNote        = 1000
)

// Errors of the block forms; each is a refusal the admin is told about in their language.
var (
	ErrBadDomain   = errors.New("fed: block: not a domain")
	ErrBadActor    = errors.New("fed: block: not an actor URL or @user@host handle")
	ErrBadSeverity = errors.New("fed: block: severity is reject or silence")
	ErrLongNote    = errors.New("fed: block: note too long")
	ErrUnknownUser = errors.New("fed: block: handle not found")
	ErrBlocked     = errors.New("fed: blocked")
)

// DomainBlock is a block of a host and, with Subdomains, every host under it. Domain is a host
// name in ASCII (IDNs as punycode), lower case, or an IP address; with a port it covers that
// port only.
type DomainBlock struct {
	Domain     string
	Subdomains bool
	Severity   string
	Note       string
	CreatedAt  time.Time
}

// ActorBlock is a reject of one remote actor.
type ActorBlock struct {
	ActorID   string
	Note      string
	CreatedAt time.Time
}

// covers tells whether the block applies to host (as hostOf gives it: maybe with a port).
func (b DomainBlock) covers(host string) bool {
	host = strings.ToLower(host)
	if _, _, err := net.SplitHostPort(b.Domain); err == nil {
		return host == b.Domain
	}
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	name = strings.Trim(name, "[]")
	return name == b.Domain || b.Subdomains && strings.HasSuffix(name, "."+b.Domain)
}

// ParseDomain reads what the admin typed as a domain: a host name, an IP address, either with a
// port, or an http(s) URL of a site's root. It refuses paths, markup and anything over 300 bytes.
func ParseDomain(in string) (string, error) {
	in = strings.TrimSpace(in)
	if in == "" || len(in) > maxDomainInput {
		return "", ErrBadDomain
	}
	if strings.Contains(in, "://") {
		u, err := url.Parse(in)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil || u.RawQuery != "" || u.Fragment != "" ||
			(u.Path != "" && u.Path != "/") || u.Host == "" {
			return "", ErrBadDomain
		}
		in = u.Host
	}
	host, port := in, ""
	if h, p, err := net.SplitHostPort(in); err == nil {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return "", ErrBadDomain
		}
		host, port = h, p
	}
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		if port != "" {
			return net.JoinHostPort(ip.String(), port), nil
		}
		return ip.String(), nil
	}
	ascii, err := idna.Lookup.ToASCII(strings.TrimSuffix(host, "."))
	if err != nil || ascii == "" || len(ascii) > 253 {
		return "", ErrBadDomain
	}
	ascii = strings.ToLower(ascii)
	for label := range strings.SplitSeq(ascii, ".") {
		if label == "" || len(label) > 63 || strings.Trim(label, "abcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			return "", ErrBadDomain
		}
	}
	if port != "" {
		return net.JoinHostPort(ascii, port), nil
	}
	return ascii, nil
}

// checkNote refuses a note over maxNote characters or with invalid UTF-8.
func checkNote(note string) error {
	if !utf8.ValidString(note) || utf8.RuneCountInString(note) > maxNote {
		return ErrLongNote
	}
	return nil
}

// ResolveActor reads what the admin typed as an actor: its URL, or its @user@host handle, found
// among the actors we know or else by WebFinger on the host (over https).
func (s *Service) ResolveActor(ctx context.Context, in string) (string, error) {
	in = strings.TrimSpace(in)
	if in == "" || len(in) > maxURL {
		return "", ErrBadActor
	}
	if strings.Contains(in, "://") {
		u, err := url.Parse(in)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
			strings.ContainsAny(in, "<>\"' ") {
			return "", ErrBadActor
		}
		u.Fragment = ""
		return u.String(), nil
	}
	user, host, ok := strings.Cut(strings.TrimPrefix(in, "@"), "@")
	if !ok || user == "" || strings.ContainsAny(user, "/?#<>\"' @") {
		return "", ErrBadActor
	}
	domain, err := ParseDomain(host)
	if err != nil || strings.Contains(host, "://") {
		return "", ErrBadActor
	}
	var id string
	err = s.db.R.QueryRowContext(ctx, "SELECT id FROM fed_remote_actors WHERE lower(username) = lower($1) AND host = $2 ORDER BY id LIMIT 1",
		user, domain).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("fed: resolve %s: %w", in, err)
	}
	id, err = s.webfinger(ctx, user, domain)
	if err != nil {
		s.log.Info("block: handle not resolved", "handle", bound(in, 200), "err", err)
		return "", ErrUnknownUser
	}
	return id, nil
}

// webfinger finds the ActivityPub id of acct:user@host.
func (s *Service) webfinger(ctx context.Context, user, host string) (string, error) {
	u := "https://" + host + "/.well-known/webfinger?resource=" + url.QueryEscape("acct:"+user+"@"+host)
	if err := s.refuseBlockedHost(ctx, host); err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", "application/jrd+json, application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("webfinger %s: status %d", host, resp.StatusCode)
	}
	var jrd struct {
		Links []struct{ Rel, Type, Href string }
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&jrd); err != nil {
		return "", fmt.Errorf("webfinger %s: %w", host, err)
	}
	for _, l := range jrd.Links {
		if l.Rel == "self" && isActivityJSON(l.Type) && len(l.Href) <= maxURL && hostOf(l.Href) != "" && strings.HasPrefix(l.Href, "http") {
			return l.Href, nil
		}
	}
	return "", fmt.Errorf("webfinger %s: no self link", host)
}

// Blocklist is every block, read at once: a city's list is short.
type Blocklist struct {
	Domains []DomainBlock
	Actors  []ActorBlock
}

// LoadBlocks reads the blocks, newest first.
func LoadBlocks(ctx context.Context, q db.Querier) (Blocklist, error) {
	var bl Blocklist
	var err error
	bl.Domains, err = db.Collect(ctx, q, "SELECT domain, subdomains, severity, note, created_at FROM fed_domain_blocks ORDER BY created_at DESC, domain", nil,
		func(row interface{ Scan(...any) error }) (DomainBlock, error) {
			var b DomainBlock
			err := row.Scan(&b.Domain, &b.Subdomains, &b.Severity, &b.Note, &b.CreatedAt)
			return b, err
		})
	if err != nil {
		return bl, fmt.Errorf("fed: domain blocks: %w", err)
	}
	bl.Actors, err = db.Collect(ctx, q, "SELECT actor_id, note, created_at FROM fed_actor_blocks ORDER BY created_at DESC, actor_id", nil,
		func(row interface{ Scan(...any) error }) (ActorBlock, error) {
			var b ActorBlock
			err := row.Scan(&b.ActorID, &b.Note, &b.CreatedAt)
			return b, err
		})
	if err != nil {
		return bl, fmt.Errorf("fed: actor blocks: %w", err)
	}
	return bl, nil
}

// Severity is the strongest block on host: reject, silence or "".
func (bl Blocklist) Severity(host string) string {
	sev := ""
	for _, b := range bl.Domains {
		if b.covers(host) {
			if b.Severity == SeverityReject {
				return SeverityReject
			}
			sev = b.Severity
		}
	}
	return sev
}

// Rejects tells whether everything from actor (an id URL) is refused.
func (bl Blocklist) Rejects(actor string) bool {
	return bl.Severity(hostOf(actor)) == SeverityReject || slices.ContainsFunc(bl.Actors, func(b ActorBlock) bool { return b.ActorID == actor })
}

// Silences tells whether actor's replies and reactions are kept out of lists and counts.
func (bl Blocklist) Silences(actor string) bool {
	return bl.Severity(hostOf(actor)) != ""
}

// refuseBlockedHost is ErrBlocked when host is under a reject block: nothing is fetched from it.
func (s *Service) refuseBlockedHost(ctx context.Context, host string) error {
	bl, err := LoadBlocks(ctx, s.db.R)
	if err != nil {
		return err
	}
	if bl.Severity(host) == SeverityReject {
		return fmt.Errorf("%w: %s", ErrBlocked, host)
	}
	return nil
}

// refuseBlockedSigner answers 403 for a request signed with a key on a rejected domain or of a
// blocked actor, read from the Signature header before the key is fetched, so that we never
// fetch from a blocked server. Once verified, the signer is checked again (checkSigner).
func (s *Service) refuseBlockedSigner(ctx context.Context, r *http.Request) error {
	keyID := signatureKeyID(r)
	if keyID == "" {
		return nil // unsigned: Verify refuses it with 401
	}
	bl, err := LoadBlocks(ctx, s.db.R)
	if err != nil {
		return err
	}
	if bl.Rejects(strings.SplitN(keyID, "#", 2)[0]) {
		return refuse(http.StatusForbidden, fmt.Errorf("%w: %s", ErrBlocked, bound(keyID, 200)))
	}
	return nil
}

// checkSigner answers 403 when the verified signer is blocked (its key may have named another
// URL than its actor's id).
func (s *Service) checkSigner(ctx context.Context, signer *RemoteActor) error {
	bl, err := LoadBlocks(ctx, s.db.R)
	if err != nil {
		return err
	}
	if bl.Rejects(signer.ID) || bl.Severity(signer.Host) == SeverityReject {
		return refuse(http.StatusForbidden, fmt.Errorf("%w: %s", ErrBlocked, signer.ID))
	}
	return nil
}

// signatureKeyID is the keyId of r's signature, unverified.
func signatureKeyID(r *http.Request) string {
	sig := r.Header.Get("Signature")
	if sig == "" {
		sig = strings.TrimPrefix(r.Header.Get("Authorization"), "Signature ")
	}
	if i := strings.Index(sig, `keyId="`); i >= 0 {
		rest := sig[i+len(`keyId="`):]
		if j := strings.IndexByte(rest, '"'); j >= 0 {
			return rest[:j]
		}
	}
	return ""
}

// Purged counts what a block removed.
type Purged struct {
	Followers, Reactions, Replies, Actors int64
	// Videos are partner videos (package portal) of the blocked actors.
	Videos int64
}

// BlockDomain saves b in tx (replacing a block of the same domain) and, for a reject, removes
// what the domain's actors had delivered.
func BlockDomain(ctx context.Context, tx *sql.Tx, b DomainBlock) (Purged, error) {
	d, err := ParseDomain(b.Domain)
	if err != nil {
		return Purged{}, err
	}
	b.Domain = d
	if b.Severity != SeverityReject && b.Severity != SeveritySilence {
		return Purged{}, ErrBadSeverity
	}
	if err := checkNote(b.Note); err != nil {
		return Purged{}, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO fed_domain_blocks (domain, subdomains, severity, note, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (domain) DO UPDATE SET subdomains = excluded.subdomains, severity = excluded.severity, note = excluded.note`,
		b.Domain, b.Subdomains, b.Severity, b.Note, b.CreatedAt.UTC()); err != nil {
		return Purged{}, fmt.Errorf("fed: block %s: %w", b.Domain, err)
	}
	if b.Severity != SeverityReject {
		return Purged{}, nil
	}
	return purge(ctx, tx, func(actor string) bool { return b.covers(hostOf(actor)) })
}

// BlockActor saves a block of actor in tx and removes what it had delivered.
func BlockActor(ctx context.Context, tx *sql.Tx, b ActorBlock) (Purged, error) {
	if b.ActorID == "" || len(b.ActorID) > maxURL {
		return Purged{}, ErrBadActor
	}
	if err := checkNote(b.Note); err != nil {
		return Purged{}, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO fed_actor_blocks (actor_id, note, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (actor_id) DO UPDATE SET note = excluded.note`, b.ActorID, b.Note, b.CreatedAt.UTC()); err != nil {
		return Purged{}, fmt.Errorf("fed: block %s: %w", b.ActorID, err)
	}
	return purge(ctx, tx, func(actor string) bool { return actor == b.ActorID })
}

// Unblock removes the block of a domain (kind "domain") or of an actor ("actor"); what the
// block removed does not come back. db.ErrNotFound when there was none.
func Unblock(ctx context.Context, tx *sql.Tx, kind, target string) error {
	q := "DELETE FROM fed_domain_blocks WHERE domain = $1"
	if kind == "actor" {
		q = "DELETE FROM fed_actor_blocks WHERE actor_id = $1"
	}
	res, err := tx.ExecContext(ctx, q, target)
	if err != nil {
		return fmt.Errorf("fed: unblock %s: %w", target, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return db.ErrNotFound
	}
	return nil
}

// purge deletes the follows, reactions, replies and cached actors of every actor hit covers.
// Actor ids are URLs whose host the database cannot compare with a block's rules (ports,
// subdomains), so the distinct actors are read and matched here.
func purge(ctx context.Context, tx *sql.Tx, hit func(actor string) bool) (Purged, error) {
	var p Purged
	for _, t := range []struct {
		table, column string
		n             *int64
	}{
		{"fed_followers", "actor_id", &p.Followers},
		{"fed_reactions", "actor_id", &p.Reactions},
		{"fed_replies", "actor_id", &p.Replies},
		{"fed_remote_actors", "id", &p.Actors},
		{"remote_videos", "actor_id", &p.Videos},
	} {
		actors, err := db.Collect(ctx, tx, "SELECT DISTINCT "+t.column+" FROM "+t.table, nil,
			func(row interface{ Scan(...any) error }) (string, error) {
				var a string
				err := row.Scan(&a)
				return a, err
			})
		if err != nil {
			return p, fmt.Errorf("fed: purge %s: %w", t.table, err)
		}
		for _, a := range actors {
			if !hit(a) {
				continue
			}
			res, err := tx.ExecContext(ctx, "DELETE FROM "+t.table+" WHERE "+t.column+" = $1", a)
			if err != nil {
				return p, fmt.Errorf("fed: purge %s: %w", t.table, err)
			}
			n, _ := res.RowsAffected()
			*t.n += n
		}
	}
	return p, nil
}
