package upload

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"sistercity/internal/blob"
	"sistercity/internal/jobs"
	"sistercity/internal/jobs/jobstest"
	"sistercity/internal/media"
	"sistercity/internal/polltest"
	"sistercity/internal/video"
)

// answerBound is how long a request may take while the S3 server is dead: its answer must
// come, not hang, and the SDK's few quick retries of a refused connection fit in it many
// times over on a loaded machine.
const answerBound = 2 * time.Minute

// send makes a tus request in Russian and fails the test if no answer comes within answerBound.
func (e *s3Env) send(method, path string, h map[string]string, body io.Reader, length int) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.ts.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	req.ContentLength = int64(length)
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Accept-Language", "ru")
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{Timeout: answerBound}).Do(req)
	if err != nil {
		e.t.Fatalf("%s %s with the S3 server down: %v", method, path, err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp
}

// wantUnavailable checks the answer to a request the dead S3 server could not serve: 503 with
// a Retry-After, tus's header, and the message in the client's language.
func (e *s3Env) wantUnavailable(what string, resp *http.Response, method string) {
	e.t.Helper()
	want := e.cat.Localizer("ru").T("error.storage_unavailable")
	body := text(resp)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" ||
		resp.Header.Get("Tus-Resumable") != "1.0.0" || resp.Header.Get("Content-Language") != "ru" ||
		(method != http.MethodHead && body != want) {
		e.t.Errorf("%s with the S3 server down: %d, Retry-After %q, Tus-Resumable %q, Content-Language %q, %q; want 503 with %q",
			what, resp.StatusCode, resp.Header.Get("Retry-After"), resp.Header.Get("Tus-Resumable"),
			resp.Header.Get("Content-Language"), body, want)
	}
}

// TestUploadSurvivesS3Restart kills the S3 server (SIGKILL) between two PATCHes of an upload
// to the bucket and again while a PATCH is receiving its body. Each time the client hears a
// 503 with Retry-After in its language, in bounded time; once the server is back, HEAD reports
// the bytes acknowledged before, the upload goes on from there and completes with the file,
// byte for byte; it is processed once.
func TestUploadSurvivesS3Restart(t *testing.T) {
	t.Parallel()
	e := newS3Env(t)
	v := e.newVideo(video.StateDraft)
	data := bigClip(t)
	path := e.create(v.ID, len(data))
	// Larger than S3's smallest part: the first PATCH's bytes are a part in the bucket.
	first := 6 << 20
	if off := e.patch(path, 0, data[:first]); off != first {
		t.Fatalf("offset after the first PATCH: %d, want %d", off, first)
	}
	patchHeaders := map[string]string{"Upload-Offset": strconv.Itoa(first), "Content-Type": "application/offset+octet-stream"}

	// Between PATCHes: the next PATCH, HEAD and a new upload are refused for now.
	e.srv.Kill(t)
	chunk := data[first : first+(1<<20)]
	e.wantUnavailable("PATCH", e.send("PATCH", path, patchHeaders, bytes.NewReader(chunk), len(chunk)), "PATCH")
	e.wantUnavailable("HEAD", e.send("HEAD", path, nil, nil, 0), "HEAD")
	e.wantUnavailable("POST", e.send("POST", "/uploads/", map[string]string{"Upload-Length": strconv.Itoa(len(data)),
		"Upload-Metadata": meta("video", strconv.FormatInt(v.ID, 10), "filename", "again.mp4")}, nil, 0), "POST")
	e.srv.Restart(t)
	if off := e.head(path); off != first {
		t.Fatalf("HEAD after the restart: offset %d, want the %d bytes acknowledged", off, first)
	}

	// During a PATCH: the server dies while the rest of the file arrives.
	pr, pw := io.Pipe()
	answered := make(chan *http.Response, 1)
	go func() {
		req, _ := http.NewRequest("PATCH", e.ts.URL+path, pr)
		req.ContentLength = int64(len(data) - first)
		req.Header.Set("Tus-Resumable", "1.0.0")
		req.Header.Set("Accept-Language", "ru")
		for k, v := range patchHeaders {
			req.Header.Set(k, v)
		}
		resp, err := (&http.Client{Timeout: answerBound}).Do(req)
		if err != nil {
			pr.CloseWithError(err)
			answered <- nil
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(b))
		answered <- resp
	}()
	if _, err := pw.Write(data[first : first+(1<<20)]); err != nil {
		t.Fatal(err)
	}
	polltest.Until(t, "the PATCH to be receiving", func() (bool, string) {
		e.h.mu.Lock()
		defer e.h.mu.Unlock()
		_, ok := e.h.reading[strings.TrimPrefix(path, "/uploads/")]
		return ok, "not yet"
	})
	e.srv.Kill(t)
	// The server may answer before it has read it all; the rest is then not wanted.
	_, _ = pw.Write(data[first+(1<<20):])
	pw.Close()
	resp := <-answered
	if resp == nil {
		t.Fatal("the PATCH during which the S3 server died got no answer")
	}
	e.wantUnavailable("PATCH cut off", resp, "PATCH")

	e.srv.Restart(t)
	off := e.head(path)
	if off != first {
		t.Fatalf("HEAD after the second restart: offset %d, want the %d bytes acknowledged", off, first)
	}
	const step = 4 << 20
	for off < len(data) {
		off = e.patch(path, off, data[off:min(off+step, len(data))])
	}
	e.checkAttached(v.ID, data)
	process(t, e.env, v.ID)
}

// killingEncoder is the encoder of the processing test: the first time an encode is set up,
// it tells the test, and waits until the test has killed the S3 server.
type killingEncoder struct {
	media.X264
	once             *sync.Once
	encoding, killed chan struct{}
}

func (k killingEncoder) VideoArgs(r media.Rendition) []string {
	k.once.Do(func() {
		close(k.encoding)
		<-k.killed
	})
	return k.X264.VideoArgs(r)
}

// TestProcessingSurvivesS3Restart kills the S3 server as a processing job starts its encode,
// so that its outputs cannot be stored, and keeps it down while the job tries again several
// times (more than its attempts), without using them up; once the server is back the job
// completes, once, with every rendition, and nothing of the failed runs is left in the bucket.
func TestProcessingSurvivesS3Restart(t *testing.T) {
	t.Parallel()
	e := newS3Env(t)
	v := e.newVideo(video.StateDraft)
	data := clip(t)
	path := e.create(v.ID, len(data))
	if off := e.patch(path, 0, data); off != len(data) {
		t.Fatalf("offset %d, want %d", off, len(data))
	}
	e.checkAttached(v.ID, data)

	enc := killingEncoder{X264: media.X264{Preset: "ultrafast"}, once: &sync.Once{},
		encoding: make(chan struct{}), killed: make(chan struct{})}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	q, err := jobs.New(e.db, jobs.Config{Workers: 1, FetchPollInterval: 100 * time.Millisecond, StopTimeout: 5 * time.Second}, log)
	if err != nil {
		t.Fatal(err)
	}
	deps := video.Deps{DB: e.db, Store: e.store, WorkDir: t.TempDir(), Encoder: enc, Heights: []int{240, 360},
		Log: log, StorageRetry: 200 * time.Millisecond}
	if err := video.Register(q, deps); err != nil {
		t.Fatal(err)
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Stop(context.Background()) })
	select {
	case <-enc.encoding:
	case <-time.After(5 * time.Minute):
		t.Fatal("the processing job did not begin its encode within 5 minutes")
	}
	e.srv.Kill(t)
	close(enc.killed)

	// While the server is down the job is put off again and again, without using an attempt.
	ctx := context.Background()
	list := func() jobstest.Info {
		t.Helper()
		page, err := jobstest.Must(t, e.db).List(ctx, jobstest.Filter{Kinds: []string{video.ProcessArgs{}.Kind()}})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Jobs) != 1 {
			t.Fatalf("processing jobs: %+v, want one", page.Jobs)
		}
		return page.Jobs[0]
	}
	var runs []time.Time
	polltest.Until(t, "the job to run more times than it has attempts", func() (bool, string) {
		j := list()
		if j.State == jobstest.StateDiscarded || j.State == jobstest.StateCancelled || j.State == jobstest.StateCompleted {
			t.Fatalf("processing job with the S3 server down: %+v", j)
		}
		if !slices.ContainsFunc(runs, j.AttemptedAt.Equal) {
			runs = append(runs, j.AttemptedAt)
		}
		return len(runs) > j.MaxAttempts, fmt.Sprintf("%s, attempt %d, %d runs", j.State, j.Attempt, len(runs))
	})
	if j := list(); j.Attempt > 1 || j.Errors != 0 {
		t.Errorf("the waits for the storage used attempts: %+v", j)
	}

	e.srv.Restart(t)
	polltest.Within(t, 5*time.Minute, "the video to be processed once the S3 server is back", func() (bool, string) {
		v, err := video.Get(ctx, e.db.R, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		return v.Processing == video.ProcReady, v.Processing + " " + v.Failure
	})
	polltest.Until(t, "the one processing job to complete", func() (bool, string) {
		j := list()
		return j.State == jobstest.StateCompleted, string(j.State)
	})
	got, err := video.Get(ctx, e.db.R, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Renditions) != 2 || got.Renditions[0].Lines != 240 || got.Renditions[1].Lines != 360 || got.PosterKey == "" {
		t.Fatalf("renditions after the restart: %+v, poster %q", got.Renditions, got.PosterKey)
	}
	// Every key under the video's prefix belongs to a set of outputs the video points at: the
	// outputs of the run cut off were swept, and nothing it points at is missing.
	prefix := video.KeyPrefix(v.ID)
	generation := func(key string) string {
		gen, _, _ := strings.Cut(strings.TrimPrefix(key, prefix), "-")
		return gen
	}
	live := map[string]bool{got.PosterKey: true, got.ThumbnailKey: true}
	for _, r := range got.Renditions {
		live[r.Key], live[r.HLSKey] = true, true
	}
	gens := map[string]bool{}
	for k := range live {
		gens[generation(k)] = true
	}
	stored := map[string]bool{}
	for a, err := range e.store.List(ctx, prefix) {
		if err != nil {
			t.Fatal(err)
		}
		stored[a.Key] = true
		if !gens[generation(a.Key)] {
			t.Errorf("left in the bucket: %s", a.Key)
		}
	}
	for k := range live {
		if !stored[k] {
			t.Errorf("the video points at %s, which is not in the bucket", k)
		}
	}
}

