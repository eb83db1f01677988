package web

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"sistercity/internal/auth"
	"sistercity/internal/auth/authtest"
	"sistercity/internal/blob"
	"sistercity/internal/config"
	"sistercity/internal/db/dbtest"
	"sistercity/internal/i18n"
	"sistercity/internal/jobs"
	"sistercity/internal/jobs/jobstest"
	"sistercity/internal/media"
	"sistercity/internal/polltest"
	"sistercity/internal/video"
)

// newUploadEnv is newTestEnv with a data directory of its own, for the uploads, and cfg
// changed by change.
func newUploadEnv(t *testing.T, change func(*config.Config)) *testEnv {
	t.Helper()
	d := dbtest.Open(t)
	docs, err := blob.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	queue, err := jobs.New(d, jobs.Config{Workers: 0}, log)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	if change != nil {
		change(&cfg)
	}
	e := &testEnv{t: t, db: d, queue: queue}
	e.restart(Options{Config: cfg, DB: d, Docs: docs, Queue: queue, Log: log})
	return e
}

// restart serves a new Server built from o (the catalog added), as a restarted process over
// the same database and data directory would be.
func (e *testEnv) restart(o Options) {
	e.t.Helper()
	cat, err := i18n.Load()
	if err != nil {
		e.t.Fatal(err)
	}
	o.Catalog = cat
	srv, err := New(o)
	if err != nil {
		e.t.Fatal(err)
	}
	if e.ts != nil {
		e.ts.Close()
	}
	e.srv = srv
	e.ts = httptest.NewServer(srv)
	e.t.Cleanup(e.ts.Close)
}

func (e *testEnv) uploadVideo(state string) *video.Video {
	e.t.Helper()
	ctx := context.Background()
	v := &video.Video{OriginalLang: "ru", State: video.StateDraft, Texts: []video.Text{ruOnly}}
	v.Normalize()
	e.inTx(func(tx *sql.Tx) error {
		if err := video.Create(ctx, tx, v); err != nil {
			return err
		}
		if state != video.StateDraft {
			return video.SetState(ctx, tx, v, state, fixedNow)
		}
		return nil
	})
	return v
}

func testClip(t *testing.T, d time.Duration) (string, []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "clip.mp4")
	if err := media.TestClip(context.Background(), path, media.ClipOptions{Width: 640, Height: 360, Duration: d, FastStart: true}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, b
}

// tusClient speaks tus to the admin as the upload page does: with the session's cookie and
// its CSRF token in X-CSRF-Token.
type tusClient struct {
	c     *client
	token string
}

func (c *client) tus() *tusClient { return &tusClient{c: c, token: c.csrf()} }

