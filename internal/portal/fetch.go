package portal

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	"github.com/riverqueue/river"
	"golang.org/x/text/language"

	"sistercity/internal/fed"
	"sistercity/internal/jobs"
	"sistercity/internal/safehttp"
)

// Bounds of what is kept of a remote video.
const (
	maxName      = 200   // runes of a title
	maxContent   = 20000 // bytes of a description's HTML, before sanitising
	maxURL       = 2048
	maxLanguages = 30 // texts, and subtitle tracks
	maxMedia     = 12 // renditions
	// maxBackfill bounds the videos fetched when a partner accepts: its newest.
	maxBackfill = 60
	// maxPages bounds the outbox pages read for them.
	maxPages = 5
)

// fetchAttempts: a partner down for a while is tried again for about a day (n⁴ seconds).
const fetchAttempts = 12

// FetchArgs fetches a partner's Video object and stores it, or removes it when it is gone or no
// longer public: the inbox's Create and Update, and the backfill, enqueue it. Fetching the object
// by its id rather than taking the one in the activity makes an Update that overtakes its
// Create harmless: whichever runs last stores what the partner has now.
type FetchArgs struct {
	ActorID  string `json:"actor_id"`
	ObjectID string `json:"object_id"`
}

// Kind names the job.
func (FetchArgs) Kind() string { return "portal.fetch" }

// InsertOpts puts it on the federation queue.
func (FetchArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: fed.Queue, MaxAttempts: fetchAttempts}
}

// BackfillArgs reads a partner's outbox when it accepts our follow and fetches the videos it
// published before.
type BackfillArgs struct {
	ActorID string `json:"actor_id"`
}

// Kind names the job.
func (BackfillArgs) Kind() string { return "portal.backfill" }

// InsertOpts puts it on the federation queue.
func (BackfillArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: fed.Queue, MaxAttempts: fetchAttempts}
}

// Register adds the portal's workers to q; every process that runs federation jobs registers
// them.
func (s *Service) Register(q *jobs.Queue) error {
	if err := jobs.Register(q, jobs.WorkFunc[FetchArgs](func(ctx context.Context, job *jobs.Job[FetchArgs]) error {
		return s.fetch(ctx, job.Args)
	})); err != nil {
		return err
	}
	return jobs.Register(q, jobs.WorkFunc[BackfillArgs](func(ctx context.Context, job *jobs.Job[BackfillArgs]) error {
		return s.backfill(ctx, job.Args.ActorID)
	}))
}

// following tells whether a partnership still follows actor and no block stops it.
func (s *Service) following(ctx context.Context, actor string) (bool, error) {
	var n int
	if err := s.db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM partner_actors WHERE actor_id = $1 AND state <> $2",
		actor, StateRejected).Scan(&n); err != nil {
		return false, fmt.Errorf("portal: partner %s: %w", actor, err)
	}
	if n == 0 {
		return false, nil
	}
	bl, err := fed.LoadBlocks(ctx, s.db.R)
	if err != nil {
		return false, err
	}
	return !bl.Rejects(actor), nil
}

func (s *Service) fetch(ctx context.Context, a FetchArgs) error {
	ok, err := s.following(ctx, a.ActorID)
	if err != nil || !ok {
		return err
	}
	if fedHost(a.ObjectID) != fedHost(a.ActorID) {
		return jobs.Permanent(fmt.Errorf("portal: object %s not on its actor's host", a.ObjectID))
	}
	started := s.now().UTC()
	b, err := s.fed.Fetch(ctx, a.ObjectID)
	if errors.Is(err, fed.ErrGone) {
		_, err := s.remove(ctx, a.ActorID, a.ObjectID)
		return err
	}
	if errors.Is(err, fed.ErrBlocked) {
		return jobs.Permanent(err)
	}
	if err != nil {
		return err
	}
	v, err := parseVideo(b, a.ActorID, a.ObjectID, s.now())
	if errors.Is(err, errNotPublic) {
		_, err := s.remove(ctx, a.ActorID, a.ObjectID)
		return err
	}
	if err != nil {
		s.log.Info("partner video refused", "object", a.ObjectID, "err", err)
		return jobs.Permanent(err)
	}
	return s.store1(ctx, v, started)
}

