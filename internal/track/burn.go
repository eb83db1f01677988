package track

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"sistercity/internal/db"
)

// Statuses of a burned-in version.
const (
	BurnWaiting    = "waiting"    // requested, the job has not started
	BurnProcessing = "processing" // Progress says how far
	BurnReady      = "ready"      // StorageKey holds the MP4
	BurnFailed     = "failed"     // Failure says why
)

// ErrNotApproved is returned when a burned-in version of a track that is not approved is
// requested: only public text goes into a public picture.
var ErrNotApproved = errors.New("track: only an approved track can be burned in")

// Burn is the burned-in language version of a track: an MP4 of the video with the track's
// cues rendered into the picture, for social networks that cannot carry caption tracks.
type Burn struct {
	TrackID int64
	// TrackVersion is the version of the track whose text the file shows.
	TrackVersion int64
	Status       string
	Progress     int
	Failure      string
	StorageKey   string
	Size         int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Active tells whether the burn is waiting or running, so that the page keeps asking.
func (b *Burn) Active() bool { return b.Status == BurnWaiting || b.Status == BurnProcessing }

// Outdated tells whether the track has changed since its version was burned.
func (b *Burn) Outdated(t *Track) bool {
	return b.Status == BurnReady && b.TrackVersion != t.Version
}

const burnColumns = "track_id, track_version, status, progress, failure, storage_key, size, created_at, updated_at"

func scanBurn(row interface{ Scan(...any) error }) (*Burn, error) {
	var b Burn
	if err := row.Scan(&b.TrackID, &b.TrackVersion, &b.Status, &b.Progress, &b.Failure, &b.StorageKey, &b.Size,
		&b.CreatedAt, &b.UpdatedAt); err != nil {
		return nil, err
	}
	b.CreatedAt, b.UpdatedAt = b.CreatedAt.UTC(), b.UpdatedAt.UTC()
	return &b, nil
}

// GetBurn loads the burned-in version of track trackID; db.ErrNotFound when none was requested.
func GetBurn(ctx context.Context, q db.Querier, trackID int64) (*Burn, error) {
	b, err := scanBurn(q.QueryRowContext(ctx, "SELECT "+burnColumns+" FROM subtitle_burns WHERE track_id = $1", trackID))
	if err != nil {
		return nil, db.NotFound(err, fmt.Sprintf("track: burn of %d", trackID))
	}
	return b, nil
}

// BurnsForVideo returns the burned-in versions of a video's tracks, by track ID.
func BurnsForVideo(ctx context.Context, q db.Querier, videoID int64) (map[int64]*Burn, error) {
	rows, err := q.QueryContext(ctx, `SELECT b.track_id, b.track_version, b.status, b.progress, b.failure, b.storage_key,
		b.size, b.created_at, b.updated_at FROM subtitle_burns b JOIN subtitle_tracks t ON t.id = b.track_id
		WHERE t.video_id = $1`, videoID)
	if err != nil {
		return nil, fmt.Errorf("track: burns of video %d: %w", videoID, err)
	}
	defer rows.Close()
	out := map[int64]*Burn{}
	for rows.Next() {
		b, err := scanBurn(rows)
		if err != nil {
			return nil, fmt.Errorf("track: burns of video %d: %w", videoID, err)
		}
		out[b.TrackID] = b
	}
	return out, rows.Err()
}

// markBurnWaiting creates or resets the burn row of t, waiting for its job. A file burned
// before stays recorded (and on disk) until the new one replaces it.
func markBurnWaiting(ctx context.Context, tx *sql.Tx, t *Track, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO subtitle_burns (track_id, track_version, status, progress, failure, created_at, updated_at)
		VALUES ($1, $2, $3, 0, '', $4, $4)
		ON CONFLICT (track_id) DO UPDATE SET status = $3, progress = 0, failure = '', updated_at = $4`,
		t.ID, t.Version, BurnWaiting, now.UTC())
	if err != nil {
		return fmt.Errorf("track: request burn of %d: %w", t.ID, err)
	}
	return nil
}

// setBurnStatus records a burn's progress or failure outside any caller's transaction.
func setBurnStatus(ctx context.Context, d *db.DB, trackID int64, status string, percent int, failure string) error {
	_, err := d.W.ExecContext(ctx, `UPDATE subtitle_burns SET status = $1, progress = $2, failure = $3, updated_at = $4
		WHERE track_id = $5`, status, percent, failure, time.Now().UTC(), trackID)
	if err != nil {
		return fmt.Errorf("track: burn status of %d: %w", trackID, err)
	}
	return nil
}

// recordBurn points the burn row of trackID at a newly stored file showing version of the
// track; db.ErrNotFound when the track (and so its row) was deleted meanwhile.
func recordBurn(ctx context.Context, tx *sql.Tx, trackID, version int64, key string, size int64) error {
	res, err := tx.ExecContext(ctx, `UPDATE subtitle_burns SET track_version = $1, status = $2, progress = 100, failure = '',
		storage_key = $3, size = $4, updated_at = $5 WHERE track_id = $6`, version, BurnReady, key, size, time.Now().UTC(), trackID)
	if err != nil {
		return fmt.Errorf("track: record burn of %d: %w", trackID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("track: burn of %d: %w", trackID, db.ErrNotFound)
	}
	return nil
}
