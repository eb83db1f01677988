// Package authtest holds what tests of several packages read of the accounts' records.
package authtest

import (
	"context"

	"sistercity/internal/auth"
	"sistercity/internal/db"
)

// AuditLog returns up to limit entries of the audit log, newest first, starting after offset;
// entity filters when not empty.
func AuditLog(ctx context.Context, q db.Querier, entity auth.Entity, limit, offset int) ([]auth.AuditEntry, error) {
	return auth.AuditSearch(ctx, q, auth.AuditFilter{Entity: entity}, limit, offset)
}