// remove deletes a video the partner no longer shows, and remembers when, so that a fetch
// begun before does not bring it back (store1). It tells whether the video was one kept here.
func (s *Service) remove(ctx context.Context, actor, objectID string) (bool, error) {
	var n int
	if err := s.db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM remote_videos WHERE object_id = $1 AND actor_id = $2",
		objectID, actor).Scan(&n); err != nil {
		return false, fmt.Errorf("portal: delete %s: %w", objectID, err)
	}
	write := s.db.InTxQuiet // nothing shown changes: the generation stays
	if n > 0 {
		write = s.db.InTx
	}
	err := write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO remote_video_deletions (object_id, actor_id, deleted_at) VALUES ($1, $2, $3)
			ON CONFLICT (object_id) DO UPDATE SET deleted_at = excluded.deleted_at`, objectID, actor, s.now().UTC()); err != nil {
			return fmt.Errorf("portal: delete %s: %w", objectID, err)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM remote_videos WHERE object_id = $1 AND actor_id = $2", objectID, actor); err != nil {
			return fmt.Errorf("portal: delete %s: %w", objectID, err)
		}
		return nil
	})
	return n > 0, err
}

// store1 caches v's poster (unless it is the one cached already) and writes v, fetched at
// started, unless the partner deleted it since.
func (s *Service) store1(ctx context.Context, v *Video, started time.Time) error {
	var oldURL, oldKey string
	err := s.db.R.QueryRowContext(ctx, "SELECT poster_url, poster_key FROM remote_videos WHERE object_id = $1", v.ObjectID).Scan(&oldURL, &oldKey)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("portal: video %s: %w", v.ObjectID, err)
	}
	v.PosterKey = oldKey
	if v.PosterURL != oldURL || oldKey == "" {
		v.PosterKey = ""
		if v.PosterURL != "" {
			key, err := s.cachePoster(ctx, v.PosterURL)
			if err != nil {
				// The video is shown without its poster rather than not at all.
				s.log.Info("partner poster not cached", "poster", v.PosterURL, "err", err)
			}
			v.PosterKey = key
		}
	}
	texts := func(x any) string { b, _ := json.Marshal(x); return string(b) }
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		var deleted time.Time
		err := tx.QueryRowContext(ctx, "SELECT deleted_at FROM remote_video_deletions WHERE object_id = $1", v.ObjectID).Scan(&deleted)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("portal: store %s: %w", v.ObjectID, err)
		case !deleted.Before(started):
			return nil // deleted while we fetched: the Delete is the newer word
		default:
			if _, err := tx.ExecContext(ctx, "DELETE FROM remote_video_deletions WHERE object_id = $1", v.ObjectID); err != nil {
				return fmt.Errorf("portal: store %s: %w", v.ObjectID, err)
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO remote_videos (object_id, actor_id, url, lang, name, names, contents, duration_s,
				media, tracks, poster_url, poster_key, published_at, updated_at, fetched_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
			ON CONFLICT (object_id) DO UPDATE SET url = excluded.url, lang = excluded.lang, name = excluded.name,
				names = excluded.names, contents = excluded.contents, duration_s = excluded.duration_s, media = excluded.media,
				tracks = excluded.tracks, poster_url = excluded.poster_url, poster_key = excluded.poster_key,
				published_at = excluded.published_at, updated_at = excluded.updated_at, fetched_at = excluded.fetched_at
			WHERE remote_videos.actor_id = excluded.actor_id`,
			v.ObjectID, v.ActorID, v.URL, v.Lang, v.Name, texts(v.Names), texts(v.Contents), int64(v.Duration/time.Second),
			texts(v.Media), texts(v.Tracks), v.PosterURL, v.PosterKey, v.Published.UTC(), v.Updated.UTC(), s.now().UTC())
		if err != nil {
			return fmt.Errorf("portal: store %s: %w", v.ObjectID, err)
		}
		return nil
	})
}

