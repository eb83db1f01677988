package backup

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"sistercity/internal/db"
)

// Source is the installation a snapshot is taken of.
type Source struct {
	DB *db.DB
	// DatabaseURL is the PostgreSQL URL, for pg_dump; empty for SQLite.
	DatabaseURL string
	DataDir     string
	// MediaDir is a local media directory outside DataDir (--media-url file:///…), copied into
	// the snapshot as files/media; empty when media are in DataDir/media or in a bucket.
	MediaDir   string
	Media      Media
	AppVersion string
}

// storeTemp matches the temporary file of a media write in progress (gocloud's fileblob names
// it KEY.<nanoseconds in hex>.tmp and renames it when the write completes).
var storeTemp = regexp.MustCompile(`\.[0-9a-f]+\.tmp$`)

// Take writes a snapshot of src into dir, which must be missing or empty, and returns its
// manifest. The database comes first and the files after it: a file the database snapshot
// names was in the store before the commit that named it, so it is in the snapshot too (a file
// added meanwhile is copied as well and is merely unused). On failure what Take wrote is
// removed again.
func Take(ctx context.Context, src Source, dir string) (_ Manifest, err error) {
	m := Manifest{Format: Format, CreatedAt: time.Now().UTC(), AppVersion: src.AppVersion,
		Database: string(src.DB.Dialect), Media: src.Media}
	empty, err := emptyDir(dir)
	if err != nil {
		return m, fmt.Errorf("backup target: %w", err)
	}
	if !empty {
		return m, fmt.Errorf("backup target %s is not empty: a snapshot goes into a new or empty directory", dir)
	}
	_, statErr := os.Stat(dir)
	created := errors.Is(statErr, os.ErrNotExist)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return m, fmt.Errorf("backup target %s cannot be created: %w", dir, err)
	}
	defer func() {
		if err != nil {
			removeWritten(dir, created)
		}
	}()
	if probe, err := os.CreateTemp(dir, ".probe-*"); err != nil {
		return m, fmt.Errorf("backup target %s is not writable: %w", dir, err)
	} else {
		probe.Close()
		os.Remove(probe.Name())
	}

	if m.SchemaVersion, err = src.DB.SchemaVersion(ctx); err != nil {
		return m, err
	}
	switch src.DB.Dialect {
	case db.SQLite:
		if err := src.DB.SnapshotSQLite(ctx, filepath.Join(dir, sqliteFile)); err != nil {
			return m, err
		}
		m.DatabaseFile = sqliteFile
	case db.Postgres:
		if _, err := exec.LookPath("pg_dump"); err != nil {
			m.Notes = append(m.Notes, "PostgreSQL was not dumped: pg_dump is not installed (Debian: apt install postgresql-client). "+
				"Back the database up with pg_dump --format=custom or your provider's backups.")
			break
		}
		if err := pgDump(ctx, src.DatabaseURL, filepath.Join(dir, pgDumpFile)); err != nil {
			return m, err
		}
		m.DatabaseFile = pgDumpFile
		m.Notes = append(m.Notes, "The PostgreSQL database is "+pgDumpFile+" (pg_dump --format=custom): "+
			"restore it into an empty database with `sistercity restore --database-url …` or pg_restore.")
	}
	if m.DatabaseFile != "" {
		size, sum, err := hashFile(filepath.Join(dir, m.DatabaseFile))
		if err != nil {
			return m, err
		}
		m.Files = append(m.Files, File{Path: m.DatabaseFile, Size: size, SHA256: sum})
	}
	if src.Media.Kind == "s3" {
		m.Notes = append(m.Notes, fmt.Sprintf("Media and documents are in the bucket s3://%s/%s and are not in this snapshot: "+
			"the bucket's own versioning or replication keeps them.", src.Media.Bucket, src.Media.Prefix))
	}

	skipMedia := src.MediaDir != ""
	if err := copyTree(ctx, &m, src.DataDir, dir, filesDir, true, skipMedia); err != nil {
		return m, err
	}
	if src.MediaDir != "" {
		if err := copyTree(ctx, &m, src.MediaDir, dir, filesDir+"/media", false, false); err != nil {
			return m, err
		}
	}
	return m, writeManifest(dir, m)
}

// copyTree copies the regular files under root into the snapshot in dir, under prefix, and
// adds them to m. In the data
// directory (top) it leaves out the live database (the snapshot has its own copy) and tmp/
// (work files of jobs, redone after a restore). Files that vanish meanwhile are left out.
func copyTree(ctx context.Context, m *Manifest, root, dir, prefix string, top, skipMedia bool) error {
	snapshot, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	return filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && path != root {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if abs, _ := filepath.Abs(path); abs == snapshot {
			return fs.SkipDir // a snapshot taken into the data directory itself
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if e.IsDir() {
			if top && (rel == "tmp" || (skipMedia && rel == "media")) {
				return fs.SkipDir
			}
			return nil
		}
		if !e.Type().IsRegular() || storeTemp.MatchString(rel) {
			return nil
		}
		if top && (strings.HasPrefix(rel, "sistercity.db") || strings.HasSuffix(rel, ".lock")) {
			return nil
		}
		name := prefix + "/" + rel
		size, sum, err := copyFile(filepath.Join(dir, filepath.FromSlash(name)), path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("copy %s: %w", path, err)
		}
		m.Files = append(m.Files, File{Path: name, Size: size, SHA256: sum})
		return nil
	})
}

func writeManifest(dir string, m Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, ManifestName+".tmp")
	if _, _, err := writeFile(tmp, bytes.NewReader(append(b, '\n'))); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, ManifestName)); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// removeWritten takes back what a failed Take wrote into dir: dir itself if Take created it,
// its contents otherwise (it was empty before).
func removeWritten(dir string, created bool) {
	if created {
		os.RemoveAll(dir)
		return
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		os.RemoveAll(filepath.Join(dir, e.Name()))
	}
}

// pgDump dumps the database at rawURL into path in pg_dump's custom format.
func pgDump(ctx context.Context, rawURL, path string) error {
	conn, schema, env, err := libpqURL(rawURL)
	if err != nil {
		return err
	}
	args := []string{"--format=custom", "--no-owner", "--file", path}
	if schema != "" {
		args = append(args, "--schema", schema)
	}
	cmd := exec.CommandContext(ctx, "pg_dump", append(args, conn)...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pg_dump: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// libpqURL turns the application's PostgreSQL URL into one libpq (pg_dump, pg_restore)
// accepts: search_path, which pgx takes as a parameter and libpq does not, becomes the schema
// to dump; the password goes into PGPASSWORD rather than onto a command line others can read.
func libpqURL(rawURL string) (conn, schema string, env []string, err error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", "", nil, errors.New("the database URL does not parse")
	}
	q := u.Query()
	schema = q.Get("search_path")
	q.Del("search_path")
	for k := range q {
		if strings.HasPrefix(k, "pool_") || k == "statement_cache_capacity" || k == "default_query_exec_mode" {
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	if u.User != nil {
		if pw, ok := u.User.Password(); ok {
			env = append(env, "PGPASSWORD="+pw)
			u.User = url.User(u.User.Username())
		}
	}
	return u.String(), schema, env, nil
}
