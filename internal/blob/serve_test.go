package blob_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"sistercity/internal/blob"
)

// serveCase is one request to the serving helper and what RFC 9110 says it answers.
type serveCase struct {
	name    string
	method  string
	header  func(v validators) map[string]string
	status  int
	body    func(b []byte) []byte // nil: no body
	headers map[string]string     // expected response headers; "" means absent
}

// validators are the object's, as the first answer gave them.
type validators struct {
	etag, lastModified, earlier string
}

func hdr(kv ...string) func(validators) map[string]string {
	return func(validators) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
}

func all(b []byte) []byte { return b }

func part(from, to int) func([]byte) []byte {
	return func(b []byte) []byte { return b[from:to] }
}

const served = 5000 // size of the object the serving tests read

// manyRanges is a Range header of n ranges, the i-th given by f(i).
func manyRanges(n int, f func(i int) string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = f(i)
	}
	return "bytes=" + strings.Join(parts, ",")
}

var serveCases = []serveCase{
	// Ranges are merged and capped, so that a response is never larger than the object.
	{name: "repeated ranges merged", header: hdr("Range", manyRanges(500, func(int) string { return "0-0" })), status: 206,
		body: part(0, 1), headers: map[string]string{"Content-Range": "bytes 0-0/5000", "Content-Length": "1"}},
	{name: "overlapping and touching ranges merged", header: hdr("Range", "bytes=10-19,0-9,5-14"), status: 206,
		body: part(0, 20), headers: map[string]string{"Content-Range": "bytes 0-19/5000", "Content-Length": "20"}},
	{name: "too many ranges: the whole object", header: hdr("Range", manyRanges(17, func(i int) string { return strconv.Itoa(2*i) + "-" + strconv.Itoa(2*i) })),
		status: 200, body: all, headers: map[string]string{"Content-Length": "5000", "Content-Range": ""}},
	{name: "a 64 KB Range header: the whole object", header: hdr("Range", manyRanges(16000, func(int) string { return "0-0" })),
		status: 200, body: all, headers: map[string]string{"Content-Length": "5000", "Content-Range": ""}},
	{name: "whole", header: hdr(), status: 200, body: all,
		headers: map[string]string{"Content-Type": "video/mp4", "Content-Length": "5000", "Accept-Ranges": "bytes"}},
	{name: "HEAD", method: "HEAD", header: hdr(), status: 200,
		headers: map[string]string{"Content-Length": "5000", "Content-Type": "video/mp4"}},
	{name: "first 100 bytes", header: hdr("Range", "bytes=0-99"), status: 206, body: part(0, 100),
		headers: map[string]string{"Content-Range": "bytes 0-99/5000", "Content-Length": "100"}},
	{name: "a middle range", header: hdr("Range", "bytes=1000-1999"), status: 206, body: part(1000, 2000),
		headers: map[string]string{"Content-Range": "bytes 1000-1999/5000"}},
	{name: "suffix range", header: hdr("Range", "bytes=-100"), status: 206, body: part(4900, 5000),
		headers: map[string]string{"Content-Range": "bytes 4900-4999/5000"}},
	{name: "suffix longer than the object", header: hdr("Range", "bytes=-9000"), status: 206, body: all,
		headers: map[string]string{"Content-Range": "bytes 0-4999/5000"}},
	{name: "open-ended range", header: hdr("Range", "bytes=4000-"), status: 206, body: part(4000, 5000),
		headers: map[string]string{"Content-Range": "bytes 4000-4999/5000"}},
	{name: "range running past the end", header: hdr("Range", "bytes=4990-6000"), status: 206, body: part(4990, 5000),
		headers: map[string]string{"Content-Range": "bytes 4990-4999/5000"}},
	{name: "range starting at the end", header: hdr("Range", "bytes=5000-"), status: 416,
		headers: map[string]string{"Content-Range": "bytes */5000"}},
	{name: "range past the end", header: hdr("Range", "bytes=6000-7000"), status: 416,
		headers: map[string]string{"Content-Range": "bytes */5000"}},
	{name: "malformed range", header: hdr("Range", "bytes=abc"), status: 416},
	{name: "If-None-Match with the ETag", header: func(v validators) map[string]string {
		return map[string]string{"If-None-Match": v.etag}
	}, status: 304, headers: map[string]string{"Content-Type": "", "Content-Length": ""}},
	{name: "If-None-Match with the weak form of the ETag", header: func(v validators) map[string]string {
		return map[string]string{"If-None-Match": "W/" + v.etag}
	}, status: 304},
	{name: "If-None-Match with another ETag", header: hdr("If-None-Match", `"other"`), status: 200, body: all},
	{name: "If-None-Match *", header: hdr("If-None-Match", "*"), status: 304},
	{name: "If-Modified-Since Last-Modified", header: func(v validators) map[string]string {
		return map[string]string{"If-Modified-Since": v.lastModified}
	}, status: 304},
	{name: "If-Modified-Since earlier", header: func(v validators) map[string]string {
		return map[string]string{"If-Modified-Since": v.earlier}
	}, status: 200, body: all},
	{name: "If-None-Match wins over If-Modified-Since", header: func(v validators) map[string]string {
		return map[string]string{"If-None-Match": `"other"`, "If-Modified-Since": v.lastModified}
	}, status: 200, body: all},
	{name: "If-Range with the ETag", header: func(v validators) map[string]string {
		return map[string]string{"Range": "bytes=0-99", "If-Range": v.etag}
	}, status: 206, body: part(0, 100)},
	{name: "If-Range with another ETag", header: hdr("Range", "bytes=0-99", "If-Range", `"stale"`), status: 200, body: all},
	{name: "If-Range with a weak ETag", header: func(v validators) map[string]string {
		return map[string]string{"Range": "bytes=0-99", "If-Range": "W/" + v.etag}
	}, status: 200, body: all},
	{name: "If-Range with Last-Modified", header: func(v validators) map[string]string {
		return map[string]string{"Range": "bytes=100-199", "If-Range": v.lastModified}
	}, status: 206, body: part(100, 200)},
	{name: "If-Range with an earlier date", header: func(v validators) map[string]string {
		return map[string]string{"Range": "bytes=100-199", "If-Range": v.earlier}
	}, status: 200, body: all},
	{name: "If-Match with the ETag", header: func(v validators) map[string]string {
		return map[string]string{"If-Match": v.etag}
	}, status: 200, body: all},
	{name: "If-Match with another ETag", header: hdr("If-Match", `"other"`), status: 412},
	{name: "If-Unmodified-Since earlier", header: func(v validators) map[string]string {
		return map[string]string{"If-Unmodified-Since": v.earlier}
	}, status: 412},
	{name: "If-Unmodified-Since Last-Modified", header: func(v validators) map[string]string {
		return map[string]string{"If-Unmodified-Since": v.lastModified}
	}, status: 200, body: all},
}

