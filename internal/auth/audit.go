package auth

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"sistercity/internal/db"
)

// AuditEntry is one line of the audit log: who changed what, when, from what to what.
type AuditEntry struct {
	ID       int64
	At       time.Time
	UserID   int64
	Username string
	Action   Action
	Entity   Entity
	EntityID int64
	Before   string // JSON
	After    string // JSON
}

// Audit records a change inside the transaction that makes it, so the log and the data never
// disagree. before and after are stored as JSON; nil stores nothing.
func Audit(ctx context.Context, tx *sql.Tx, actor *User, action Action, entity Entity, entityID int64, before, after any) error {
	enc := func(v any) (string, error) {
		if v == nil {
			return "", nil
		}
		b, err := json.Marshal(v)
		return string(b), err
	}
	b, err := enc(before)
	if err != nil {
		return fmt.Errorf("auth: audit: %w", err)
	}
	a, err := enc(after)
	if err != nil {
		return fmt.Errorf("auth: audit: %w", err)
	}
	var uid any
	name := "system"
	if actor != nil {
		uid, name = actor.ID, actor.Username
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_log (at, user_id, username, action, entity, entity_id, before, after)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, time.Now().UTC(), uid, name, string(action), string(entity), entityID, b, a)
	if err != nil {
		return fmt.Errorf("auth: audit: %w", err)
	}
	return nil
}

// AuditLog returns up to limit entries, newest first, starting after offset; entity filters
// when not empty.
func AuditLog(ctx context.Context, q db.Querier, entity Entity, limit, offset int) ([]AuditEntry, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, at, COALESCE(user_id, 0), username, action, entity, COALESCE(entity_id, 0), before, after
		FROM audit_log WHERE ($1 = '' OR entity = $1) ORDER BY id DESC LIMIT $2 OFFSET $3`, string(entity), limit, offset)
	if err != nil {
		return nil, fmt.Errorf("auth: audit log: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		if err := rows.Scan(&e.ID, &e.At, &e.UserID, &e.Username, &e.Action, &e.Entity, &e.EntityID, &e.Before, &e.After); err != nil {
			return nil, fmt.Errorf("auth: audit log: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
