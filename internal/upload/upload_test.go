package upload

import (
	"bytes"
	"context"
	"crypto/sha256"
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

	"github.com/tus/tusd/v2/pkg/handler"

	"sistercity/internal/auth"
	"sistercity/internal/auth/authtest"
	"sistercity/internal/blob"
	"sistercity/internal/db"
	"sistercity/internal/db/dbtest"
	"sistercity/internal/i18n"
	"sistercity/internal/jobs"
	"sistercity/internal/jobs/jobstest"
	"sistercity/internal/media"
	"sistercity/internal/polltest"
	"sistercity/internal/video"
)

// env is a Handler over a fresh database, media store and upload directory, served over real
// HTTP at /uploads/ as the web package mounts it.
type env struct {
	t     *testing.T
	db    *db.DB
	store blob.Store
	queue *jobs.Queue
	cat   *i18n.Catalog
	opts  Options
	h     *Handler
	ts    *httptest.Server
	// editor is the account the uploads are made as.
	editor *auth.User
}

func newEnv(t *testing.T, change func(*Options)) *env {
	t.Helper()
	d := dbtest.Open(t)
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	store, err := blob.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	queue, err := jobs.New(d, jobs.Config{Workers: 0}, log)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: d, store: store, queue: queue, cat: cat}
	err = d.InTx(context.Background(), func(tx *sql.Tx) error {
		e.editor, err = auth.CreateUser(context.Background(), tx, "boris", "", "correct horse battery", auth.RoleEditor)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	e.opts = Options{
		Dir: filepath.Join(t.TempDir(), "uploads"), BasePath: "/uploads/",
		MaxSize: 1 << 30, Expiry: time.Hour, StoreOnDisk: true,
		DB: d, Store: store, Queue: queue, Log: log,
		Localize: func(r *http.Request) *i18n.Localizer {
			return cat.Localizer(cat.Match(r.Header.Get("Accept-Language")))
		},
		Actor: func(*http.Request) *auth.User { return e.editor },
	}
	if change != nil {
		change(&e.opts)
	}
	e.start()
	return e
}

// start serves a new Handler over the same directory, as a restarted server would.
func (e *env) start() {
	e.t.Helper()
	if e.ts != nil {
		e.ts.Close()
	}
	h, err := New(e.opts)
	if err != nil {
		e.t.Fatal(err)
	}
	e.h = h
	mux := http.NewServeMux()
	mux.Handle("/uploads/", http.StripPrefix("/uploads", h))
	e.ts = httptest.NewServer(mux)
	e.t.Cleanup(e.ts.Close)
}

func (e *env) newVideo(state string) *video.Video {
	e.t.Helper()
	ctx := context.Background()
	v := &video.Video{OriginalLang: "en", State: video.StateDraft, Texts: []video.Text{{Lang: "en", Title: "Support from Busan"}}}
	v.Normalize()
	err := e.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := video.Create(ctx, tx, v); err != nil {
			return err
		}
		if state == video.StateWithdrawn {
			return video.SetState(ctx, tx, v, state, time.Now())
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return v
}

// clip makes a real video file a few hundred KB long.
func clip(t *testing.T) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "clip.mp4")
	if err := media.TestClip(context.Background(), path, media.ClipOptions{Width: 640, Height: 360, Duration: 2 * time.Second}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func meta(kv ...string) string {
	var parts []string
	for i := 0; i < len(kv); i += 2 {
		parts = append(parts, kv[i]+" "+base64.StdEncoding.EncodeToString([]byte(kv[i+1])))
	}
	return strings.Join(parts, ",")
}

func (e *env) do(method, path string, h map[string]string, body []byte) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.ts.URL+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Tus-Resumable", "1.0.0")
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp
}

func text(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// create starts an upload of size bytes for video vid and returns its path.
func (e *env) create(vid int64, size int) string {
	e.t.Helper()
	resp := e.do("POST", "/uploads/", map[string]string{"Upload-Length": strconv.Itoa(size),
		"Upload-Metadata": meta("video", strconv.FormatInt(vid, 10), "filename", "Привет из Владивостока.MP4")}, nil)
	if resp.StatusCode != http.StatusCreated {
		e.t.Fatalf("create: %d %s", resp.StatusCode, text(resp))
	}
	u, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(u.Path, "/uploads/") {
		e.t.Fatalf("create: Location %q", resp.Header.Get("Location"))
	}
	return u.Path
}

func (e *env) patch(path string, offset int, chunk []byte) int {
	e.t.Helper()
	resp := e.do("PATCH", path, map[string]string{"Upload-Offset": strconv.Itoa(offset),
		"Content-Type": "application/offset+octet-stream"}, chunk)
	if resp.StatusCode != http.StatusNoContent {
		e.t.Fatalf("patch at %d: %d %s", offset, resp.StatusCode, text(resp))
	}
	n, _ := strconv.Atoi(resp.Header.Get("Upload-Offset"))
	return n
}

func (e *env) head(path string) int {
	e.t.Helper()
	resp := e.do("HEAD", path, nil, nil)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("head: %d", resp.StatusCode)
	}
	n, _ := strconv.Atoi(resp.Header.Get("Upload-Offset"))
	return n
}

// interrupt sends a PATCH that promises the whole rest of data but breaks off after n bytes,
// as a dropped connection does, and waits until the server has written what arrived.
func (e *env) interrupt(path string, offset int, data []byte, n int, extra string) {
	e.t.Helper()
	u, _ := url.Parse(e.ts.URL)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		e.t.Fatal(err)
	}
	fmt.Fprintf(conn, "PATCH %s HTTP/1.1\r\nHost: %s\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: %d\r\n"+
		"Content-Type: application/offset+octet-stream\r\nContent-Length: %d\r\n%s\r\n", path, u.Host, offset, len(data)-offset, extra)
	if _, err := conn.Write(data[offset : offset+n]); err != nil {
		e.t.Fatal(err)
	}
	conn.Close()
	bin := filepath.Join(e.opts.Dir, filepath.Base(path))
	polltest.Until(e.t, fmt.Sprintf("the server to keep the %d bytes sent before the connection dropped", n), func() (bool, string) {
		fi, err := os.Stat(bin)
		if err != nil {
			return false, err.Error()
		}
		return fi.Size() == int64(offset+n), fmt.Sprintf("%d bytes kept", fi.Size())
	})
}

