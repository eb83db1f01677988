package upload

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/tus/tusd/v2/pkg/handler"
	"github.com/tus/tusd/v2/pkg/memorylocker"

	"sistercity/internal/auth"
	"sistercity/internal/blob"
	"sistercity/internal/blob/blobtest"
	"sistercity/internal/db"
	"sistercity/internal/db/dbtest"
	"sistercity/internal/i18n"
	"sistercity/internal/jobs"
	"sistercity/internal/jobs/jobstest"
	"sistercity/internal/media"
	"sistercity/internal/polltest"
	"sistercity/internal/video"
)

// s3Env is an env whose uploads wait in a versitygw bucket, with the locker serve chooses:
// PostgreSQL's on PostgreSQL, the in-process one on SQLite.
type s3Env struct {
	*env
	bucketURL string
	srv       *blobtest.Server
}

func newS3Env(t *testing.T) *s3Env {
	t.Helper()
	srv := blobtest.Start(t)
	bucketURL := srv.Bucket(t)
	store, err := blob.Open(context.Background(), bucketURL, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	client, name, ok := blob.S3Bucket(store)
	if !ok {
		t.Fatal("blob.S3Bucket: the versitygw store is not an S3 bucket")
	}
	e := newEnv(t, func(o *Options) {
		o.Store, o.StoreOnDisk = store, false
		o.Bucket = &Bucket{Client: client, Name: name}
		o.Locker = lockerFor(t, o.DB)
	})
	e.store = store
	return &s3Env{env: e, bucketURL: bucketURL, srv: srv}
}

func lockerFor(t testing.TB, d *db.DB) handler.Locker {
	if d.Dialect != db.Postgres {
		return nil
	}
	l, err := NewPGLocker(d.URL())
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// replica serves another Handler over the same database and bucket, as a second `serve`
// behind the load balancer, with its own locker and its own directory for parts.
func (e *s3Env) replica() *env {
	e.t.Helper()
	o := e.opts
	o.Dir = filepath.Join(e.t.TempDir(), "uploads")
	o.Locker = lockerFor(e.t, o.DB)
	h, err := New(o)
	if err != nil {
		e.t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/uploads/", http.StripPrefix("/uploads", h))
	ts := httptest.NewServer(mux)
	e.t.Cleanup(ts.Close)
	c := *e.env
	c.h, c.ts, c.opts = h, ts, o
	return &c
}

// bigClip is a real clip followed by an MP4 "free" box, so that the file is larger than
// S3's smallest part (5 MiB) twice over and its upload has parts of its own in the bucket;
// players and ffmpeg skip the box.
func bigClip(t *testing.T) []byte {
	t.Helper()
	data := clip(t)
	const pad = 12 << 20
	box := make([]byte, pad)
	binary.BigEndian.PutUint32(box, pad)
	copy(box[4:], "free")
	for i := 8; i < len(box); i++ {
		box[i] = byte(i * 7)
	}
	return append(data, box...)
}

// replicaEnv configures TestUploadReplicaProcess.
const replicaEnv = "SISTERCITY_TEST_UPLOAD_REPLICA"

type replicaConfig struct {
	DB, Bucket, Dir string
	Editor          int64
}

// TestUploadReplicaProcess is not a test: it is replica A of TestUploadContinuesOnAnotherReplica,
// run from the test binary so that it can be killed with SIGKILL. It serves until killed.
func TestUploadReplicaProcess(t *testing.T) {
	raw := os.Getenv(replicaEnv)
	if raw == "" {
		return // run by the test below only
	}
	var c replicaConfig
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	d, err := db.Open(ctx, c.DB, c.Dir)
	if err != nil {
		t.Fatal(err)
	}
	store, err := blob.Open(ctx, c.Bucket, c.Dir)
	if err != nil {
		t.Fatal(err)
	}
	client, name, _ := blob.S3Bucket(store)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	queue, err := jobs.New(d, jobs.Config{Workers: 0}, log)
	if err != nil {
		t.Fatal(err)
	}
	editor, err := auth.GetUser(ctx, d.R, c.Editor)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Options{
		Dir: filepath.Join(c.Dir, "uploads"), BasePath: "/uploads/", MaxSize: 1 << 30, Expiry: time.Hour,
		Bucket: &Bucket{Client: client, Name: name}, Locker: lockerFor(t, d),
		DB: d, Store: store, Queue: queue, Log: log,
		Localize: func(*http.Request) *i18n.Localizer { return cat.Localizer("en") },
		Actor:    func(*http.Request) *auth.User { return editor },
	})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("listening http://%s\n", l.Addr())
	mux := http.NewServeMux()
	mux.Handle("/uploads/", http.StripPrefix("/uploads", h))
	_ = http.Serve(l, mux)
}

// startReplicaProcess runs replica A in a process of its own and returns it with its URL.
func (e *s3Env) startReplicaProcess() (*exec.Cmd, string) {
	e.t.Helper()
	raw, _ := json.Marshal(replicaConfig{DB: e.db.URL(), Bucket: e.bucketURL, Dir: e.t.TempDir(), Editor: e.editor.ID})
	cmd := exec.Command(os.Args[0], "-test.run=^TestUploadReplicaProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), replicaEnv+"="+string(raw))
	out, err := cmd.StdoutPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if e.t.Failed() {
			e.t.Logf("replica A's output:\n%s", stderr.String())
		}
	})
	lines := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(out)
		for s.Scan() {
			if u, ok := strings.CutPrefix(s.Text(), "listening "); ok {
				lines <- u
			}
		}
		close(lines)
	}()
	select {
	case u, ok := <-lines:
		if !ok {
			e.t.Fatalf("replica A exited before listening:\n%s", stderr.String())
		}
		return cmd, u
	case <-time.After(2 * time.Minute):
		e.t.Fatalf("replica A did not start within 2 minutes:\n%s", stderr.String())
	}
	return nil, ""
}

