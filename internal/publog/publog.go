// Package publog is the publication log — every channel a video reached: the site, the feeds,
// the sites that embed it, the fediverse and partner instances, and what officers record by
// hand — and the viewing figures counted from the players' beacons, which hold numbers only.
// It knows nothing of HTTP, and nothing of the video package (which will call it from its
// publication use case), only the videos table.
package publog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/language"

	"sistercity/internal/db"
	"sistercity/internal/problem"
)

// Channels a video can reach.
const (
	ChannelSite      = "site"      // published on the site's own video index
	ChannelFeed      = "feed"      // first served in a feed after publication
	ChannelEmbed     = "embed"     // embedded by another site, by its domain
	ChannelFediverse = "fediverse" // delivered to the fediverse (federation)
	ChannelPartner   = "partner"   // sent to a partner city's instance (federation)
	ChannelManual    = "manual"    // recorded by hand: a social network post, a newsletter
)

// Channels lists the channels in the order the log explains them.
var Channels = []string{ChannelSite, ChannelFeed, ChannelEmbed, ChannelFediverse, ChannelPartner, ChannelManual}

// Results of reaching a channel.
const (
	StatusOK      = "ok"
	StatusPending = "pending"
	StatusFailed  = "failed"
)

// Limits of an entry, for entries typed by hand and names that come from outside.
const (
	MaxName   = 200
	MaxURL    = 2000
	MaxDetail = 1000
)

// Entry is one channel a video reached.
type Entry struct {
	ID      int64
	VideoID int64
	Channel string
	Name    string // the channel's name or domain: "Busan's YouTube channel", "example.org", a feed's path
	Lang    string // a BCP 47 tag, or "" when the channel has no one language
	URL     string // where the video is to be seen there, http(s) only; may be ""
	At      time.Time
	Status  string
	Detail  string // the result in words: a delivery's error, a hand-typed note
	// Count is how many the channel reached, where that applies (deliveries, views of an
	// embed); HasCount tells whether it does.
	Count    int64
	HasCount bool
	// RecordedBy is the account that typed a hand-recorded entry (0 for the others);
	// RecordedByName its user name when listed.
	RecordedBy     int64
	RecordedByName string
}

// ErrNotFound is returned when an entry does not exist.
var ErrNotFound = db.ErrNotFound

// Add records e, inside tx. Entries written by the application (federation, say) use it; those
// typed by a person go through ValidateManual first.
func Add(ctx context.Context, tx *sql.Tx, e *Entry) error {
	_, err := add(ctx, tx, e, "")
	return err
}

// AddOnce records e unless the video already has an entry of e's channel under key; it tells
// whether it recorded. A feed's URL or an embedding domain is recorded once.
func AddOnce(ctx context.Context, tx *sql.Tx, e *Entry, key string) (bool, error) {
	return add(ctx, tx, e, key)
}

func add(ctx context.Context, tx *sql.Tx, e *Entry, key string) (bool, error) {
	if e.Status == "" {
		e.Status = StatusOK
	}
	if e.At.IsZero() {
		return false, fmt.Errorf("publog: entry for video %d without a time", e.VideoID)
	}
	var counted any
	if e.HasCount {
		counted = e.Count
	}
	var once any
	if key != "" {
		once = key
	}
	// Only for a video that exists: the log of a deleted video goes with it, and a late
	// writer (a feed served as the video was deleted) records nothing.
	err := tx.QueryRowContext(ctx, `INSERT INTO publication_log (video_id, channel, name, lang, url, reached_at, status, detail,
			counted, recorded_by, once_key, created_at)
		SELECT id, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 FROM videos WHERE id = $1
		ON CONFLICT (video_id, channel, once_key) DO NOTHING RETURNING id`,
		e.VideoID, e.Channel, e.Name, e.Lang, e.URL, e.At.UTC(), e.Status, e.Detail, counted, db.NullID(e.RecordedBy), once,
		time.Now().UTC()).Scan(&e.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("publog: add %s entry for video %d: %w", e.Channel, e.VideoID, err)
	}
	return true, nil
}

// RecordDelivery records the latest attempt to deliver activity ref (its id) of video videoID
// to a fediverse server's inbox at host: one entry per activity and server, kept up to date as
// the attempts go on, with their number as the entry's count. channel is ChannelFediverse, or
// ChannelPartner when host is a partner city's instance (a sister portal). status is StatusOK,
// StatusPending (to be retried) or StatusFailed; detail says what the server answered.
func RecordDelivery(ctx context.Context, tx *sql.Tx, videoID int64, channel, host, ref string, attempts int, status, detail string, at time.Time) error {
	host, detail = bounded(host, MaxName), bounded(detail, MaxDetail)
	_, err := tx.ExecContext(ctx, `INSERT INTO publication_log (video_id, channel, name, lang, url, reached_at, status, detail,
			counted, once_key, created_at)
		SELECT id, $2, $3, '', '', $4, $5, $6, $7, $8, $4 FROM videos WHERE id = $1
		ON CONFLICT (video_id, channel, once_key) DO UPDATE SET reached_at = excluded.reached_at, status = excluded.status,
			detail = excluded.detail, counted = excluded.counted`,
		videoID, channel, host, at.UTC(), status, detail, int64(attempts), ref+" "+host)
	if err != nil {
		return fmt.Errorf("publog: delivery of video %d to %s: %w", videoID, host, err)
	}
	return nil
}

