package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sistercity/internal/addrtest"
	"sistercity/internal/blob"
	"sistercity/internal/blob/blobtest"
	"sistercity/internal/db"
	"sistercity/internal/polltest"
)

// browser is a client with cookies that signs in and posts forms with their CSRF token.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

var csrfToken = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(req *http.Request) (*http.Response, []byte) {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func (b *browser) get(path string, header ...string) (*http.Response, []byte) {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.base+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

func (b *browser) csrf(path string) string {
	b.t.Helper()
	_, body := b.get(path)
	m := csrfToken.FindSubmatch(body)
	if m == nil {
		b.t.Fatalf("no CSRF token on %s", path)
	}
	return string(m[1])
}

// TestServeMediaOnS3 runs serve against a real S3 server: a partnership document uploaded in
// the admin lands in the bucket under documents/, and downloads whole and by range; while the
// server is killed, the download is a 503 to retry.
func TestServeMediaOnS3(t *testing.T) {
	t.Parallel()
	srv := blobtest.Start(t)
	bucket := srv.Bucket(t)
	args := append(dbArgs(t), "--demo", "--media-url", bucket)
	base, stdout, _ := startServe(t, args...)
	m := regexp.MustCompile(`password: (\S+)`).FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("no admin password printed:\n%s", stdout.String())
	}

	b := newBrowser(t, base)
	form := url.Values{"username": {"admin"}, "password": {m[1]}, "csrf_token": {b.csrf("/admin/sign-in")}}
	req, _ := http.NewRequest("POST", base+"/admin/sign-in", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, body := b.do(req); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d\n%s", resp.StatusCode, body)
	}
	_, list := b.get("/admin/partnerships")
	pm := regexp.MustCompile(`/admin/partnerships/(\d+)"`).FindSubmatch(list)
	if pm == nil {
		t.Fatal("no partnership on /admin/partnerships")
	}
	page := "/admin/partnerships/" + string(pm[1])

	doc := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("agreement of 1992\n"), 3000)...)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("csrf_token", b.csrf(page))
	_ = mw.WriteField("title", "Agreement of 1992")
	fw, _ := mw.CreateFormFile("file", "agreement.pdf")
	_, _ = fw.Write(doc)
	_ = mw.Close()
	req, _ = http.NewRequest("POST", base+page+"/documents", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if resp, out := b.do(req); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload: %d\n%s", resp.StatusCode, out)
	}

	_, html := b.get(page)
	dm := regexp.MustCompile(regexp.QuoteMeta(page) + `/documents/(\d+)"`).FindSubmatch(html)
	if dm == nil {
		t.Fatal("the partnership page does not list the uploaded document")
	}
	download := page + "/documents/" + string(dm[1])
	if resp, got := b.get(download); resp.StatusCode != http.StatusOK || !bytes.Equal(got, doc) {
		t.Fatalf("download: %d, %d bytes of %d", resp.StatusCode, len(got), len(doc))
	}
	if resp, got := b.get(download, "Range", "bytes=0-8"); resp.StatusCode != http.StatusPartialContent || string(got) != "%PDF-1.4\n" {
		t.Fatalf("ranged download: %d %q", resp.StatusCode, got)
	}

	// The bytes are in the bucket, under documents/, and not on the local disk.
	store, err := blob.Open(context.Background(), bucket, "")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var keys []string
	for a, err := range store.List(context.Background(), "documents/") {
		if err != nil {
			t.Fatal(err)
		}
		if a.Size != int64(len(doc)) {
			t.Errorf("%s: %d bytes, want %d", a.Key, a.Size, len(doc))
		}
		keys = append(keys, a.Key)
	}
	if len(keys) != 1 || !strings.HasPrefix(keys[0], "documents/"+string(pm[1])+"/") {
		t.Fatalf("keys in the bucket: %q", keys)
	}
	dataDir := args[1]
	if _, err := os.Stat(filepath.Join(dataDir, "media")); !os.IsNotExist(err) {
		t.Errorf("serve with S3 media made %s/media: %v", dataDir, err)
	}

	// With the uploads in the bucket and PostgreSQL's locks, the upload sweep is a periodic job
	// (once across the replicas, and once at start); on SQLite serve sweeps its data directory
	// itself. The encode rescue, also run at start, shows the leader has enqueued its jobs.
	dbURL := ""
	if len(args) > 3 && args[2] == "--database-url" {
		dbURL = args[3]
	}
	d, err := db.Open(context.Background(), dbURL, dataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	jobsOf := func(kind string) int {
		var n int
		if err := d.R.QueryRow("SELECT COUNT(*) FROM river_job WHERE kind = $1", kind).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	polltest.Until(t, "the leader's jobs at start", func() (bool, string) {
		r, u := jobsOf("video.rescue"), jobsOf("upload.sweep")
		return r > 0 && (u > 0 || d.Dialect != db.Postgres), fmt.Sprintf("%d rescue, %d upload sweep jobs", r, u)
	})
	if n := jobsOf("upload.sweep"); d.Dialect != db.Postgres && n != 0 {
		t.Errorf("on SQLite: %d upload sweep jobs, want none (serve sweeps its own uploads)", n)
	}

	// The S3 service is down: the download is a 503 to retry, in the reader's language, not a
	// 500; once it is back, the same download works again.
	srv.Kill(t)
	resp, got := b.get(download, "Accept-Language", "ko")
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" ||
		!strings.Contains(string(got), "미디어 저장소에 연결할 수 없습니다") {
		t.Errorf("download with the S3 service down: %d, Retry-After %q\n%s", resp.StatusCode, resp.Header.Get("Retry-After"), got)
	}
	srv.Restart(t)
	if resp, got := b.get(download); resp.StatusCode != http.StatusOK || !bytes.Equal(got, doc) {
		t.Fatalf("download after the restart: %d, %d bytes of %d", resp.StatusCode, len(got), len(doc))
	}
}

// With no --media-url, media and documents go to media/ in the data directory; a bucket that
// does not exist stops serve at start with a message that says so.
func TestServeMediaStore(t *testing.T) {
	args := dbArgs(t)
	startServe(t, args...)
	if fi, err := os.Stat(filepath.Join(args[1], "media")); err != nil || !fi.IsDir() {
		t.Fatalf("no media/ in the data directory: %v", err)
	}

	srv := blobtest.Start(t)
	for _, c := range []struct{ url, want string }{
		{srv.URL("no-such-bucket"), "create it first"},
		{"ftp://example.org/media", "--media-url"},
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), append([]string{"serve", "--listen", addrtest.Free(t), "--media-url", c.url}, dbArgs(t)...), &out, &errb)
		if code == 0 || !strings.Contains(errb.String(), c.want) {
			t.Errorf("serve --media-url %s: exit %d, %q; want a failure saying %q", c.url, code, errb.String(), c.want)
		}
	}
}