// TestUploadContinuesOnAnotherReplica is an upload whose PATCH requests alternate between two
// replicas, A and B, as a load balancer without sticky sessions sends them, until A is killed
// with SIGKILL in the middle of one: B reports the offset the bucket holds, and B and a third
// replica, C, take turns to complete it (on PostgreSQL the dead replica's lock went with its
// connection); the stored source has the file's SHA-256, and it is processed once.
func TestUploadContinuesOnAnotherReplica(t *testing.T) {
	t.Parallel()
	e := newS3Env(t)
	v := e.newVideo(video.StateDraft)
	data := bigClip(t)
	cmd, aURL := e.startReplicaProcess()
	a := *e.env
	a.ts = &httptest.Server{URL: aURL}
	path := a.create(v.ID, len(data))
	if !s3ID.MatchString(strings.TrimPrefix(path, "/uploads/")) {
		t.Fatalf("upload path %s: not an ID of the S3 store", path)
	}
	// The first half goes A, B, A.
	b := e.replica()
	half := len(data) / 2
	off := 0
	for i, r := range []*env{&a, b, &a} {
		end := half * (i + 1) / 3
		if off = r.patch(path, off, data[off:end]); off != end {
			t.Fatalf("offset after PATCH %d: %d, want %d", i+1, off, end)
		}
	}

	// A PATCH of the rest is under way on A, which holds the upload's lock, when A is killed.
	u, _ := url.Parse(aURL)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "PATCH %s HTTP/1.1\r\nHost: %s\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: %d\r\n"+
		"Content-Type: application/offset+octet-stream\r\nContent-Length: %d\r\n\r\n", path, u.Host, off, len(data)-off)
	if _, err := conn.Write(data[off : off+(1<<20)]); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	// B continues: HEAD tells what the bucket holds, the rest follows in chunks sent to B and C
	// in turn.
	polltest.Until(t, "replica B to answer HEAD once A's lock is gone", func() (bool, string) {
		resp := b.do("HEAD", path, nil, nil)
		return resp.StatusCode == http.StatusOK, fmt.Sprintf("HEAD %d", resp.StatusCode)
	})
	off = b.head(path)
	if off < half || off > len(data) {
		t.Fatalf("HEAD on B: offset %d, want at least the %d bytes A acknowledged", off, half)
	}
	const chunk = 2 << 20
	turn := []*env{b, e.replica()}
	for i := 0; off < len(data); i++ {
		off = turn[i%2].patch(path, off, data[off:min(off+chunk, len(data))])
	}
	e.checkAttached(v.ID, data)
	if got := b.head(path); got != len(data) {
		t.Errorf("HEAD after completion: %d, want %d", got, len(data))
	}
	// Nothing of the upload is left in the bucket but its completion mark.
	for a, err := range e.store.List(context.Background(), BucketPrefix) {
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(a.Key, ".done") {
			t.Errorf("left in the bucket: %s", a.Key)
		}
	}

	// Processed, once, from the source in the bucket.
	process(t, e.env, v.ID)
	polltest.Until(t, "one processing job, completed", func() (bool, string) {
		page, err := jobstest.Must(t, e.db).List(context.Background(), jobstest.Filter{Kinds: []string{video.ProcessArgs{}.Kind()}})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Jobs) != 1 {
			t.Fatalf("processing jobs: %+v, want one", page.Jobs)
		}
		return page.Jobs[0].State == jobstest.StateCompleted, string(page.Jobs[0].State)
	})
}

