package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"sistercity/internal/backup"
	"sistercity/internal/blob"
	"sistercity/internal/db"
	"sistercity/internal/db/dbtest"
)

// siteFingerprint fetches what a visitor of the demo sees — the register, the video list, a
// watch page, the video file and its subtitle tracks — and returns each with its SHA-256.
func siteFingerprint(t *testing.T, base string) map[string]string {
	t.Helper()
	fp := map[string]string{}
	sum := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	fetch := func(path string) []byte {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
		}
		// Absolute links (OpenGraph, JSON-LD) name the server's address, which differs.
		fp[path] = sum([]byte(strings.ReplaceAll(string(b), base, "BASE")))
		return b
	}
	fetch("/ru/partners")
	index := string(fetch("/ko/videos"))
	link := regexp.MustCompile(`<a href="(/ko/videos/\d+)">`).FindStringSubmatch(index)
	if link == nil {
		t.Fatalf("/ko/videos lists no video:\n%s", index)
	}
	watch := string(fetch(link[1]))
	src := regexp.MustCompile(`<source src="(/media/videos/[^"]+\.mp4)"`).FindStringSubmatch(watch)
	if src == nil {
		t.Fatalf("%s has no video source", link[1])
	}
	fetch(src[1])
	tracks := demoTrackRe.FindAllStringSubmatch(watch, -1)
	if len(tracks) != 3 {
		t.Fatalf("%s offers %d tracks, want 3", link[1], len(tracks))
	}
	for _, m := range tracks {
		fetch(m[1])
	}
	return fp
}

// auditMarkers lists the actions of the audit_log rows the test wrote (action LIKE 'backup-test%').
func auditMarkers(t *testing.T, d *db.DB) map[string]bool {
	t.Helper()
	rows, err := d.R.Query("SELECT action FROM audit_log WHERE action LIKE 'backup-test%'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string]bool{}
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			t.Fatal(err)
		}
		got[a] = true
	}
	return got
}

func insertMarker(ctx context.Context, q db.Querier, action string) error {
	_, err := q.ExecContext(ctx, "INSERT INTO audit_log (at, username, action, entity) VALUES ($1, 'test', $2, 'backup')",
		time.Now().UTC(), action)
	return err
}

