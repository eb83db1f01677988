package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"sistercity/internal/backup"
	"sistercity/internal/blob"
	"sistercity/internal/blob/blobtest"
	"sistercity/internal/db"
	"sistercity/internal/db/dbtest"
	"sistercity/internal/media"
	"sistercity/internal/video"
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
		// Absolute links (OpenGraph, JSON-LD, the share panel's embed code and oEmbed links,
		// query-escaped) name the server's address, which differs.
		fp[path] = sum([]byte(strings.NewReplacer(base, "BASE", url.QueryEscape(base), "BASE").Replace(string(b))))
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
	t.Parallel()
	ctx := context.Background()
	dataDir, dbURL := t.TempDir(), dbtest.URL(t) // a schema, which the restore drops
	dbFlags := []string{"--data-dir", dataDir, "--log-level", "warn"}
	if dbURL != "" {
		dbFlags = append(dbFlags, "--database-url", dbURL)
	}
	base, stdout, stop := startServe(t, append(dbFlags, "--demo")...)
	before := siteFingerprint(t, base)
	pw := regexp.MustCompile(`password: (\S+)`).FindStringSubmatch(stdout.String())
	if pw == nil {
		t.Fatalf("no admin password printed:\n%s", stdout.String())
	}

	d, err := db.Open(ctx, dbURL, dataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := insertMarker(ctx, d.W, "backup-test-committed"); err != nil {
		t.Fatal(err)
	}
	// A partnership document uploaded through the admin, and a video upload half done.
	b := signedIn(t, base, pw[1])
	docPage, doc := uploadDocument(t, b)
	clip := filepath.Join(t.TempDir(), "clip.mp4")
	if err := media.TestClip(ctx, clip, media.ClipOptions{Width: 320, Height: 180, Duration: 2 * time.Second, FastStart: true}); err != nil {
		t.Fatal(err)
	}
	clipBytes, err := os.ReadFile(clip)
	if err != nil {
		t.Fatal(err)
	}
	v := &video.Video{OriginalLang: "ru", State: video.StateDraft, Texts: []video.Text{{Lang: "ru", Title: "Незаконченная загрузка"}}}
	v.Normalize()
	if err := d.InTx(ctx, func(tx *sql.Tx) error { return video.Create(ctx, tx, v) }); err != nil {
		t.Fatal(err)
	}
	token := b.csrf(docPage)
	meta := "video " + base64.StdEncoding.EncodeToString([]byte(strconv.FormatInt(v.ID, 10))) + ",filename " + base64.StdEncoding.EncodeToString([]byte("clip.mp4"))
	resp, body := tusDo(b, token, "POST", "/admin/uploads/", nil, "Upload-Length", strconv.Itoa(len(clipBytes)), "Upload-Metadata", meta)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("tus create: %d %s", resp.StatusCode, body)
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	upload, half := loc.Path, len(clipBytes)/2
	if resp, body := tusDo(b, token, "PATCH", upload, clipBytes[:half], "Upload-Offset", "0", "Content-Type", "application/offset+octet-stream"); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("tus patch: %d %s", resp.StatusCode, body)
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
	// The same password signs in; the document downloads unchanged; the half-done upload
	// resumes where it stood and completes.
	b2 := signedIn(t, base2, pw[1])
	if resp, got := b2.get(docPage + "/documents/" + lastDocument(t, b2, docPage)); resp.StatusCode != http.StatusOK || string(got) != string(doc) {
		t.Errorf("restored document: %d, %d bytes of %d", resp.StatusCode, len(got), len(doc))
	}
	token = b2.csrf(docPage)
	resp, _ = tusDo(b2, token, "HEAD", upload, nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Upload-Offset") != strconv.Itoa(half) {
		t.Fatalf("restored upload: %d at offset %q, want %d", resp.StatusCode, resp.Header.Get("Upload-Offset"), half)
	}
	if resp, body := tusDo(b2, token, "PATCH", upload, clipBytes[half:], "Upload-Offset", strconv.Itoa(half), "Content-Type", "application/offset+octet-stream"); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("resumed upload: %d %s", resp.StatusCode, body)
	}
}