// posterTypes are the image types a poster is kept in, by what the bytes are.
var posterTypes = map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}

// cachePoster fetches a poster through the safe client (at most safehttp.MaxImageBytes) and keeps
// it under a name made of its content's hash, so a changed poster gets a new URL.
func (s *Service) cachePoster(ctx context.Context, rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("portal: poster %q: not an http(s) URL", rawURL)
	}
	bl, err := fed.LoadBlocks(ctx, s.db.R)
	if err != nil {
		return "", err
	}
	if bl.Severity(strings.ToLower(u.Host)) == fed.SeverityReject {
		return "", fed.ErrBlocked
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Accept", "image/jpeg, image/png, image/webp")
	resp, err := s.client.Do(req)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return "", fmt.Errorf("portal: poster: status %d", resp.StatusCode)
	}
	b, err := safehttp.Read(resp, safehttp.MaxImageBytes)
	if err != nil {
		return "", err
	}
	ext, ok := posterTypes[http.DetectContentType(b)]
	if !ok {
		return "", fmt.Errorf("portal: poster: not an image (%s)", http.DetectContentType(b))
	}
	sum := sha256.Sum256(b)
	key := PosterPrefix + hex.EncodeToString(sum[:16]) + ext
	if err := s.store.Put(ctx, key, bytes.NewReader(b)); err != nil {
		return "", err
	}
	return key, nil
}