// bounded cuts s to at most n characters.
func bounded(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// RecordSitePublication records that video videoID was published on the site at at. Call it
// in the transaction that publishes the video, each time it becomes published (a video
// withdrawn and published again has two entries).
func RecordSitePublication(ctx context.Context, tx *sql.Tx, videoID int64, at time.Time) error {
	return Add(ctx, tx, &Entry{VideoID: videoID, Channel: ChannelSite, Name: "", At: at, Status: StatusOK})
}

// List returns video videoID's entries, oldest first. An embed's count is its views so far,
// from the viewing figures.
func List(ctx context.Context, q db.Querier, videoID int64) ([]Entry, error) {
	out, err := db.Collect(ctx, q, `SELECT l.id, l.video_id, l.channel, l.name, l.lang, l.url, l.reached_at, l.status, l.detail,
			l.counted, COALESCE(l.recorded_by, 0), COALESCE(u.username, ''),
			(SELECT CAST(SUM(v.views) AS BIGINT) FROM video_views v WHERE v.video_id = l.video_id AND v.channel = 'embed' AND v.domain = l.name)
		FROM publication_log l LEFT JOIN users u ON u.id = l.recorded_by
		WHERE l.video_id = $1 ORDER BY l.reached_at, l.id`, []any{videoID},
		func(r interface{ Scan(...any) error }) (Entry, error) {
			var e Entry
			var counted, views sql.NullInt64
			err := r.Scan(&e.ID, &e.VideoID, &e.Channel, &e.Name, &e.Lang, &e.URL, &e.At, &e.Status, &e.Detail,
				&counted, &e.RecordedBy, &e.RecordedByName, &views)
			e.At = e.At.UTC()
			e.Count, e.HasCount = counted.Int64, counted.Valid
			if e.Channel == ChannelEmbed {
				e.Count, e.HasCount = views.Int64, true
			}
			return e, err
		})
	if err != nil {
		return nil, fmt.Errorf("publog: list video %d: %w", videoID, err)
	}
	return out, nil
}

// Get returns entry id of video videoID.
func Get(ctx context.Context, q db.Querier, videoID, id int64) (*Entry, error) {
	list, err := List(ctx, q, videoID)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if list[i].ID == id {
			return &list[i], nil
		}
	}
	return nil, fmt.Errorf("publog: entry %d of video %d: %w", id, videoID, ErrNotFound)
}

// DeleteManual removes a hand-recorded entry, the only kind a person may take back.
func DeleteManual(ctx context.Context, tx *sql.Tx, videoID, id int64) error {
	res, err := tx.ExecContext(ctx, `DELETE FROM publication_log WHERE id = $1 AND video_id = $2 AND channel = $3`,
		id, videoID, ChannelManual)
	if err != nil {
		return fmt.Errorf("publog: delete entry %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("publog: delete entry %d of video %d: %w", id, videoID, ErrNotFound)
	}
	return nil
}

// Manual is a channel as an officer types it.
type Manual struct {
	Name, URL, Lang string
	At              time.Time // zero when the date was missing or unreadable
}

// ValidateManual checks a hand-typed entry and returns it ready to Add, or the problems with
// its fields (name, url, lang, at). A link must be http or https: anything else (javascript:,
// data:, a relative path) is refused, as it would be a link in the log's page.
func ValidateManual(m Manual, videoID, userID int64) (*Entry, problem.Fields) {
	var errs problem.Fields
	name := strings.TrimSpace(m.Name)
	switch {
	case name == "":
		errs.Add("name", "publog.error.name_missing")
	case utf8.RuneCountInString(name) > MaxName || !utf8.ValidString(name):
		errs.Add("name", "publog.error.name_long", "count", MaxName)
	}
	link := strings.TrimSpace(m.URL)
	if link != "" {
		if _, ok := WebURL(link); !ok {
			errs.Add("url", "publog.error.url")
		}
	}
	lang := strings.TrimSpace(m.Lang)
	if lang != "" {
		t, err := language.Parse(lang)
		if err != nil || len(lang) > 35 {
			errs.Add("lang", "publog.error.lang")
		} else {
			lang = t.String()
		}
	}
	if m.At.IsZero() {
		errs.Add("at", "publog.error.date")
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return &Entry{VideoID: videoID, Channel: ChannelManual, Name: name, URL: link, Lang: lang, At: m.At,
		Status: StatusOK, RecordedBy: userID}, nil
}

// WebURL parses s as an absolute http or https URL with a host, within MaxURL, and returns it
// as written; ok is false for anything else.
func WebURL(s string) (string, bool) {
	if len(s) > MaxURL || strings.ContainsAny(s, " \t\r\n\x00") {
		return "", false
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "", false
	}
	return s, true
}
