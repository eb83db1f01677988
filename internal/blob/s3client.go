package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"syscall"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	gcaws "gocloud.dev/aws"
	"gocloud.dev/blob"
	"gocloud.dev/blob/s3blob"
)

// Bounds of one exchange with S3. The SDK's default client waits for an answer as long as the
// server keeps the connection, so a stopped server (or one behind a dropped route) would hold
// a request, an upload or a job forever. A PUT's answer comes once its body is sent, so a
// minute is generous; but a server answers the completion of a multipart upload, or a copy,
// only once it has assembled the object, which takes a while for many GiB on some servers
// (versitygw, MinIO): those get s3SlowAnswerTimeout.
const (
	s3DialTimeout           = 10 * time.Second
	s3TLSHandshakeTimeout   = 10 * time.Second
	s3ResponseHeaderTimeout = time.Minute
	s3SlowAnswerTimeout     = 15 * time.Minute
)

// s3HTTP sends S3's requests with the bounds above, by the kind of request.
type s3HTTP struct{ quick, slow *awshttp.BuildableClient }

func newS3HTTP(quick, slow time.Duration) s3HTTP {
	client := func(answer time.Duration) *awshttp.BuildableClient {
		return awshttp.NewBuildableClient().WithDialerOptions(func(d *net.Dialer) {
			d.Timeout = s3DialTimeout
		}).WithTransportOptions(func(t *http.Transport) {
			t.TLSHandshakeTimeout = s3TLSHandshakeTimeout
			t.ResponseHeaderTimeout = answer
		})
	}
	return s3HTTP{quick: client(quick), slow: client(slow)}
}

func (c s3HTTP) Do(r *http.Request) (*http.Response, error) {
	if slowAnswer(r) {
		return c.slow.Do(r)
	}
	return c.quick.Do(r)
}

// slowAnswer tells the requests answered once the object is assembled: CompleteMultipartUpload
// (POST …?uploadId=) and the copies (CopyObject, UploadPartCopy: x-amz-copy-source).
func slowAnswer(r *http.Request) bool {
	return (r.Method == http.MethodPost && r.URL.Query().Has("uploadId")) || r.Header.Get("X-Amz-Copy-Source") != ""
}

// ErrUnavailable marks a failure to reach the object storage, or a server error it answered:
// nothing the request did wrong, and the same request may well succeed in a while.
var ErrUnavailable = errors.New("storage unavailable")

// Classify wraps err with ErrUnavailable when it says that S3 could not be reached (refused,
// reset, timed out, cut off mid-answer) or answered with a server error (5xx); other errors,
// nil and a cancelled context come back as they are.
func Classify(err error) error {
	if err == nil || errors.Is(err, ErrUnavailable) || errors.Is(err, context.Canceled) {
		return err
	}
	if unreachable(err) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

func unreachable(err error) bool {
	// A request that was never answered is a ResponseError too, with status 0.
	var resp *smithyhttp.ResponseError
	if errors.As(err, &resp) && resp.HTTPStatusCode() != 0 {
		return resp.HTTPStatusCode() >= 500
	}
	var send *smithyhttp.RequestSendError
	var op *net.OpError
	var dns *net.DNSError
	var timeout interface{ Timeout() bool }
	switch {
	case errors.As(err, &send), errors.As(err, &op), errors.As(err, &dns):
		return true
	case errors.As(err, &timeout) && timeout.Timeout():
		return true
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	}
	return false
}

// openS3Bucket opens the bucket u names with an S3 client whose exchanges are bounded (see
// s3DialTimeout). It reads the parameters of s3blob's URLs that Open documents; the rest go to
// gocloud.dev/aws, which refuses what it does not know.
func openS3Bucket(ctx context.Context, u *url.URL) (*blob.Bucket, error) {
	q := u.Query()
	var opts []func(*s3.Options)
	var bo s3blob.Options
	for _, key := range []string{"use_path_style", "s3ForcePathStyle", "disable_https", "accelerate"} {
		raw := q.Get(key)
		if raw == "" {
			continue
		}
		q.Del(key)
		on, err := strconv.ParseBool(raw)
		if err != nil {
			return nil, fmt.Errorf("%s=%q: want true or false", key, raw)
		}
		switch key {
		case "use_path_style", "s3ForcePathStyle":
			opts = append(opts, func(o *s3.Options) { o.UsePathStyle = on })
		case "disable_https":
			opts = append(opts, func(o *s3.Options) { o.EndpointOptions.DisableHTTPS = on })
		case "accelerate":
			opts = append(opts, func(o *s3.Options) { o.UseAccelerate = on })
		}
	}
	if v := q.Get("ssetype"); v != "" {
		q.Del("ssetype")
		bo.EncryptionType = types.ServerSideEncryption(v)
		if !isKnown(bo.EncryptionType) {
			return nil, fmt.Errorf("ssetype=%q: not one of %v", v, types.ServerSideEncryptionAes256.Values())
		}
	}
	if v := q.Get("kmskeyid"); v != "" {
		q.Del("kmskeyid")
		bo.KMSEncryptionID = v
	}
	cfg, err := gcaws.V2ConfigFromURLParams(ctx, q)
	if err != nil {
		return nil, err
	}
	cfg.HTTPClient = newS3HTTP(s3ResponseHeaderTimeout, s3SlowAnswerTimeout)
	bo.RequestChecksumCalculation = cfg.RequestChecksumCalculation
	return s3blob.OpenBucket(ctx, s3.NewFromConfig(cfg, opts...), u.Host, &bo)
}

func isKnown(t types.ServerSideEncryption) bool {
	for _, v := range t.Values() {
		if v == t {
			return true
		}
	}
	return false
}