// serveErrors collects what Serve returned that the handler could not answer for.
type serveErrors struct {
	mu   sync.Mutex
	errs []error
}

// handler serves /KEY from s the way a handler of the application would.
func handler(s blob.Store, errs *serveErrors) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=60")
		err := s.Serve(w, r, strings.TrimPrefix(r.URL.Path, "/"), "video/mp4")
		switch {
		case errors.Is(err, blob.ErrNotFound):
			http.Error(w, "not found", http.StatusNotFound)
		case errors.Is(err, blob.ErrBadKey):
			http.Error(w, "bad key", http.StatusBadRequest)
		case err != nil:
			errs.mu.Lock()
			errs.errs = append(errs.errs, err)
			errs.mu.Unlock()
		}
	})
}

func do(t *testing.T, method, url string, h map[string]string) (*http.Response, []byte) {
	t.Helper()
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func TestServe(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			s := b.open(t)
			want := content(20, served)
			put(t, s, "videos/1/720p.mp4", want)
			st, err := s.Stat(context.Background(), "videos/1/720p.mp4")
			if err != nil {
				t.Fatal(err)
			}
			errs := &serveErrors{}
			ts := httptest.NewServer(handler(s, errs))
			defer ts.Close()
			url := ts.URL + "/videos/1/720p.mp4"

			resp, _ := do(t, "GET", url, nil)
			v := validators{etag: resp.Header.Get("ETag"), lastModified: resp.Header.Get("Last-Modified")}
			if v.etag != st.ETag || v.lastModified != st.ModTime.UTC().Format(http.TimeFormat) {
				t.Fatalf("validators %+v, want Stat's %q and %v", v, st.ETag, st.ModTime)
			}
			if resp.Header.Get("Cache-Control") != "public, max-age=60" {
				t.Fatal("Serve dropped a header the handler set")
			}
			lm, _ := http.ParseTime(v.lastModified)
			v.earlier = lm.Add(-time.Hour).Format(http.TimeFormat)

			for _, c := range serveCases {
				t.Run(c.name, func(t *testing.T) {
					resp, body := do(t, c.method, url, c.header(v))
					if resp.StatusCode != c.status {
						t.Fatalf("status %d, want %d (%s)", resp.StatusCode, c.status, body)
					}
					if c.body != nil && !bytes.Equal(body, c.body(want)) {
						t.Fatalf("body: %d bytes, want %d", len(body), len(c.body(want)))
					}
					if c.body == nil && c.status != 416 && len(body) != 0 {
						t.Fatalf("a body of %d bytes, want none", len(body))
					}
					if c.status == 200 || c.status == 206 || c.status == 304 {
						if resp.Header.Get("ETag") != v.etag {
							t.Errorf("ETag %q, want %q", resp.Header.Get("ETag"), v.etag)
						}
					}
					for k, wantV := range c.headers {
						if got := resp.Header.Get(k); got != wantV {
							t.Errorf("%s: %q, want %q", k, got, wantV)
						}
					}
				})
			}

			t.Run("several ranges", func(t *testing.T) {
				resp, body := do(t, "GET", url, map[string]string{"Range": "bytes=0-9,-10,2000-2099"})
				mt, params, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
				if resp.StatusCode != 206 || mt != "multipart/byteranges" {
					t.Fatalf("%d %s", resp.StatusCode, mt)
				}
				mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
				for _, r := range [][2]int{{0, 10}, {4990, 5000}, {2000, 2100}} {
					p, err := mr.NextPart()
					if err != nil {
						t.Fatal(err)
					}
					got, _ := io.ReadAll(p)
					wantCR := "bytes " + strconv.Itoa(r[0]) + "-" + strconv.Itoa(r[1]-1) + "/5000"
					if !bytes.Equal(got, want[r[0]:r[1]]) || p.Header.Get("Content-Range") != wantCR {
						t.Fatalf("part %s: %d bytes", p.Header.Get("Content-Range"), len(got))
					}
				}
				if _, err := mr.NextPart(); err != io.EOF {
					t.Fatalf("more parts than ranges: %v", err)
				}
			})

			t.Run("concurrent ranges", func(t *testing.T) {
				var wg sync.WaitGroup
				for g := range 8 {
					wg.Go(func() {
						from := g * 500
						resp, body := do(t, "GET", url, map[string]string{"Range": "bytes=" + strconv.Itoa(from) + "-" + strconv.Itoa(from+499)})
						if resp.StatusCode != 206 || !bytes.Equal(body, want[from:from+500]) {
							t.Errorf("range at %d: %d, %d bytes", from, resp.StatusCode, len(body))
						}
					})
				}
				wg.Wait()
			})

			t.Run("missing and refused keys", func(t *testing.T) {
				if resp, _ := do(t, "GET", ts.URL+"/videos/404/720p.mp4", nil); resp.StatusCode != 404 {
					t.Errorf("missing key: %d", resp.StatusCode)
				}
				if resp, _ := do(t, "GET", ts.URL+"/videos/a..b", nil); resp.StatusCode != 400 {
					t.Errorf("refused key: %d", resp.StatusCode)
				}
			})

			// A new version gets a new ETag, so a client resuming with If-Range gets it whole.
			t.Run("replaced object", func(t *testing.T) {
				newer := content(21, served+10)
				if err := s.Put(context.Background(), "videos/1/720p.mp4", bytes.NewReader(newer)); err != nil {
					t.Fatal(err)
				}
				resp, body := do(t, "GET", url, map[string]string{"Range": "bytes=0-99", "If-Range": v.etag})
				if resp.StatusCode != 200 || !bytes.Equal(body, newer) || resp.Header.Get("ETag") == v.etag {
					t.Fatalf("%d, %d bytes, ETag %s", resp.StatusCode, len(body), resp.Header.Get("ETag"))
				}
			})

			errs.mu.Lock()
			defer errs.mu.Unlock()
			for _, err := range errs.errs {
				t.Errorf("Serve: %v", err)
			}
		})
	}
}
