package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// bucketStore is a Store over any gocloud.dev bucket; an S3 bucket uses it as it is, the
// local directory refines its reads.
type bucketStore struct {
	b      *blob.Bucket
	name   string // for error messages: the bucket or the directory, never credentials
	bucket string // the S3 bucket's name; empty for a local directory
}

func openS3(ctx context.Context, rawURL string) (Store, error) {
	u, err := parseS3URL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	name := "s3://" + u.Host
	// Without credentials in the environment, the AWS SDK would ask the cloud metadata service
	// at 169.254.169.254 — an outbound request to a private address that a city's server must
	// not make unasked. It is off unless the operator turns it on (AWS_EC2_METADATA_DISABLED=false).
	if _, set := os.LookupEnv("AWS_EC2_METADATA_DISABLED"); !set {
		_ = os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	}
	b, err := openS3Bucket(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("blob: open %s: %w", name, err)
	}
	// gocloud does not create buckets, and an unreachable or missing one is better reported
	// at start than on the first upload.
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ok, err := b.IsAccessible(ctx)
	if err == nil && !ok {
		err = errors.New("no such bucket; create it first (sistercity never creates buckets)")
	}
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("blob: open %s: %w", name, Classify(err))
	}
	return &bucketStore{b: b, name: name, bucket: u.Host}, nil
}

// S3Bucket returns the S3 client and the bucket's name behind s, for what needs S3 itself
// rather than whole objects (the resumable uploads' multipart uploads); ok is false when s
// is not an S3 bucket.
func S3Bucket(s Store) (client *s3.Client, bucket string, ok bool) {
	bs, isBucket := s.(*bucketStore)
	if !isBucket || bs.bucket == "" || !bs.b.As(&client) {
		return nil, "", false
	}
	return client, bs.bucket, true
}

func (s *bucketStore) Put(ctx context.Context, key string, r io.Reader) error {
	if err := checkKey(key); err != nil {
		return err
	}
	// Cancelling ctx before Close is how a gocloud write is abandoned: the temporary file is
	// removed, or the S3 upload is never completed.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var f *os.File
	w, err := s.b.NewWriter(ctx, key, &blob.WriterOptions{
		// Content types live in the database with each record; the stored copy is not used.
		DisableContentTypeDetection: true,
		// A local write goes to a temporary file; keep it to fsync before it is renamed.
		BeforeWrite: func(as func(any) bool) error { as(&f); return nil },
	})
	if err != nil {
		return fmt.Errorf("blob: put %s: %w", key, Classify(err))
	}
	_, err = io.Copy(w, readerCtx{ctx, r})
	if err == nil && f != nil {
		err = f.Sync()
	}
	if err != nil {
		cancel()
		_ = w.Close()
		return fmt.Errorf("blob: put %s: %w", key, Classify(err))
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("blob: put %s: %w", key, Classify(err))
	}
	return nil
}

func (s *bucketStore) Stat(ctx context.Context, key string) (Attrs, error) {
	if err := checkKey(key); err != nil {
		return Attrs{}, err
	}
	a, err := s.b.Attributes(ctx, key)
	if err != nil {
		return Attrs{}, s.fail("stat", key, err)
	}
	return Attrs{Key: key, Size: a.Size, ModTime: a.ModTime, ETag: quoteETag(a.ETag)}, nil
}

func (s *bucketStore) Open(ctx context.Context, key string) (io.ReadSeekCloser, error) {
	a, err := s.Stat(ctx, key)
	if err != nil {
		return nil, err
	}
	return &rangeReader{ctx: ctx, b: s.b, attrs: a}, nil
}

func (s *bucketStore) Serve(w http.ResponseWriter, r *http.Request, key, contentType string) error {
	a, err := s.Stat(r.Context(), key)
	if err != nil {
		return err
	}
	r = tidyRanges(r, a.Size)
	rr := &rangeReader{ctx: r.Context(), b: s.b, attrs: a}
	// With an If-Range other than the ETag, ServeContent may well send the whole object, and
	// a read bounded to the range would then cost a second request.
	if ir := r.Header.Get("If-Range"); ir == "" || ir == a.ETag {
		rr.want = requestedRanges(r.Header.Get("Range"), a.Size)
	}
	defer rr.Close()
	h := w.Header()
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	h.Set("ETag", a.ETag)
	http.ServeContent(w, r, "", a.ModTime, rr)
	if err := rr.failure(); err != nil && r.Context().Err() == nil {
		return fmt.Errorf("blob: serve %s: %w", key, Classify(err))
	}
	return nil
}

func (s *bucketStore) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := s.b.Delete(ctx, key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return fmt.Errorf("blob: delete %s: %w", key, Classify(err))
	}
	return nil
}

func (s *bucketStore) List(ctx context.Context, prefix string) iter.Seq2[Attrs, error] {
	return func(yield func(Attrs, error) bool) {
		if err := checkPrefix(prefix); err != nil {
			yield(Attrs{}, err)
			return
		}
		it := s.b.List(&blob.ListOptions{Prefix: prefix})
		for {
			obj, err := it.Next(ctx)
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(Attrs{}, fmt.Errorf("blob: list %s in %s: %w", prefix, s.name, Classify(err)))
				return
			}
			// What no Put could have written is not ours: a temporary file of a write in
			// progress, or something put there by other means.
			if checkKey(obj.Key) != nil {
				continue
			}
			a := Attrs{Key: obj.Key, Size: obj.Size, ModTime: obj.ModTime}
			var so types.Object
			var fi os.FileInfo
			switch {
			case obj.As(&so):
				a.ETag = quoteETag(aws.ToString(so.ETag))
			case obj.As(&fi):
				a.ETag = fileETag(fi)
			}
			if !yield(a, nil) {
				return
			}
		}
	}
}

