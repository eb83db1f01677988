package track

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"sistercity/internal/db"
	"sistercity/internal/outbox"
)

const columns = `id, video_id, lang, kind, label, is_default, status, source_track_id, translator_id, origin,
	vtt, plain_text, cue_count, done_count, review_comment, version, created_at, updated_at`

func scan(row interface{ Scan(...any) error }) (*Track, error) {
	var t Track
	var src, tr sql.NullInt64
	err := row.Scan(&t.ID, &t.VideoID, &t.Lang, &t.Kind, &t.Label, &t.Default, &t.Status, &src, &tr, &t.Origin,
		&t.VTT, &t.PlainText, &t.CueCount, &t.DoneCount, &t.ReviewComment, &t.Version, &t.CreatedAt, &t.UpdatedAt)
	if err != nil {
		return nil, err
	}
	t.SourceTrackID, t.TranslatorID = src.Int64, tr.Int64
	t.CreatedAt, t.UpdatedAt = t.CreatedAt.UTC(), t.UpdatedAt.UTC()
	return &t, nil
}

// Get loads track id.
func Get(ctx context.Context, q db.Querier, id int64) (*Track, error) {
	t, err := scan(q.QueryRowContext(ctx, "SELECT "+columns+" FROM subtitle_tracks WHERE id = $1", id))
	if err != nil {
		return nil, db.NotFound(err, fmt.Sprintf("track: %d", id))
	}
	return t, nil
}

// ForVideo lists the tracks of a video: by kind, then language, then ID. With publicOnly, only
// approved tracks.
func ForVideo(ctx context.Context, q db.Querier, videoID int64, publicOnly bool) ([]*Track, error) {
	query := "SELECT " + columns + " FROM subtitle_tracks WHERE video_id = $1"
	args := []any{videoID}
	if publicOnly {
		query += " AND status = $2"
		args = append(args, StatusApproved)
	}
	return list(ctx, q, query+" ORDER BY kind, lang, id", args...)
}

// AssignedTo lists the tracks assigned to user id that are not yet approved, newest change
// first: a translator's work list.
func AssignedTo(ctx context.Context, q db.Querier, userID int64) ([]*Track, error) {
	return list(ctx, q, "SELECT "+columns+" FROM subtitle_tracks WHERE translator_id = $1 AND status <> $2 ORDER BY updated_at DESC, id DESC",
		userID, StatusApproved)
}

func list(ctx context.Context, q db.Querier, query string, args ...any) ([]*Track, error) {
	out, err := db.Collect(ctx, q, query, args, scan)
	if err != nil {
		return nil, fmt.Errorf("track: list: %w", err)
	}
	return out, nil
}

// Create inserts t (validated, cues set) and sets its ID and Version. A default track makes
// the video's other tracks of its kind not default.
func Create(ctx context.Context, tx *sql.Tx, t *Track) error {
	now := time.Now().UTC()
	if t.Status == "" {
		t.Status = StatusDraft
	}
	err := tx.QueryRowContext(ctx, `INSERT INTO subtitle_tracks (video_id, lang, kind, label, is_default, status,
		source_track_id, translator_id, origin, vtt, plain_text, search_text, cue_count, done_count, review_comment, version,
		created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 1, $16, $16) RETURNING id`,
		t.VideoID, t.Lang, t.Kind, t.Label, t.Default, t.Status, db.NullID(t.SourceTrackID), db.NullID(t.TranslatorID),
		t.Origin, t.VTT, t.PlainText, strings.ToLower(t.PlainText), t.CueCount, t.DoneCount, t.ReviewComment, now).Scan(&t.ID)
	if err != nil {
		return fmt.Errorf("track: create: %w", err)
	}
	t.Version, t.CreatedAt, t.UpdatedAt = 1, now, now
	if err := clearOtherDefaults(ctx, tx, t); err != nil {
		return err
	}
	return federate(ctx, tx, t)
}