// signedIn returns a browser signed in to the admin at base.
func signedIn(t *testing.T, base, password string) *browser {
	t.Helper()
	b := newBrowser(t, base)
	form := url.Values{"username": {"admin"}, "password": {password}, "csrf_token": {b.csrf("/admin/sign-in")}}
	req, _ := http.NewRequest("POST", base+"/admin/sign-in", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, body := b.do(req); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d\n%s", resp.StatusCode, body)
	}
	return b
}

// uploadDocument uploads a document to the first partnership and returns its admin page and
// the document's bytes.
func uploadDocument(t *testing.T, b *browser) (page string, doc []byte) {
	t.Helper()
	_, list := b.get("/admin/partnerships")
	pm := regexp.MustCompile(`/admin/partnerships/(\d+)"`).FindSubmatch(list)
	if pm == nil {
		t.Fatal("no partnership on /admin/partnerships")
	}
	page = "/admin/partnerships/" + string(pm[1])
	doc = append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("memorandum of 1992\n"), 2000)...)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("csrf_token", b.csrf(page))
	_ = mw.WriteField("title", "Memorandum of 1992")
	fw, _ := mw.CreateFormFile("file", "memorandum.pdf")
	_, _ = fw.Write(doc)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", b.base+page+"/documents", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if resp, out := b.do(req); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("document upload: %d\n%s", resp.StatusCode, out)
	}
	lastDocument(t, b, page)
	return page, doc
}

// lastDocument returns the id of the last document the partnership page lists.
func lastDocument(t *testing.T, b *browser, page string) string {
	t.Helper()
	_, html := b.get(page)
	all := regexp.MustCompile(regexp.QuoteMeta(page)+`/documents/(\d+)"`).FindAllSubmatch(html, -1)
	if all == nil {
		t.Fatalf("%s lists no document", page)
	}
	return string(all[len(all)-1][1])
}

