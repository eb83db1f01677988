package video

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"sistercity/internal/blob"
	"sistercity/internal/db"
	"sistercity/internal/media"
	"sistercity/internal/outbox"
)

func itoa(n int) string { return strconv.Itoa(n) }

const videoColumns = `id, original_lang, origin_city_id, state, published_at, scheduled_at, duration_ms, source_key,
	source_info, poster_key, thumbnail_key, processing, progress, failure, version, created_at, updated_at, heartbeat_at`

func scanVideo(row interface{ Scan(...any) error }) (*Video, error) {
	var v Video
	var origin sql.NullInt64
	var pub, sched, beat sql.NullTime
	var ms int64
	err := row.Scan(&v.ID, &v.OriginalLang, &origin, &v.State, &pub, &sched, &ms, &v.SourceKey, &v.SourceInfo,
		&v.PosterKey, &v.ThumbnailKey, &v.Processing, &v.Progress, &v.Failure, &v.Version, &v.CreatedAt, &v.UpdatedAt, &beat)
	if err != nil {
		return nil, err
	}
	v.OriginCityID = origin.Int64
	if pub.Valid {
		v.PublishedAt = pub.Time.UTC()
	}
	if sched.Valid {
		v.ScheduledAt = sched.Time.UTC()
	}
	if beat.Valid {
		v.HeartbeatAt = beat.Time.UTC()
	}
	v.Duration = time.Duration(ms) * time.Millisecond
	return &v, nil
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// Get loads a video with its texts, links and renditions.
func Get(ctx context.Context, q db.Querier, id int64) (*Video, error) {
	v, err := scanVideo(q.QueryRowContext(ctx, "SELECT "+videoColumns+" FROM videos WHERE id = $1", id))
	if err != nil {
		return nil, db.NotFound(err, fmt.Sprintf("video: %d", id))
	}
	if err := loadChildren(ctx, q, map[int64]*Video{id: v}, []int64{id}); err != nil {
		return nil, err
	}
	return v, nil
}

// Filter selects videos for List.
type Filter struct {
	// States limits the list to these states; empty means all.
	States []string
	// CityID keeps videos linked to a partnership with this city, or produced by it.
	CityID int64
	// PartnershipID keeps videos linked to this partnership.
	PartnershipID int64
	Tag           string
	// Search keeps videos whose title or description, in any language, contains it
	// (case-insensitive); the admin's list search.
	Search        string
	Limit, Offset int
}

// Matching returns the ids of the videos whose title or description, in any language, contains
// search (case-insensitive), for lists of things that belong to videos (the translations).
func Matching(ctx context.Context, q db.Querier, search string) (map[int64]bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT video_id FROM video_texts
		WHERE sc_fold(title) LIKE $1 ESCAPE '\' OR sc_fold(description) LIKE $1 ESCAPE '\'`, db.ContainsPattern(search))
	if err != nil {
		return nil, fmt.Errorf("video: search: %w", err)
	}
	defer rows.Close()
	out := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("video: search: %w", err)
		}
		out[id] = true
	}
	return out, rows.Err()
}

