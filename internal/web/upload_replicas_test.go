package web

import (
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"sistercity/internal/auth"
	"sistercity/internal/blob"
	"sistercity/internal/blob/blobtest"
	"sistercity/internal/config"
	"sistercity/internal/db/dbtest"
	"sistercity/internal/jobs"
	"sistercity/internal/upload"
	"sistercity/internal/video"
)

// TestUploadAlternatesReplicasOnS3 is two `serve` processes on one database with media in one
// S3 bucket, behind a load balancer that sends each request where it likes: an upload made
// through the admin (session cookie, CSRF token) whose chunks alternate between them is
// stored whole, in the bucket, attached and queued once. On SQLite, where production runs one
// process, the two servers share the test's database and only take turns.
func TestUploadAlternatesReplicasOnS3(t *testing.T) {
	t.Parallel()
	s3 := blobtest.Start(t)
	bucketURL := s3.Bucket(t)
	d := dbtest.Open(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	replica := func() *testEnv {
		docs, err := blob.Open(context.Background(), bucketURL, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { docs.Close() })
		queue, err := jobs.New(d, jobs.Config{Workers: 0}, log)
		if err != nil {
			t.Fatal(err)
		}
		cfg := config.Default()
		cfg.DataDir = t.TempDir()
		cfg.MediaURL = bucketURL
		e := &testEnv{t: t, db: d, queue: queue}
		e.restart(Options{Config: cfg, DB: d, Docs: docs, Queue: queue, Log: log})
		return e
	}
	a, b := replica(), replica()
	v := a.uploadVideo(video.StateDraft)
	_, data := testClip(t, 2*time.Second)
	// A "free" box after the clip makes the file larger than two S3 parts (5 MiB at least).
	box := make([]byte, 13<<20)
	binary.BigEndian.PutUint32(box, uint32(len(box)))
	copy(box[4:], "free")
	data = append(data, box...)

	ca := a.userClient(auth.RoleEditor)
	ta := ca.tus()
	// The same browser: its cookie jar (cookies are per host, not per port) and its token.
	tb := &tusClient{c: &client{e: b, http: ca.http}, token: ta.token}

	path := ta.mustCreate(v.ID, len(data))
	if !strings.Contains(path, "+") {
		t.Fatalf("upload path %s: not an upload in the bucket", path)
	}
	const chunk = 6 << 20 // above S3's smallest part, so that each replica writes parts
	off, turn := 0, 0
	for off < len(data) {
		tc := []*tusClient{ta, tb}[turn%2]
		if got := tc.head(path); got != off {
			t.Fatalf("HEAD on replica %d: offset %d, want %d", turn%2, got, off)
		}
		off = tc.patch(path, off, data[off:min(off+chunk, len(data))])
		turn++
	}
	if turn < 3 {
		t.Fatalf("%d PATCH requests, want them to alternate at least twice", turn)
	}
	a.checkUploaded(v.ID, data)
	b.checkUploaded(v.ID, data)
	// A client that lost the last answer asks the other replica, and learns it is whole.
	if got := ta.head(path); got != len(data) {
		t.Errorf("HEAD on A after completion: %d, want %d", got, len(data))
	}
	for o, err := range a.srv.docs.List(context.Background(), upload.BucketPrefix) {
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(o.Key, ".done") {
			t.Errorf("left in the bucket: %s", o.Key)
		}
	}
	// The upload page still answers on both.
	for _, c := range []*client{ca, tb.c} {
		if resp, body := c.get("/admin/videos/" + itoa64(v.ID) + "/upload"); resp.StatusCode != http.StatusOK {
			t.Errorf("upload page: %d %s", resp.StatusCode, body)
		}
	}
}
