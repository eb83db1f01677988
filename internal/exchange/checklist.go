package exchange

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"sistercity/internal/db"
)

const itemColumns = `id, activity_id, item, label, COALESCE(assignee_user_id, 0), assignee_name, due_on, done, version`

func scanItem(row interface{ Scan(...any) error }) (*ChecklistItem, error) {
	var c ChecklistItem
	err := row.Scan(&c.ID, &c.ActivityID, &c.Item, &c.Label, &c.AssigneeUserID, &c.AssigneeName, &c.DueOn, &c.Done, &c.Version)
	return &c, err
}

// Checklist returns the checklist of an activity: open items first, each group by due date
// (undated last), then in the order they were added.
func Checklist(ctx context.Context, q db.Querier, activityID int64) ([]*ChecklistItem, error) {
	var items []*ChecklistItem
	err := db.Each(ctx, q, "SELECT "+itemColumns+" FROM activity_checklist WHERE activity_id = $1 ORDER BY id",
		[]any{activityID}, func(r *sql.Rows) error {
			c, err := scanItem(r)
			items = append(items, c)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("exchange: checklist of %d: %w", activityID, err)
	}
	slices.SortStableFunc(items, func(a, b *ChecklistItem) int {
		switch {
		case a.Done != b.Done:
			if a.Done {
				return 1
			}
			return -1
		case a.DueOn == b.DueOn:
			return 0
		case a.DueOn.IsZero():
			return 1
		case b.DueOn.IsZero():
			return -1
		case a.DueOn.Before(b.DueOn):
			return -1
		}
		return 1
	})
	return items, nil
}

// GetItem returns one checklist item of an activity.
func GetItem(ctx context.Context, q db.Querier, activityID, id int64) (*ChecklistItem, error) {
	c, err := scanItem(q.QueryRowContext(ctx, "SELECT "+itemColumns+" FROM activity_checklist WHERE id = $1 AND activity_id = $2",
		id, activityID))
	if err != nil {
		return nil, db.NotFound(err, fmt.Sprintf("exchange: checklist item %d", id))
	}
	return c, nil
}

// AddItem inserts c and sets its ID. The caller validates first.
func AddItem(ctx context.Context, tx *sql.Tx, c *ChecklistItem) error {
	now := time.Now().UTC()
	err := tx.QueryRowContext(ctx, `INSERT INTO activity_checklist (activity_id, item, label, assignee_user_id, assignee_name,
		due_on, done, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8) RETURNING id`,
		c.ActivityID, c.Item, c.Label, db.NullID(c.AssigneeUserID), c.AssigneeName, c.DueOn, c.Done, now).Scan(&c.ID)
	if err != nil {
		return fmt.Errorf("exchange: add checklist item to %d: %w", c.ActivityID, err)
	}
	c.Version = 1
	return nil
}

// AddStandardItems adds the standard delegation items the checklist lacks and returns them.
func AddStandardItems(ctx context.Context, tx *sql.Tx, activityID int64) ([]*ChecklistItem, error) {
	have, err := Checklist(ctx, tx, activityID)
	if err != nil {
		return nil, err
	}
	var added []*ChecklistItem
	for _, kind := range StandardItems {
		if slices.ContainsFunc(have, func(c *ChecklistItem) bool { return c.Item == kind }) {
			continue
		}
		c := &ChecklistItem{ActivityID: activityID, Item: kind}
		if err := AddItem(ctx, tx, c); err != nil {
			return nil, err
		}
		added = append(added, c)
	}
	return added, nil
}

// UpdateItem saves c if nobody changed it since c.Version was read.
func UpdateItem(ctx context.Context, tx *sql.Tx, c *ChecklistItem) error {
	res, err := tx.ExecContext(ctx, `UPDATE activity_checklist SET item = $1, label = $2, assignee_user_id = $3,
		assignee_name = $4, due_on = $5, done = $6, version = version + 1, updated_at = $7
		WHERE id = $8 AND activity_id = $9 AND version = $10`,
		c.Item, c.Label, db.NullID(c.AssigneeUserID), c.AssigneeName, c.DueOn, c.Done, time.Now().UTC(), c.ID, c.ActivityID, c.Version)
	if err != nil {
		return fmt.Errorf("exchange: update checklist item %d: %w", c.ID, err)
	}
	if err := db.OneRow(ctx, tx, res, "activity_checklist", c.ID, ErrStale); err != nil {
		return err
	}
	c.Version++
	return nil
}

// DeleteItem removes a checklist item.
func DeleteItem(ctx context.Context, tx *sql.Tx, activityID, id int64) error {
	res, err := tx.ExecContext(ctx, "DELETE FROM activity_checklist WHERE id = $1 AND activity_id = $2", id, activityID)
	if err != nil {
		return fmt.Errorf("exchange: delete checklist item %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("exchange: checklist item %d: %w", id, db.ErrNotFound)
	}
	return nil
}