// TestBackupWhileServingThenRestore is the "must show": a snapshot taken while serve
// --demo runs, an edit's transaction is open and other writes and media writes go on, restored
// into a new data directory, serves the same register, video, tracks and files.
func TestBackupWhileServingThenRestore(t *testing.T) {
	ctx := context.Background()
	dataDir, dbURL := t.TempDir(), dbtest.URL(t)
	dbFlags := []string{"--data-dir", dataDir, "--log-level", "warn"}
	if dbURL != "" {
		dbFlags = append(dbFlags, "--database-url", dbURL)
	}
	base, _, stop := startServe(t, append(dbFlags, "--demo")...)
	before := siteFingerprint(t, base)

	d, err := db.Open(ctx, dbURL, dataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := insertMarker(ctx, d.W, "backup-test-committed"); err != nil {
		t.Fatal(err)
	}
	// An edit in progress: its transaction is open for the whole backup and commits after it.
	tx, err := d.W.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := insertMarker(ctx, tx, "backup-test-open"); err != nil {
		t.Fatal(err)
	}
	// Meanwhile the media store is written to, as the encoder does.
	store, err := blob.Open(ctx, "", dataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	stopWriting := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 40; i++ {
			select {
			case <-stopWriting:
				return
			default:
			}
			if err := store.Put(ctx, fmt.Sprintf("backup-test/%d.bin", i), strings.NewReader(strings.Repeat("x", 256<<10))); err != nil {
				t.Error(err)
				return
			}
		}
	}()

	snap := filepath.Join(t.TempDir(), "snapshot")
	code, out, errOut := sistercity(t, dbFlags, "backup", "--to", snap)
	close(stopWriting)
	wg.Wait()
	if code != 0 {
		t.Fatalf("backup: %d\n%s%s", code, out, errOut)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	t.Log(out)
	m, err := backup.ReadManifest(snap)
	if err != nil {
		t.Fatal(err)
	}
	latest, _ := d.LatestMigration()
	if m.SchemaVersion != latest || m.Database != dbtest.Name() || m.AppVersion != version {
		t.Errorf("manifest: schema %d (want %d), database %s, version %q", m.SchemaVersion, latest, m.Database, m.AppVersion)
	}
	for _, f := range m.Files {
		if strings.HasSuffix(f.Path, ".tmp") || strings.HasPrefix(f.Path, "files/sistercity.db") || strings.HasPrefix(f.Path, "files/tmp/") {
			t.Errorf("snapshot holds %s", f.Path)
		}
	}
	code, out, errOut = sistercity(t, nil, "backup", "--verify", snap)
	if code != 0 || !strings.Contains(out, "intact") {
		t.Fatalf("verify: %d\n%s%s", code, out, errOut)
	}

	restored := filepath.Join(t.TempDir(), "restored")
	restoreFlags := []string{"--from", snap, "--data-dir", restored, "--log-level", "warn"}
	if dbURL != "" {
		// The restore drill on PostgreSQL: the database is gone, the dump goes back into it.
		if code := stop(); code != 0 {
			t.Fatalf("serve exited with %d", code)
		}
		d.Close()
		dropSchema(t, dbURL)
		restoreFlags = append(restoreFlags, "--database-url", dbURL)
	}
	code, out, errOut = sistercity(t, nil, append([]string{"restore"}, restoreFlags...)...)
	if code != 0 {
		t.Fatalf("restore: %d\n%s%s", code, out, errOut)
	}
	t.Log(out)

	// Every media file of the snapshot is in the restored media directory, byte for byte the
	// original's (the test's own writes may have gone on after the copy; they are not compared).
	for _, f := range m.Files {
		rel, ok := strings.CutPrefix(f.Path, "files/")
		if !ok {
			continue
		}
		got, err := os.ReadFile(filepath.Join(restored, rel))
		if err != nil {
			t.Fatal(err)
		}
		if s := sha256.Sum256(got); hex.EncodeToString(s[:]) != f.SHA256 {
			t.Errorf("restored %s differs from the snapshot", rel)
		}
		if strings.HasPrefix(rel, "media/videos/") {
			orig, _ := os.ReadFile(filepath.Join(dataDir, rel))
			if string(orig) != string(got) {
				t.Errorf("restored %s differs from the original", rel)
			}
		}
	}

	newFlags := []string{"--data-dir", restored}
	if dbURL != "" {
		newFlags = append(newFlags, "--database-url", dbURL)
	}
	rd, err := db.Open(ctx, dbURL, restored)
	if err != nil {
		t.Fatal(err)
	}
	markers := auditMarkers(t, rd)
	rd.Close()
	if !markers["backup-test-committed"] || markers["backup-test-open"] {
		t.Errorf("restored audit markers %v: want the committed one and not the one uncommitted during the backup", markers)
	}
	base2, _, _ := startServe(t, newFlags...)
	after := siteFingerprint(t, base2)
	for path, sum := range before {
		if after[path] != sum {
			t.Errorf("%s differs after the restore", path)
		}
	}
}

func dropSchema(t *testing.T, dbURL string) {
	t.Helper()
	admin, err := sql.Open("pgx", os.Getenv(dbtest.EnvURL))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var schema string
	if err := admin.QueryRow("SELECT $1::text", searchPath(dbURL)).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
		t.Fatal(err)
	}
}

func searchPath(dbURL string) string {
	m := regexp.MustCompile(`search_path=(\w+)`).FindStringSubmatch(dbURL)
	if m == nil {
		return "public"
	}
	return m[1]
}
