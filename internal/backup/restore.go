package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"sistercity/internal/db"
)

// Target is where a snapshot is restored to.
type Target struct {
	// DataDir is the new data directory; it must be missing or empty.
	DataDir string
	// DatabaseURL, for a snapshot of PostgreSQL, is an empty database that Restore fills with
	// pg_restore; when it is empty Restore only says how to do that.
	DatabaseURL string
}

// LockPath is the lock file that keeps two restores into dataDir apart: beside it, since the
// data directory itself does not exist yet.
func LockPath(dataDir string) string {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		abs = dataDir
	}
	return filepath.Join(filepath.Dir(abs), "."+filepath.Base(abs)+".restore-lock")
}

// Restore checks the snapshot in from against its manifest, copies it into a temporary
// directory beside the target, checks every copy again, restores a PostgreSQL dump when asked
// to, and only then renames the temporary directory to the target. Any failure leaves the
// target as it was and removes the temporary directory. A snapshot of a schema newer than this
// binary's is refused before anything is copied (a *db.NewerDatabaseError). The returned notes
// say what the operator must still do.
func Restore(ctx context.Context, from string, to Target) (m Manifest, notes []string, err error) {
	unlock, err := tryLock(LockPath(to.DataDir))
	if errors.Is(err, errLocked) {
		return m, nil, fmt.Errorf("another restore into %s is running (lock file %s)", to.DataDir, LockPath(to.DataDir))
	}
	if err != nil {
		return m, nil, fmt.Errorf("restore lock: %w", err)
	}
	defer unlock()
	empty, err := emptyDir(to.DataDir)
	if err != nil {
		return m, nil, fmt.Errorf("restore target: %w", err)
	}
	if !empty {
		return m, nil, fmt.Errorf("restore target %s is not empty: a snapshot is restored into a new or empty data directory", to.DataDir)
	}
	if m, err = Verify(from); err != nil {
		return m, nil, err
	}
	// A newer release's database: this binary would refuse to start on it, so it is not put
	// in place either.
	latest, err := db.LatestMigrationOf(db.Dialect(m.Database))
	if err != nil {
		return m, nil, fmt.Errorf("snapshot %s: database %q: %w", from, m.Database, err)
	}
	if m.SchemaVersion > latest {
		return m, nil, fmt.Errorf("snapshot %s: %w", from, &db.NewerDatabaseError{Database: m.SchemaVersion, Binary: latest})
	}
	pgRestore := false
	switch {
	case m.Database == string(db.SQLite) && to.DatabaseURL != "":
		return m, nil, errors.New("the snapshot holds a SQLite database, restored into the data directory: leave out --database-url")
	case m.Database == string(db.Postgres) && m.DatabaseFile == "":
		notes = append(notes, "The snapshot holds no PostgreSQL dump (pg_dump was missing when it was taken): restore the database from its own backup.")
	case m.Database == string(db.Postgres) && to.DatabaseURL == "":
		notes = append(notes, fmt.Sprintf("The database was not restored: restore %s into an empty database with "+
			"`pg_restore --no-owner --exit-on-error --single-transaction --dbname postgres://… %s`, "+
			"or run this command again with --database-url.", m.DatabaseFile, filepath.Join(from, m.DatabaseFile)))
	case m.Database == string(db.Postgres):
		if err := checkEmptyDatabase(ctx, to.DatabaseURL); err != nil {
			return m, nil, err
		}
		pgRestore = true
	}

	abs, err := filepath.Abs(to.DataDir)
	if err != nil {
		return m, nil, err
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o750); err != nil {
		return m, nil, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(abs), "."+filepath.Base(abs)+".restore-*")
	if err != nil {
		return m, nil, fmt.Errorf("restore target %s: %w", to.DataDir, err)
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o750); err != nil {
		return m, nil, err
	}
	for _, f := range m.Files {
		if err := ctx.Err(); err != nil {
			return m, nil, err
		}
		if f.Path == pgDumpFile {
			continue // restored into the database, not into the data directory
		}
		dst := filepath.Join(tmp, filepath.FromSlash(strings.TrimPrefix(f.Path, filesDir+"/")))
		size, sum, err := copyFile(dst, filepath.Join(from, filepath.FromSlash(f.Path)))
		if err != nil {
			return m, nil, fmt.Errorf("restore %s: %w", f.Path, err)
		}
		if size != f.Size || sum != f.SHA256 {
			return m, nil, fmt.Errorf("restore %s: the snapshot changed while it was read", f.Path)
		}
		// Read back what was written: the disk, not the copy in memory, must hold it.
		if p := checkFile(dst, f); p != "" {
			return m, nil, fmt.Errorf("restore %s: the copy does not match: %s", f.Path, p)
		}
	}
	if pgRestore {
		if err := runPgRestore(ctx, to.DatabaseURL, filepath.Join(from, m.DatabaseFile)); err != nil {
			return m, nil, err
		}
	}
	if m.Media.Kind == "s3" {
		notes = append(notes, fmt.Sprintf("Media and documents stay in s3://%s/%s: start with the same --media-url.", m.Media.Bucket, m.Media.Prefix))
	}
	// The target is missing or empty (checked under the lock); an empty directory goes first,
	// rename does not replace one everywhere.
	if err := os.Remove(abs); err != nil && !errors.Is(err, os.ErrNotExist) {
		return m, nil, fmt.Errorf("restore target %s: %w", to.DataDir, err)
	}
	if err := os.Rename(tmp, abs); err != nil {
		return m, nil, fmt.Errorf("restore target %s: %w", to.DataDir, err)
	}
	done = true
	return m, notes, syncDir(filepath.Dir(abs))
}

// checkEmptyDatabase refuses a database that has the application's tables already.
func checkEmptyDatabase(ctx context.Context, rawURL string) error {
	d, err := db.Open(ctx, rawURL, "")
	if err != nil {
		return err
	}
	defer d.Close()
	var exists bool
	if err := d.R.QueryRowContext(ctx, "SELECT to_regclass('schema_migrations') IS NOT NULL").Scan(&exists); err != nil {
		return fmt.Errorf("check the target database: %w", err)
	}
	if exists {
		return errors.New("the database of --database-url is not empty (it has sistercity's tables): restore into an empty database")
	}
	return nil
}

func runPgRestore(ctx context.Context, rawURL, dump string) error {
	if _, err := exec.LookPath("pg_restore"); err != nil {
		return errors.New("pg_restore is not installed (Debian: apt install postgresql-client)")
	}
	conn, _, env, err := libpqURL(rawURL)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "pg_restore", "--no-owner", "--exit-on-error", "--single-transaction", "--dbname", conn, dump)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pg_restore: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
