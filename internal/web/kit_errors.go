package web

import (
	"errors"
	"net/http"

	"sistercity/internal/blob"
	"sistercity/internal/db"
	"sistercity/internal/i18n"
	"sistercity/internal/problem"
	"sistercity/internal/track"
	"sistercity/internal/video"
)

// The one way an error becomes an HTTP answer: handlers return or pass on the domain's errors
// as they are, and classify turns them into a status and a catalog message; fail renders that
// as a page, failJSON as JSON.

// fail renders err as an error page in the request's language, with the fitting status. Only
// messages from the catalog reach the reader; the cause goes to the log.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if clientGone(r) { // nobody to answer: a 499 in the log, not an error
		s.log.Debug("client closed the request", "path", r.URL.Path, "err", err)
		w.WriteHeader(statusClientClosed)
		return
	}
	status, msg := classify(err)
	if status >= 500 {
		s.log.Error("request failed", "path", r.URL.Path, "err", err)
	}
	retryStorage(w, err)
	p := s.newPage(r, s.langOf(r), "")
	if status == http.StatusNotFound && !p.Admin {
		// The public site's own page: it says the page is not there, in the visitor's
		// language, and offers a search and the ways back in.
		p.Title = p.L.T("face.notfound.title")
		p.Description = p.L.T("face.meta.notfound")
		p.Data = p.L.Msg(msg)
		s.render(w, r, status, "notfound", p)
		return
	}
	p.Title = p.L.T("error.title")
	p.Data = p.L.Msg(msg)
	s.render(w, r, status, "error", p)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.fail(w, r, problem.New(http.StatusNotFound, "error.not_found"))
}

// badRequest is a request no form of ours sends: a missing or malformed field.
func badRequest() error { return problem.BadRequest("error.bad_request") }

// classify is the status and the catalog message a person reads for err: a *problem.Error says
// both itself; a record that is not there is a 404, a conflict of versions (db.ErrStale) a 409,
// a workflow step the state does not allow a 409, a track blocked by its validation errors a
// 422, invalid fields a 422 naming the first, media storage that cannot be reached a 503;
// anything else is our fault, a 500.
func classify(err error) (int, i18n.Msg) {
	var pe *problem.Error
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &pe):
		return pe.Status, pe.Msg
	case errors.Is(err, blob.ErrUnavailable): // before isTimeout: S3's timeouts are not the client's
		return http.StatusServiceUnavailable, i18n.M("error.storage_unavailable")
	case errors.As(err, &tooBig):
		return http.StatusRequestEntityTooLarge, i18n.M("error.too_large")
	case isTimeout(err): // a body that came too slowly (limits.go)
		return http.StatusRequestTimeout, i18n.M("limits.timeout")
	case isNotFound(err):
		return http.StatusNotFound, i18n.M("error.not_found")
	case errors.Is(err, track.ErrStale):
		return http.StatusConflict, i18n.M("tracks.error.stale")
	case isStale(err):
		return http.StatusConflict, i18n.M("error.conflict")
	case errors.Is(err, track.ErrTransition), errors.Is(err, track.ErrNotEditable):
		return http.StatusConflict, i18n.M("tracks.error.transition")
	case errors.Is(err, track.ErrBlocked):
		return http.StatusUnprocessableEntity, i18n.M("tracks.error.blocked")
	case errors.Is(err, video.ErrTransition):
		return http.StatusConflict, i18n.M("video.error.transition")
	}
	if f, ok := problem.AsFields(err); ok && len(f) > 0 {
		return http.StatusUnprocessableEntity, f[0].Msg
	}
	return http.StatusInternalServerError, i18n.M("error.internal")
}

// StorageRetryAfter is the Retry-After, in seconds, of a 503 for media storage that cannot be
// reached: a restarted S3 service is usually back within it.
const StorageRetryAfter = "30"

// retryStorage sets Retry-After when err is media storage that cannot be reached.
func retryStorage(w http.ResponseWriter, err error) {
	if errors.Is(err, blob.ErrUnavailable) {
		w.Header().Set("Retry-After", StorageRetryAfter)
	}
}

// isNotFound tells whether err says that a record does not exist.
func isNotFound(err error) bool { return errors.Is(err, db.ErrNotFound) }

// isStale tells whether err is a conflict of versions: the record changed since the form was
// filled, in whichever package.
func isStale(err error) bool { return errors.Is(err, db.ErrStale) }
