// Package blob stores files — partnership documents, videos, their renditions, posters and
// subtitle files — behind one small interface, in a local directory (the default) or in an
// S3-compatible bucket, both through gocloud.dev/blob. It also serves them over HTTP with
// http.ServeContent semantics (Range, If-Range, ETag, Last-Modified), so a browser can seek in
// a video whichever backend holds it.
//
// Keys are slash-separated paths chosen by the application, never by the uploader: a key is
// refused unless it is made of the characters A–Z a–z 0–9 - _ . ~ and non-empty segments
// separated by "/", without "..", and not ending in ".tmp" or ".attrs" (the local backend
// keeps those names for its temporary and metadata files). Such a key is the same path on disk
// and in a bucket, with no escaping.
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ErrNotFound is returned for a key that holds nothing.
var ErrNotFound = errors.New("blob: not found")

// ErrBadKey is returned for a key (or a List prefix) that the rules above refuse.
var ErrBadKey = errors.New("blob: bad key")

// Attrs describe a stored object.
type Attrs struct {
	Key     string
	Size    int64
	ModTime time.Time
	// ETag is a strong entity tag, quoted as an HTTP ETag header carries it. It changes
	// whenever the object is written again.
	ETag string
}

// Store keeps files by key. Its methods are safe for concurrent use.
type Store interface {
	// Put writes r under key, replacing what was there. The object under key is the old one
	// or the whole new one, never part of it: when r fails or ctx ends, nothing changes.
	Put(ctx context.Context, key string, r io.Reader) error
	// Open returns the object under key for reading and seeking; ctx bounds the reads too.
	Open(ctx context.Context, key string) (io.ReadSeekCloser, error)
	// Stat describes the object under key.
	Stat(ctx context.Context, key string) (Attrs, error)
	// Serve answers r with the object under key as http.ServeContent does: ranges, If-Range,
	// If-None-Match, If-Modified-Since and the rest, with the object's ETag and Last-Modified.
	// contentType, when not empty, sets Content-Type; the caller sets any other header (say,
	// Cache-Control) before calling. When Serve returns ErrNotFound, ErrBadKey or another error
	// before answering, nothing has been written and the caller answers; an error after the
	// answer has begun is only worth logging.
	Serve(w http.ResponseWriter, r *http.Request, key, contentType string) error
	// Delete removes key; a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// List yields the objects whose keys start with prefix: in key order from S3, in the
	// order of a directory walk from a local directory (where "a/x" comes before "a-b").
	List(ctx context.Context, prefix string) iter.Seq2[Attrs, error]
	// Close releases the store's resources.
	Close() error
}

// Open opens the store that rawURL names:
//
//   - "" — the directory media/ in dataDir;
//   - "file://DIR" — the directory DIR, taken relative to dataDir unless it is absolute
//     (file:///srv/media); it is created when missing;
//   - "s3://BUCKET?endpoint=https://HOST&region=REGION&use_path_style=true" — a bucket of an
//     S3-compatible service, with the parameters of gocloud.dev/aws and s3blob (an unknown
//     parameter is an error). endpoint needs its scheme; region is required here or in
//     AWS_REGION. The bucket must exist: it is checked, never created. Credentials come from
//     the AWS SDK's usual places, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY first, never
//     from the URL. Checksums are asked for only where S3 requires them
//     (request_checksum_calculation and response_checksum_validation default to
//     when_required), which S3-compatible servers accept and which silences the SDK's
//     warning on every ranged read.
//
// An upload to S3 larger than 16 MiB is a multipart upload: a crash mid-way leaves
// invisible parts behind, which a bucket lifecycle rule for incomplete multipart uploads
// removes.
func Open(ctx context.Context, rawURL, dataDir string) (Store, error) {
	switch {
	case rawURL == "":
		return NewLocal(filepath.Join(dataDir, "media"))
	case strings.HasPrefix(rawURL, "file://"):
		dir := strings.TrimPrefix(rawURL, "file://")
		if dir == "" || strings.ContainsAny(dir, "?#") {
			return nil, errors.New("blob: a file URL is file://DIR, with no parameters")
		}
		dir = filepath.FromSlash(dir)
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(dataDir, dir)
		}
		return NewLocal(dir)
	case strings.HasPrefix(rawURL, "s3://"):
		return openS3(ctx, rawURL)
	}
	// The URL is not echoed: a mistyped one may hold a secret.
	return nil, errors.New("blob: want a media URL of the form file://DIR or s3://BUCKET?…")
}

// NewLocal returns a Store over the directory dir, creating it.
func NewLocal(dir string) (Store, error) {
	s, err := openDir(dir)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// parseS3URL checks an s3:// URL and fills in the defaults described at Open. Its errors never
// quote the URL, which might carry a secret.
func parseS3URL(rawURL string) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("the s3:// URL does not parse")
	}
	if u.User != nil {
		return nil, errors.New("an s3:// URL must not carry credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	}
	if u.Host == "" {
		return nil, errors.New("an s3:// URL names its bucket: s3://BUCKET?…")
	}
	if u.Path != "" && u.Path != "/" {
		return nil, errors.New("an s3:// URL names a bucket only, without a path")
	}
	q := u.Query()
	if ep := q.Get("endpoint"); ep != "" && !strings.HasPrefix(ep, "http://") && !strings.HasPrefix(ep, "https://") {
		return nil, errors.New("the endpoint of an s3:// URL needs its scheme: endpoint=https://HOST")
	}
	if q.Get("region") == "" && os.Getenv("AWS_REGION") == "" && os.Getenv("AWS_DEFAULT_REGION") == "" {
		return nil, errors.New("an s3:// URL needs region=… (or AWS_REGION)")
	}
	for _, k := range []string{"request_checksum_calculation", "response_checksum_validation"} {
		if !q.Has(k) {
			q.Set(k, "when_required")
		}
	}
	u.RawQuery = q.Encode()
	u.Path = ""
	return u, nil
}

// checkKey enforces the key rules of the package comment.
func checkKey(key string) error {
	if err := checkPrefix(key); err != nil {
		return err
	}
	switch {
	case key == "", strings.HasSuffix(key, "/"), strings.HasSuffix(key, ".tmp"), strings.HasSuffix(key, ".attrs"):
		return fmt.Errorf("%w %q", ErrBadKey, key)
	}
	return nil
}

// checkPrefix allows what may begin a key: a List prefix may be empty or end in "/".
func checkPrefix(p string) error {
	bad := len(p) > 1024 || strings.HasPrefix(p, "/") || strings.Contains(p, "//") || strings.Contains(p, "..")
	for _, seg := range strings.Split(p, "/") {
		bad = bad || seg == "."
	}
	for _, c := range []byte(p) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-' || c == '_' || c == '.' || c == '~' || c == '/':
		default:
			bad = true
		}
	}
	if bad {
		return fmt.Errorf("%w %q", ErrBadKey, p)
	}
	return nil
}
