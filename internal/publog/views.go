package publog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"golang.org/x/text/language"

	"sistercity/internal/db"
)

// Beacon events: a page load whose video really started playing, a subtitle language chosen
// after that, a quarter of the video played.
const (
	EventView      = "view"
	EventSubtitles = "subtitles"
	EventQuartile  = "quartile"
)

// View channels: the site's watch page, and the embed page inside another site.
const (
	ViewSite  = ChannelSite
	ViewEmbed = ChannelEmbed
)

// Unknown is the domain of an embed whose embedding site could not be told: no referrer, or
// one that is not a plain http(s) origin of reasonable size.
const Unknown = "unknown"

// SubtitlesOff is the language recorded for a view without subtitles.
const SubtitlesOff = "off"

// Quartiles are the shares of a video a beacon may report, in per cent.
var Quartiles = []int{25, 50, 75, 100}

// maxDomain bounds a host name (253) with a port.
const maxDomain = 253 + 6

// Beacon is one report from a player, already checked by the web layer for its signature and
// its sender (no bot, no prefetch, within the rate).
type Beacon struct {
	VideoID  int64
	Channel  string // ViewSite or ViewEmbed
	Domain   string // for ViewEmbed: the embedding host (Domain) or Unknown; "" for the site
	Origin   string // for ViewEmbed: the embedding origin, "" when unknown
	Event    string
	Lang     string // EventView, EventSubtitles: the subtitle language showing, or SubtitlesOff
	Quartile int    // EventQuartile: 25, 50, 75 or 100
}

// ErrUnknownVideo is returned for a beacon about a video that does not exist or is not public.
var ErrUnknownVideo = errors.New("publog: beacon for an unknown video")

// ErrBadBeacon is returned for a beacon whose fields make no sense.
var ErrBadBeacon = errors.New("publog: malformed beacon")

// Domain reduces what a player says about its embedding page (document.referrer, an origin or
// a whole URL) to the host it is counted under and the origin the log links to. Anything that
// is missing, not http(s), too long or not a plain host name counts as Unknown, so nothing odd
// is stored or shown.
func Domain(referrer string) (domain, origin string) {
	if referrer == "" || len(referrer) > MaxURL {
		return Unknown, ""
	}
	u, err := url.Parse(referrer)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil {
		return Unknown, ""
	}
	host := strings.ToLower(u.Host)
	if host == "" || len(host) > maxDomain || !plainHost(host) {
		return Unknown, ""
	}
	return host, u.Scheme + "://" + host
}

// plainHost tells whether h is a DNS name or an address, with an optional port: letters,
// digits, dots, dashes, and an IPv6 address in brackets.
func plainHost(h string) bool {
	name, port := h, ""
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.HasSuffix(h, "]") {
		name, port = h[:i], h[i+1:]
		if port == "" || len(port) > 5 || strings.Trim(port, "0123456789") != "" {
			return false
		}
	}
	if strings.HasPrefix(name, "[") && strings.HasSuffix(name, "]") {
		inner := name[1 : len(name)-1]
		return inner != "" && strings.Trim(inner, "0123456789abcdef:.") == ""
	}
	if name == "" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "-") {
		return false
	}
	return strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789.-") == ""
}

// SubtitleLang returns lang as a canonical BCP 47 tag, SubtitlesOff for "off" or "", and ok
// false for anything else.
func SubtitleLang(lang string) (string, bool) {
	if lang == "" || lang == SubtitlesOff {
		return SubtitlesOff, true
	}
	if len(lang) > 35 {
		return "", false
	}
	t, err := language.Parse(lang)
	if err != nil {
		return "", false
	}
	return t.String(), true
}