// Update saves t's fields and cues if nobody changed the track since t.Version was read. The
// status changes through the review steps of workflow.go.
func Update(ctx context.Context, tx *sql.Tx, t *Track) error {
	res, err := tx.ExecContext(ctx, `UPDATE subtitle_tracks SET lang = $1, kind = $2, label = $3, is_default = $4,
		translator_id = $5, origin = $6, vtt = $7, plain_text = $8, search_text = $9, cue_count = $10,
		done_count = $11, version = version + 1, updated_at = $12 WHERE id = $13 AND version = $14`,
		t.Lang, t.Kind, t.Label, t.Default, db.NullID(t.TranslatorID), t.Origin, t.VTT, t.PlainText, strings.ToLower(t.PlainText), t.CueCount,
		t.DoneCount, time.Now().UTC(), t.ID, t.Version)
	if err != nil {
		return fmt.Errorf("track: update %d: %w", t.ID, err)
	}
	if err := db.OneRow(ctx, tx, res, "subtitle_tracks", t.ID, ErrStale); err != nil {
		return err
	}
	t.Version++
	if err := clearOtherDefaults(ctx, tx, t); err != nil {
		return err
	}
	return federate(ctx, tx, t)
}

// federate records an Update of t's video on the city's outbox when t is public: the video's
// subtitle languages are part of its object on the fediverse. Only approved tracks are in it,
// so a draft's changes are not.
func federate(ctx context.Context, tx *sql.Tx, t *Track) error {
	if t.Status != StatusApproved {
		return nil
	}
	return outbox.Changed(ctx, tx, t.VideoID, time.Now())
}

// SaveCues is Update for the cue editor: it refuses a track that is not a draft.
func SaveCues(ctx context.Context, tx *sql.Tx, t *Track) error {
	if t.Status != StatusDraft {
		return ErrNotEditable
	}
	return Update(ctx, tx, t)
}

func clearOtherDefaults(ctx context.Context, tx *sql.Tx, t *Track) error {
	if !t.Default {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE subtitle_tracks SET is_default = $1 WHERE video_id = $2 AND kind = $3 AND id <> $4`,
		false, t.VideoID, t.Kind, t.ID); err != nil {
		return fmt.Errorf("track: default: %w", err)
	}
	return nil
}

// move applies a review action (ActionSubmit, ActionApprove, ActionReturn, ActionReopen) by
// user userID with comment, checking t.Version, and records it in the history. The use cases
// of workflow.go check the rules before it: Submit, Approve, Return, Reopen.
func move(ctx context.Context, tx *sql.Tx, t *Track, action string, userID int64, comment string, now time.Time) error {
	step, ok := transitions[action]
	if !ok || step.from != t.Status {
		return fmt.Errorf("track: %d %s from %s: %w", t.ID, action, t.Status, ErrTransition)
	}
	review := t.ReviewComment
	switch action {
	case ActionReturn:
		review = comment
	case ActionApprove:
		review = ""
	}
	res, err := tx.ExecContext(ctx, `UPDATE subtitle_tracks SET status = $1, review_comment = $2, version = version + 1,
		updated_at = $3 WHERE id = $4 AND version = $5`, step.to, review, now.UTC(), t.ID, t.Version)
	if err != nil {
		return fmt.Errorf("track: %d %s: %w", t.ID, action, err)
	}
	if err := db.OneRow(ctx, tx, res, "subtitle_tracks", t.ID, ErrStale); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO subtitle_reviews (track_id, user_id, action, comment, created_at)
		VALUES ($1, $2, $3, $4, $5)`, t.ID, db.NullID(userID), action, comment, now.UTC()); err != nil {
		return fmt.Errorf("track: %d history: %w", t.ID, err)
	}
	wasPublic := t.Public()
	t.Status, t.ReviewComment = step.to, review
	t.Version++
	if wasPublic || t.Public() { // approved, or taken back from the public site
		return outbox.Changed(ctx, tx, t.VideoID, now)
	}
	return nil
}

