package publog

import (
	"context"
	"database/sql"
	"sync"
	"time"

	"sistercity/internal/db"
)

// maxRemembered bounds the Recorder's memory; past it, it forgets and asks the database again
// (which refuses the duplicates), so a flood of feed URLs or domains cannot grow it unbounded.
const maxRemembered = 100_000

// Recorder writes the entries that are recorded once per video and channel — a feed's first
// serving, an embedding domain's first view — from requests that come all the time. It
// remembers what it has recorded (or found recorded), so a feed request for a video already
// logged costs a map look-up, not a write. One per process; with several processes each learns
// once, and the unique index keeps the log to one entry.
type Recorder struct {
	mu   sync.Mutex
	seen map[onceKey]struct{}
	now  func() time.Time
}

type onceKey struct {
	video   int64
	channel string
	key     string
}

// NewRecorder makes a Recorder; now is the clock (nil is time.Now).
func NewRecorder(now func() time.Time) *Recorder {
	if now == nil {
		now = time.Now
	}
	return &Recorder{seen: map[onceKey]struct{}{}, now: now}
}

// fresh returns the keys not yet remembered.
func (r *Recorder) fresh(keys []onceKey) []onceKey {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []onceKey
	for _, k := range keys {
		if _, ok := r.seen[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}

func (r *Recorder) remember(keys []onceKey) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.seen)+len(keys) > maxRemembered {
		clear(r.seen)
	}
	for _, k := range keys {
		r.seen[k] = struct{}{}
	}
}

// FeedServed records, for each video in videoIDs, the first time the feed at feedURL (its path
// and query as the site links it, e.g. "/ru/videos.rss") served it, with the feed's language
// ("" for an all-languages feed). Call it from the feed handler on every request, outside any
// transaction: it writes only for pairs it has not seen, in one transaction, and a video that
// does not exist is skipped.
func (r *Recorder) FeedServed(ctx context.Context, d *db.DB, videoIDs []int64, feedURL, lang string) error {
	if feedURL == "" || len(feedURL) > MaxURL {
		return nil
	}
	keys := make([]onceKey, 0, len(videoIDs))
	for _, id := range videoIDs {
		keys = append(keys, onceKey{id, ChannelFeed, feedURL})
	}
	todo := r.fresh(keys)
	if len(todo) == 0 {
		return nil
	}
	at := r.now().UTC()
	err := d.InTxQuiet(ctx, func(tx *sql.Tx) error {
		for _, k := range todo {
			e := &Entry{VideoID: k.video, Channel: ChannelFeed, Name: feedURL, Lang: lang, URL: feedURL, At: at}
			if _, err := AddOnce(ctx, tx, e, feedURL); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	r.remember(todo)
	return nil
}

// embedSeen records, inside tx, the first view of video videoID embedded on domain (a host as
// Domain makes it, or Unknown), with origin as its link when known. It returns the key to
// remember once tx commits, or nil when there is nothing to remember. After a domain's first
// view it costs a map look-up.
func (r *Recorder) embedSeen(ctx context.Context, tx *sql.Tx, videoID int64, domain, origin string, at time.Time) ([]onceKey, error) {
	k := []onceKey{{videoID, ChannelEmbed, domain}}
	if len(r.fresh(k)) == 0 {
		return nil, nil
	}
	e := &Entry{VideoID: videoID, Channel: ChannelEmbed, Name: domain, URL: origin, At: at.UTC()}
	if _, err := AddOnce(ctx, tx, e, domain); err != nil {
		return nil, err
	}
	return k, nil
}
