package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// connWriter stands for the connection's writer: it has the ReadFrom that sends files with
// sendfile, and records that the copy reached it.
type connWriter struct {
	*httptest.ResponseRecorder
	readFrom int
}

func (c *connWriter) ReadFrom(r io.Reader) (int64, error) {
	c.readFrom++
	return io.Copy(c.ResponseRecorder, r)
}

// headerOnly is a wrapper like the session manager's: it has Write and Unwrap, no ReadFrom.
type headerOnly struct{ http.ResponseWriter }

func (h headerOnly) Unwrap() http.ResponseWriter { return h.ResponseWriter }

// TestMediaBytesReachTheConnection: a media file's bytes pass the wrappers of the middleware
// (the instrument's counter, the session's writer, the media route's own) down to the
// connection's ReadFrom, so the kernel's sendfile sends them; the instrument still counts them.
func TestMediaBytesReachTheConnection(t *testing.T) {
	t.Parallel()
	conn := &connWriter{ResponseRecorder: httptest.NewRecorder()}
	counted := &statusWriter{ResponseWriter: conn}
	route := uncachedErrors{headerOnly{counted}}
	route.WriteHeader(http.StatusPartialContent)
	// As http.ServeContent copies: io.CopyN, a LimitedReader over the file.
	n, err := io.CopyN(route, strings.NewReader(strings.Repeat("x", 1000)), 1000)
	if err != nil || n != 1000 {
		t.Fatalf("copy: %d, %v", n, err)
	}
	if conn.readFrom != 1 {
		t.Errorf("the connection's ReadFrom ran %d times, want once", conn.readFrom)
	}
	if counted.bytes != 1000 || counted.status != http.StatusPartialContent || conn.Body.Len() != 1000 {
		t.Errorf("counted %d bytes, status %d; sent %d", counted.bytes, counted.status, conn.Body.Len())
	}
}