func (tc *tusClient) do(method, path string, h map[string]string, body []byte) (*http.Response, string) {
	tc.c.e.t.Helper()
	req, err := http.NewRequest(method, tc.c.e.ts.URL+path, bytes.NewReader(body))
	if err != nil {
		tc.c.e.t.Fatal(err)
	}
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("X-CSRF-Token", tc.token)
	if tc.c.lang != "" {
		req.Header.Set("Accept-Language", tc.c.lang)
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := tc.c.http.Do(req)
	if err != nil {
		tc.c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func tusMeta(vid int64, name string) string {
	return "video " + base64.StdEncoding.EncodeToString([]byte(itoa64(vid))) + ",filename " + base64.StdEncoding.EncodeToString([]byte(name))
}

func (tc *tusClient) create(vid int64, size int) (*http.Response, string) {
	return tc.do("POST", "/admin/uploads/", map[string]string{"Upload-Length": strconv.Itoa(size), "Upload-Metadata": tusMeta(vid, "support.mp4")}, nil)
}

func (tc *tusClient) mustCreate(vid int64, size int) string {
	tc.c.e.t.Helper()
	resp, body := tc.create(vid, size)
	if resp.StatusCode != http.StatusCreated {
		tc.c.e.t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	u, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(u.Path, "/admin/uploads/") {
		tc.c.e.t.Fatalf("create: Location %q", resp.Header.Get("Location"))
	}
	return u.Path
}

func (tc *tusClient) patch(path string, offset int, chunk []byte) int {
	tc.c.e.t.Helper()
	resp, body := tc.do("PATCH", path, map[string]string{"Upload-Offset": strconv.Itoa(offset), "Content-Type": "application/offset+octet-stream"}, chunk)
	if resp.StatusCode != http.StatusNoContent {
		tc.c.e.t.Fatalf("patch at %d: %d %s", offset, resp.StatusCode, body)
	}
	n, _ := strconv.Atoi(resp.Header.Get("Upload-Offset"))
	return n
}

func (tc *tusClient) head(path string) int {
	tc.c.e.t.Helper()
	resp, _ := tc.do("HEAD", path, nil, nil)
	if resp.StatusCode != http.StatusOK {
		tc.c.e.t.Fatalf("head %s: %d", path, resp.StatusCode)
	}
	n, _ := strconv.Atoi(resp.Header.Get("Upload-Offset"))
	return n
}

// interrupt sends a PATCH promising the rest of data that breaks off after n bytes, as a
// dropped connection does, and waits until the server has kept what arrived.
func (tc *tusClient) interrupt(path string, offset int, data []byte, n int) {
	e := tc.c.e
	e.t.Helper()
	u, _ := url.Parse(e.ts.URL)
	var cookies []string
	for _, ck := range tc.c.http.Jar.Cookies(u) {
		cookies = append(cookies, ck.String())
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		e.t.Fatal(err)
	}
	fmt.Fprintf(conn, "PATCH %s HTTP/1.1\r\nHost: %s\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: %d\r\n"+
		"Content-Type: application/offset+octet-stream\r\nContent-Length: %d\r\nX-CSRF-Token: %s\r\nCookie: %s\r\n\r\n",
		path, u.Host, offset, len(data)-offset, tc.token, strings.Join(cookies, "; "))
	if _, err := conn.Write(data[offset : offset+n]); err != nil {
		e.t.Fatal(err)
	}
	conn.Close()
	bin := filepath.Join(e.srv.cfg.DataDir, "uploads", filepath.Base(path))
	polltest.Until(e.t, fmt.Sprintf("the server to keep the %d bytes sent before the connection dropped", n), func() (bool, string) {
		fi, err := os.Stat(bin)
		if err != nil {
			return false, err.Error()
		}
		return fi.Size() == int64(offset+n), fmt.Sprintf("%d bytes kept", fi.Size())
	})
}

// checkUploaded checks that v's source is data, stored in the media store, waiting for
// processing with its job queued, and that no temporary upload file is left.
func (e *testEnv) checkUploaded(vid int64, data []byte) *video.Video {
	e.t.Helper()
	ctx := context.Background()
	v, err := video.Get(ctx, e.db.R, vid)
	if err != nil {
		e.t.Fatal(err)
	}
	if v.Processing != video.ProcWaiting || !strings.HasPrefix(v.SourceKey, video.SourceKey(vid, "")) {
		e.t.Fatalf("after the upload: processing %q, source %q", v.Processing, v.SourceKey)
	}
	r, err := e.srv.docs.Open(ctx, v.SourceKey)
	if err != nil {
		e.t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	r.Close()
	if !bytes.Equal(got, data) {
		e.t.Fatalf("stored source: %d bytes, want the %d uploaded", len(got), len(data))
	}
	page, err := e.jobs().List(ctx, jobstest.Filter{Kinds: []string{video.ProcessArgs{}.Kind()}})
	if err != nil {
		e.t.Fatal(err)
	}
	if len(page.Jobs) != 1 {
		e.t.Fatalf("%d processing jobs, want 1", len(page.Jobs))
	}
	entries, _ := os.ReadDir(filepath.Join(e.srv.cfg.DataDir, "uploads"))
	for _, en := range entries {
		if !strings.HasSuffix(en.Name(), ".done") {
			e.t.Errorf("left behind: uploads/%s", en.Name())
		}
	}
	return v
}

func TestUploadInterruptedThroughAdmin(t *testing.T) {
	t.Parallel()
	e := newUploadEnv(t, nil)
	v := e.uploadVideo(video.StateDraft)
	_, data := testClip(t, 2*time.Second)
	c := e.userClient(auth.RoleEditor)
	resp, body := c.get("/admin/videos/" + itoa64(v.ID) + "/upload")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-video-status="`+itoa64(v.ID)+`"`) ||
		!strings.Contains(body, "No source file yet") || !strings.Contains(body, `<progress id="upload-progress"`) {
		t.Fatalf("upload page: %d\n%s", resp.StatusCode, body)
	}
	tc := c.tus()
	path := tc.mustCreate(v.ID, len(data))
	const chunk = 64 << 10
	off := tc.patch(path, 0, data[:chunk])
	off = tc.patch(path, off, data[off:off+chunk])
	tc.interrupt(path, off, data, chunk/2)
	if got := tc.head(path); got != off+chunk/2 {
		t.Fatalf("HEAD after the drop: %d, want %d", got, off+chunk/2)
	}
	for off = tc.head(path); off < len(data); {
		off = tc.patch(path, off, data[off:min(off+chunk, len(data))])
	}
	v = e.checkUploaded(v.ID, data)
	log, err := authtest.AuditLog(context.Background(), e.db.R, auth.EntityVideo, 5, 0)
	if err != nil || len(log) != 1 || log[0].Action != "upload_source" || log[0].Username != "u-editor" {
		t.Fatalf("audit: %+v %v", log, err)
	}
	_, body = c.get("/admin/videos/" + itoa64(v.ID) + "/upload")
	if !strings.Contains(body, "Waiting for processing") {
		t.Errorf("upload page after the upload does not show the status:\n%s", body)
	}
}

func TestUploadResumesAfterServerRestart(t *testing.T) {
	t.Parallel()
	e := newUploadEnv(t, nil)
	v := e.uploadVideo(video.StateDraft)
	_, data := testClip(t, 2*time.Second)
	c := e.userClient(auth.RoleEditor)
	tc := c.tus()
	path := tc.mustCreate(v.ID, len(data))
	off := tc.patch(path, 0, data[:len(data)/2])
	tc.interrupt(path, off, data, 4096)

	// A new process over the same database and data directory; the browser keeps its cookie.
	e.restart(Options{Config: e.srv.cfg, DB: e.db, Docs: e.srv.docs, Queue: e.queue, Log: e.srv.log})
	off = tc.head(path)
	if off != len(data)/2+4096 {
		t.Fatalf("HEAD after the restart: %d, want %d", off, len(data)/2+4096)
	}
	tc.patch(path, off, data[off:])
	e.checkUploaded(v.ID, data)
}

func TestUploadRefusals(t *testing.T) {
	t.Parallel()
	e := newUploadEnv(t, func(c *config.Config) {
		c.MaxUploadBytes = 5 << 20
		c.StorageQuota = 3 << 20
	})
	v := e.uploadVideo(video.StateDraft)
	editor := e.userClient(auth.RoleEditor)
	editor.lang = "ru"
	tc := editor.tus()

	resp, body := tc.create(v.ID, 6<<20)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || body != "Размер файла — 6\u00a0МБ, максимально допустимый — 5\u00a0МБ." {
		t.Errorf("over the limit: %d %q", resp.StatusCode, body)
	}
	resp, body = tc.create(v.ID, 4<<20)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "от квоты осталось 3\u00a0МБ") {
		t.Errorf("over the quota: %d %q", resp.StatusCode, body)
	}
	resp, body = tc.create(999999, 100)
	if resp.StatusCode != http.StatusNotFound || body != "Такого видео нет." {
		t.Errorf("unknown video: %d %q", resp.StatusCode, body)
	}
	resp, _ = tc.do("POST", "/admin/uploads/", map[string]string{"Upload-Metadata": tusMeta(v.ID, "a.mp4")}, nil)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("no Upload-Length: %d", resp.StatusCode)
	}

	path := tc.mustCreate(v.ID, 1000)
	forged := &tusClient{c: editor, token: "forged-" + tc.token[:8]}
	if resp, _ := forged.create(v.ID, 100); resp.StatusCode != http.StatusForbidden {
		t.Errorf("create with a forged CSRF token: %d, want 403", resp.StatusCode)
	}
	if resp, _ := forged.do("PATCH", path, map[string]string{"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}, make([]byte, 10)); resp.StatusCode != http.StatusForbidden {
		t.Errorf("PATCH with a forged CSRF token: %d, want 403", resp.StatusCode)
	}
	viewer := e.userClient(auth.RoleViewer).tus()
	if resp, _ := viewer.create(v.ID, 100); resp.StatusCode != http.StatusForbidden {
		t.Errorf("create as a viewer: %d, want 403", resp.StatusCode)
	}
	if resp, _ := viewer.do("PATCH", path, map[string]string{"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}, make([]byte, 10)); resp.StatusCode != http.StatusForbidden {
		t.Errorf("PATCH as a viewer: %d, want 403", resp.StatusCode)
	}
	if resp, _ := viewer.do("HEAD", path, nil, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("HEAD as a viewer: %d, want 403", resp.StatusCode)
	}
	if resp, _ := e.client().get("/admin/videos/" + itoa64(v.ID) + "/upload"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("upload page without a session: %d, want 303 to sign-in", resp.StatusCode)
	}
	// Nothing arrived through the refused requests.
	if got := tc.head(path); got != 0 {
		t.Errorf("offset after refused PATCHes: %d, want 0", got)
	}
	// A chunk larger than a form is still accepted: the form limit does not apply to uploads.
	big := tc.mustCreate(v.ID, maxFormBytes+100)
	if got := tc.patch(big, 0, make([]byte, maxFormBytes+100)); got != maxFormBytes+100 {
		t.Errorf("a chunk above the form limit: offset %d", got)
	}
	if resp, _ := tc.do("DELETE", path, nil, nil); resp.StatusCode != http.StatusNoContent {
		t.Errorf("DELETE: %d, want 204", resp.StatusCode)
	}

	withdrawn := e.uploadVideo(video.StateWithdrawn)
	resp, body = tc.create(withdrawn.ID, 100)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "Сейчас загрузить файл для этого видео нельзя") {
		t.Errorf("withdrawn video: %d %q", resp.StatusCode, body)
	}
	_, page := editor.get("/admin/videos/" + itoa64(withdrawn.ID) + "/upload")
	if strings.Contains(page, `id="upload-form"`) {
		t.Error("the upload page of a withdrawn video offers the form")
	}
}
