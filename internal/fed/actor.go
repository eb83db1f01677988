package fed

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"sistercity/internal/db"
	"sistercity/internal/identity"
	"sistercity/internal/register"
)

// contextURLs is the JSON-LD context of everything we publish: ActivityStreams, and the
// security vocabulary for publicKey.
var contextURLs = []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1",
	map[string]any{"manuallyApprovesFollowers": "as:manuallyApprovesFollowers"}}

func randomID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Actor returns the city's actor document.
func (s *Service) Actor(ctx context.Context) (map[string]any, error) {
	if _, err := s.Key(ctx); err != nil { // made on first use, outside any transaction
		return nil, err
	}
	return s.ActorIn(ctx, s.db.R)
}

// ActorIn is Actor read through q (a transaction, when rotating the key).
func (s *Service) ActorIn(ctx context.Context, q db.Querier) (map[string]any, error) {
	st, err := LoadSettings(ctx, q)
	if err != nil {
		return nil, err
	}
	key, err := s.keyIn(ctx, q)
	if err != nil {
		return nil, err
	}
	pub, err := PublicKeyPEM(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	names, summaries, err := homeCityTexts(ctx, q)
	if err != nil {
		return nil, err
	}
	id := s.ActorID()
	a := map[string]any{
		"@context":                  contextURLs,
		"id":                        id,
		"type":                      "Organization",
		"preferredUsername":         st.Username,
		"inbox":                     s.base + InboxPath,
		"outbox":                    s.base + OutboxPath,
		"followers":                 s.base + FollowersPath,
		"following":                 s.base + FollowingPath,
		"url":                       s.base + "/",
		"manuallyApprovesFollowers": st.ManuallyApproves,
		"discoverable":              true,
		"endpoints":                 map[string]any{"sharedInbox": s.base + SharedInboxPath},
		"publicKey":                 map[string]any{"id": s.KeyID(), "owner": id, "publicKeyPem": pub},
	}
	// The city's name and summary as the admin set them for the site (identity), else the
	// register's home city's; name and summary in the first language, the maps in every
	// language there is.
	site, err := identity.Load(ctx, q)
	if err != nil {
		return nil, err
	}
	if len(site.Names) > 0 {
		names = site.Names
	}
	a["name"] = st.Username
	if len(names) > 0 {
		a["name"], a["nameMap"] = first(names), names
	}
	if l := site.Logo; l != nil {
		a["icon"] = s.image(identity.KindLogo, *l)
	}
	a["image"] = s.image(identity.KindHeader, site.HeaderInfo())
	if len(site.Summaries) > 0 {
		summaries = map[string]string{}
		for lang, t := range site.Summaries {
			summaries[lang] = htmlParagraph(t)
		}
	}
	if len(summaries) > 0 {
		a["summary"], a["summaryMap"] = first(summaries), summaries
	}
	return a, nil
}

// image is the Image object of a site image (/site/KIND), under the URL that changes with it.
func (s *Service) image(kind string, a identity.AssetInfo) map[string]any {
	return map[string]any{"type": "Image", "mediaType": a.ContentType, "url": s.base + "/site/" + kind + "?v=" + a.Sum,
		"width": a.Width, "height": a.Height}
}

// Channel returns the city's video channel, a Group, and Account the account that owns it, a
// Person. PeerTube takes a video's channel from the Group in its attributedTo and refuses a
// channel whose attributedTo has no Person (its account); it fetches both. They are the city's
// actor under other ids and types: the same names, images and key (under their own key ids),
// the city's inbox and outbox, so a Mastodon follower of the city and a PeerTube viewer of the
// channel see the same videos; each has its own followers collection, counting its follows.
func (s *Service) Channel(ctx context.Context) (map[string]any, error) {
	return s.alias(ctx, "Group", ChannelPath, ChannelSuffix, []any{
		map[string]any{"type": "Person", "id": s.base + AccountPath},
		map[string]any{"type": "Organization", "id": s.ActorID()},
	})
}

// Account returns the Person that owns the channel (see Channel).
func (s *Service) Account(ctx context.Context) (map[string]any, error) {
	return s.alias(ctx, "Person", AccountPath, AccountSuffix, nil)
}

func (s *Service) alias(ctx context.Context, typ, path, suffix string, attributedTo []any) (map[string]any, error) {
	city, err := s.Actor(ctx)
	if err != nil {
		return nil, err
	}
	a := make(map[string]any, len(city)+1)
	for k, v := range city {
		a[k] = v
	}
	id := s.base + path
	pk := city["publicKey"].(map[string]any)
	a["id"], a["type"] = id, typ
	a["preferredUsername"] = city["preferredUsername"].(string) + suffix
	a["publicKey"] = map[string]any{"id": id + "#main-key", "owner": id, "publicKeyPem": pk["publicKeyPem"]}
	a["followers"] = id + "/followers"
	if attributedTo != nil {
		a["attributedTo"] = attributedTo
	}
	return a, nil
}

// siteLangs orders the languages a map's plain value is taken from.
var siteLangs = []string{"en", "ko", "ru"}

func first(m map[string]string) string {
	for _, l := range siteLangs {
		if v, ok := m[l]; ok {
			return v
		}
	}
	for _, v := range m {
		return v
	}
	return ""
}

// homeCityTexts are the home city's names and descriptions by language; none while the
// register has no home city.
func homeCityTexts(ctx context.Context, q db.Querier) (names, summaries map[string]string, err error) {
	id, err := register.HomeCityID(ctx, q)
	if errors.Is(err, register.ErrNoHomeCity) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	c, err := register.GetCity(ctx, q, id)
	if err != nil {
		return nil, nil, fmt.Errorf("fed: home city: %w", err)
	}
	names, summaries = map[string]string{}, map[string]string{}
	for _, t := range c.Texts {
		if t.Name != "" {
			names[t.Lang] = t.Name
		}
		if t.Description != "" {
			summaries[t.Lang] = htmlParagraph(t.Description)
		}
	}
	return names, summaries, nil
}

// htmlParagraph makes plain text into the HTML that summary holds.
func htmlParagraph(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;")
	return "<p>" + r.Replace(s) + "</p>"
}

// Handles are the handles (@user@host) of the city's actors under username, by what
// fed_followers.followed keeps for each: "" for the city, the id for the channel and the account.
func (s *Service) Handles(username string) map[string]string {
	return map[string]string{
		"":                   "@" + username + "@" + s.host,
		s.base + ChannelPath: "@" + username + ChannelSuffix + "@" + s.host,
		s.base + AccountPath: "@" + username + AccountSuffix + "@" + s.host,
	}
}

// WebFinger answers a WebFinger query for resource; ErrNotFound when it is not our actor.
func (s *Service) WebFinger(ctx context.Context, resource string) (map[string]any, error) {
	st, err := LoadSettings(ctx, s.db.R)
	if err != nil {
		return nil, err
	}
	// The city, its channel and the channel's account (see Channel).
	for _, who := range []struct{ suffix, id string }{{"", s.ActorID()}, {ChannelSuffix, s.base + ChannelPath}, {AccountSuffix, s.base + AccountPath}} {
		acct := "acct:" + st.Username + who.suffix + "@" + s.host
		if !strings.EqualFold(resource, acct) && resource != who.id && (who.suffix != "" || resource != s.base+"/") {
			continue
		}
		return map[string]any{
			"subject": acct,
			"aliases": []string{who.id, s.base + "/"},
			"links": []any{
				map[string]any{"rel": "self", "type": ContentType, "href": who.id},
				map[string]any{"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": s.base + "/"},
			},
		}, nil
	}
	return nil, db.ErrNotFound
}

// HostMeta is the XRD document that points at WebFinger.
func (s *Service) HostMeta() string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">
  <Link rel="lrdd" template="` + s.base + `/.well-known/webfinger?resource={uri}"/>
</XRD>
`
}

// NodeInfoLinks is /.well-known/nodeinfo.
func (s *Service) NodeInfoLinks() map[string]any {
	return map[string]any{"links": []any{map[string]any{
		"rel":  "http://nodeinfo.diaspora.software/ns/schema/2.1",
		"href": s.base + "/nodeinfo/2.1",
	}}}
}

// NodeInfo is the NodeInfo 2.1 document; localPosts counts the published videos.
func (s *Service) NodeInfo(ctx context.Context) (map[string]any, error) {
	var videos int64
	if err := s.db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM videos WHERE state = 'published'").Scan(&videos); err != nil {
		return nil, fmt.Errorf("fed: count videos: %w", err)
	}
	return map[string]any{
		"version":           "2.1",
		"software":          map[string]any{"name": "sistercity", "version": s.version},
		"protocols":         []string{"activitypub"},
		"services":          map[string]any{"inbound": []string{}, "outbound": []string{}},
		"openRegistrations": false,
		"usage":             map[string]any{"users": map[string]any{"total": 1}, "localPosts": videos},
		"metadata":          map[string]any{},
	}, nil
}

// MinimalActor is what an unsigned fetch of the actor gets with authorized fetch on: enough to
// verify our signatures and deliver to us, nothing about the city.
func MinimalActor(a map[string]any) map[string]any {
	m := map[string]any{}
	for _, k := range []string{"@context", "id", "type", "preferredUsername", "inbox", "outbox", "endpoints", "publicKey", "manuallyApprovesFollowers"} {
		if v, ok := a[k]; ok {
			m[k] = v
		}
	}
	return m
}