// checkAttached checks that video v holds data as its source, waits for processing with one
// job, and that nothing is left of the upload but its completion mark.
func (e *env) checkAttached(vid int64, data []byte) {
	e.t.Helper()
	ctx := context.Background()
	v, err := video.Get(ctx, e.db.R, vid)
	if err != nil {
		e.t.Fatal(err)
	}
	if v.Processing != video.ProcWaiting || !strings.HasPrefix(v.SourceKey, video.SourceKey(vid, "")) ||
		!strings.HasSuffix(v.SourceKey, ".mp4") {
		e.t.Fatalf("video after upload: processing %q, source %q", v.Processing, v.SourceKey)
	}
	r, err := e.store.Open(ctx, v.SourceKey)
	if err != nil {
		e.t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	r.Close()
	if g, w := sha256.Sum256(got), sha256.Sum256(data); g != w {
		e.t.Fatalf("stored source: %d bytes, SHA-256 %x; want the %d uploaded, %x", len(got), g, len(data), w)
	}
	page, err := jobstest.Must(e.t, e.db).List(ctx, jobstest.Filter{Kinds: []string{video.ProcessArgs{}.Kind()}})
	if err != nil {
		e.t.Fatal(err)
	}
	if len(page.Jobs) != 1 || !strings.Contains(string(page.Jobs[0].Args), strconv.FormatInt(vid, 10)) {
		e.t.Fatalf("processing jobs: %+v, want one for video %d", page.Jobs, vid)
	}
	log, err := authtest.AuditLog(ctx, e.db.R, auth.EntityVideo, 10, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	if len(log) != 1 || log[0].Action != "upload_source" || log[0].Username != e.editor.Username || !strings.Contains(log[0].After, v.SourceKey) {
		e.t.Fatalf("audit: %+v, want one upload_source by %s", log, e.editor.Username)
	}
	entries, _ := os.ReadDir(e.opts.Dir)
	for _, en := range entries {
		if !strings.HasSuffix(en.Name(), ".done") {
			e.t.Errorf("left in the upload directory: %s", en.Name())
		}
	}
}

func TestUploadInterruptedResumesAndAttaches(t *testing.T) {
	e := newEnv(t, nil)
	v := e.newVideo(video.StateDraft)
	data := clip(t)
	path := e.create(v.ID, len(data))
	const chunk = 64 << 10
	off := e.patch(path, 0, data[:chunk])
	off = e.patch(path, off, data[off:off+chunk])
	e.interrupt(path, off, data, chunk/2+123, "")
	if got := e.head(path); got != off+chunk/2+123 {
		t.Fatalf("HEAD after the drop: offset %d, want %d", got, off+chunk/2+123)
	}
	off = e.head(path)
	for off < len(data) {
		off = e.patch(path, off, data[off:min(off+chunk, len(data))])
	}
	e.checkAttached(v.ID, data)
	// A client that missed the last answer asks again and learns the upload is whole.
	if got := e.head(path); got != len(data) {
		t.Errorf("HEAD after completion: %d, want %d", got, len(data))
	}
}

func TestUploadResumesAfterRestart(t *testing.T) {
	e := newEnv(t, nil)
	v := e.newVideo(video.StateDraft)
	data := clip(t)
	path := e.create(v.ID, len(data))
	off := e.patch(path, 0, data[:len(data)/3])
	e.interrupt(path, off, data, 1000, "")
	e.start() // the server restarts; the client comes back to the new one
	off = e.head(path)
	if off != len(data)/3+1000 {
		t.Fatalf("HEAD after restart: %d, want %d", off, len(data)/3+1000)
	}
	e.patch(path, off, data[off:])
	e.checkAttached(v.ID, data)
}

func TestUploadRefusals(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.MaxSize = 10 << 20; o.Quota = 1 << 20 })
	draft := e.newVideo(video.StateDraft)
	withdrawn := e.newVideo(video.StateWithdrawn)
	// Something in the store already counts against the quota.
	if err := e.store.Put(context.Background(), "documents/1/a.pdf", bytes.NewReader(make([]byte, 700<<10))); err != nil {
		t.Fatal(err)
	}
	id := func(v *video.Video) string { return strconv.FormatInt(v.ID, 10) }
	tests := []struct {
		name   string
		lang   string
		length string
		meta   string
		status int
		want   string
	}{
		{"over the limit", "ru", "20971520", meta("video", id(draft), "filename", "a.mp4"), 413, "Размер файла — 20\u00a0МБ, максимально допустимый — 10\u00a0МБ."},
		{"over the limit", "en", "20971520", meta("video", id(draft), "filename", "a.mp4"), 413, "The file is 20 MB; the largest upload is 10 MB."},
		{"over the quota", "ko", "524288", meta("video", id(draft), "filename", "a.mp4"), 413, "할당량 중 324KB 남았습니다"},
		{"unknown video", "en", "100", meta("video", "999999", "filename", "a.mp4"), 404, "There is no such video."},
		{"not editable", "en", "100", meta("video", id(withdrawn), "filename", "a.mp4"), 409, "cannot be uploaded for this video now"},
		{"no length", "en", "", meta("video", id(draft), "filename", "a.mp4"), 400, "must state the size"},
		{"empty", "en", "0", meta("video", id(draft), "filename", "a.mp4"), 400, "The file is empty."},
		{"no file name", "en", "100", meta("video", id(draft)), 400, "must name its video and its file"},
		{"bad video", "ru", "100", meta("video", "x", "filename", "a.mp4"), 400, "должны быть указаны видео и имя файла"},
	}
	for _, tt := range tests {
		h := map[string]string{"Upload-Metadata": tt.meta, "Accept-Language": tt.lang}
		if tt.length != "" {
			h["Upload-Length"] = tt.length
		}
		resp := e.do("POST", "/uploads/", h, nil)
		if body := text(resp); resp.StatusCode != tt.status || !strings.Contains(body, tt.want) {
			t.Errorf("%s (%s): %d %q, want %d with %q", tt.name, tt.lang, resp.StatusCode, body, tt.status, tt.want)
		}
	}
	if resp := e.do("HEAD", "/uploads/0123456789abcdef0123456789abcdef", nil, nil); resp.StatusCode != 404 {
		t.Errorf("HEAD of an unknown upload: %d, want 404", resp.StatusCode)
	}
	if resp := e.do("HEAD", "/uploads/not-an-upload", nil, nil); resp.StatusCode != 404 {
		t.Errorf("HEAD of a malformed ID: %d, want 404", resp.StatusCode)
	}
	entries, _ := os.ReadDir(e.opts.Dir)
	if len(entries) != 0 {
		t.Errorf("refused uploads left %d files", len(entries))
	}
}