// tusDo sends a tus request as the upload page does, with the session's CSRF token.
func tusDo(b *browser, token, method, path string, body []byte, header ...string) (*http.Response, []byte) {
	b.t.Helper()
	req, _ := http.NewRequest(method, b.base+path, bytes.NewReader(body))
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("X-CSRF-Token", token)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
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

// copyDir copies the snapshot in src to dst, for a test that damages it.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o750)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o640)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// dirNames lists the names in dir, sorted.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// TestBackupAndRestoreRefusals: every refusal of the issue, each with a clear message and
// nothing changed.
func TestBackupAndRestoreRefusals(t *testing.T) {
	t.Parallel()
	dataDir, dbURL := dbtest.Migrated(t)
	dbFlags := []string{"--data-dir", dataDir, "--log-level", "warn"}
	if dbURL != "" {
		dbFlags = append(dbFlags, "--database-url", dbURL)
	}
	if code, out, errOut := sistercity(t, dbFlags, "migrate"); code != 0 {
		t.Fatalf("migrate: %d %s%s", code, out, errOut)
	}
	for name, body := range map[string]string{"media/videos/1/a.mp4": "video bytes", "media/documents/7/mou.pdf": "%PDF-1.7 document"} {
		p := filepath.Join(dataDir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	work := t.TempDir()

	// A target that is not empty: refused, its file untouched, nothing added.
	full := filepath.Join(work, "full")
	if err := os.MkdirAll(full, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(full, "keep.txt"), []byte("mine"), 0o640); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := sistercity(t, dbFlags, "backup", "--to", full)
	if code == 0 || !strings.Contains(errOut, "is not empty") {
		t.Errorf("backup into a non-empty directory: %d %s", code, errOut)
	}
	if names := dirNames(t, full); len(names) != 1 || names[0] != "keep.txt" {
		t.Errorf("the non-empty target now holds %v", names)
	}
	// A target that cannot be written (under a regular file; the tests may run as root).
	code, _, errOut = sistercity(t, dbFlags, "backup", "--to", filepath.Join(full, "keep.txt", "snap"))
	if code == 0 || !strings.Contains(errOut, "backup target") {
		t.Errorf("backup into an unwritable place: %d %s", code, errOut)
	}
	// Neither --to nor --verify.
	if code, _, errOut = sistercity(t, dbFlags, "backup"); code == 0 || !strings.Contains(errOut, "--to DIR") {
		t.Errorf("backup without a target: %d %s", code, errOut)
	}

	snap := filepath.Join(work, "snap")
	if code, out, errOut := sistercity(t, dbFlags, "backup", "--to", snap); code != 0 {
		t.Fatalf("backup: %d %s%s", code, out, errOut)
	}
	if code, out, errOut := sistercity(t, nil, "backup", "--verify", snap); code != 0 {
		t.Fatalf("verify: %d %s%s", code, out, errOut)
	}

	// restoreRefused runs restore from src into a new directory and checks that it fails with
	// want and leaves nothing behind: no target, no temporary sibling.
	restoreRefused := func(name, src, want string, extra ...string) {
		t.Helper()
		parent := filepath.Join(work, "restore-"+name)
		if err := os.MkdirAll(parent, 0o750); err != nil {
			t.Fatal(err)
		}
		target := filepath.Join(parent, "data")
		code, _, errOut := sistercity(t, nil, append([]string{"restore", "--from", src, "--data-dir", target}, extra...)...)
		if code == 0 || !strings.Contains(errOut, want) {
			t.Errorf("%s: restore gave %d, want an error with %q:\n%s", name, code, want, errOut)
		}
		for _, n := range dirNames(t, parent) {
			if !strings.HasSuffix(n, ".restore-lock") {
				t.Errorf("%s: the failed restore left %s", name, n)
			}
		}
	}

	// One changed byte in a media file: --verify and restore both refuse, naming the file.
	changed := filepath.Join(work, "changed")
	copyDir(t, snap, changed)
	doc := filepath.Join(changed, "files", "media", "documents", "7", "mou.pdf")
	b, _ := os.ReadFile(doc)
	b[3] ^= 1
	if err := os.WriteFile(doc, b, 0o640); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = sistercity(t, nil, "backup", "--verify", changed)
	if code == 0 || !strings.Contains(errOut, "files/media/documents/7/mou.pdf: SHA-256") {
		t.Errorf("verify of a changed byte: %d %s", code, errOut)
	}
	restoreRefused("changed", changed, "files/media/documents/7/mou.pdf: SHA-256")

	// A missing file, and an unlisted one.
	missing := filepath.Join(work, "missing")
	copyDir(t, snap, missing)
	if err := os.Remove(filepath.Join(missing, "files", "media", "videos", "1", "a.mp4")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(missing, "files", "extra.txt"), []byte("?"), 0o640); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = sistercity(t, nil, "backup", "--verify", missing)
	if code == 0 || !strings.Contains(errOut, "files/media/videos/1/a.mp4: missing") || !strings.Contains(errOut, "files/extra.txt: not in the manifest") {
		t.Errorf("verify of a missing file: %d %s", code, errOut)
	}
	restoreRefused("missing", missing, "a.mp4: missing")

	// No manifest: an unfinished snapshot.
	unfinished := filepath.Join(work, "unfinished")
	copyDir(t, snap, unfinished)
	if err := os.Remove(filepath.Join(unfinished, backup.ManifestName)); err != nil {
		t.Fatal(err)
	}
	restoreRefused("unfinished", unfinished, "has no manifest.json")

	// A snapshot of a database newer than this binary: intact, but restore refuses it, naming
	// both schema versions, before anything is copied.
	newer := filepath.Join(work, "newer")
	copyDir(t, snap, newer)
	m, err := backup.ReadManifest(newer)
	if err != nil {
		t.Fatal(err)
	}
	latest := m.SchemaVersion
	m.SchemaVersion += 100
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(newer, backup.ManifestName), raw, 0o640); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := sistercity(t, nil, "backup", "--verify", newer); code != 0 {
		t.Errorf("verify of the newer snapshot: %d %s%s", code, out, errOut)
	}
	restoreRefused("newer", newer, fmt.Sprintf("schema version %d, newer than this binary, which knows schema versions up to %d", latest+100, latest))

	// A restore into a non-empty data directory: refused, the directory unchanged.
	code, _, errOut = sistercity(t, nil, "restore", "--from", snap, "--data-dir", full)
	if code == 0 || !strings.Contains(errOut, "is not empty") {
		t.Errorf("restore into a non-empty directory: %d %s", code, errOut)
	}
	if names := dirNames(t, full); len(names) != 1 || names[0] != "keep.txt" {
		t.Errorf("the non-empty restore target now holds %v", names)
	}

	// A second restore while one runs (its lock held here): refused.
	lockedParent := filepath.Join(work, "restore-locked")
	if err := os.MkdirAll(lockedParent, 0o750); err != nil {
		t.Fatal(err)
	}
	lockedTarget := filepath.Join(lockedParent, "data")
	lock, err := os.OpenFile(backup.LockPath(lockedTarget), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	restoreRefused("locked", snap, "another restore into")
	lock.Close()

	if dbURL != "" {
		// Into a database that has sistercity's tables: refused before anything is copied.
		restoreRefused("database", snap, "is not empty", "--database-url", dbURL)
		// Without --database-url the files are restored and the output says how to restore
		// the dump.
		code, out, errOut := sistercity(t, nil, "restore", "--from", snap, "--data-dir", filepath.Join(work, "files-only"))
		if code != 0 || !strings.Contains(out, "pg_restore") {
			t.Errorf("restore of a PostgreSQL snapshot without --database-url: %d %s%s", code, out, errOut)
		}
	}

	// After all this, the good snapshot restores.
	good := filepath.Join(work, "good")
	if code, out, errOut := sistercity(t, nil, "restore", "--from", snap, "--data-dir", good); code != 0 {
		t.Fatalf("restore: %d %s%s", code, out, errOut)
	}
	got, err := os.ReadFile(filepath.Join(good, "media", "documents", "7", "mou.pdf"))
	if err != nil || string(got) != "%PDF-1.7 document" {
		t.Errorf("restored document: %q %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(good, "sistercity.db")); (err == nil) != (dbURL == "") {
		t.Errorf("restored sistercity.db: %v (database %s)", err, dbtest.Name())
	}
}

// TestBackupWithMediaOnS3: with --media-url s3://…, the snapshot holds the database and the
// local files only; the manifest records the bucket, and the command says that the bucket's
// versioning or replication keeps the media.
func TestBackupWithMediaOnS3(t *testing.T) {
	t.Parallel()
	bucket := blobtest.Start(t).Bucket(t)
	dbFlags := append(dbArgs(t), "--log-level", "warn", "--media-url", bucket)
	if code, out, errOut := sistercity(t, dbFlags, "migrate"); code != 0 {
		t.Fatalf("migrate: %d %s%s", code, out, errOut)
	}
	u, err := url.Parse(bucket)
	if err != nil {
		t.Fatal(err)
	}
	snap := filepath.Join(t.TempDir(), "snap")
	code, out, errOut := sistercity(t, dbFlags, "backup", "--to", snap)
	if code != 0 || !strings.Contains(out, "s3://"+u.Host+"/") || !strings.Contains(out, "versioning or replication") {
		t.Fatalf("backup with S3 media: %d\n%s%s", code, out, errOut)
	}
	m, err := backup.ReadManifest(snap)
	if err != nil {
		t.Fatal(err)
	}
	if m.Media.Kind != "s3" || m.Media.Bucket != u.Host {
		t.Errorf("manifest media %+v, want the bucket %s", m.Media, u.Host)
	}
	for _, f := range m.Files {
		if strings.HasPrefix(f.Path, "files/media/") {
			t.Errorf("the snapshot copied %s from the bucket", f.Path)
		}
	}
}
