package fed

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"sistercity/internal/db"
)

// Follower is a remote actor's follow of one of the city's actors, with what we know of the
// remote's name. A remote that follows the city and its channel has a Follower for each.
type Follower struct {
	ActorID string
	// Followed is the actor it follows: "" for the city, else the channel's or the account's id
	// (see followable).
	Followed  string
	Username  string
	Name      string
	Host      string
	State     string // pending, accepted
	CreatedAt time.Time
}

// Followers lists the follows, pending ones first, newest first.
func Followers(ctx context.Context, q db.Querier, limit int) ([]Follower, error) {
	return db.Collect(ctx, q, `SELECT f.actor_id, f.followed, COALESCE(a.username, ''), COALESCE(a.name, ''), COALESCE(a.host, ''), f.state, f.created_at
		FROM fed_followers f LEFT JOIN fed_remote_actors a ON a.id = f.actor_id
		ORDER BY CASE f.state WHEN 'pending' THEN 0 ELSE 1 END, f.created_at DESC, f.actor_id, f.followed LIMIT $1`, []any{limit},
		func(row interface{ Scan(...any) error }) (Follower, error) {
			var f Follower
			err := row.Scan(&f.ActorID, &f.Followed, &f.Username, &f.Name, &f.Host, &f.State, &f.CreatedAt)
			return f, err
		})
}

// Approve accepts actorID's pending follow of followed ("" for the city) in tx and enqueues
// its Accept.
func (s *Service) Approve(ctx context.Context, tx *sql.Tx, actorID, followed string) error {
	var followID, inbox, state string
	err := tx.QueryRowContext(ctx, "SELECT follow_id, inbox, state FROM fed_followers WHERE actor_id = $1 AND followed = $2",
		actorID, followed).Scan(&followID, &inbox, &state)
	if errors.Is(err, sql.ErrNoRows) {
		return db.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("fed: approve: %w", err)
	}
	if state == "accepted" {
		return nil
	}
	if _, err := tx.ExecContext(ctx, "UPDATE fed_followers SET state = 'accepted' WHERE actor_id = $1 AND followed = $2", actorID, followed); err != nil {
		return fmt.Errorf("fed: approve: %w", err)
	}
	return s.enqueueAnswer(ctx, tx, "Accept", actorID, followID, followed, inbox)
}