func TestSweepDeletesAbandonedUploads(t *testing.T) {
	now := time.Now()
	e := newEnv(t, func(o *Options) { o.Now = func() time.Time { return now } })
	v := e.newVideo(video.StateDraft)
	data := clip(t)
	old := e.create(v.ID, len(data))
	e.patch(old, 0, data[:1000])
	fresh := e.create(v.ID, len(data))
	e.patch(fresh, 0, data[:1000])
	// A data file whose .info was never written, and the mark of an upload finished long ago.
	stray := []string{"00000000000000000000000000000001", "00000000000000000000000000000002.done"}
	for _, name := range stray {
		if err := os.WriteFile(filepath.Join(e.opts.Dir, name), []byte("1"), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	past := now.Add(-e.opts.Expiry - time.Minute)
	for _, name := range append([]string{filepath.Base(old), filepath.Base(old) + ".info"}, stray...) {
		if err := os.Chtimes(filepath.Join(e.opts.Dir, name), past, past); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.h.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if resp := e.do("HEAD", old, nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("HEAD of the abandoned upload: %d, want 404", resp.StatusCode)
	}
	if resp := e.do("PATCH", old, map[string]string{"Upload-Offset": "1000", "Content-Type": "application/offset+octet-stream"}, data[1000:2000]); resp.StatusCode != http.StatusNotFound {
		t.Errorf("PATCH of the abandoned upload: %d, want 404", resp.StatusCode)
	}
	if got := e.head(fresh); got != 1000 {
		t.Errorf("the recent upload: offset %d, want 1000 (kept)", got)
	}
	for _, name := range append([]string{filepath.Base(old), filepath.Base(old) + ".info"}, stray...) {
		if _, err := os.Stat(filepath.Join(e.opts.Dir, name)); !os.IsNotExist(err) {
			t.Errorf("%s: still there (%v)", name, err)
		}
	}
}

// TestSweepFinishesCompleteUploads is the crash between the last byte and the attach: the data
// directory holds a finished upload that nobody attached. A sweep (as serve runs at start)
// attaches it, once, even when it runs again over files a crash after the attach left behind.
func TestSweepFinishesCompleteUploads(t *testing.T) {
	e := newEnv(t, nil)
	v := e.newVideo(video.StateDraft)
	data := clip(t)
	ctx := context.Background()
	// Written straight through the file store, as the server would have before it died: no
	// completion ran.
	meta := map[string]string{MetaVideo: strconv.FormatInt(v.ID, 10), MetaFilename: "Привет из Владивостока.MP4",
		metaUserID: strconv.FormatInt(e.editor.ID, 10), metaUsername: e.editor.Username}
	if err := os.MkdirAll(e.opts.Dir, 0o750); err != nil {
		t.Fatal(err)
	}
	u, err := e.h.sp.store().NewUpload(ctx, handlerInfo(int64(len(data)), meta))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.WriteChunk(ctx, 0, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	info, _ := u.GetInfo(ctx)
	saved := map[string][]byte{}
	for _, p := range []string{info.Storage["Path"], info.Storage["InfoPath"]} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		saved[p] = b
	}

	e.start() // the restart
	if err := e.h.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	e.checkAttached(v.ID, data)

	// A crash after the commit but before the temporary files went: they are back, and the
	// next sweep must not attach, enqueue or audit again.
	for p, b := range saved {
		if err := os.WriteFile(p, b, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.h.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	e.checkAttached(v.ID, data)
}

func TestSafeName(t *testing.T) {
	id := "0123456789abcdef0123456789abcdef"
	tests := map[string]string{
		"Привет из Владивостока.MP4": "0123456789ab.mp4",
		"busan support 2020.mov":     "0123456789ab-busan-support-2020.mov",
		`C:\clips\x.webm`:            "0123456789ab-x.webm",
		"../../etc/passwd":           "0123456789ab-passwd",
		"a.tmp":                      "0123456789ab-a",
		"...":                        "0123456789ab",
	}
	for in, want := range tests {
		if got := safeName(id, in); got != want {
			t.Errorf("safeName(%q) = %q, want %q", in, got, want)
		}
	}
}

func handlerInfo(size int64, meta map[string]string) handler.FileInfo {
	return handler.FileInfo{Size: size, MetaData: meta}
}

// TestCompletionWaitsForRunningProcessing: a file finished while the video's previous source is
// being processed is kept and attached by the first sweep after the processing ends, so that
// the new source gets its own processing job.
func TestCompletionWaitsForRunningProcessing(t *testing.T) {
	e := newEnv(t, nil)
	v := e.newVideo(video.StateDraft)
	data := clip(t)
	path := e.create(v.ID, len(data))
	setProcessing := func(status string) {
		if _, err := e.db.W.ExecContext(context.Background(), `UPDATE videos SET processing = $1 WHERE id = $2`, status, v.ID); err != nil {
			t.Fatal(err)
		}
	}
	setProcessing(video.ProcProcessing)
	e.patch(path, 0, data)
	if got, err := video.Get(context.Background(), e.db.R, v.ID); err != nil || got.SourceKey != "" {
		t.Fatalf("attached while processing: %q %v", got.SourceKey, err)
	}
	if err := e.h.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := e.head(path); got != len(data) {
		t.Fatalf("the finished upload is not kept: offset %d", got)
	}
	setProcessing(video.ProcNone)
	if err := e.h.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.checkAttached(v.ID, data)
}

func TestSizeIsLocalized(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		lang string
		n    int64
		want string
	}{
		{"en", 512, "512 B"},
		{"en", 3 << 29, "1.5 GB"},
		{"ru", 3 << 29, "1,5\u00a0ГБ"},
		{"ko", 3 << 29, "1.5GB"},
		{"ru", 10 << 30, "10\u00a0ГБ"},
		{"ru", 1536000, "1,5\u00a0МБ"},
	}
	for _, tt := range tests {
		if got := cat.Localizer(tt.lang).Msg(Size(tt.n)); got != tt.want {
			t.Errorf("%s %d: %q, want %q", tt.lang, tt.n, got, tt.want)
		}
	}
}

// publish moves video id from review to published, as an editor would.
func (e *env) publish(id int64) {
	e.t.Helper()
	ctx := context.Background()
	err := e.db.InTx(ctx, func(tx *sql.Tx) error {
		v, err := video.Get(ctx, tx, id)
		if err != nil {
			return err
		}
		return video.SetState(ctx, tx, v, video.StatePublished, time.Now())
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// checkUntouched checks that video id still has source as its source and ready renditions, that
// nothing was enqueued or audited, and that nothing is left of the refused upload at path.
func (e *env) checkUntouched(id int64, source, path string) {
	e.t.Helper()
	ctx := context.Background()
	v, err := video.Get(ctx, e.db.R, id)
	if err != nil {
		e.t.Fatal(err)
	}
	if v.SourceKey != source || v.Processing != video.ProcReady || v.State != video.StatePublished || len(v.Renditions) != 1 {
		e.t.Errorf("the published video changed: source %q, processing %s, state %s", v.SourceKey, v.Processing, v.State)
	}
	var keys []string
	for a, err := range e.store.List(ctx, video.SourceKey(id, "")) {
		if err != nil {
			e.t.Fatal(err)
		}
		keys = append(keys, a.Key)
	}
	if len(keys) != 1 || keys[0] != source {
		e.t.Errorf("sources stored: %q, want only %q", keys, source)
	}
	page, err := jobstest.Must(e.t, e.db).List(ctx, jobstest.Filter{Kinds: []string{video.ProcessArgs{}.Kind()}})
	if err != nil || len(page.Jobs) != 0 {
		e.t.Errorf("processing jobs after a refused upload: %d (%v)", len(page.Jobs), err)
	}
	if log, _ := authtest.AuditLog(ctx, e.db.R, auth.EntityVideo, 5, 0); len(log) != 0 {
		e.t.Errorf("audited: %+v", log)
	}
	if resp := e.do("HEAD", path, nil, nil); resp.StatusCode != http.StatusNotFound {
		e.t.Errorf("HEAD of the refused upload: %d, want 404", resp.StatusCode)
	}
	entries, _ := os.ReadDir(e.opts.Dir)
	for _, en := range entries {
		e.t.Errorf("left behind: uploads/%s", en.Name())
	}
}

// reviewedVideo is a video in review whose source is processed (its renditions are ready).
func (e *env) reviewedVideo() (*video.Video, string) {
	e.t.Helper()
	ctx := context.Background()
	v := e.newVideo(video.StateDraft)
	source := video.SourceKey(v.ID, "first.mp4")
	if err := e.store.Put(ctx, source, strings.NewReader("the reviewed source")); err != nil {
		e.t.Fatal(err)
	}
	err := e.db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE videos SET source_key = $1, processing = $2 WHERE id = $3",
			source, video.ProcReady, v.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO video_renditions (video_id, lines, width, height, size, bitrate, storage_key)
			VALUES ($1, 360, 640, 360, 1000, 4000, $2)`, v.ID, video.KeyPrefix(v.ID)+"a-360p.mp4"); err != nil {
			return err
		}
		got, err := video.Get(ctx, tx, v.ID)
		if err != nil {
			return err
		}
		return video.SetState(ctx, tx, got, video.StateInReview, time.Now())
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return v, source
}

// An upload begun while the video was in review cannot replace its source once it is
// published: the next PATCH is refused (409, in the uploader's language) and the upload
// deleted, and the published video keeps its source and renditions.
func TestUploadRefusedOncePublished(t *testing.T) {
	e := newEnv(t, nil)
	v, source := e.reviewedVideo()
	data := clip(t)
	path := e.create(v.ID, len(data))
	off := e.patch(path, 0, data[:len(data)/2])
	e.publish(v.ID)
	resp := e.do("PATCH", path, map[string]string{"Upload-Offset": strconv.Itoa(off),
		"Content-Type": "application/offset+octet-stream", "Accept-Language": "ru"}, data[off:])
	if body := text(resp); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "Загрузка остановлена и удалена") {
		t.Errorf("PATCH after the publication: %d %q, want 409 with the reason", resp.StatusCode, body)
	}
	e.checkUntouched(v.ID, source, path)
	// A new upload for the published video is refused at once.
	resp = e.do("POST", "/uploads/", map[string]string{"Upload-Length": "100", "Accept-Language": "en",
		"Upload-Metadata": meta("video", strconv.FormatInt(v.ID, 10), "filename", "b.mp4")}, nil)
	if body := text(resp); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "withdraw the video") {
		t.Errorf("new upload for a published video: %d %q", resp.StatusCode, body)
	}
}

// An upload whose last byte arrived while the video was in review, but whose completion waited
// (its previous source was being processed), is not attached once the video is published:
// the completion checks the state again, and the upload is deleted.
func TestCompletionRefusedOncePublished(t *testing.T) {
	e := newEnv(t, nil)
	v, source := e.reviewedVideo()
	ctx := context.Background()
	setProcessing := func(status string) {
		if _, err := e.db.W.ExecContext(ctx, `UPDATE videos SET processing = $1 WHERE id = $2`, status, v.ID); err != nil {
			t.Fatal(err)
		}
	}
	data := clip(t)
	path := e.create(v.ID, len(data))
	setProcessing(video.ProcProcessing)
	e.patch(path, 0, data) // finished; its completion is postponed
	setProcessing(video.ProcReady)
	e.publish(v.ID)
	if err := e.h.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	e.checkUntouched(v.ID, source, path)
}