func (b *Beacon) check() error {
	switch b.Channel {
	case ViewSite:
		b.Domain, b.Origin = "", ""
	case ViewEmbed:
		if b.Domain == "" {
			b.Domain = Unknown
		}
	default:
		return ErrBadBeacon
	}
	switch b.Event {
	case EventView, EventSubtitles:
		lang, ok := SubtitleLang(b.Lang)
		if !ok {
			return ErrBadBeacon
		}
		b.Lang = lang
	case EventQuartile:
		if b.Quartile != 25 && b.Quartile != 50 && b.Quartile != 75 && b.Quartile != 100 {
			return ErrBadBeacon
		}
	default:
		return ErrBadBeacon
	}
	if b.VideoID <= 0 {
		return ErrUnknownVideo
	}
	return nil
}

// Count adds one beacon to the figures of the day (UTC) of at: a view (with the subtitle
// language it started with, and, for the first view from an embedding domain, the embed's
// entry in the log), a subtitle language chosen, or a quartile reached. It returns
// ErrUnknownVideo for a video that is not public and ErrBadBeacon for nonsense, and stores
// nothing then.
func (r *Recorder) Count(ctx context.Context, d *db.DB, b Beacon, at time.Time) error {
	if err := b.check(); err != nil {
		return err
	}
	day := at.UTC().Format(time.DateOnly)
	var remember []onceKey
	err := d.InTxQuiet(ctx, func(tx *sql.Tx) error {
		var state string
		err := tx.QueryRowContext(ctx, "SELECT state FROM videos WHERE id = $1", b.VideoID).Scan(&state)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && state != "published" && state != "unlisted") {
			return ErrUnknownVideo
		}
		if err != nil {
			return err
		}
		switch b.Event {
		case EventView:
			if err := bump(ctx, tx, b, day, "views"); err != nil {
				return err
			}
			if err := bumpSubtitles(ctx, tx, b, day); err != nil {
				return err
			}
			if b.Channel == ViewEmbed {
				remember, err = r.embedSeen(ctx, tx, b.VideoID, b.Domain, b.Origin, at)
				return err
			}
			return nil
		case EventSubtitles:
			return bumpSubtitles(ctx, tx, b, day)
		default:
			return bump(ctx, tx, b, day, fmt.Sprintf("q%d", b.Quartile))
		}
	})
	if err != nil {
		if errors.Is(err, ErrUnknownVideo) {
			return err
		}
		return fmt.Errorf("publog: count beacon for video %d: %w", b.VideoID, err)
	}
	r.remember(remember)
	return nil
}

// bump adds one to column (views, q25, …; never input) of the beacon's day and channel.
func bump(ctx context.Context, tx *sql.Tx, b Beacon, day, column string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO video_views (video_id, day, channel, domain, `+column+`) VALUES ($1, $2, $3, $4, 1)
		ON CONFLICT (video_id, day, channel, domain) DO UPDATE SET `+column+` = video_views.`+column+` + 1`,
		b.VideoID, day, b.Channel, b.Domain)
	return err
}

func bumpSubtitles(ctx context.Context, tx *sql.Tx, b Beacon, day string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO video_view_subtitles (video_id, day, lang, views) VALUES ($1, $2, $3, 1)
		ON CONFLICT (video_id, day, lang) DO UPDATE SET views = video_view_subtitles.views + 1`, b.VideoID, day, b.Lang)
	return err
}

// ChannelViews are the views of a video on one channel (the site, or one embedding domain).
type ChannelViews struct {
	Channel, Domain     string
	Views               int64
	Q25, Q50, Q75, Q100 int64
	FirstDay, LastDay   string
}

// DayViews are a video's views on one day (UTC), on the site and in embeds.
type DayViews struct {
	Day         string
	Site, Embed int64
}

// LangViews are the views that showed one subtitle language (or SubtitlesOff).
type LangViews struct {
	Lang  string
	Views int64
}

// Figures are a video's viewing figures.
type Figures struct {
	Total     int64
	Channels  []ChannelViews // the site first, then domains by views
	Days      []DayViews     // the latest days with views first, at most MaxDays
	Subtitles []LangViews    // by views
}

// MaxDays is how many days of views Figures lists.
const MaxDays = 31

