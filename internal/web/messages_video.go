package web

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tus/tusd/v2/pkg/handler"

	"sistercity/internal/db"
	"sistercity/internal/media"
	"sistercity/internal/messages"
	"sistercity/internal/problem"
	"sistercity/internal/upload"
	"sistercity/internal/video"
)

// Video messages: the sender of a message that is to carry a video uploads it through the
// admin's resumable upload (package upload), here mounted under the call's pages so that the
// page's CSRF cookie goes with it. The creation is allowed by a capability that names the one
// message (messages.AddVideo), spent as the upload begins; the upload's own unguessable ID then
// carries the rest of it. The video is processed like any other, and shown with the message
// once approved.

// messageUploads matches the path of the public upload endpoint; its chunks are uploads, not
// forms (see tusChunk).
var messageUploads = regexp.MustCompile(`^/[a-z]{2,3}/messages/[0-9]+/uploads/`)

// uploadTokenMeta is the upload's metadata key that carries the capability.
const uploadTokenMeta = "token"

func (s *Server) messageVideoRoutes(lang string) []route {
	prefix := "/" + lang + "/messages/{id}"
	return []route{
		{"GET " + prefix + "/videos/{msg}", "", s.messageVideo},
		{"POST " + prefix + "/uploads/{$}", "", s.messageUploadCreate},
		{"HEAD " + prefix + "/uploads/{upload}", "", s.messageUpload},
		{"PATCH " + prefix + "/uploads/{upload}", "", s.messageUpload},
		{"DELETE " + prefix + "/uploads/{upload}", "", s.messageUpload},
	}
}

// uploadWriter rewrites the Location of a new upload from the admin's endpoint to the call's,
// and remembers the status.
type uploadWriter struct {
	http.ResponseWriter
	base   string
	status int
}

func (w *uploadWriter) WriteHeader(code int) {
	if loc := w.Header().Get("Location"); loc != "" {
		if i := strings.Index(loc, uploadsPath); i >= 0 {
			w.Header().Set("Location", w.base+loc[i+len(uploadsPath):])
		}
	}
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *uploadWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// forwardUpload serves r by the upload handler as the admin's endpoint would, at path
// ("" to create, the upload's ID otherwise).
func (s *Server) forwardUpload(w http.ResponseWriter, r *http.Request, path string) int {
	base := strings.TrimSuffix(r.URL.Path, r.PathValue("upload"))
	r2 := r.Clone(r.Context())
	r2.URL.Path, r2.URL.RawPath = "/"+path, ""
	uw := &uploadWriter{ResponseWriter: w, base: base}
	s.uploads.ServeHTTP(uw, r2)
	return uw.status
}

// uploadRefusal answers a refused tus request as the upload handler does: plain text in the
// request's language.
func (s *Server) uploadRefusal(w http.ResponseWriter, r *http.Request, pe *problem.Error) {
	l := s.cat.Localizer(s.langOf(r))
	w.Header().Set("Tus-Resumable", "1.0.0")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(pe.Status)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(l.Msg(pe.Msg)))
	}
}

// messageUploadCreate begins the upload of a message's video: the capability in the upload's
// metadata names the message, whose call bounds the size. The capability is spent here; if the
// upload is refused after all, it is given back.
func (s *Server) messageUploadCreate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	callID, _ := pathID(r, "id")
	meta := handler.ParseMetadataHeader(r.Header.Get("Upload-Metadata"))
	token := meta[uploadTokenMeta]
	m, err := messages.ByUploadToken(ctx, s.db.R, token)
	if errors.Is(err, db.ErrNotFound) || err == nil && (m.CallID != callID || m.VideoID == 0) {
		s.uploadRefusal(w, r, problem.New(http.StatusForbidden, "messages2.error.upload_token"))
		return
	}
	if err != nil {
		s.log.Error("message upload", "err", err)
		s.uploadRefusal(w, r, problem.New(http.StatusInternalServerError, "error.internal"))
		return
	}
	c, err := messages.GetCall(ctx, s.db.R, callID)
	if err != nil {
		s.uploadRefusal(w, r, problem.New(http.StatusNotFound, "messages.error.unknown_call"))
		return
	}
	size, err := strconv.ParseInt(r.Header.Get("Upload-Length"), 10, 64)
	if err == nil && size > c.MaxVideoBytes {
		s.uploadRefusal(w, r, problem.New(http.StatusRequestEntityTooLarge, "messages2.error.video_large",
			"size", upload.Size(c.MaxVideoBytes)))
		return
	}
	name := meta[upload.MetaFilename]
	if name == "" {
		name = "video"
	}
	// The capability's hash goes with the upload: a file refused once complete
	// (checkMessageUpload) gives it back, and the sender may choose another.
	r.Header.Set("Upload-Metadata", handler.SerializeMetadataHeader(map[string]string{
		upload.MetaVideo: strconv.FormatInt(m.VideoID, 10), upload.MetaFilename: name, upload.MetaCheck: messages.UploadTokenHash(token)}))
	if err := s.db.InTx(ctx, func(tx *sql.Tx) error { return messages.SpendUploadToken(ctx, tx, m.ID) }); err != nil {
		s.log.Error("message upload: spend token", "err", err)
		s.uploadRefusal(w, r, problem.New(http.StatusInternalServerError, "error.internal"))
		return
	}
	if status := s.forwardUpload(w, r, ""); status != http.StatusCreated {
		// Refused (too large for the space, a bad header): the sender may try again.
		if err := s.db.InTx(context.WithoutCancel(ctx), func(tx *sql.Tx) error { return messages.RestoreUploadToken(ctx, tx, m.ID, token) }); err != nil {
			s.log.Error("message upload: restore token", "err", err)
		}
	}
}

