// Package portal is the sister portals: a partnership names the partner city's own instance
// (its ActivityPub actor), this instance follows it, and the partner's published videos come in
// as remote videos — their texts in every language, their renditions and subtitle tracks left on
// the partner's server (the pages stream them from there), their posters cached here — to be
// shown on the partner's page and in the video index. Update and Delete from the partner follow.
//
// Only the actor set on a partnership counts: a Video from any other actor is not a partner
// video. What comes in is bounded and checked: names are plain text cut to a length, descriptions
// are HTML passed through a sanitiser (bluemonday), URLs are http(s) only. Requests go through
// fed's signed, safe client; the jobs run on fed's queue.
package portal

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"golang.org/x/text/language"

	"sistercity/internal/blob"
	"sistercity/internal/db"
	"sistercity/internal/fed"
	"sistercity/internal/jobs"
)

// States of a partnership's follow of its partner's actor.
const (
	StatePending  = "pending"
	StateAccepted = "accepted"
	StateRejected = "rejected"
)

// Service follows partner actors and keeps their videos: one per process.
type Service struct {
	db     *db.DB
	fed    *fed.Service
	store  blob.Store
	client *http.Client
	queue  *jobs.Queue
	log    *slog.Logger
	now    func() time.Time
}

// Options are what a Service is built from.
type Options struct {
	DB  *db.DB
	Fed *fed.Service
	// Store keeps the cached posters (under PosterPrefix).
	Store blob.Store
	// Client fetches posters; it must be a safehttp client.
	Client *http.Client
	Queue  *jobs.Queue
	Log    *slog.Logger
	Now    func() time.Time
}

// New returns the Service; it does not touch the database.
func New(o Options) *Service {
	s := &Service{db: o.DB, fed: o.Fed, store: o.Store, client: o.Client, queue: o.Queue, log: o.Log, now: o.Now}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("component", "portal")
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Partner is a partnership's partner actor and where our follow of it stands.
type Partner struct {
	PartnershipID int64
	ActorID       string
	State         string
	SetAt         time.Time
	Videos        int // how many of its videos are kept
}

// Media is a rendition of a remote video, on the partner's server.
type Media struct {
	URL    string `json:"url"`
	Type   string `json:"type"`
	Height int    `json:"height,omitempty"`
	Width  int    `json:"width,omitempty"`
	Size   int64  `json:"size,omitempty"`
}

// Track is a subtitle track of a remote video: its language, name and WebVTT on the partner's
// server.
type Track struct {
	Lang string `json:"lang"`
	Name string `json:"name"`
	URL  string `json:"url"`
}

// Video is a partner's video as kept here.
type Video struct {
	ID        int64
	ObjectID  string
	ActorID   string
	URL       string // the original's page on the partner's site
	Lang      string // the video's own language, "" when not given
	Name      string
	Names     map[string]string // title by language
	Contents  map[string]string // sanitised description HTML by language
	Duration  time.Duration
	Media     []Media
	Tracks    []Track
	PosterURL string // the poster on the partner's server
	PosterKey string // the poster cached in the store; "" when none could be
	Published time.Time
	Updated   time.Time
	// CityID is the partner city whose page shows the video (read by the listings).
	CityID int64
}

// Title is the title in lang, or failing that the closest there is, and the language it is in.
func (v *Video) Title(lang string) (string, string) {
	if l := pick(v.Names, lang, v.Lang); l != "" {
		return v.Names[l], l
	}
	return v.Name, v.Lang
}

// Description is the sanitised description HTML in lang, or the closest there is, and its
// language; "" when the video has none.
func (v *Video) Description(lang string) (string, string) {
	if l := pick(v.Contents, lang, v.Lang); l != "" {
		return v.Contents[l], l
	}
	return "", ""
}

// pick is the key of m for a viewer of lang: lang itself, a variant of it (ru-RU for ru), the
// video's own language, or the first in order; "" for an empty m.
func pick(m map[string]string, lang, own string) string {
	if len(m) == 0 {
		return ""
	}
	if _, ok := m[lang]; ok {
		return lang
	}
	want, _ := language.Make(lang).Base()
	best := ""
	for k := range m {
		if b, _ := language.Make(k).Base(); b == want && (best == "" || k < best) {
			best = k
		}
	}
	if best != "" {
		return best
	}
	if _, ok := m[own]; ok {
		return own
	}
	for k := range m {
		if best == "" || k < best {
			best = k
		}
	}
	return best
}

// Hosts are the origins (scheme://host) the video's media and tracks are streamed from, for
// the page's Content-Security-Policy.
func (v *Video) Hosts() []string {
	seen := map[string]bool{}
	var out []string
	add := func(u string) {
		if o := origin(u); o != "" && !seen[o] {
			seen[o] = true
			out = append(out, o)
		}
	}
	for _, m := range v.Media {
		add(m.URL)
	}
	for _, t := range v.Tracks {
		add(t.URL)
	}
	return out
}

// PartnerOf reads the partner actor of partnership id; db.ErrNotFound when none is set.
func PartnerOf(ctx context.Context, q db.Querier, partnershipID int64) (*Partner, error) {
	var p Partner
	err := q.QueryRowContext(ctx, `SELECT pa.partnership_id, pa.actor_id, pa.state, pa.set_at,
			(SELECT COUNT(*) FROM remote_videos rv WHERE rv.actor_id = pa.actor_id)
		FROM partner_actors pa WHERE pa.partnership_id = $1`, partnershipID).Scan(&p.PartnershipID, &p.ActorID, &p.State, &p.SetAt, &p.Videos)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, db.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("portal: partner of %d: %w", partnershipID, err)
	}
	return &p, nil
}

