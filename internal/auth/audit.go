package auth

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
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

// AuditSystem in AuditFilter.UserID asks for the changes no account made (jobs, imports run
// from the command line): the entries without a user.
const AuditSystem int64 = -1

// AuditFilter narrows the audit log; a zero field does not filter.
type AuditFilter struct {
	UserID   int64 // an account's id, or AuditSystem
	Entity   Entity
	EntityID int64
	From     time.Time // at or after
	Until    time.Time // before
}

// where is the filter's SQL condition and its arguments, numbered from $1.
func (f AuditFilter) where() (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	switch {
	case f.UserID == AuditSystem:
		conds = append(conds, "user_id IS NULL")
	case f.UserID > 0:
		add("user_id = ?", f.UserID)
	}
	if f.Entity != "" {
		add("entity = ?", string(f.Entity))
	}
	if f.EntityID > 0 {
		add("entity_id = ?", f.EntityID)
	}
	if !f.From.IsZero() {
		add("at >= ?", f.From.UTC())
	}
	if !f.Until.IsZero() {
		add("at < ?", f.Until.UTC())
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// AuditCount counts the entries f lets through.
func AuditCount(ctx context.Context, q db.Querier, f AuditFilter) (int, error) {
	where, args := f.where()
	var n int
	if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM audit_log"+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("auth: count audit log: %w", err)
	}
	return n, nil
}

// AuditSearch returns up to limit of the entries f lets through, newest first, starting after
// offset.
func AuditSearch(ctx context.Context, q db.Querier, f AuditFilter, limit, offset int) ([]AuditEntry, error) {
	where, args := f.where()
	n := len(args)
	args = append(args, limit, offset)
	rows, err := q.QueryContext(ctx, `SELECT id, at, COALESCE(user_id, 0), username, action, entity, COALESCE(entity_id, 0), before, after
		FROM audit_log`+where+fmt.Sprintf(" ORDER BY id DESC LIMIT $%d OFFSET $%d", n+1, n+2), args...)
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
