package messages

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"sistercity/internal/db"
)

// Compilation states.
const (
	CompilationWaiting = "waiting"
	CompilationReady   = "ready"
	CompilationFailed  = "failed"
)

// Compilation is a video made of approved video messages, in the order an editor chose.
type Compilation struct {
	ID, CallID int64
	// VideoID is the draft video made, 0 until it is.
	VideoID int64
	Status  string
	Failure string
	// StaleMessage is a message whose sender withdrew after the compilation was made: the
	// video needs making again without it. 0 when none.
	StaleMessage int64
	CreatedAt    time.Time
	Messages     []int64 // in order
	// IntroID and OutroID are videos of the office's own put first and last, 0 when none.
	IntroID, OutroID int64
}

// CreateCompilation records a compilation of messages ids (in order) of call callID, between
// videos intro and outro (0 for none), waiting for its job.
func CreateCompilation(ctx context.Context, tx *sql.Tx, callID int64, ids []int64, intro, outro int64, now time.Time) (*Compilation, error) {
	c := &Compilation{CallID: callID, Status: CompilationWaiting, CreatedAt: now.UTC(), Messages: ids, IntroID: intro, OutroID: outro}
	if err := tx.QueryRowContext(ctx, "INSERT INTO message_compilations (call_id, status, created_at, intro_video_id, outro_video_id) VALUES ($1, $2, $3, $4, $5) RETURNING id",
		callID, c.Status, c.CreatedAt, nullID(intro), nullID(outro)).Scan(&c.ID); err != nil {
		return nil, fmt.Errorf("messages: create compilation: %w", err)
	}
	for i, id := range ids {
		if _, err := tx.ExecContext(ctx, "INSERT INTO message_compilation_items (compilation_id, message_id, position) VALUES ($1, $2, $3)",
			c.ID, id, i+1); err != nil {
			return nil, fmt.Errorf("messages: create compilation: %w", err)
		}
	}
	return c, nil
}

const compilationColumns = "id, call_id, video_id, status, failure, stale_message, created_at, intro_video_id, outro_video_id"

func scanCompilation(row interface{ Scan(...any) error }) (*Compilation, error) {
	var c Compilation
	var vid, stale, intro, outro sql.NullInt64
	if err := row.Scan(&c.ID, &c.CallID, &vid, &c.Status, &c.Failure, &stale, &c.CreatedAt, &intro, &outro); err != nil {
		return nil, err
	}
	c.VideoID, c.StaleMessage, c.IntroID, c.OutroID = vid.Int64, stale.Int64, intro.Int64, outro.Int64
	return &c, nil
}

// nullID is id for a column that holds NULL for none.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// MessageVideos returns the ids of the videos that are citizens' messages: not the office's own.
func MessageVideos(ctx context.Context, q db.Querier) (map[int64]bool, error) {
	ids, err := db.Collect(ctx, q, "SELECT video_id FROM citizen_messages WHERE video_id IS NOT NULL", nil,
		func(row interface{ Scan(...any) error }) (int64, error) {
			var id int64
			return id, row.Scan(&id)
		})
	if err != nil {
		return nil, fmt.Errorf("messages: message videos: %w", err)
	}
	out := make(map[int64]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// GetCompilation returns one compilation with its messages in order.
func GetCompilation(ctx context.Context, q db.Querier, id int64) (*Compilation, error) {
	c, err := scanCompilation(q.QueryRowContext(ctx, "SELECT "+compilationColumns+" FROM message_compilations WHERE id = $1", id))
	if err != nil {
		return nil, db.NotFound(err, fmt.Sprintf("messages: compilation %d", id))
	}
	return c, loadItems(ctx, q, c)
}

// Compilations returns a call's compilations, the latest first.
func Compilations(ctx context.Context, q db.Querier, callID int64) ([]*Compilation, error) {
	cs, err := db.Collect(ctx, q, "SELECT "+compilationColumns+" FROM message_compilations WHERE call_id = $1 ORDER BY id DESC",
		[]any{callID}, scanCompilation)
	if err != nil {
		return nil, fmt.Errorf("messages: compilations: %w", err)
	}
	for _, c := range cs {
		if err := loadItems(ctx, q, c); err != nil {
			return nil, err
		}
	}
	return cs, nil
}

func loadItems(ctx context.Context, q db.Querier, c *Compilation) error {
	ids, err := db.Collect(ctx, q, "SELECT message_id FROM message_compilation_items WHERE compilation_id = $1 ORDER BY position",
		[]any{c.ID}, func(row interface{ Scan(...any) error }) (int64, error) {
			var id int64
			return id, row.Scan(&id)
		})
	if err != nil {
		return fmt.Errorf("messages: compilation %d: %w", c.ID, err)
	}
	c.Messages = ids
	return nil
}

// FinishCompilation records the video made of compilation id, or why it failed.
func FinishCompilation(ctx context.Context, tx *sql.Tx, id, videoID int64, failure string) error {
	status, vid := CompilationReady, any(videoID)
	if failure != "" {
		status, vid = CompilationFailed, nil
	}
	if _, err := tx.ExecContext(ctx, "UPDATE message_compilations SET status = $1, video_id = $2, failure = $3 WHERE id = $4",
		status, vid, failure, id); err != nil {
		return fmt.Errorf("messages: finish compilation %d: %w", id, err)
	}
	return nil
}

// markStale marks the compilations message id is part of as needing a new one without it.
func markStale(ctx context.Context, tx *sql.Tx, id int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE message_compilations SET stale_message = $1
		WHERE stale_message IS NULL AND id IN (SELECT compilation_id FROM message_compilation_items WHERE message_id = $1)`, id); err != nil {
		return fmt.Errorf("messages: compilations of %d: %w", id, err)
	}
	return nil
}
