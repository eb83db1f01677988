package upload

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/tus/tusd/v2/pkg/handler"

	"sistercity/internal/blob"
	"sistercity/internal/i18n"
)

// storageRetryAfter is the Retry-After, in seconds, of an upload request refused because the
// bucket cannot be reached.
const storageRetryAfter = "30"

// localizerKey carries a function giving the request's Localizer to faultStore through tusd,
// which hands the request's context to the store.
type localizerKey struct{}

// faultStore is tusd's store with its failures to reach the bucket answered 503 with a
// Retry-After, in the client's language, rather than tusd's 500: a tus client retries a 5xx,
// asks HEAD for the offset, and goes on from what the bucket holds once it is back. Nothing
// else changes.
type faultStore struct {
	inner handler.DataStore
	term  handler.TerminaterDataStore
}

func (f faultStore) NewUpload(ctx context.Context, info handler.FileInfo) (handler.Upload, error) {
	u, err := f.inner.NewUpload(ctx, info)
	if err != nil {
		return nil, storageFault(ctx, err)
	}
	return faultUpload{u, f.term}, nil
}

func (f faultStore) GetUpload(ctx context.Context, id string) (handler.Upload, error) {
	u, err := f.inner.GetUpload(ctx, id)
	if err != nil {
		return nil, storageFault(ctx, err)
	}
	return faultUpload{u, f.term}, nil
}

func (f faultStore) AsTerminatableUpload(u handler.Upload) handler.TerminatableUpload {
	fu := u.(faultUpload)
	return faultTerminatable{f.term.AsTerminatableUpload(fu.inner)}
}

type faultUpload struct {
	inner handler.Upload
	term  handler.TerminaterDataStore
}

func (u faultUpload) WriteChunk(ctx context.Context, offset int64, src io.Reader) (int64, error) {
	n, err := u.inner.WriteChunk(ctx, offset, src)
	return n, storageFault(ctx, err)
}

func (u faultUpload) GetInfo(ctx context.Context) (handler.FileInfo, error) {
	info, err := u.inner.GetInfo(ctx)
	return info, storageFault(ctx, err)
}

func (u faultUpload) GetReader(ctx context.Context) (io.ReadCloser, error) {
	r, err := u.inner.GetReader(ctx)
	return r, storageFault(ctx, err)
}

func (u faultUpload) FinishUpload(ctx context.Context) error {
	return storageFault(ctx, u.inner.FinishUpload(ctx))
}

type faultTerminatable struct{ inner handler.TerminatableUpload }

func (t faultTerminatable) Terminate(ctx context.Context) error {
	return storageFault(ctx, t.inner.Terminate(ctx))
}

// storageFault turns err, when it says the bucket cannot be reached, into the tusd error that
// answers it (which still wraps err for the logs and errors.Is); other errors pass unchanged.
func storageFault(ctx context.Context, err error) error {
	err = blob.Classify(err)
	if !errors.Is(err, blob.ErrUnavailable) {
		return err
	}
	msg, lang := "storage unavailable", ""
	if localize, ok := ctx.Value(localizerKey{}).(func() *i18n.Localizer); ok {
		l := localize()
		msg, lang = l.T("error.storage_unavailable"), l.Lang
	}
	te := handler.NewError("ERR_STORAGE_UNAVAILABLE", msg, http.StatusServiceUnavailable)
	te.HTTPResponse.Body = msg
	if lang != "" {
		te.HTTPResponse.Header["Content-Language"] = lang
	}
	te.HTTPResponse.Header["Retry-After"] = storageRetryAfter
	te.HTTPResponse.Header["Cache-Control"] = "no-store"
	return errors.Join(te, err)
}