// List returns the videos f selects, newest first (by publication, then creation), and how
// many there are in all.
func List(ctx context.Context, q db.Querier, f Filter) ([]*Video, int, error) {
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + itoa(len(args)) }
	if len(f.States) > 0 {
		var ph []string
		for _, s := range f.States {
			ph = append(ph, arg(s))
		}
		where = append(where, "state IN ("+strings.Join(ph, ", ")+")")
	}
	if f.CityID != 0 {
		c := arg(f.CityID)
		where = append(where, "(origin_city_id = "+c+" OR id IN (SELECT vp.video_id FROM video_partnerships vp "+
			"JOIN partnerships p ON p.id = vp.partnership_id WHERE p.partner_city_id = "+c+" OR p.home_city_id = "+c+"))")
	}
	if f.PartnershipID != 0 {
		where = append(where, "id IN (SELECT video_id FROM video_partnerships WHERE partnership_id = "+arg(f.PartnershipID)+")")
	}
	if f.Tag != "" {
		where = append(where, "id IN (SELECT video_id FROM video_tags WHERE tag = "+arg(strings.ToLower(f.Tag))+")")
	}
	if f.Search != "" {
		pat := arg(db.ContainsPattern(f.Search))
		where = append(where, "id IN (SELECT video_id FROM video_texts WHERE sc_fold(title) LIKE "+pat+
			` ESCAPE '\' OR sc_fold(description) LIKE `+pat+` ESCAPE '\')`)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM videos"+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("video: count: %w", err)
	}
	query := "SELECT " + videoColumns + " FROM videos" + cond +
		" ORDER BY CASE WHEN published_at IS NULL THEN 1 ELSE 0 END, published_at DESC, created_at DESC, id DESC"
	if f.Limit > 0 {
		query += " LIMIT " + itoa(f.Limit) + " OFFSET " + itoa(max(f.Offset, 0))
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("video: list: %w", err)
	}
	var out []*Video
	byID := map[int64]*Video{}
	var ids []int64
	for rows.Next() {
		v, err := scanVideo(rows)
		if err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("video: list: %w", err)
		}
		out = append(out, v)
		byID[v.ID] = v
		ids = append(ids, v.ID)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("video: list: %w", err)
	}
	if err := loadChildren(ctx, q, byID, ids); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// loadChildren fills in the texts, links and renditions of the videos in byID.
func loadChildren(ctx context.Context, q db.Querier, byID map[int64]*Video, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	var ph []string
	var args []any
	for i, id := range ids {
		ph = append(ph, "$"+itoa(i+1))
		args = append(args, id)
	}
	in := " WHERE video_id IN (" + strings.Join(ph, ", ") + ")"
	load := func(query string, scan func(*sql.Rows) error) error {
		rows, err := q.QueryContext(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("video: load: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return fmt.Errorf("video: load: %w", err)
			}
		}
		return rows.Err()
	}
	var id int64
	if err := load("SELECT video_id, lang, title, description, credits FROM video_texts"+in+" ORDER BY lang", func(r *sql.Rows) error {
		var t Text
		if err := r.Scan(&id, &t.Lang, &t.Title, &t.Description, &t.Credits); err != nil {
			return err
		}
		byID[id].Texts = append(byID[id].Texts, t)
		return nil
	}); err != nil {
		return err
	}
	if err := load("SELECT video_id, partnership_id FROM video_partnerships"+in+" ORDER BY partnership_id", func(r *sql.Rows) error {
		var p int64
		if err := r.Scan(&id, &p); err != nil {
			return err
		}
		byID[id].Partnerships = append(byID[id].Partnerships, p)
		return nil
	}); err != nil {
		return err
	}
	if err := load("SELECT video_id, tag FROM video_tags"+in+" ORDER BY tag", func(r *sql.Rows) error {
		var t string
		if err := r.Scan(&id, &t); err != nil {
			return err
		}
		byID[id].Tags = append(byID[id].Tags, t)
		return nil
	}); err != nil {
		return err
	}
	return load(`SELECT video_id, lines, width, height, size, bitrate, storage_key, hls_key, codecs, bandwidth, average_bandwidth, frame_rate,
		source_key FROM video_renditions`+in+" ORDER BY lines", func(r *sql.Rows) error {
		var x Rendition
		if err := r.Scan(&id, &x.Lines, &x.Width, &x.Height, &x.Size, &x.Bitrate, &x.Key,
			&x.HLSKey, &x.Codecs, &x.Bandwidth, &x.AverageBandwidth, &x.FrameRate, &x.Source); err != nil {
			return err
		}
		byID[id].Renditions = append(byID[id].Renditions, x)
		return nil
	})
}

// Create inserts v (validated by the caller) and sets its ID and Version.
func Create(ctx context.Context, tx *sql.Tx, v *Video) error {
	now := time.Now().UTC()
	if v.Processing == "" {
		v.Processing = ProcNone
	}
	err := tx.QueryRowContext(ctx, `INSERT INTO videos (original_lang, origin_city_id, state, published_at, scheduled_at,
		source_key, processing, version, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8) RETURNING id`,
		v.OriginalLang, db.NullID(v.OriginCityID), v.State, nullTime(v.PublishedAt), nullTime(v.ScheduledAt),
		v.SourceKey, v.Processing, now).Scan(&v.ID)
	if err != nil {
		return fmt.Errorf("video: create: %w", err)
	}
	v.Version, v.CreatedAt, v.UpdatedAt = 1, now, now
	return writeChildren(ctx, tx, v)
}