// backfill fetches the videos actor published before we followed it: the Create activities of
// its outbox's first pages, newest first.
func (s *Service) backfill(ctx context.Context, actor string) error {
	ok, err := s.following(ctx, actor)
	if err != nil || !ok {
		return err
	}
	b, err := s.fed.Fetch(ctx, actor)
	if err != nil {
		return err
	}
	var doc struct {
		Outbox string `json:"outbox"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || fedHost(doc.Outbox) != fedHost(actor) {
		return jobs.Permanent(fmt.Errorf("portal: actor %s: no outbox on its host", actor))
	}
	var ids []string
	next := doc.Outbox
	for page := 0; next != "" && page <= maxPages && len(ids) < maxBackfill; page++ {
		if fedHost(next) != fedHost(actor) {
			break
		}
		b, err := s.fed.Fetch(ctx, next)
		if err != nil {
			return err
		}
		var c struct {
			First        json.RawMessage   `json:"first"`
			Next         string            `json:"next"`
			OrderedItems []json.RawMessage `json:"orderedItems"`
		}
		if err := json.Unmarshal(b, &c); err != nil {
			return jobs.Permanent(fmt.Errorf("portal: outbox of %s: %w", actor, err))
		}
		next = c.Next
		if page == 0 && len(c.OrderedItems) == 0 {
			var first string
			if json.Unmarshal(c.First, &first) == nil {
				next = first
			}
		}
		for _, raw := range c.OrderedItems {
			var item struct {
				Type   string          `json:"type"`
				Object json.RawMessage `json:"object"`
			}
			if json.Unmarshal(raw, &item) != nil || (item.Type != "Create" && item.Type != "Update") {
				continue
			}
			o, err := parseObject(item.Object)
			if err != nil || (o.Type != nil && !o.isType("Video")) || fedHost(o.ID) != fedHost(actor) || slices.Contains(ids, o.ID) {
				continue
			}
			if ids = append(ids, o.ID); len(ids) >= maxBackfill {
				break
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	return s.db.InTxQuiet(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			if _, err := s.queue.Insert(ctx, tx, FetchArgs{ActorID: actor, ObjectID: id}, nil); err != nil {
				return err
			}
		}
		return nil
	})
}

// errNotPublic is a Video not addressed to the public (unlisted, followers only, direct): not
// for a public page.
var errNotPublic = errors.New("portal: video not public")

// videoDoc is the part of a Video object (PeerTube's shape, and ours) that is read.
type videoDoc struct {
	ID           string            `json:"id"`
	Type         any               `json:"type"`
	Name         string            `json:"name"`
	NameMap      map[string]string `json:"nameMap"`
	Content      string            `json:"content"`
	ContentMap   map[string]string `json:"contentMap"`
	Duration     string            `json:"duration"`
	Published    string            `json:"published"`
	Updated      string            `json:"updated"`
	AttributedTo any               `json:"attributedTo"`
	To           any               `json:"to"`
	Language     *struct {
		Identifier string `json:"identifier"`
	} `json:"language"`
	URL []struct {
		Type      string `json:"type"`
		MediaType string `json:"mediaType"`
		Href      string `json:"href"`
		Height    int    `json:"height"`
		Width     int    `json:"width"`
		Size      int64  `json:"size"`
	} `json:"url"`
	Icon []struct {
		URL       string `json:"url"`
		MediaType string `json:"mediaType"`
		Width     int    `json:"width"`
	} `json:"icon"`
	SubtitleLanguage []struct {
		Identifier string `json:"identifier"`
		Name       string `json:"name"`
		// A string (sistercity, older PeerTube) or a list of links, one of them text/vtt
		// (PeerTube 6 and later).
		URL json.RawMessage `json:"url"`
	} `json:"subtitleLanguage"`
}

// sanitiser keeps what a description may hold: paragraphs, line breaks, emphasis and links,
// which open with rel="nofollow noopener" and never run script (bluemonday's UGC policy).
var sanitiser = func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.RequireNoFollowOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(false)
	return p
}()

// parseVideo reads and checks the Video object b, fetched as objectID, of actor.
func parseVideo(b []byte, actor, objectID string, now time.Time) (*Video, error) {
	var d videoDoc
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("portal: video %s: %w", objectID, err)
	}
	if d.ID != objectID || !strings.EqualFold(fmt.Sprint(d.Type), "Video") {
		if strings.EqualFold(fmt.Sprint(d.Type), "Tombstone") {
			return nil, errNotPublic
		}
		return nil, fmt.Errorf("portal: %s is no Video", objectID)
	}
	if by := ids(d.AttributedTo); len(by) > 0 && !slices.Contains(by, actor) {
		return nil, fmt.Errorf("portal: video %s attributed to another actor", objectID)
	}
	if !slices.Contains(ids(d.To), fed.Public) {
		return nil, errNotPublic
	}
	v := &Video{ObjectID: objectID, ActorID: actor, Name: plain(d.Name), Names: map[string]string{}, Contents: map[string]string{},
		Media: []Media{}, Tracks: []Track{}}
	if d.Language != nil && validLang(d.Language.Identifier) {
		v.Lang = d.Language.Identifier
	}
	for lang, name := range d.NameMap {
		if validLang(lang) && len(v.Names) < maxLanguages && plain(name) != "" {
			v.Names[lang] = plain(name)
		}
	}
	if v.Name == "" {
		v.Name, _ = v.Title(v.Lang)
	}
	if v.Name == "" {
		return nil, fmt.Errorf("portal: video %s has no name", objectID)
	}
	for lang, c := range d.ContentMap {
		if validLang(lang) && len(v.Contents) < maxLanguages {
			if h := sanitise(c); h != "" {
				v.Contents[lang] = h
			}
		}
	}
	if len(v.Contents) == 0 && sanitise(d.Content) != "" {
		v.Contents[cmp.Or(v.Lang, "und")] = sanitise(d.Content)
	}
	v.Duration = parseDuration(d.Duration)
	for _, u := range d.URL {
		if !webURL(u.Href) {
			continue
		}
		switch {
		case u.MediaType == "text/html" && v.URL == "":
			v.URL = u.Href
		case strings.HasPrefix(u.MediaType, "video/") && len(v.Media) < maxMedia && u.MediaType != "video/x-mpegurl":
			v.Media = append(v.Media, Media{URL: u.Href, Type: u.MediaType, Height: max(u.Height, 0), Width: max(u.Width, 0), Size: max(u.Size, 0)})
		}
	}
	if len(v.Media) == 0 {
		return nil, fmt.Errorf("portal: video %s has no playable file", objectID)
	}
	// Highest first: the player offers them in that order.
	slices.SortStableFunc(v.Media, func(a, b Media) int { return b.Height - a.Height })
	if v.URL == "" {
		v.URL = objectID
	}
	for _, t := range d.SubtitleLanguage {
		if u := vttURL(t.URL); validLang(t.Identifier) && webURL(u) && len(v.Tracks) < maxLanguages {
			v.Tracks = append(v.Tracks, Track{Lang: t.Identifier, Name: cmp.Or(plain(t.Name), t.Identifier), URL: u})
		}
	}
	// The widest poster, but not a thumbnail when there is a larger one.
	bestWidth := -1
	for _, ic := range d.Icon {
		if webURL(ic.URL) && ic.Width > bestWidth {
			v.PosterURL, bestWidth = ic.URL, ic.Width
		}
	}
	v.Published = parseTime(d.Published, now)
	v.Updated = parseTime(d.Updated, v.Published)
	return v, nil
}

// vttURL reads a subtitle track's url: a string, or the text/vtt one of a list of links.
func vttURL(raw json.RawMessage) string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return one
	}
	var links []struct {
		MediaType string `json:"mediaType"`
		Href      string `json:"href"`
	}
	if json.Unmarshal(raw, &links) == nil {
		for _, l := range links {
			if l.MediaType == "text/vtt" {
				return l.Href
			}
		}
	}
	return ""
}

// ids reads a property holding ids: a string, an object with an id, or a list of them.
func ids(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case map[string]any:
		if s, ok := x["id"].(string); ok {
			return []string{s}
		}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, ids(e)...)
		}
		return out
	}
	return nil
}

// plain is a remote string kept as plain text: valid UTF-8, no control characters, tags left as
// written (pages escape them), cut to maxName runes.
func plain(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > maxName {
		s = string([]rune(s)[:maxName]) + "…"
	}
	return s
}

// sanitise makes a remote description safe HTML; "" for an overlong or empty one.
func sanitise(h string) string {
	if len(h) > maxContent {
		return ""
	}
	return strings.TrimSpace(sanitiser.Sanitize(strings.ToValidUTF8(h, "")))
}

func validLang(tag string) bool {
	if tag == "" || len(tag) > 35 {
		return false
	}
	_, err := language.Parse(tag)
	return err == nil
}

func webURL(u string) bool {
	if len(u) > maxURL {
		return false
	}
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "https" || p.Scheme == "http") && p.Host != "" && p.User == nil
}

// fedHost is the lower-case host of an http(s) URL; "" for anything else.
func fedHost(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") {
		return ""
	}
	return strings.ToLower(p.Host)
}

// origin is scheme://host of an http(s) URL; "" for anything else.
func origin(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
		return ""
	}
	return p.Scheme + "://" + p.Host
}

// parseTime reads an RFC 3339 time, or else is def.
func parseTime(s string, def time.Time) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return def
	}
	return t
}

// parseDuration reads ISO 8601's PT1H2M3S (PeerTube and ours); 0 for anything else.
func parseDuration(s string) time.Duration {
	rest, ok := strings.CutPrefix(strings.ToUpper(s), "PT")
	if !ok || len(rest) > 30 {
		return 0
	}
	var d time.Duration
	n := 0
	for _, r := range rest {
		switch {
		case r >= '0' && r <= '9':
			n = n*10 + int(r-'0')
			if n > 1e6 {
				return 0
			}
		case r == 'H':
			d, n = d+time.Duration(n)*time.Hour, 0
		case r == 'M':
			d, n = d+time.Duration(n)*time.Minute, 0
		case r == 'S':
			d, n = d+time.Duration(n)*time.Second, 0
		default:
			return 0
		}
	}
	return d
}
