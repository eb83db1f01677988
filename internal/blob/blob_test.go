package blob_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	smithyhttp "github.com/aws/smithy-go/transport/http"

	"sistercity/internal/blob"
	"sistercity/internal/blob/blobtest"
)

// backend opens a fresh, empty store of one kind for a test.
type backend struct {
	name string
	open func(t *testing.T) blob.Store
}

// backends are the two kinds of store, run through the same tests: a local directory, and a
// bucket on a real S3 server started for the test.
func backends(t *testing.T) []backend {
	srv := blobtest.Start(t)
	return []backend{
		{"local", func(t *testing.T) blob.Store { return mustOpen(t, "", t.TempDir()) }},
		{"s3", func(t *testing.T) blob.Store { return mustOpen(t, srv.Bucket(t), "") }},
	}
}

func mustOpen(t *testing.T, url, dataDir string) blob.Store {
	t.Helper()
	s, err := blob.Open(context.Background(), url, dataDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// content returns n reproducible bytes that differ from seed to seed.
func content(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, uint64(n)))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func put(t *testing.T, s blob.Store, key string, b []byte) {
	t.Helper()
	if err := s.Put(context.Background(), key, bytes.NewReader(b)); err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

func read(t *testing.T, s blob.Store, key string) []byte {
	t.Helper()
	f, err := s.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("open %s: %v", key, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return b
}

func keys(t *testing.T, s blob.Store, prefix string) []string {
	t.Helper()
	var ks []string
	for a, err := range s.List(context.Background(), prefix) {
		if err != nil {
			t.Fatalf("list %q: %v", prefix, err)
		}
		ks = append(ks, a.Key)
	}
	return ks
}

func wantNotFound(t *testing.T, s blob.Store, key string) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Stat(ctx, key); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("stat %s: %v, want ErrNotFound", key, err)
	}
	if _, err := s.Open(ctx, key); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("open %s: %v, want ErrNotFound", key, err)
	}
}