// videoColumns are what scanVideo reads, in order.
const videoColumns = `rv.id, rv.object_id, rv.actor_id, rv.url, rv.lang, rv.name, rv.names, rv.contents, rv.duration_s,
	rv.media, rv.tracks, rv.poster_url, rv.poster_key, rv.published_at, rv.updated_at`

func scanVideo(row interface{ Scan(...any) error }, extra ...any) (*Video, error) {
	var v Video
	var names, contents, media, tracks string
	var secs int64
	dest := append([]any{&v.ID, &v.ObjectID, &v.ActorID, &v.URL, &v.Lang, &v.Name, &names, &contents, &secs,
		&media, &tracks, &v.PosterURL, &v.PosterKey, &v.Published, &v.Updated}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	v.Duration = time.Duration(secs) * time.Second
	for _, j := range []struct {
		raw string
		to  any
	}{{names, &v.Names}, {contents, &v.Contents}, {media, &v.Media}, {tracks, &v.Tracks}} {
		if err := json.Unmarshal([]byte(j.raw), j.to); err != nil {
			return nil, fmt.Errorf("portal: video %d: %w", v.ID, err)
		}
	}
	return &v, nil
}

// listed is the join of a video to the partnerships that show it: those whose partner actor it
// is, followed (not refused) and not ended; the partner city is the lowest such city's.
const listed = `FROM remote_videos rv
	JOIN partner_actors pa ON pa.actor_id = rv.actor_id AND pa.state <> 'rejected'
	JOIN partnerships p ON p.id = pa.partnership_id AND p.status <> 'ended'`

// Latest lists the newest partner videos, of city cityID only when it is not 0, leaving out
// those of blocked servers and actors.
func Latest(ctx context.Context, q db.Querier, cityID int64, limit int) ([]*Video, error) {
	bl, err := fed.LoadBlocks(ctx, q)
	if err != nil {
		return nil, err
	}
	vs, err := db.Collect(ctx, q, `SELECT `+videoColumns+`, MIN(p.partner_city_id) `+listed+`
		WHERE $1 = 0 OR p.partner_city_id = $1
		GROUP BY `+videoColumns+` ORDER BY rv.published_at DESC, rv.id DESC LIMIT $2`, []any{cityID, limit + 10},
		func(row interface{ Scan(...any) error }) (*Video, error) {
			var city int64
			v, err := scanVideo(row, &city)
			if v != nil {
				v.CityID = city
			}
			return v, err
		})
	if err != nil {
		return nil, fmt.Errorf("portal: videos: %w", err)
	}
	out := vs[:0]
	for _, v := range vs {
		if !bl.Rejects(v.ActorID) && len(out) < limit {
			out = append(out, v)
		}
	}
	return out, nil
}

// Get reads partner video id as the public pages show it: db.ErrNotFound when it is not
// shown (no partnership follows its actor any more, or the actor is blocked).
func Get(ctx context.Context, q db.Querier, id int64) (*Video, error) {
	var city int64
	v, err := scanVideo(q.QueryRowContext(ctx, `SELECT `+videoColumns+`, MIN(p.partner_city_id) `+listed+`
		WHERE rv.id = $1 GROUP BY `+videoColumns, id), &city)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, db.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("portal: video %d: %w", id, err)
	}
	v.CityID = city
	bl, err := fed.LoadBlocks(ctx, q)
	if err != nil {
		return nil, err
	}
	if bl.Rejects(v.ActorID) {
		return nil, db.ErrNotFound
	}
	return v, nil
}

// ErrPoster is a poster key that is not one of ours.
var ErrPoster = errors.New("portal: not a cached poster")

// PosterPrefix is where the cached posters are kept in the store.
const PosterPrefix = "portal/"

// PosterKey is the store key of cached poster file, a name cachePoster gave: 32 hexadecimal
// digits and the image type's extension.
func PosterKey(file string) (string, error) {
	name, ext, ok := strings.Cut(file, ".")
	if !ok || len(name) != 32 || strings.Trim(name, "0123456789abcdef") != "" || (ext != "jpg" && ext != "png" && ext != "webp") {
		return "", ErrPoster
	}
	return PosterPrefix + file, nil
}

// PosterShown tells whether key is the cached poster of a video the public pages show.
func PosterShown(ctx context.Context, q db.Querier, key string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) `+listed+` WHERE rv.poster_key = $1`, key).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("portal: poster: %w", err)
	}
	return n > 0, nil
}