// Update saves v's metadata (texts, origin, links, tags, schedule) if nobody changed it since
// v.Version was read. The state changes through SetState, processing through the pipeline.
func Update(ctx context.Context, tx *sql.Tx, v *Video) error {
	res, err := tx.ExecContext(ctx, `UPDATE videos SET original_lang = $1, origin_city_id = $2, scheduled_at = $3,
		version = version + 1, updated_at = $4 WHERE id = $5 AND version = $6`,
		v.OriginalLang, db.NullID(v.OriginCityID), nullTime(v.ScheduledAt), time.Now().UTC(), v.ID, v.Version)
	if err != nil {
		return fmt.Errorf("video: update %d: %w", v.ID, err)
	}
	if err := db.OneRow(ctx, tx, res, "videos", v.ID, ErrStale); err != nil {
		return err
	}
	v.Version++
	for _, table := range []string{"video_texts", "video_partnerships", "video_tags"} {
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+table+" WHERE video_id = $1", v.ID); err != nil {
			return fmt.Errorf("video: update %d: %w", v.ID, err)
		}
	}
	if err := writeChildren(ctx, tx, v); err != nil {
		return err
	}
	// Changed texts or tags of a video on the fediverse are an Update there.
	return outbox.Changed(ctx, tx, v.ID, time.Now())
}

func writeChildren(ctx context.Context, tx *sql.Tx, v *Video) error {
	for _, t := range v.Texts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO video_texts (video_id, lang, title, description, credits)
			VALUES ($1, $2, $3, $4, $5)`, v.ID, t.Lang, t.Title, t.Description, t.Credits); err != nil {
			return fmt.Errorf("video: %d texts: %w", v.ID, err)
		}
	}
	for _, p := range v.Partnerships {
		if _, err := tx.ExecContext(ctx, `INSERT INTO video_partnerships (video_id, partnership_id) VALUES ($1, $2)`, v.ID, p); err != nil {
			return fmt.Errorf("video: %d partnerships: %w", v.ID, err)
		}
	}
	for _, tag := range v.Tags {
		if err := ensureTag(ctx, tx, tag); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO video_tags (video_id, tag) VALUES ($1, $2)`, v.ID, tag); err != nil {
			return fmt.Errorf("video: %d tags: %w", v.ID, err)
		}
	}
	return nil
}

// ErrTransition is returned by SetState for a move the workflow does not allow, or a publication
// of a video that has no renditions yet.
var ErrTransition = errors.New("video: state change not allowed")

// ErrReviewRequired is returned, with ErrTransition, by SetState for a draft published or
// scheduled directly while the office's Workflow requires a review.
var ErrReviewRequired = errors.New("video: review required before publication")

// SetState moves v to state to, checking the workflow and v.Version. Publishing needs the
// renditions to be ready; the first publication stamps PublishedAt with now.
func SetState(ctx context.Context, tx *sql.Tx, v *Video, to string, now time.Time) error {
	if !CanMove(v.State, to) {
		return fmt.Errorf("video: %d %s → %s: %w", v.ID, v.State, to, ErrTransition)
	}
	if skipsReview(v.State, to) {
		w, err := LoadWorkflow(ctx, tx)
		if err != nil {
			return err
		}
		if !w.CanMove(v.State, to) {
			return fmt.Errorf("video: %d %s → %s: %w: %w", v.ID, v.State, to, ErrReviewRequired, ErrTransition)
		}
	}
	if !canEnter(v, to) {
		return fmt.Errorf("video: %d %s → %s without renditions: %w", v.ID, v.State, to, ErrTransition)
	}
	if to == StateScheduled && v.ScheduledAt.IsZero() {
		return fmt.Errorf("video: %d scheduled without a time: %w", v.ID, ErrTransition)
	}
	pub := v.PublishedAt
	if (to == StatePublished || to == StateUnlisted) && pub.IsZero() {
		pub = now.UTC()
	}
	res, err := tx.ExecContext(ctx, `UPDATE videos SET state = $1, published_at = $2, version = version + 1, updated_at = $3
		WHERE id = $4 AND version = $5`, to, nullTime(pub), time.Now().UTC(), v.ID, v.Version)
	if err != nil {
		return fmt.Errorf("video: %d state: %w", v.ID, err)
	}
	if err := db.OneRow(ctx, tx, res, "videos", v.ID, ErrStale); err != nil {
		return err
	}
	was := v.State
	v.State, v.PublishedAt = to, pub
	v.Version++
	return federate(ctx, tx, v.ID, was, to, now)
}