// checkMessageUpload judges a finished upload before it is attached (upload.Options.Check):
// the source of a message's video must be a video, no longer than its call allows. A refused
// file is deleted by the upload handler, and the message's capability (hash) given back so
// that the sender may choose another; the sender hears why in their language. The sources of
// other videos pass.
func messageUploadCheck(d *db.DB, tmpRoot string) func(ctx context.Context, vid int64, hash string, open func() (io.ReadCloser, error)) error {
	return func(ctx context.Context, vid int64, hash string, open func() (io.ReadCloser, error)) error {
		return checkMessageUpload(ctx, d, tmpRoot, vid, hash, open)
	}
}

func checkMessageUpload(ctx context.Context, d *db.DB, tmpRoot string, vid int64, hash string, open func() (io.ReadCloser, error)) error {
	m, err := messages.ByVideo(ctx, d.R, vid)
	if errors.Is(err, db.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	c, err := messages.GetCall(ctx, d.R, m.CallID)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(tmpRoot, 0o750); err != nil {
		return err
	}
	f, err := os.CreateTemp(tmpRoot, "message-"+strconv.FormatInt(m.ID, 10)+"-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	err = copyUpload(f, open, c.MaxVideoBytes)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	info, err := media.Probe(ctx, f.Name())
	if err == nil {
		err = info.Check(media.Limits{})
	}
	var refusal *problem.Error
	var me *media.Error
	switch {
	case errors.As(err, &me):
		refusal = problem.New(http.StatusUnprocessableEntity, "messages3.error.not_video")
	case err != nil:
		return err
	case info.Duration > c.MaxVideoDuration():
		refusal = problem.New(http.StatusUnprocessableEntity, "messages3.error.video_long",
			"time", int((info.Duration+time.Second-1)/time.Second), "seconds", c.MaxVideoSeconds)
	default:
		return nil
	}
	if hash != "" {
		if err := d.InTx(ctx, func(tx *sql.Tx) error { return messages.RestoreUploadHash(ctx, tx, m.ID, hash) }); err != nil {
			return err
		}
	}
	return refusal
}

// copyUpload copies the finished upload open reads into f, at most limit bytes (the call's
// size, checked when the upload began).
func copyUpload(f *os.File, open func() (io.ReadCloser, error), limit int64) error {
	rc, err := open()
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = io.Copy(f, io.LimitReader(rc, limit))
	return err
}

// messageUpload serves the rest of an upload of a message's video of the path's call.
func (s *Server) messageUpload(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	callID, _ := pathID(r, "id")
	id := r.PathValue("upload")
	vid, err := s.uploads.VideoOf(ctx, id)
	if err != nil {
		if r.Method == http.MethodHead && errors.Is(err, handler.ErrNotFound) {
			s.forwardUpload(w, r, id) // a finished upload says so
			return
		}
		s.uploadRefusal(w, r, problem.New(http.StatusNotFound, "upload.error.not_found"))
		return
	}
	m, err := messages.ByVideo(ctx, s.db.R, vid)
	if err != nil || m.CallID != callID {
		s.uploadRefusal(w, r, problem.New(http.StatusNotFound, "upload.error.not_found"))
		return
	}
	s.forwardUpload(w, r, id)
}

// messageVideo serves the video of an approved message whose sender agreed to publication:
// its default rendition.
func (s *Server) messageVideo(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, ok := pathID(r, "msg")
	if !ok {
		s.notFound(w, r)
		return
	}
	m, err := messages.GetMessage(ctx, s.db.R, id)
	callID, _ := pathID(r, "id")
	if errors.Is(err, db.ErrNotFound) || err == nil && (m.CallID != callID || m.Status != messages.StatusApproved ||
		!m.Gave(messages.PurposePublish) || m.VideoID == 0) {
		s.notFound(w, r)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.serveMessageVideo(w, r, m.VideoID, "public, max-age=300")
}

// serveMessageVideo serves the default rendition of video vid.
func (s *Server) serveMessageVideo(w http.ResponseWriter, r *http.Request, vid int64, cache string) {
	v, err := video.Get(r.Context(), s.db.R, vid)
	if errors.Is(err, db.ErrNotFound) || err == nil && !v.Processed() {
		s.notFound(w, r)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", cache)
	if err := s.docs.Serve(w, r, v.Default().Key, "video/mp4"); err != nil {
		s.fail(w, r, err)
	}
}

// dropLeftovers deletes the files a message no longer keeps; a failure is logged (nothing
// refers to them any more, so they are never served again).
func (s *Server) dropLeftovers(ctx context.Context, left messages.Leftovers) {
	s.deletePhoto(ctx, left.PhotoKey)
	if left.VideoID != 0 {
		if err := video.DeleteFiles(context.WithoutCancel(ctx), s.docs, left.VideoID); err != nil {
			s.log.Error("delete message video", "video", left.VideoID, "err", err)
		}
	}
}

// videoURL is the path of a message's video under the call's URL.
func videoURL(callURL string, m *messages.Message) string {
	return fmt.Sprintf("%s/videos/%d", callURL, m.ID)
}

// messageVideoText is the state of a message's video in the reader's language.
func messageVideoText(p *page, v *video.Video) string {
	switch {
	case v.SourceKey == "" && v.Processing != video.ProcFailed:
		return p.L.T("messages2.video.awaiting")
	case v.Processing == video.ProcFailed:
		return p.L.T("messages2.video.failed")
	case v.Processed():
		return p.L.T("messages2.video.ready")
	}
	return p.L.T("messages2.video.processing")
}
