package messages

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
)

// SortCurated orders messages as the editors placed them: those given a place first, by
// place, then the others as they came (newest first).
func SortCurated(ms []*Message) {
	slices.SortStableFunc(ms, func(a, b *Message) int {
		switch {
		case a.Position > 0 && b.Position > 0:
			return a.Position - b.Position
		case a.Position > 0:
			return -1
		case b.Position > 0:
			return 1
		}
		return 0
	})
}

// SetOrder saves the curated order of call callID's messages: ids first to last. Messages of
// other calls in ids are ignored; those of the call not in ids lose their place.
func SetOrder(ctx context.Context, tx *sql.Tx, callID int64, ids []int64) error {
	if _, err := tx.ExecContext(ctx, "UPDATE citizen_messages SET position = 0 WHERE call_id = $1", callID); err != nil {
		return fmt.Errorf("messages: order of call %d: %w", callID, err)
	}
	for i, id := range ids {
		if _, err := tx.ExecContext(ctx, "UPDATE citizen_messages SET position = $1 WHERE id = $2 AND call_id = $3", i+1, id, callID); err != nil {
			return fmt.Errorf("messages: order of call %d: %w", callID, err)
		}
	}
	return nil
}

// SetCurated switches call id's page between the newest first and the curated order.
func SetCurated(ctx context.Context, tx *sql.Tx, id int64, curated bool) error {
	if _, err := tx.ExecContext(ctx, "UPDATE message_calls SET curated = $1 WHERE id = $2", curated, id); err != nil {
		return fmt.Errorf("messages: order of call %d: %w", id, err)
	}
	return nil
}
