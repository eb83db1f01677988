package upload

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/tus/tusd/v2/pkg/handler"
	"github.com/tus/tusd/v2/pkg/s3store"

	"sistercity/internal/blob"
)

// BucketPrefix is where unfinished uploads wait in the media bucket: each is an S3 multipart
// upload under BucketPrefix+ID with the objects ID.info (tusd's description), ID.part (a tail
// shorter than S3's smallest part) and, once attached, ID.done. No media key begins with it.
const BucketPrefix = "uploads/"

// maxInfoBytes bounds the .info object read when listing: tusd writes a few hundred bytes.
const maxInfoBytes = 64 << 10

// bucketSpace keeps unfinished uploads in an S3 bucket through tusd's S3 store: every replica
// sees the same uploads, so a PATCH may reach any of them.
type bucketSpace struct {
	s3     *s3.Client
	bucket string
	tmp    string
	files  s3store.S3Store
}

func newBucketSpace(client *s3.Client, bucket, tmp string) *bucketSpace {
	files := s3store.New(bucket, partsInOrder{client})
	files.ObjectPrefix = BucketPrefix
	// Parts are gathered on the local disk before they go to S3: there, not in /tmp, which
	// may be small or in memory.
	files.TemporaryDirectory = tmp
	// A replica killed mid-part loses what it had gathered of the part; smaller parts lose less
	// and keep less on the disk (S3's smallest is 5 MiB, the default preference 50 MiB).
	files.PreferredPartSize = 16 << 20
	files.MaxBufferedParts = 4
	return &bucketSpace{s3: client, bucket: bucket, tmp: tmp, files: files}
}

// partsInOrder is the S3 client of tusd's store, with one guard: ListParts shows the parts up
// to the first missing number only. tusd sends a PATCH's parts side by side; when S3 fails one
// of them (it died or restarted meanwhile) but not a later one, the bucket holds a part after a
// gap, which tusd would count into the offset, and the file would come out with a hole. Hidden,
// the stray part is overwritten by the resent bytes (they take its number) or left out of the
// completed object, which lists its parts.
type partsInOrder struct{ *s3.Client }

func (c partsInOrder) ListParts(ctx context.Context, in *s3.ListPartsInput, opts ...func(*s3.Options)) (*s3.ListPartsOutput, error) {
	out, err := c.Client.ListParts(ctx, in, opts...)
	if err != nil {
		return out, err
	}
	next := int32(1)
	if m := aws.ToString(in.PartNumberMarker); m != "" {
		n, err := strconv.ParseInt(m, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("upload: part number marker %q: %w", m, err)
		}
		next = int32(n) + 1
	}
	for i, p := range out.Parts {
		if aws.ToInt32(p.PartNumber) != next {
			out.Parts, out.IsTruncated = out.Parts[:i], aws.Bool(false)
			break
		}
		next++
	}
	return out, nil
}

func (b *bucketSpace) store() handler.DataStore                { return b.files }
func (b *bucketSpace) terminater() handler.TerminaterDataStore { return b.files }

func (b *bucketSpace) prepare(context.Context) error {
	if err := os.MkdirAll(b.tmp, 0o750); err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	return nil
}

// objectID is the part of an upload's ID before the multipart upload's: the name of its
// objects in the bucket.
func objectID(id string) string {
	obj, _, _ := strings.Cut(id, "+")
	return obj
}

func (b *bucketSpace) key(name string) *string { return aws.String(BucketPrefix + name) }

func (b *bucketSpace) ids(ctx context.Context) ([]string, error) {
	var out []string
	p := s3.NewListObjectsV2Paginator(b.s3, &s3.ListObjectsV2Input{Bucket: aws.String(b.bucket), Prefix: aws.String(BucketPrefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("upload: list the uploads in the bucket: %w", blob.Classify(err))
		}
		for _, o := range page.Contents {
			name, ok := strings.CutSuffix(strings.TrimPrefix(aws.ToString(o.Key), BucketPrefix), ".info")
			if !ok || !diskID.MatchString(name) {
				continue
			}
			// The full ID (with the multipart upload's) is only in the description.
			id, err := b.infoID(ctx, name)
			if errors.Is(err, handler.ErrNotFound) {
				continue // finished or deleted meanwhile
			}
			if err != nil {
				return nil, err
			}
			if s3ID.MatchString(id) && objectID(id) == name {
				out = append(out, id)
			}
		}
	}
	return out, nil
}

func (b *bucketSpace) infoID(ctx context.Context, name string) (string, error) {
	res, err := b.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.bucket), Key: b.key(name + ".info")})
	if err != nil {
		if notFound(err) {
			return "", handler.ErrNotFound
		}
		return "", fmt.Errorf("upload: read %s.info: %w", name, blob.Classify(err))
	}
	defer res.Body.Close()
	var info handler.FileInfo
	if err := json.NewDecoder(io.LimitReader(res.Body, maxInfoBytes)).Decode(&info); err != nil {
		return "", fmt.Errorf("upload: read %s.info: %w", name, blob.Classify(err))
	}
	return info.ID, nil
}