// Review is one entry of a track's review history.
type Review struct {
	UserID    int64
	Action    string
	Comment   string
	CreatedAt time.Time
}

// History lists a track's review steps, oldest first.
func History(ctx context.Context, q db.Querier, trackID int64) ([]Review, error) {
	rows, err := q.QueryContext(ctx, `SELECT user_id, action, comment, created_at FROM subtitle_reviews
		WHERE track_id = $1 ORDER BY created_at, id`, trackID)
	if err != nil {
		return nil, fmt.Errorf("track: history: %w", err)
	}
	defer rows.Close()
	var out []Review
	for rows.Next() {
		var r Review
		var user sql.NullInt64
		if err := rows.Scan(&user, &r.Action, &r.Comment, &r.CreatedAt); err != nil {
			return nil, fmt.Errorf("track: history: %w", err)
		}
		r.UserID, r.CreatedAt = user.Int64, r.CreatedAt.UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// Delete removes track id. Translations made from it keep their cues and lose the link.
func Delete(ctx context.Context, tx *sql.Tx, id int64) error {
	t := Track{ID: id}
	err := tx.QueryRowContext(ctx, "DELETE FROM subtitle_tracks WHERE id = $1 RETURNING video_id, status", id).Scan(&t.VideoID, &t.Status)
	if err != nil {
		return db.NotFound(err, fmt.Sprintf("track: delete %d", id))
	}
	return federate(ctx, tx, &t)
}

// SearchVideos returns the IDs of videos with an approved track whose text contains query
// (case-insensitive), at most limit of them, most recently changed first.
func SearchVideos(ctx context.Context, q db.Querier, query string, limit int) ([]int64, error) {
	query = strings.TrimSpace(query)
	if query == "" {
		return nil, nil
	}
	// LIKE with the pattern characters escaped, on text lowered by Go on both sides: SQLite's
	// lower() knows only ASCII, and Cyrillic has cases.
	pattern := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.ToLower(query)) + "%"
	rows, err := q.QueryContext(ctx, `SELECT video_id FROM subtitle_tracks WHERE status = $1 AND search_text LIKE $2 ESCAPE '\'
		GROUP BY video_id ORDER BY MAX(updated_at) DESC LIMIT `+strconv.Itoa(max(limit, 1)), StatusApproved, pattern)
	if err != nil {
		return nil, fmt.Errorf("track: search: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("track: search: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// ApprovedForVideos lists the approved tracks of the given videos by video, each video's in the
// order of ForVideo. Only the fields a list of tracks shows are loaded — not the cues (VTT,
// PlainText), which feeds of many videos do not need.
func ApprovedForVideos(ctx context.Context, q db.Querier, videoIDs []int64) (map[int64][]*Track, error) {
	out := map[int64][]*Track{}
	if len(videoIDs) == 0 {
		return out, nil
	}
	args := []any{StatusApproved}
	ph := make([]string, len(videoIDs))
	for i, id := range videoIDs {
		args = append(args, id)
		ph[i] = "$" + strconv.Itoa(i+2)
	}
	err := db.Each(ctx, q, `SELECT id, video_id, lang, kind, label, is_default, status, updated_at FROM subtitle_tracks
		WHERE status = $1 AND video_id IN (`+strings.Join(ph, ", ")+`) ORDER BY video_id, kind, lang, id`, args, func(r *sql.Rows) error {
		var t Track
		if err := r.Scan(&t.ID, &t.VideoID, &t.Lang, &t.Kind, &t.Label, &t.Default, &t.Status, &t.UpdatedAt); err != nil {
			return err
		}
		t.UpdatedAt = t.UpdatedAt.UTC()
		out[t.VideoID] = append(out[t.VideoID], &t)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("track: approved for videos: %w", err)
	}
	return out, nil
}