// VideoFigures returns video videoID's viewing figures.
func VideoFigures(ctx context.Context, q db.Querier, videoID int64) (*Figures, error) {
	f := &Figures{}
	var err error
	f.Channels, err = db.Collect(ctx, q, `SELECT channel, domain, CAST(SUM(views) AS BIGINT), CAST(SUM(q25) AS BIGINT), CAST(SUM(q50) AS BIGINT), CAST(SUM(q75) AS BIGINT), CAST(SUM(q100) AS BIGINT), MIN(day), MAX(day)
		FROM video_views WHERE video_id = $1 GROUP BY channel, domain
		ORDER BY CASE WHEN channel = 'site' THEN 0 ELSE 1 END, SUM(views) DESC, domain`, []any{videoID},
		func(r interface{ Scan(...any) error }) (ChannelViews, error) {
			var c ChannelViews
			err := r.Scan(&c.Channel, &c.Domain, &c.Views, &c.Q25, &c.Q50, &c.Q75, &c.Q100, &c.FirstDay, &c.LastDay)
			return c, err
		})
	if err != nil {
		return nil, fmt.Errorf("publog: figures of video %d: %w", videoID, err)
	}
	for _, c := range f.Channels {
		f.Total += c.Views
	}
	f.Days, err = db.Collect(ctx, q, `SELECT day, CAST(SUM(CASE WHEN channel = 'site' THEN views ELSE 0 END) AS BIGINT),
			CAST(SUM(CASE WHEN channel = 'embed' THEN views ELSE 0 END) AS BIGINT)
		FROM video_views WHERE video_id = $1 GROUP BY day HAVING SUM(views) > 0 ORDER BY day DESC LIMIT $2`, []any{videoID, MaxDays},
		func(r interface{ Scan(...any) error }) (DayViews, error) {
			var d DayViews
			err := r.Scan(&d.Day, &d.Site, &d.Embed)
			return d, err
		})
	if err != nil {
		return nil, fmt.Errorf("publog: figures of video %d by day: %w", videoID, err)
	}
	f.Subtitles, err = db.Collect(ctx, q, `SELECT lang, CAST(SUM(views) AS BIGINT) FROM video_view_subtitles WHERE video_id = $1
		GROUP BY lang ORDER BY SUM(views) DESC, lang`, []any{videoID},
		func(r interface{ Scan(...any) error }) (LangViews, error) {
			var l LangViews
			err := r.Scan(&l.Lang, &l.Views)
			return l, err
		})
	if err != nil {
		return nil, fmt.Errorf("publog: figures of video %d by subtitles: %w", videoID, err)
	}
	return f, nil
}

// YearViews are the views of one video in one year (UTC), with a subtitle language where it
// is about one.
type YearViews struct {
	VideoID int64
	Year    int
	Lang    string
	Views   int64
}

// ViewsByYear returns every video's views per year, on all channels together.
func ViewsByYear(ctx context.Context, q db.Querier) ([]YearViews, error) {
	return yearly(ctx, q, `SELECT video_id, CAST(SUBSTR(day, 1, 4) AS INTEGER), '', CAST(SUM(views) AS BIGINT) FROM video_views
		GROUP BY video_id, SUBSTR(day, 1, 4) HAVING SUM(views) > 0`)
}

// SubtitlesByYear returns every video's views per year and subtitle language.
func SubtitlesByYear(ctx context.Context, q db.Querier) ([]YearViews, error) {
	return yearly(ctx, q, `SELECT video_id, CAST(SUBSTR(day, 1, 4) AS INTEGER), lang, CAST(SUM(views) AS BIGINT) FROM video_view_subtitles
		GROUP BY video_id, SUBSTR(day, 1, 4), lang HAVING SUM(views) > 0`)
}

func yearly(ctx context.Context, q db.Querier, query string) ([]YearViews, error) {
	out, err := db.Collect(ctx, q, query, nil, func(r interface{ Scan(...any) error }) (YearViews, error) {
		var y YearViews
		err := r.Scan(&y.VideoID, &y.Year, &y.Lang, &y.Views)
		return y, err
	})
	if err != nil {
		return nil, fmt.Errorf("publog: views by year: %w", err)
	}
	return out, nil
}