// touched is the latest of the description's time, the parts' and the tail's: what the
// bucket knows of the last byte, whichever replica wrote it.
func (b *bucketSpace) touched(ctx context.Context, info handler.FileInfo) (time.Time, error) {
	obj := objectID(info.ID)
	_, multipart, _ := strings.Cut(info.ID, "+")
	var last time.Time
	later := func(t *time.Time) {
		if t != nil && t.After(last) {
			last = *t
		}
	}
	for _, name := range []string{obj + ".info", obj + ".part"} {
		res, err := b.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b.bucket), Key: b.key(name)})
		if err != nil {
			if notFound(err) {
				continue
			}
			return time.Time{}, fmt.Errorf("upload: %s: %w", name, blob.Classify(err))
		}
		later(res.LastModified)
	}
	p := s3.NewListPartsPaginator(b.s3, &s3.ListPartsInput{Bucket: aws.String(b.bucket), Key: b.key(obj), UploadId: aws.String(multipart)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			if notFound(err) {
				break // completed: the object's description counts
			}
			return time.Time{}, fmt.Errorf("upload: parts of %s: %w", obj, blob.Classify(err))
		}
		for _, part := range page.Parts {
			later(part.LastModified)
		}
	}
	if last.IsZero() {
		return last, handler.ErrNotFound
	}
	return last, nil
}

// open reads a finished upload. A replica killed between the last part and the completion of
// the multipart upload leaves every byte in parts: it is completed here.
func (b *bucketSpace) open(ctx context.Context, info handler.FileInfo) (io.ReadCloser, error) {
	u, err := b.files.GetUpload(ctx, info.ID)
	if err != nil {
		return nil, err
	}
	r, err := u.GetReader(ctx)
	if err == nil || errors.Is(err, handler.ErrNotFound) {
		return r, err
	}
	if ferr := u.FinishUpload(ctx); ferr != nil {
		return nil, fmt.Errorf("upload: complete the multipart upload of %s: %w (reading: %w)", info.ID, ferr, err)
	}
	return u.GetReader(ctx)
}

func (b *bucketSpace) markDone(ctx context.Context, id string, size int64) error {
	_, err := b.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b.bucket), Key: b.key(objectID(id) + ".done"),
		Body: strings.NewReader(strconv.FormatInt(size, 10))})
	if err != nil {
		return fmt.Errorf("upload: mark %s done: %w", id, blob.Classify(err))
	}
	return nil
}

func (b *bucketSpace) doneSize(ctx context.Context, id string) (string, bool) {
	res, err := b.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.bucket), Key: b.key(objectID(id) + ".done")})
	if err != nil {
		return "", false
	}
	defer res.Body.Close()
	v, err := io.ReadAll(io.LimitReader(res.Body, 32))
	if err != nil {
		return "", false
	}
	s := strings.TrimSpace(string(v))
	if _, err := strconv.ParseInt(s, 10, 64); err != nil {
		return "", false
	}
	return s, true
}

// sweepMarks deletes the completion marks older than cutoff, and aborts the multipart uploads
// older than cutoff that have no description (a creation that crashed half-way): no one can
// continue them.
func (b *bucketSpace) sweepMarks(ctx context.Context, cutoff time.Time) error {
	var errs []error
	described := map[string]bool{}
	p := s3.NewListObjectsV2Paginator(b.s3, &s3.ListObjectsV2Input{Bucket: aws.String(b.bucket), Prefix: aws.String(BucketPrefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("upload: list the uploads in the bucket: %w", blob.Classify(err))
		}
		for _, o := range page.Contents {
			name := strings.TrimPrefix(aws.ToString(o.Key), BucketPrefix)
			if obj, ok := strings.CutSuffix(name, ".info"); ok {
				described[obj] = true
			}
			if obj, ok := strings.CutSuffix(name, ".done"); ok && diskID.MatchString(obj) && o.LastModified != nil && o.LastModified.Before(cutoff) {
				if _, err := b.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b.bucket), Key: o.Key}); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	mp := s3.NewListMultipartUploadsPaginator(b.s3, &s3.ListMultipartUploadsInput{Bucket: aws.String(b.bucket), Prefix: aws.String(BucketPrefix)})
	for mp.HasMorePages() {
		page, err := mp.NextPage(ctx)
		if err != nil {
			return errors.Join(append(errs, fmt.Errorf("upload: list the multipart uploads: %w", blob.Classify(err)))...)
		}
		for _, u := range page.Uploads {
			obj := strings.TrimPrefix(aws.ToString(u.Key), BucketPrefix)
			if !diskID.MatchString(obj) || described[obj] || u.Initiated == nil || !u.Initiated.Before(cutoff) {
				continue
			}
			if _, err := b.s3.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(b.bucket), Key: u.Key, UploadId: u.UploadId}); err != nil && !notFound(err) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// free: the bucket is bounded by the quota only.
func (b *bucketSpace) free() (int64, bool) { return 0, false }

// notFound tells S3's "no such key" and "no such upload" (which the SDK does not always type).
func notFound(err error) bool {
	var nk *types.NoSuchKey
	var nu *types.NoSuchUpload
	var nf *types.NotFound
	if errors.As(err, &nk) || errors.As(err, &nu) || errors.As(err, &nf) {
		return true
	}
	var api interface{ ErrorCode() string }
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "NoSuchKey", "NoSuchUpload", "NotFound":
			return true
		}
	}
	return false
}
