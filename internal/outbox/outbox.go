// Package outbox keeps the city's ActivityPub outbox: the Create, Update and Delete activities
// of its videos, each written in the transaction of the change that caused it (a publication,
// an edit, a track's approval, a withdrawal), so that nothing is published without its
// activity and no activity names a change that was rolled back. The video and track use cases
// call it; package apub turns its rows into JSON, and delivery fans them out. It knows neither
// HTTP nor the shape of the objects.
package outbox

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"sistercity/internal/db"
	"sistercity/internal/jobs"
)

// Kinds of activities.
const (
	Create = "Create"
	Update = "Update"
	Delete = "Delete"
)

// Activity is one row of the outbox.
type Activity struct {
	ID      int64 // the n of {base}/ap/videos/{video}/activities/{n}
	VideoID int64
	Kind    string
	At      time.Time
}

// Object is what the fediverse knows of a video: its stable uuid and its last activity, which
// says whether the object is live (Create, Update) or a Tombstone (Delete).
type Object struct {
	VideoID int64
	UUID    string
	Last    Activity
	// Published is when the Create of the live object (or of the deleted one) was recorded.
	Published time.Time
}

// Live tells whether the object is on the fediverse now.
func (o *Object) Live() bool { return o.Last.Kind != Delete }

// Published records that video id became public: a Create, when the video is not live already.
// The first Create gives the video its uuid, kept from then on.
func Published(ctx context.Context, tx *sql.Tx, id int64, at time.Time) error {
	o, err := Get(ctx, tx, id)
	switch {
	case errors.Is(err, db.ErrNotFound):
		if _, err := tx.ExecContext(ctx, `INSERT INTO ap_videos (video_id, uuid, created_at) VALUES ($1, $2, $3)`,
			id, newUUID(), at.UTC()); err != nil {
			return fmt.Errorf("outbox: video %d uuid: %w", id, err)
		}
	case err != nil:
		return err
	case o.Live():
		return nil
	}
	return add(ctx, tx, id, Create, at)
}

// Changed records an Update of video id when it is live; otherwise it does nothing, since
// what is not on the fediverse has nothing to update there.
func Changed(ctx context.Context, tx *sql.Tx, id int64, at time.Time) error {
	o, err := Get(ctx, tx, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil
	}
	if err != nil || !o.Live() {
		return err
	}
	return add(ctx, tx, id, Update, at)
}

// Withdrawn records a Delete of video id when it is live: from then on its object is a
// Tombstone.
func Withdrawn(ctx context.Context, tx *sql.Tx, id int64, at time.Time) error {
	o, err := Get(ctx, tx, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil
	}
	if err != nil || !o.Live() {
		return err
	}
	return add(ctx, tx, id, Delete, at)
}

func add(ctx context.Context, tx *sql.Tx, id int64, kind string, at time.Time) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO ap_outbox (video_id, kind, published_at) VALUES ($1, $2, $3)`,
		id, kind, at.UTC()); err != nil {
		return fmt.Errorf("outbox: video %d %s: %w", id, kind, err)
	}
	// The activity is sent as soon as the change commits, by whichever worker takes the job.
	if err := jobs.Trigger(ctx, tx, Send{}); err != nil {
		return fmt.Errorf("outbox: video %d %s: %w", id, kind, err)
	}
	return nil
}

// Send is the job that hands what the outbox recorded to the followers (web's OutboxSender
// works it). Every activity recorded triggers it in the transaction that records it (at most
// one waits at a time); a periodic one is the backstop for writes made where no queue
// was at hand.
type Send struct{}

// Kind names the job.
func (Send) Kind() string { return "outbox.send" }

// InsertOpts puts the job on fed.Queue, beside the deliveries it enqueues: never behind an
// encode on the default queue. (The name is repeated here so that this package need not know
// fed; a test in web checks that they agree.)
func (Send) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: "federation"} }

// Get returns what the fediverse knows of video id: db.ErrNotFound when it was never
// federated.
func Get(ctx context.Context, q db.Querier, id int64) (*Object, error) {
	o := Object{VideoID: id}
	err := q.QueryRowContext(ctx, `SELECT v.uuid, o.id, o.kind, o.published_at FROM ap_videos v
		JOIN ap_outbox o ON o.video_id = v.video_id WHERE v.video_id = $1 ORDER BY o.id DESC LIMIT 1`, id).
		Scan(&o.UUID, &o.Last.ID, &o.Last.Kind, &o.Last.At)
	if err != nil {
		return nil, db.NotFound(err, fmt.Sprintf("outbox: video %d", id))
	}
	o.Last.VideoID, o.Last.At = id, o.Last.At.UTC()
	err = q.QueryRowContext(ctx, `SELECT published_at FROM ap_outbox WHERE video_id = $1 AND kind = $2 AND id <= $3
		ORDER BY id DESC LIMIT 1`, id, Create, o.Last.ID).Scan(&o.Published)
	if err != nil {
		return nil, fmt.Errorf("outbox: video %d create: %w", id, err)
	}
	o.Published = o.Published.UTC()
	return &o, nil
}

// GetActivity returns activity n of video videoID: db.ErrNotFound when there is none.
func GetActivity(ctx context.Context, q db.Querier, videoID, n int64) (*Activity, error) {
	a := Activity{ID: n, VideoID: videoID}
	err := q.QueryRowContext(ctx, `SELECT kind, published_at FROM ap_outbox WHERE id = $1 AND video_id = $2`, n, videoID).
		Scan(&a.Kind, &a.At)
	if err != nil {
		return nil, db.NotFound(err, fmt.Sprintf("outbox: activity %d of video %d", n, videoID))
	}
	a.At = a.At.UTC()
	return &a, nil
}

// liveCreates selects the Create of each live video: no Create or Delete after it.
const liveCreates = `FROM ap_outbox o WHERE o.kind = 'Create' AND NOT EXISTS (SELECT 1 FROM ap_outbox l
	WHERE l.video_id = o.video_id AND l.id > o.id AND l.kind IN ('Create', 'Delete'))`

// Page lists the Create activities of the live videos, newest first, limit from offset, and
// how many there are in all: the outbox collection as the fediverse reads it.
func Page(ctx context.Context, q db.Querier, limit, offset int) ([]Activity, int, error) {
	var total int
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) "+liveCreates).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("outbox: count: %w", err)
	}
	rows, err := q.QueryContext(ctx, "SELECT o.id, o.video_id, o.kind, o.published_at "+liveCreates+
		" ORDER BY o.id DESC LIMIT $1 OFFSET $2", limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("outbox: page: %w", err)
	}
	list, err := scanAll(rows)
	return list, total, err
}

// Since lists the activities recorded after activity after, oldest first, at most limit: what
// is still to be sent to the followers.
func Since(ctx context.Context, q db.Querier, after int64, limit int) ([]Activity, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, video_id, kind, published_at FROM ap_outbox WHERE id > $1
		ORDER BY id LIMIT $2`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("outbox: since %d: %w", after, err)
	}
	return scanAll(rows)
}

func scanAll(rows *sql.Rows) ([]Activity, error) {
	defer rows.Close()
	var out []Activity
	for rows.Next() {
		var a Activity
		if err := rows.Scan(&a.ID, &a.VideoID, &a.Kind, &a.At); err != nil {
			return nil, fmt.Errorf("outbox: %w", err)
		}
		a.At = a.At.UTC()
		out = append(out, a)
	}
	return out, rows.Err()
}

// newUUID makes a random (version 4) UUID, PeerTube's kind.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