// process runs the processing jobs of e's database with a real worker and ffmpeg, and waits
// until video vid is ready.
func process(t *testing.T, e *env, vid int64) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	q, err := jobs.New(e.db, jobs.Config{Workers: 1, FetchPollInterval: 100 * time.Millisecond, StopTimeout: 5 * time.Second}, log)
	if err != nil {
		t.Fatal(err)
	}
	deps := video.Deps{DB: e.db, Store: e.store, WorkDir: t.TempDir(), Encoder: media.X264{Preset: "ultrafast"},
		Heights: []int{240}, Log: log}
	if err := video.Register(q, deps); err != nil {
		t.Fatal(err)
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Stop(context.Background()) })
	ctx := context.Background()
	polltest.Within(t, 5*time.Minute, "the uploaded video to be processed", func() (bool, string) {
		v, err := video.Get(ctx, e.db.R, vid)
		if err != nil {
			t.Fatal(err)
		}
		if v.Processing == video.ProcFailed {
			t.Fatalf("processing failed: %s", v.Failure)
		}
		return v.Processing == video.ProcReady, v.Processing
	})
}

// TestConcurrentPatchIsLocked sends a PATCH while another one for the same upload is receiving,
// on two replicas (PostgreSQL) or one server (SQLite): the second hears 423 Locked, the first
// finishes, and the upload holds exactly the bytes sent in order.
func TestConcurrentPatchIsLocked(t *testing.T) {
	t.Parallel()
	e := newS3Env(t)
	v := e.newVideo(video.StateDraft)
	data := bigClip(t)
	other := e.env
	if e.db.Dialect == db.Postgres {
		other = e.replica()
	}
	path := e.create(v.ID, len(data))
	half := len(data) / 2

	// The first PATCH trickles its body: it holds the lock while it receives.
	pr, pw := io.Pipe()
	req, err := http.NewRequest("PATCH", e.ts.URL+path, pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(half)
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Upload-Offset", "0")
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	var wg sync.WaitGroup
	var first *http.Response
	var firstErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		first, firstErr = http.DefaultClient.Do(req)
		if first != nil {
			_, _ = io.Copy(io.Discard, first.Body)
			first.Body.Close()
		}
	}()
	stop := make(chan struct{})
	fed := make(chan struct{})
	go func() {
		defer close(fed)
		// A KiB every 50 ms keeps the first PATCH receiving (never stalled) while the second
		// waits for the lock, however slow the machine: at this pace the half would last five
		// minutes, against the second's LockWait of seconds.
		const step = 1 << 10
		for sent := 0; sent < half; sent += step {
			if _, err := pw.Write(data[sent:min(sent+step, half)]); err != nil {
				return
			}
			select {
			case <-stop:
				// Once the second PATCH is answered, the rest goes at once.
				if _, err := pw.Write(data[min(sent+step, half):half]); err != nil {
					return
				}
				pw.Close()
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
		pw.Close()
	}()
	// Wait until the first PATCH is receiving, then send the second with the same offset.
	polltest.Until(t, "the first PATCH to be receiving", func() (bool, string) {
		e.h.mu.Lock()
		defer e.h.mu.Unlock()
		_, ok := e.h.reading[strings.TrimPrefix(path, "/uploads/")]
		return ok, "not yet"
	})
	resp := other.do("PATCH", path, map[string]string{"Upload-Offset": "0",
		"Content-Type": "application/offset+octet-stream"}, data[:1<<20])
	close(stop)
	if resp.StatusCode != http.StatusLocked {
		t.Errorf("second PATCH: %d %s, want 423 Locked", resp.StatusCode, text(resp))
	}
	<-fed
	wg.Wait()
	if firstErr != nil || first.StatusCode != http.StatusNoContent {
		t.Fatalf("first PATCH: %v %v", first, firstErr)
	}
	off := other.head(path)
	if off != half {
		t.Fatalf("offset after the first PATCH: %d, want %d", off, half)
	}
	for off < len(data) {
		off = other.patch(path, off, data[off:min(off+(4<<20), len(data))])
	}
	e.checkAttached(v.ID, data)
}

// TestLockerRules checks the rules of yieldingLocker over the locker serve chooses: a held lock
// answers 423, a stalled PATCH gives way when asked. On PostgreSQL it then kills the holder's
// connection, as a replica's death does: the lock is free at once for another.
func TestLockerRules(t *testing.T) {
	d := dbtest.Open(t)
	ctx := context.Background()
	h := &Handler{o: Options{LockWait: 300 * time.Millisecond, StallAfter: time.Second, Now: time.Now,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, busy: map[string]chan struct{}{}, reading: map[string]*activity{}}
	inner := lockerFor(t, d)
	if inner == nil {
		inner = memorylocker.New()
	}
	locker := yieldingLocker{inner: inner, h: h}
	const id = "0123456789abcdef0123456789abcdef"
	held, _ := locker.NewLock(id)
	released := make(chan struct{}, 1)
	if err := held.Lock(ctx, func() { released <- struct{}{} }); err != nil {
		t.Fatal(err)
	}
	// A holder that is not a stalled PATCH keeps its lock: the other hears 423.
	second, _ := locker.NewLock(id)
	if err := second.Lock(ctx, func() {}); !errors.Is(err, handler.ErrFileLocked) {
		t.Fatalf("second Lock while held: %v, want ErrFileLocked", err)
	}
	select {
	case <-released:
		t.Fatal("a holder that is not stalled was asked to release")
	default:
	}
	// A PATCH that has received nothing for StallAfter gives way when asked.
	a := &activity{n: 1}
	a.last.Store(time.Now().Add(-time.Minute).UnixNano())
	h.mu.Lock()
	h.reading[id] = a
	h.mu.Unlock()
	go func() {
		<-released
		_ = held.Unlock()
	}()
	polltest.Until(t, "the stalled holder to give its lock way", func() (bool, string) {
		err := second.Lock(ctx, func() {})
		return err == nil, fmt.Sprint(err)
	})
	if err := second.Unlock(); err != nil {
		t.Fatal(err)
	}

	if d.Dialect != db.Postgres {
		return
	}
	// The holder's connection dies (its replica was killed): the lock goes with it.
	third, _ := locker.NewLock(id)
	if err := third.Lock(ctx, func() {}); err != nil {
		t.Fatal(err)
	}
	pid := third.(yieldingLock).inner.(*pgLock).conn.PgConn().PID()
	if _, err := d.W.ExecContext(ctx, "SELECT pg_terminate_backend($1)", int64(pid)); err != nil {
		t.Fatal(err)
	}
	fourth, _ := locker.NewLock(id)
	polltest.Until(t, "the lock of a dead connection to be free", func() (bool, string) {
		err := fourth.Lock(ctx, func() {})
		return err == nil, fmt.Sprint(err)
	})
	if err := fourth.Unlock(); err != nil {
		t.Fatal(err)
	}
	// Unlocking the dead one is harmless.
	_ = third.Unlock()
}

// TestExpiryAndReservationAcrossReplicas: what one replica knows of another's uploads comes
// from the bucket. A user's reservation counts an upload begun on another replica, and a
// replica's sweep keeps another's upload while it is recent and deletes it, parts and all,
// once it has been untouched for the expiry.
func TestExpiryAndReservationAcrossReplicas(t *testing.T) {
	t.Parallel()
	e := newS3Env(t)
	data := bigClip(t)
	e.opts.ReservePerUser = int64(len(data)) * 3 / 2
	e.start()
	v := e.newVideo(video.StateDraft)
	path := e.create(v.ID, len(data))
	if off := e.patch(path, 0, data[:6<<20]); off != 6<<20 {
		t.Fatalf("offset %d", off)
	}

	b := e.replica()
	resp := b.do("POST", "/uploads/", map[string]string{"Upload-Length": strconv.Itoa(len(data)),
		"Upload-Metadata": meta("video", strconv.FormatInt(v.ID, 10), "filename", "again.mp4")}, nil)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("a second upload on B past the user's reservation: %d %s, want 413", resp.StatusCode, text(resp))
	}

	ctx := context.Background()
	sweepAt := func(later time.Duration) {
		t.Helper()
		o := e.opts
		o.Now = func() time.Time { return time.Now().Add(later) }
		h, err := New(o)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
	}
	sweepAt(30 * time.Minute)
	if got := e.head(path); got != 6<<20 {
		t.Fatalf("HEAD after a sweep within the expiry: %d, want %d", got, 6<<20)
	}
	sweepAt(2 * time.Hour)
	if resp := e.do("HEAD", path, nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("HEAD after the expiry: %d, want 404", resp.StatusCode)
	}
	for a, err := range e.store.List(ctx, BucketPrefix) {
		if err != nil {
			t.Fatal(err)
		}
		t.Errorf("left in the bucket after the expiry: %s", a.Key)
	}
	client, name, _ := blob.S3Bucket(e.store)
	mp, err := client.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if len(mp.Uploads) != 0 {
		t.Errorf("multipart uploads left after the expiry: %d", len(mp.Uploads))
	}
}