// federate records on the city's outbox what a change of state means on the fediverse: a
// video that becomes public is created there, one that stops being public is deleted, and one
// that goes between published and unlisted is addressed anew (an Update). Every change of state
// goes through SetState, whoever asks for it (Move, the scheduled publication, the demo), so
// none is missed.
func federate(ctx context.Context, tx *sql.Tx, id int64, from, to string, now time.Time) error {
	public := func(s string) bool { return s == StatePublished || s == StateUnlisted }
	switch {
	case !public(from) && public(to):
		return outbox.Published(ctx, tx, id, now)
	case public(from) && !public(to):
		return outbox.Withdrawn(ctx, tx, id, now)
	case from != to:
		return outbox.Changed(ctx, tx, id, now)
	}
	return nil
}

// AttachSource records a newly stored source file and marks the video waiting for processing.
func AttachSource(ctx context.Context, tx *sql.Tx, id int64, key string) error {
	_, err := tx.ExecContext(ctx, `UPDATE videos SET source_key = $1, processing = $2, progress = 0, failure = '',
		version = version + 1, updated_at = $3 WHERE id = $4`, key, ProcWaiting, time.Now().UTC(), id)
	if err != nil {
		return fmt.Errorf("video: %d attach source: %w", id, err)
	}
	return nil
}

// FindDemo returns the ID of the video made by the demo under key, or db.ErrNotFound.
func FindDemo(ctx context.Context, q db.Querier, key string) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, "SELECT id FROM videos WHERE demo_key = $1", key).Scan(&id)
	if err != nil {
		return 0, db.NotFound(err, "video: demo "+key)
	}
	return id, nil
}

// MarkDemo tags a video as the demo's, so a second start finds it instead of making another.
func MarkDemo(ctx context.Context, tx *sql.Tx, id int64, key string) error {
	if _, err := tx.ExecContext(ctx, "UPDATE videos SET demo_key = $1 WHERE id = $2", key, id); err != nil {
		return fmt.Errorf("video: mark demo: %w", err)
	}
	return nil
}

// PublicFile tells whether key is a stored output — a rendition, its HLS playlist or segments,
// the poster or the thumbnail — of video id while the video is public. It is the one query
// behind every media request, so it reads only what that needs.
func PublicFile(ctx context.Context, q db.Querier, id int64, key string) (bool, error) {
	// A segment belongs to the playlist whose stem it starts with; other keys are their own.
	playlist, ok := HLSPlaylistOf(key)
	if !ok {
		playlist = key
	}
	var one int
	// Processed as Video.Processed says: done, or with renditions of the source already made.
	err := q.QueryRowContext(ctx, `SELECT 1 FROM videos v WHERE v.id = $1 AND v.state IN ($2, $3)
		AND (v.processing = $4 OR (v.source_key <> '' AND EXISTS (SELECT 1 FROM video_renditions r
			WHERE r.video_id = v.id AND r.source_key = v.source_key)))
		AND ($5 IN (v.poster_key, v.thumbnail_key)
			OR EXISTS (SELECT 1 FROM video_renditions r WHERE r.video_id = v.id AND (r.storage_key = $5 OR r.hls_key = $6)))`,
		id, StatePublished, StateUnlisted, ProcReady, key, playlist).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("video: %d public file: %w", id, err)
	}
	return true, nil
}

