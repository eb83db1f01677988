//go:build !unix

package db

import "context"

// lockFile does nothing where flock is missing: concurrent SQLite migrations then rely on
// SQLite's own locking and busy timeout alone.
func lockFile(context.Context, string) (func(), error) { return func() {}, nil }