// Reject removes actorID's follow of followed ("" for the city), pending or not, in tx and
// tells its server with a Reject; its follows of the city's other actors stay.
func (s *Service) Reject(ctx context.Context, tx *sql.Tx, actorID, followed string) error {
	var followID, inbox string
	err := tx.QueryRowContext(ctx, "SELECT follow_id, inbox FROM fed_followers WHERE actor_id = $1 AND followed = $2",
		actorID, followed).Scan(&followID, &inbox)
	if errors.Is(err, sql.ErrNoRows) {
		return db.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("fed: reject: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM fed_followers WHERE actor_id = $1 AND followed = $2", actorID, followed); err != nil {
		return fmt.Errorf("fed: reject: %w", err)
	}
	return s.enqueueAnswer(ctx, tx, "Reject", actorID, followID, followed, inbox)
}

// Reply is a remote reply to one of our videos, for the office to read.
type Reply struct {
	NoteID     string
	ActorID    string
	Username   string
	Host       string
	InReplyTo  string
	Content    string // plain text
	URL        string
	ReceivedAt time.Time
	Silenced   bool // its server is under a silence block
}

// Replies lists the newest replies; those from silenced servers only with withSilenced.
func Replies(ctx context.Context, q db.Querier, limit int, withSilenced bool) ([]Reply, error) {
	bl, err := LoadBlocks(ctx, q)
	if err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT r.note_id, r.actor_id, COALESCE(a.username, ''), COALESCE(a.host, ''), r.in_reply_to, r.content, r.url, r.received_at
		FROM fed_replies r LEFT JOIN fed_remote_actors a ON a.id = r.actor_id
		ORDER BY r.received_at DESC, r.note_id`)
	if err != nil {
		return nil, fmt.Errorf("fed: replies: %w", err)
	}
	defer rows.Close()
	var out []Reply
	for rows.Next() && len(out) < limit {
		var r Reply
		if err := rows.Scan(&r.NoteID, &r.ActorID, &r.Username, &r.Host, &r.InReplyTo, &r.Content, &r.URL, &r.ReceivedAt); err != nil {
			return nil, fmt.Errorf("fed: replies: %w", err)
		}
		if r.Silenced = bl.Silences(r.ActorID); r.Silenced && !withSilenced {
			continue
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ObjectReactions are the likes and announces (boosts) of one of our objects; a video's object
// id is {base}/ap/videos/{id}.
type ObjectReactions struct {
	ObjectID  string
	Likes     int64
	Announces int64
}

// countReactions counts the reactions query selects (object_id, kind, actor_id), leaving out
// those of silenced servers, per object.
func countReactions(ctx context.Context, q db.Querier, query string, args ...any) ([]ObjectReactions, error) {
	bl, err := LoadBlocks(ctx, q)
	if err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("fed: reactions: %w", err)
	}
	defer rows.Close()
	byObject := map[string]*ObjectReactions{}
	var out []*ObjectReactions
	for rows.Next() {
		var object, kind, actor string
		if err := rows.Scan(&object, &kind, &actor); err != nil {
			return nil, fmt.Errorf("fed: reactions: %w", err)
		}
		o := byObject[object]
		if o == nil {
			o = &ObjectReactions{ObjectID: object}
			byObject[object] = o
			out = append(out, o)
		}
		if bl.Silences(actor) {
			continue
		}
		if kind == "like" {
			o.Likes++
		} else {
			o.Announces++
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("fed: reactions: %w", err)
	}
	res := make([]ObjectReactions, len(out))
	for i, o := range out {
		res[i] = *o
	}
	return res, nil
}

// Reactions counts the likes and announces per object, the most liked first; those of silenced
// servers are not counted.
func Reactions(ctx context.Context, q db.Querier, limit int) ([]ObjectReactions, error) {
	all, err := countReactions(ctx, q, "SELECT object_id, kind, actor_id FROM fed_reactions")
	if err != nil {
		return nil, err
	}
	slices.SortFunc(all, func(a, b ObjectReactions) int {
		return cmp.Or(cmp.Compare(b.Likes, a.Likes), cmp.Compare(b.Announces, a.Announces), strings.Compare(a.ObjectID, b.ObjectID))
	})
	return all[:min(limit, len(all))], nil
}

// VideoReactions counts the likes and boosts of the object of video id, but those of silenced
// servers.
func (s *Service) VideoReactions(ctx context.Context, q db.Querier, id int64) (likes, announces int64, err error) {
	rs, err := countReactions(ctx, q, "SELECT object_id, kind, actor_id FROM fed_reactions WHERE object_id = $1",
		s.base+VideoPathPrefix+strconv.FormatInt(id, 10))
	if err != nil || len(rs) == 0 {
		return 0, 0, err
	}
	return rs[0].Likes, rs[0].Announces, nil
}

// FollowerCount counts the accepted followers of followed: "" for the city, else the channel's
// or the account's id.
func FollowerCount(ctx context.Context, q db.Querier, followed string) (int64, error) {
	var n int64
	err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM fed_followers WHERE state = 'accepted' AND followed = $1", followed).Scan(&n)
	return n, err
}

// FollowedBy tells whether path is the followers collection of one of the city's actors, and
// which (as FollowerCount takes it).
func (s *Service) FollowedBy(path string) (followed string, ok bool) {
	switch path {
	case FollowersPath:
		return "", true
	case ChannelFollowersPath:
		return s.base + ChannelPath, true
	case AccountFollowersPath:
		return s.base + AccountPath, true
	}
	return "", false
}

// Collection is an OrderedCollection that shows its size but not its members (followers and
// following, as Mastodon shows them when the owner hides the list) or, for the outbox, is empty
// until the video objects are published there.
func (s *Service) Collection(path string, total int64) map[string]any {
	return map[string]any{
		"@context":   "https://www.w3.org/ns/activitystreams",
		"id":         s.base + path,
		"type":       "OrderedCollection",
		"totalItems": total,
		"first":      s.base + path + "?page=1",
	}
}

// CollectionPage is the page of a Collection: empty.
func (s *Service) CollectionPage(path string) map[string]any {
	return map[string]any{
		"@context":     "https://www.w3.org/ns/activitystreams",
		"id":           s.base + path + "?page=1",
		"type":         "OrderedCollectionPage",
		"partOf":       s.base + path,
		"orderedItems": []any{},
	}
}

// AuthorizeFetch checks a GET of the actor or of one of our objects: with the authorized-fetch
// setting on, it must be signed by a key its actor owns (ErrUnsigned, ErrBadSignature, …);
// with it off, nil. A 401 for the caller to send.
func (s *Service) AuthorizeFetch(r *http.Request) error {
	st, err := LoadSettings(r.Context(), s.db.R)
	if err != nil {
		return err
	}
	if !st.AuthorizedFetch {
		return nil
	}
	if !s.rate.allow(signerHost(r)) {
		return refuse(http.StatusTooManyRequests, errors.New("rate limit"))
	}
	if err := s.refuseBlockedSigner(r.Context(), r); err != nil {
		return err
	}
	signer, err := s.Verify(r.Context(), r, nil)
	if err != nil {
		return refuse(http.StatusUnauthorized, err)
	}
	return s.checkSigner(r.Context(), signer)
}