var storeTests = []struct {
	name string
	test func(t *testing.T, s blob.Store)
}{
	{"round trip", func(t *testing.T, s blob.Store) {
		want := content(1, 300<<10)
		put(t, s, "videos/1/original.mp4", want)
		if got := read(t, s, "videos/1/original.mp4"); !bytes.Equal(got, want) {
			t.Fatalf("read %d bytes back, want the %d written", len(got), len(want))
		}
		a, err := s.Stat(context.Background(), "videos/1/original.mp4")
		if err != nil {
			t.Fatal(err)
		}
		if a.Key != "videos/1/original.mp4" || a.Size != int64(len(want)) || a.ModTime.IsZero() ||
			!strings.HasPrefix(a.ETag, `"`) || !strings.HasSuffix(a.ETag, `"`) || len(a.ETag) < 4 {
			t.Fatalf("stat: %+v", a)
		}
		// Seeking anywhere, forwards and back, reads the right bytes.
		f, err := s.Open(context.Background(), "videos/1/original.mp4")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, off := range []int64{200_000, 10, 299_000, 0} {
			if _, err := f.Seek(off, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			got := make([]byte, 1000)
			if _, err := io.ReadFull(f, got); err != nil {
				t.Fatalf("read at %d: %v", off, err)
			}
			if !bytes.Equal(got, want[off:off+1000]) {
				t.Fatalf("wrong bytes at %d", off)
			}
		}
		if n, err := f.Seek(-5, io.SeekEnd); err != nil || n != int64(len(want))-5 {
			t.Fatalf("seek from the end: %d %v", n, err)
		}
		if rest, err := io.ReadAll(f); err != nil || !bytes.Equal(rest, want[len(want)-5:]) {
			t.Fatalf("read the tail: %d bytes, %v", len(rest), err)
		}
	}},
	{"empty object", func(t *testing.T, s blob.Store) {
		put(t, s, "subtitles/1/empty.vtt", nil)
		if got := read(t, s, "subtitles/1/empty.vtt"); len(got) != 0 {
			t.Fatalf("read %d bytes", len(got))
		}
		if a, err := s.Stat(context.Background(), "subtitles/1/empty.vtt"); err != nil || a.Size != 0 {
			t.Fatalf("stat: %+v %v", a, err)
		}
	}},
	{"object larger than one S3 upload part", func(t *testing.T, s blob.Store) {
		want := content(2, 17<<20) // past the SDK's 16 MiB threshold for multipart uploads
		put(t, s, "videos/2/original.mp4", want)
		if got := read(t, s, "videos/2/original.mp4"); !bytes.Equal(got, want) {
			t.Fatalf("read %d bytes back, want the %d written", len(got), len(want))
		}
	}},
	{"overwrite", func(t *testing.T, s blob.Store) {
		ctx := context.Background()
		put(t, s, "posters/1.jpg", content(3, 5000))
		before, err := s.Stat(ctx, "posters/1.jpg")
		if err != nil {
			t.Fatal(err)
		}
		want := content(4, 7000)
		put(t, s, "posters/1.jpg", want)
		if got := read(t, s, "posters/1.jpg"); !bytes.Equal(got, want) {
			t.Fatal("the second Put did not replace the first")
		}
		after, err := s.Stat(ctx, "posters/1.jpg")
		if err != nil {
			t.Fatal(err)
		}
		if after.Size != 7000 || after.ETag == before.ETag {
			t.Fatalf("after overwrite: %+v, before: %+v", after, before)
		}
		if ks := keys(t, s, ""); !slices.Equal(ks, []string{"posters/1.jpg"}) {
			t.Fatalf("keys: %q", ks)
		}
	}},
	{"delete", func(t *testing.T, s blob.Store) {
		ctx := context.Background()
		put(t, s, "documents/7/abc", content(5, 100))
		if err := s.Delete(ctx, "documents/7/abc"); err != nil {
			t.Fatal(err)
		}
		wantNotFound(t, s, "documents/7/abc")
		if err := s.Delete(ctx, "documents/7/abc"); err != nil {
			t.Fatalf("deleting a missing key: %v", err)
		}
		if ks := keys(t, s, ""); len(ks) != 0 {
			t.Fatalf("keys after delete: %q", ks)
		}
	}},
	{"missing key", func(t *testing.T, s blob.Store) {
		wantNotFound(t, s, "videos/404/original.mp4")
		// A "directory" of keys is not an object either.
		put(t, s, "videos/5/a.mp4", content(6, 10))
		wantNotFound(t, s, "videos/5")
	}},
	{"list by prefix", func(t *testing.T, s blob.Store) {
		ctx := context.Background()
		for i, k := range []string{"videos/1/b.mp4", "videos/1/a.mp4", "videos/10/c.mp4", "videos/2/d.mp4", "documents/1/x"} {
			put(t, s, k, content(uint64(i), 10+i))
		}
		for _, c := range []struct {
			prefix string
			want   []string
		}{
			{"videos/1/", []string{"videos/1/a.mp4", "videos/1/b.mp4"}},
			{"videos/1", []string{"videos/1/a.mp4", "videos/1/b.mp4", "videos/10/c.mp4"}},
			{"", []string{"documents/1/x", "videos/1/a.mp4", "videos/1/b.mp4", "videos/10/c.mp4", "videos/2/d.mp4"}},
			{"nothing/", nil},
		} {
			if got := keys(t, s, c.prefix); !slices.Equal(got, c.want) {
				t.Errorf("list %q: %q, want %q", c.prefix, got, c.want)
			}
		}
		// List describes each object as Stat does.
		for a, err := range s.List(ctx, "videos/") {
			if err != nil {
				t.Fatal(err)
			}
			st, err := s.Stat(ctx, a.Key)
			if err != nil {
				t.Fatal(err)
			}
			if a.Size != st.Size || a.ETag != st.ETag || !a.ModTime.Equal(st.ModTime) {
				t.Errorf("list gives %+v, stat %+v", a, st)
			}
		}
		// Stopping early is allowed.
		for range s.List(ctx, "") {
			break
		}
	}},
	{"bad keys refused", func(t *testing.T, s blob.Store) {
		ctx := context.Background()
		for _, k := range []string{"", "/videos/1", "..", "../escape", "videos/../../escape", "a..b",
			"videos/1/", "videos//1", "videos/./1", ".", "with space", "ключ", "tab\tkey", `back\slash`,
			"a.tmp", "a.attrs", strings.Repeat("k", 1025)} {
			if err := s.Put(ctx, k, strings.NewReader("x")); !errors.Is(err, blob.ErrBadKey) {
				t.Errorf("put %q: %v, want ErrBadKey", k, err)
			}
			if _, err := s.Stat(ctx, k); !errors.Is(err, blob.ErrBadKey) {
				t.Errorf("stat %q: %v, want ErrBadKey", k, err)
			}
			if _, err := s.Open(ctx, k); !errors.Is(err, blob.ErrBadKey) {
				t.Errorf("open %q: %v, want ErrBadKey", k, err)
			}
			if err := s.Delete(ctx, k); !errors.Is(err, blob.ErrBadKey) {
				t.Errorf("delete %q: %v, want ErrBadKey", k, err)
			}
		}
		for _, p := range []string{"../", "/", "a//"} {
			for _, err := range s.List(ctx, p) {
				if !errors.Is(err, blob.ErrBadKey) {
					t.Errorf("list %q: %v, want ErrBadKey", p, err)
				}
			}
		}
		if ks := keys(t, s, ""); len(ks) != 0 {
			t.Fatalf("a refused key stored something: %q", ks)
		}
	}},
	{"cancelled put leaves nothing", func(t *testing.T, s blob.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		// The reader gives 3 MiB, then the request that feeds it is cancelled.
		src := &stopAfter{r: bytes.NewReader(content(7, 8<<20)), n: 3 << 20, stop: cancel}
		if err := s.Put(ctx, "videos/3/original.mp4", src); !errors.Is(err, context.Canceled) {
			t.Fatalf("put: %v, want context.Canceled", err)
		}
		wantNotFound(t, s, "videos/3/original.mp4")
		if ks := keys(t, s, ""); len(ks) != 0 {
			t.Fatalf("keys after a cancelled put: %q", ks)
		}
	}},
	{"failed upload leaves the old object", func(t *testing.T, s blob.Store) {
		old := content(8, 1000)
		put(t, s, "videos/4/original.mp4", old)
		// 20 MiB then a broken connection: on S3 a multipart upload already under way.
		broken := errors.New("client went away")
		src := &stopAfter{r: bytes.NewReader(content(9, 30<<20)), n: 20 << 20, err: broken}
		if err := s.Put(context.Background(), "videos/4/original.mp4", src); !errors.Is(err, broken) {
			t.Fatalf("put: %v, want the reader's error", err)
		}
		if got := read(t, s, "videos/4/original.mp4"); !bytes.Equal(got, old) {
			t.Fatalf("the failed put changed the object: %d bytes", len(got))
		}
		if ks := keys(t, s, ""); !slices.Equal(ks, []string{"videos/4/original.mp4"}) {
			t.Fatalf("keys after a failed put: %q", ks)
		}
	}},
	{"object replaced during a read", func(t *testing.T, s blob.Store) {
		old, newer := content(12, 100_000), content(13, 100_000)
		put(t, s, "videos/7/original.mp4", old)
		f, err := s.Open(context.Background(), "videos/7/original.mp4")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		head := make([]byte, 100)
		if _, err := io.ReadFull(f, head); err != nil || !bytes.Equal(head, old[:100]) {
			t.Fatalf("first read: %v", err)
		}
		put(t, s, "videos/7/original.mp4", newer)
		// The reader goes on with the version it opened, or fails; it never mixes the two.
		if _, err := f.Seek(50_000, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		rest, err := io.ReadAll(f)
		if err == nil && !bytes.Equal(rest, old[50_000:]) {
			t.Fatal("a read after the object was replaced returned the new bytes")
		}
	}},
	{"concurrent reads", func(t *testing.T, s blob.Store) {
		want := content(10, 2<<20)
		put(t, s, "videos/6/720p.mp4", want)
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for g := range 16 {
			wg.Go(func() {
				f, err := s.Open(context.Background(), "videos/6/720p.mp4")
				if err != nil {
					errs <- err
					return
				}
				defer f.Close()
				for i := range 4 {
					off := int64((g*4 + i) * 30_000)
					buf := make([]byte, 64<<10)
					if _, err := f.Seek(off, io.SeekStart); err != nil {
						errs <- err
						return
					}
					if _, err := io.ReadFull(f, buf); err != nil {
						errs <- fmt.Errorf("read at %d: %w", off, err)
						return
					}
					if !bytes.Equal(buf, want[off:off+int64(len(buf))]) {
						errs <- fmt.Errorf("wrong bytes at %d", off)
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	}},
}

func TestStore(t *testing.T) {
	t.Parallel()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			for _, c := range storeTests {
				t.Run(c.name, func(t *testing.T) { c.test(t, b.open(t)) })
			}
		})
	}
}

// stopAfter reads n bytes of r, then calls stop and fails with err (or the context's error).
type stopAfter struct {
	r    io.Reader
	n    int
	stop func()
	err  error
}

func (s *stopAfter) Read(p []byte) (int, error) {
	if s.n <= 0 {
		if s.stop != nil {
			s.stop()
			return 0, context.Canceled
		}
		return 0, s.err
	}
	if len(p) > s.n {
		p = p[:s.n]
	}
	n, err := s.r.Read(p)
	s.n -= n
	return n, err
}

// A failed local Put leaves no temporary file behind, and a refused key writes nothing outside
// the directory.
func TestLocalLeavesNoFiles(t *testing.T) {
	parent := t.TempDir()
	s := mustOpen(t, "file://media", parent)
	ctx, cancel := context.WithCancel(context.Background())
	src := &stopAfter{r: bytes.NewReader(content(11, 1<<20)), n: 100 << 10, stop: cancel}
	if err := s.Put(ctx, "videos/1/original.mp4", src); err == nil {
		t.Fatal("a cancelled put succeeded")
	}
	_ = s.Put(context.Background(), "../escape", strings.NewReader("x"))
	var files []string
	filepath.WalkDir(parent, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	})
	if len(files) != 0 {
		t.Fatalf("files left: %q", files)
	}
	// The data directory's media/ is where a relative file:// URL points.
	put(t, s, "videos/1/original.mp4", []byte("mp4"))
	if b, err := os.ReadFile(filepath.Join(parent, "media", "videos", "1", "original.mp4")); err != nil || string(b) != "mp4" {
		t.Fatalf("the file under the data directory: %q %v", b, err)
	}
}

func TestOpenURLs(t *testing.T) {
	srv := blobtest.Start(t)
	ctx := context.Background()
	dataDir := t.TempDir()

	// The default is media/ in the data directory; an absolute file URL is taken as it is.
	s := mustOpen(t, "", dataDir)
	put(t, s, "a", []byte("default"))
	if b, _ := os.ReadFile(filepath.Join(dataDir, "media", "a")); string(b) != "default" {
		t.Fatal("the default store is not media/ in the data directory")
	}
	abs := filepath.Join(t.TempDir(), "elsewhere")
	s = mustOpen(t, "file://"+abs, dataDir)
	put(t, s, "a", []byte("absolute"))
	if b, _ := os.ReadFile(filepath.Join(abs, "a")); string(b) != "absolute" {
		t.Fatal("an absolute file URL is not used as it is")
	}

	const secret = "wJalrXUtnFEMI-K7MDENG"
	for _, c := range []struct{ url, want string }{
		{"ftp://host/x", "want a media URL"},
		{"file://", "file://DIR"},
		{"file:///srv/media?create_dir=1", "no parameters"},
		{"s3://", "names its bucket"},
		{"s3://bucket/prefix?region=us-east-1", "without a path"},
		{"s3://AKIA:" + secret + "@bucket?region=us-east-1", "must not carry credentials"},
		{"s3://bucket?region=us-east-1&endpoint=127.0.0.1:9000", "needs its scheme"},
		{"s3://bucket?endpoint=http://127.0.0.1:9000", "region"},
		{"s3://bucket?region=us-east-1&endpoint=http://127.0.0.1:9000&colour=blue", "unknown query parameter"},
		{"s3://bucket?region=us-east-1&endpoint=http://127.0.0.1:9000&use_path_style=maybe", "want true or false"},
		{"s3://bucket?region=us-east-1&endpoint=http://127.0.0.1:9000&ssetype=rot13", "ssetype"},
		{"s3://%zz" + secret, "does not parse"},
		{srv.URL("no-such-bucket"), "create it first"},
	} {
		if c.want == "region" {
			t.Setenv("AWS_REGION", "")
			t.Setenv("AWS_DEFAULT_REGION", "")
		}
		_, err := blob.Open(ctx, c.url, dataDir)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("open %s: %v, want an error saying %q", c.url, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("open %s: the error shows the secret: %v", c.url, err)
		}
	}
	// The secret access key never shows in what Open says either.
	if _, err := blob.Open(ctx, srv.URL("no-such-bucket"), dataDir); err != nil && strings.Contains(err.Error(), os.Getenv("AWS_SECRET_ACCESS_KEY")) {
		t.Errorf("the error shows the secret access key: %v", err)
	}
}

// TestS3Unavailable kills the S3 server under an open store: every operation fails at once
// with ErrUnavailable (an object that is not there, while the server runs, is ErrNotFound and
// nothing else); once it is restarted on its data, the same store reads what it held.
func TestS3Unavailable(t *testing.T) {
	t.Parallel()
	srv := blobtest.Start(t)
	ctx := context.Background()
	bucket := srv.Bucket(t)
	s := mustOpen(t, bucket, "")
	put(t, s, "kept", []byte("written before the crash"))
	if _, err := s.Stat(ctx, "absent"); !errors.Is(err, blob.ErrNotFound) || errors.Is(err, blob.ErrUnavailable) {
		t.Fatalf("stat of a missing object: %v, want ErrNotFound only", err)
	}

	srv.Kill(t)
	// At once: each waits out the SDK's few retries.
	ops := map[string]func() error{
		"put":    func() error { return s.Put(ctx, "new", strings.NewReader("lost?")) },
		"stat":   func() error { _, err := s.Stat(ctx, "kept"); return err },
		"open":   func() error { _, err := s.Open(ctx, "kept"); return err },
		"delete": func() error { return s.Delete(ctx, "kept") },
		"list": func() error {
			for _, err := range s.List(ctx, "") {
				return err
			}
			return errors.New("List yielded nothing")
		},
		"open the bucket": func() error { _, err := blob.Open(ctx, bucket, ""); return err },
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := map[string]error{}
	for what, op := range ops {
		wg.Go(func() {
			err := op()
			mu.Lock()
			defer mu.Unlock()
			errs[what] = err
		})
	}
	wg.Wait()
	for what, err := range errs {
		if !errors.Is(err, blob.ErrUnavailable) || errors.Is(err, blob.ErrNotFound) {
			t.Errorf("%s with the server down: %v, want ErrUnavailable", what, err)
		}
	}

	srv.Restart(t)
	if got := read(t, s, "kept"); string(got) != "written before the crash" {
		t.Fatalf("after the restart: %q", got)
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	for _, c := range []struct {
		err  error
		want bool
	}{
		{refused, true},
		{fmt.Errorf("blob: stat a: %w", refused), true},
		{io.ErrUnexpectedEOF, true},
		{context.DeadlineExceeded, true},
		{context.Canceled, false},
		{fmt.Errorf("dial: %w: %w", context.Canceled, refused), false},
		{blob.ErrNotFound, false},
		{errors.New("access denied"), false},
		{answered(http.StatusServiceUnavailable), true},
		{answered(http.StatusInternalServerError), true},
		{answered(http.StatusForbidden), false},
		{answered(http.StatusNotFound), false},
	} {
		if got := errors.Is(blob.Classify(c.err), blob.ErrUnavailable); got != c.want {
			t.Errorf("Classify(%v) unavailable: %v, want %v", c.err, got, c.want)
		}
	}
	if blob.Classify(nil) != nil {
		t.Error("Classify(nil) is not nil")
	}
}

// answered is the SDK's error for an S3 answer with status code.
func answered(code int) error {
	return &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: code}},
		Err: errors.New("an S3 error")}
}