func (s *bucketStore) Close() error {
	return s.b.Close()
}

// fail wraps a gocloud error, turning "not found" into ErrNotFound.
func (s *bucketStore) fail(op, key string, err error) error {
	if gcerrors.Code(err) == gcerrors.NotFound {
		return fmt.Errorf("blob: %s: %w", key, ErrNotFound)
	}
	return fmt.Errorf("blob: %s %s in %s: %w", op, key, s.name, Classify(err))
}

// quoteETag makes an entity tag as HTTP sends it, for services that answer without quotes.
func quoteETag(t string) string {
	if t == "" || strings.HasPrefix(t, `"`) || strings.HasPrefix(t, `W/"`) {
		return t
	}
	return strconv.Quote(t)
}

// rangeReader reads an object through ranged GETs. It opens one lazily where the last Seek
// left it, so the size probe of http.ServeContent (a Seek to the end and back) costs no
// request, and it asks for exactly the range a client wanted when one starts there, so a
// request for 100 bytes of a gigabyte reads 100 bytes. Every GET is pinned to the ETag the
// response announced (If-Match), so an object replaced meanwhile fails the read instead of
// mixing two versions in one response.
type rangeReader struct {
	ctx   context.Context
	b     *blob.Bucket
	attrs Attrs
	want  map[int64]int64 // start → length of the ranges a client asked for

	// mu guards what follows: for several ranges, ServeContent reads in a goroutine that
	// may still be running when it returns, if the client went away.
	mu     sync.Mutex
	closed bool
	pos    int64
	r      *blob.Reader // nil until the next Read
	end    int64        // where r stops
	err    error        // the first failure, for Serve to report
}

func (rr *rangeReader) Read(p []byte) (int, error) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	if rr.closed {
		return 0, os.ErrClosed
	}
	if rr.pos >= rr.attrs.Size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	if rr.r == nil {
		length, end := int64(-1), rr.attrs.Size
		if n, ok := rr.want[rr.pos]; ok && rr.pos+n < rr.attrs.Size {
			length, end = n, rr.pos+n
		}
		r, err := rr.b.NewRangeReader(rr.ctx, rr.attrs.Key, rr.pos, length, &blob.ReaderOptions{BeforeRead: rr.pin})
		if err != nil {
			return 0, rr.fail(err)
		}
		rr.r, rr.end = r, end
	}
	n, err := rr.r.Read(p)
	rr.pos += int64(n)
	if err == io.EOF {
		rr.r.Close()
		rr.r = nil
		switch {
		case rr.pos < rr.end:
			return n, rr.fail(io.ErrUnexpectedEOF)
		case rr.pos < rr.attrs.Size:
			err = nil // that range is done; the next Read goes on from here
		}
	}
	if err != nil && err != io.EOF {
		return n, rr.fail(err)
	}
	return n, err
}

func (rr *rangeReader) pin(as func(any) bool) error {
	var in *s3.GetObjectInput
	if as(&in) && rr.attrs.ETag != "" {
		in.IfMatch = aws.String(rr.attrs.ETag)
	}
	return nil
}

// failure is the first error a read met.
func (rr *rangeReader) failure() error {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	return rr.err
}

func (rr *rangeReader) fail(err error) error {
	if gcerrors.Code(err) == gcerrors.NotFound {
		err = fmt.Errorf("%w (%v)", ErrNotFound, err)
	}
	err = Classify(err)
	if rr.err == nil {
		rr.err = err
	}
	return err
}

func (rr *rangeReader) Seek(offset int64, whence int) (int64, error) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	pos := offset
	switch whence {
	case io.SeekCurrent:
		pos += rr.pos
	case io.SeekEnd:
		pos += rr.attrs.Size
	}
	if pos < 0 {
		return rr.pos, errors.New("blob: seek before the start")
	}
	if pos != rr.pos && rr.r != nil {
		rr.r.Close()
		rr.r = nil
	}
	rr.pos = pos
	return pos, nil
}

func (rr *rangeReader) Close() error {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	rr.closed = true
	if rr.r != nil {
		err := rr.r.Close()
		rr.r = nil
		return err
	}
	return nil
}

// requestedRanges reads a Range header as http.ServeContent will, to know how long a read
// starting at each range's first byte should be. It is only a hint: a header it cannot read,
// or a range ServeContent ignores (If-Range failed), costs a longer read, never a wrong answer.
func requestedRanges(h string, size int64) map[int64]int64 {
	spec, ok := strings.CutPrefix(h, "bytes=")
	if !ok || size <= 0 {
		return nil
	}
	want := map[int64]int64{}
	for part := range strings.SplitSeq(spec, ",") {
		first, last, ok := strings.Cut(strings.TrimSpace(part), "-")
		if !ok {
			continue
		}
		first, last = strings.TrimSpace(first), strings.TrimSpace(last)
		if first == "" {
			n, err := strconv.ParseInt(last, 10, 64)
			if err != nil || n <= 0 {
				continue
			}
			n = min(n, size)
			want[size-n] = max(want[size-n], n)
			continue
		}
		start, err := strconv.ParseInt(first, 10, 64)
		if err != nil || start < 0 || start >= size {
			continue
		}
		end := size - 1
		if last != "" {
			e, err := strconv.ParseInt(last, 10, 64)
			if err != nil || e < start {
				continue
			}
			end = min(e, size-1)
		}
		want[start] = max(want[start], end-start+1)
	}
	return want
}

// readerCtx stops a copy when ctx ends.
type readerCtx struct {
	ctx context.Context
	r   io.Reader
}

func (r readerCtx) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}