// TestStrayPartAfterGap: a part after a missing one, as a PATCH leaves when S3 fails one of its
// parts but not the next, does not count: HEAD reports the bytes before the gap, the client
// resends from there, and the file comes out whole.
func TestStrayPartAfterGap(t *testing.T) {
	t.Parallel()
	e := newS3Env(t)
	v := e.newVideo(video.StateDraft)
	data := bigClip(t)
	path := e.create(v.ID, len(data))
	first := 6 << 20
	if off := e.patch(path, 0, data[:first]); off != first {
		t.Fatalf("offset after the first PATCH: %d, want %d", off, first)
	}
	// Part 3 arrives, part 2 never did.
	client, name, _ := blob.S3Bucket(e.store)
	id := strings.TrimPrefix(path, "/uploads/")
	obj, multipart, _ := strings.Cut(id, "+")
	_, err := client.UploadPart(context.Background(), &s3.UploadPartInput{Bucket: aws.String(name), Key: aws.String(BucketPrefix + obj),
		UploadId: aws.String(multipart), PartNumber: aws.Int32(3), Body: bytes.NewReader(bytes.Repeat([]byte("stray"), 1<<20))})
	if err != nil {
		t.Fatal(err)
	}
	off := e.head(path)
	if off != first {
		t.Fatalf("HEAD with a part after a gap: offset %d, want %d", off, first)
	}
	for off < len(data) {
		off = e.patch(path, off, data[off:min(off+(4<<20), len(data))])
	}
	e.checkAttached(v.ID, data)
}
