package blob

import (
	"errors"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestSlowAnswer: only the requests S3 answers once it has assembled or copied an object get
// the long bound.
func TestSlowAnswer(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		method, url, copySource string
		want                    bool
	}{
		{"POST", "http://s3/b/uploads/x?uploadId=abc", "", true},                      // CompleteMultipartUpload
		{"PUT", "http://s3/b/videos/1/a.mp4?x-id=CopyObject", "/b/sources/1/a", true}, // CopyObject
		{"POST", "http://s3/b/uploads/x?uploads=", "", false},                         // CreateMultipartUpload
		{"PUT", "http://s3/b/uploads/x?partNumber=2&uploadId=abc", "", false},         // UploadPart
		{"GET", "http://s3/b/videos/1/a.mp4", "", false},
		{"HEAD", "http://s3/b", "", false},
	} {
		r, err := http.NewRequest(c.method, c.url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.copySource != "" {
			r.Header.Set("X-Amz-Copy-Source", c.copySource)
		}
		if got := slowAnswer(r); got != c.want {
			t.Errorf("%s %s (copy source %q): slow %v, want %v", c.method, c.url, c.copySource, got, c.want)
		}
	}
}

// TestSilentServer: a server that takes the connection and never answers fails the request at
// the answer bound, as storage that cannot be reached.
func TestSilentServer(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, unanswered, until the test ends
		}
	}()
	c := newS3HTTP(200*time.Millisecond, time.Hour)
	req, _ := http.NewRequest("GET", "http://"+l.Addr().String()+"/bucket/key", nil)
	resp, err := c.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatal("a server that never answers: no error")
	}
	if err := Classify(err); !errors.Is(err, ErrUnavailable) {
		t.Errorf("a server that never answers: %v, want ErrUnavailable", err)
	}
}
