package video

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"sistercity/internal/db"
)

// reviewRequiredKey is the settings key of Workflow.ReviewRequired: "1" when set.
const reviewRequiredKey = "video_review_required"

// LoadWorkflow reads the office's publishing workflow; without a setting, drafts may be
// published directly.
func LoadWorkflow(ctx context.Context, q db.Querier) (Workflow, error) {
	var v string
	err := q.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = $1", reviewRequiredKey).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return Workflow{}, nil
	}
	if err != nil {
		return Workflow{}, fmt.Errorf("video: load workflow: %w", err)
	}
	return Workflow{ReviewRequired: v == "1"}, nil
}

// SaveWorkflow keeps the office's publishing workflow.
func SaveWorkflow(ctx context.Context, tx *sql.Tx, w Workflow) error {
	v := "0"
	if w.ReviewRequired {
		v = "1"
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, reviewRequiredKey, v)
	if err != nil {
		return fmt.Errorf("video: save workflow: %w", err)
	}
	return nil
}
