package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"

	"sistercity/internal/auth"
	"sistercity/internal/db"
)

// loadDemo loads the demo data; running it again changes nothing.
func loadDemo(ctx context.Context, d *db.DB, stdout io.Writer, log *slog.Logger) error {
	return ensureAdmin(ctx, d, stdout, log)
}

// ensureAdmin creates the account "admin" when the instance has no account yet, and prints its
// password once: it is stored only as a hash.
func ensureAdmin(ctx context.Context, d *db.DB, stdout io.Writer, log *slog.Logger) error {
	users, err := auth.Users(ctx, d.R)
	if err != nil {
		return err
	}
	if len(users) > 0 {
		return nil
	}
	password := auth.RandomPassword()
	err = d.InTx(ctx, func(tx *sql.Tx) error {
		u, err := auth.CreateUser(ctx, tx, "admin", "Administrator", password, auth.RoleAdmin)
		if err != nil {
			return err
		}
		return auth.Audit(ctx, tx, nil, "create", "user", u.ID, nil, map[string]string{"username": "admin", "role": "admin"})
	})
	if err != nil {
		return fmt.Errorf("demo: create admin: %w", err)
	}
	log.Info("created the demo admin account", "username", "admin")
	fmt.Fprintf(stdout, "\n  Sign in at /admin/ as admin with the password: %s\n  (shown only this once)\n\n", password)
	return nil
}