// recordOutputs records a stage of run r's outputs, in one transaction, if r still holds video
// id: the source's duration and summary, the poster and thumbnail when the stage made them, and
// its renditions, made from source. The first stage of a source replaces the renditions of any
// other source; the last one marks processing ready, the others leave it running at progress.
// A video scheduled for a time that has come is published with its first rendition. A run taken
// over while it worked loses, whatever it made: ErrSuperseded.
func recordOutputs(ctx context.Context, d *db.DB, id int64, r run, info *media.Info, si SourceSummary, source string, set outputSet, last bool, progress int) error {
	siJSON, err := json.Marshal(si)
	if err != nil {
		return err
	}
	status := ProcProcessing
	if last {
		status, progress = ProcReady, 100
	}
	now := time.Now().UTC()
	return d.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE videos SET duration_ms = $1, source_info = $2,
			poster_key = COALESCE(NULLIF($3, ''), poster_key), thumbnail_key = COALESCE(NULLIF($4, ''), thumbnail_key),
			processing = $5, progress = $6, failure = '', updated_at = $7 WHERE id = $8 AND processing_run = $9 AND processing = $10`,
			info.Duration.Milliseconds(), string(siJSON), set.poster, set.thumb, status, progress, now, id, r.token, ProcProcessing)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrSuperseded
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM video_renditions WHERE video_id = $1 AND source_key <> $2", id, source); err != nil {
			return err
		}
		for _, x := range set.renditions {
			if _, err := tx.ExecContext(ctx, "DELETE FROM video_renditions WHERE video_id = $1 AND lines = $2", id, x.Lines); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO video_renditions (video_id, lines, width, height, size, bitrate, storage_key,
				hls_key, codecs, bandwidth, average_bandwidth, frame_rate, source_key)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
				id, x.Lines, x.Width, x.Height, x.Size, x.Bitrate, x.Key, x.HLSKey, x.Codecs, x.Bandwidth, x.AverageBandwidth, x.FrameRate, source); err != nil {
				return err
			}
		}
		// A scheduled video whose time came while it could not yet be watched.
		if err := PublishDue(ctx, tx, id, now); err != nil {
			return err
		}
		// New renditions of a video on the fediverse are an Update there.
		return outbox.Changed(ctx, tx, id, now)
	})
}

// failRun records the failure of run r, if it still holds video id, and reports whether it did.
func failRun(ctx context.Context, d *db.DB, id int64, r run, reason string) (bool, error) {
	res, err := d.W.ExecContext(ctx, `UPDATE videos SET processing = $1, progress = 0, failure = $2, updated_at = $3
		WHERE id = $4 AND processing_run = $5`, ProcFailed, TrimFailure(reason), time.Now().UTC(), id, r.token)
	if err != nil {
		return false, fmt.Errorf("video: %d processing: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// forgetSource clears video id's source if it is still key, and reports whether it did.
func forgetSource(ctx context.Context, d *db.DB, id int64, key string) (bool, error) {
	res, err := d.W.ExecContext(ctx, `UPDATE videos SET source_key = '', source_info = '', updated_at = $1
		WHERE id = $2 AND source_key = $3`, time.Now().UTC(), id, key)
	if err != nil {
		return false, fmt.Errorf("video: %d forget source: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Delete removes video id's rows (its renditions, texts and tracks go with it); the caller
// deletes its files from the store once committed (DeleteFiles).
func Delete(ctx context.Context, tx *sql.Tx, id int64) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM videos WHERE id = $1", id); err != nil {
		return fmt.Errorf("video: delete %d: %w", id, err)
	}
	return nil
}

// DeleteFiles deletes every file of video id from store: its source, renditions, HLS
// segments, poster and thumbnail.
func DeleteFiles(ctx context.Context, store blob.Store, id int64) error {
	var errs []error
	for _, prefix := range []string{KeyPrefix(id), SourceKey(id, "")} {
		var keys []string
		for a, err := range store.List(ctx, prefix) {
			if err != nil {
				errs = append(errs, err)
				break
			}
			keys = append(keys, a.Key)
		}
		for _, k := range keys {
			if err := store.Delete(ctx, k); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("video: delete files of %d: %w", id, err)
	}
	return nil
}
