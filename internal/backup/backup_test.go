package backup

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sistercity/internal/db"
	"sistercity/internal/db/dbtest"
)

func writeTestFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o640); err != nil {
		t.Fatal(err)
	}
}

// TestTakeAndRestoreLayout: what goes into a snapshot and what stays out, a local media
// directory outside the data directory, the S3 note, and where restore puts each file.
func TestTakeAndRestoreLayout(t *testing.T) {
	ctx := context.Background()
	dataDir, dbURL := t.TempDir(), dbtest.URL(t)
	d, err := db.Open(ctx, dbURL, dataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, filepath.Join(dataDir, "uploads", "abc"), "half an upload")
	writeTestFile(t, filepath.Join(dataDir, "uploads", "abc.info"), "{}")
	writeTestFile(t, filepath.Join(dataDir, "tmp", "encode-1", "out.mp4"), "work file")
	writeTestFile(t, filepath.Join(dataDir, "media", "stale-in-data-dir"), "not the media in use")
	mediaDir := t.TempDir()
	writeTestFile(t, filepath.Join(mediaDir, "videos", "1", "a.mp4"), "video")
	writeTestFile(t, filepath.Join(mediaDir, "videos", "1", "b.mp4.17f2a3b4c5d6e7f8.tmp"), "a write in progress")

	snap := filepath.Join(t.TempDir(), "snap")
	m, err := Take(ctx, Source{DB: d, DatabaseURL: dbURL, DataDir: dataDir, MediaDir: mediaDir, AppVersion: "1.2.3",
		Media: Media{Kind: "s3", Bucket: "city-media", Prefix: "prod/"}}, snap)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range m.Files {
		paths = append(paths, f.Path)
	}
	slices.Sort(paths)
	dbFile := "sistercity.db"
	if d.Dialect == db.Postgres {
		dbFile = "postgres.dump"
	}
	want := []string{"files/media/videos/1/a.mp4", "files/uploads/abc", "files/uploads/abc.info", dbFile}
	slices.Sort(want)
	if !slices.Equal(paths, want) {
		t.Errorf("snapshot files %v, want %v", paths, want)
	}
	if !slices.ContainsFunc(m.Notes, func(n string) bool {
		return strings.Contains(n, "s3://city-media/prod/") && strings.Contains(n, "versioning")
	}) {
		t.Errorf("no note on the bucket: %q", m.Notes)
	}
	if m.AppVersion != "1.2.3" || m.Media.Bucket != "city-media" || m.Media.Prefix != "prod/" {
		t.Errorf("manifest: %+v", m)
	}

	restored := filepath.Join(t.TempDir(), "restored")
	if _, _, err := Restore(ctx, snap, Target{DataDir: restored}); err != nil {
		t.Fatal(err)
	}
	for path, body := range map[string]string{"media/videos/1/a.mp4": "video", "uploads/abc": "half an upload"} {
		got, err := os.ReadFile(filepath.Join(restored, filepath.FromSlash(path)))
		if err != nil || string(got) != body {
			t.Errorf("restored %s: %q %v", path, got, err)
		}
	}
	if _, err := os.Stat(filepath.Join(restored, "tmp")); !os.IsNotExist(err) {
		t.Errorf("tmp/ was restored: %v", err)
	}
}

// TestLibpqURL: pgx's search_path becomes pg_dump's schema, the password goes into the
// environment and off the command line.
func TestLibpqURL(t *testing.T) {
	conn, schema, env, err := libpqURL("postgres://app:s3cret@db.example:5432/city?sslmode=require&search_path=test_1&pool_max_conns=5")
	if err != nil {
		t.Fatal(err)
	}
	if conn != "postgres://app@db.example:5432/city?sslmode=require" || schema != "test_1" || !slices.Equal(env, []string{"PGPASSWORD=s3cret"}) {
		t.Errorf("got %q %q %q", conn, schema, env)
	}
}
