package web

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"strings"

	"sistercity/internal/auth"
	"sistercity/internal/exchange"
	"sistercity/internal/i18n"
	"sistercity/internal/problem"
)

// minutesUpload stores a file for an activity — minutes, a programme, photographs — the way
// documentUpload does for a partnership: the same accepted types checked against the content,
// the bytes first and the record after, in one transaction with the audit entry, the bytes
// removed again when the transaction fails.
func (s *Server) minutesUpload(w http.ResponseWriter, r *http.Request) {
	stored, ok := s.loadActivity(w, r)
	if !ok {
		return
	}
	view := activityView{stored: stored, doc: documentForm{Title: formValue(r, "title")}}
	refuse := func(status int, errs problem.Fields) {
		s.renderActivity(w, r, status, activityFormOf(stored), view, errs, "")
	}
	one := func(key string) problem.Fields { return problem.Fields{{Field: "doc_file", Msg: i18n.M(key)}} }
	var errs problem.Fields
	if view.doc.Title == "" {
		errs.Add("doc_title", "validation.required")
	}
	exchange.CheckText(&errs, "doc_title", view.doc.Title, maxDocTitle)
	if r.MultipartForm == nil || len(r.MultipartForm.File["file"]) == 0 {
		errs.Add("doc_file", "validation.required")
	}
	if len(errs) > 0 {
		refuse(http.StatusUnprocessableEntity, errs)
		return
	}
	fh := r.MultipartForm.File["file"][0]
	name := safeFilename(fh.Filename)
	want, known := documentTypes[strings.ToLower(path.Ext(name))]
	switch {
	case fh.Size == 0:
		refuse(http.StatusUnprocessableEntity, one("validation.file_empty"))
		return
	case fh.Size > s.cfg.MaxDocumentBytes:
		refuse(http.StatusRequestEntityTooLarge, one("error.too_large"))
		return
	case !known:
		refuse(http.StatusUnsupportedMediaType, one("validation.file_type"))
		return
	}
	file, err := fh.Open()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer file.Close()
	head := make([]byte, 512)
	n, err := io.ReadFull(file, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		s.fail(w, r, err)
		return
	}
	if got, _, _ := mime.ParseMediaType(http.DetectContentType(head[:n])); got != want {
		refuse(http.StatusUnsupportedMediaType, one("validation.file_type"))
		return
	}
	if _, err := file.Seek(0, io.SeekStart); err != nil {
		s.fail(w, r, err)
		return
	}
	d := &exchange.Document{Title: view.doc.Title, Filename: name, ContentType: want,
		StorageKey: fmt.Sprintf("activities/%d/%s", stored.ID, randomHex(16))}
	ctx := r.Context()
	sum := &countingHash{h: sha256.New()}
	if err := s.docs.Put(ctx, d.StorageKey, io.TeeReader(file, sum)); err != nil {
		s.fail(w, r, fmt.Errorf("web: store minutes: %w", err))
		return
	}
	d.Size, d.SHA256 = sum.n, hex.EncodeToString(sum.h.Sum(nil))
	u := userFrom(r)
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := exchange.AddDocument(ctx, tx, stored.ID, d, u.ID); err != nil {
			return err
		}
		return auth.Audit(ctx, tx, u, "create", "activity_document", d.ID, nil, minutesRecord{stored.ID, d})
	})
	if err != nil {
		s.deleteBlobs(r, d.StorageKey)
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/activities/%d?notice=uploaded#minutes", stored.ID), http.StatusSeeOther)
}

// minutesRecord is an activity's document as the audit log keeps it: with its activity.
type minutesRecord struct {
	ActivityID int64 `json:"activity_id"`
	*exchange.Document
}

func (s *Server) minutesDownload(w http.ResponseWriter, r *http.Request) {
	aid, ok1 := pathID(r, "id")
	id, ok2 := pathID(r, "doc")
	if !ok1 || !ok2 {
		s.notFound(w, r)
		return
	}
	d, err := exchange.GetDocument(r.Context(), s.db.R, aid, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.sendAttachment(w, r, d.StorageKey, d.ContentType, d.Filename, d.UploadedAt)
}

func (s *Server) minutesDelete(w http.ResponseWriter, r *http.Request) {
	aid, ok1 := pathID(r, "id")
	id, ok2 := pathID(r, "doc")
	if !ok1 || !ok2 {
		s.notFound(w, r)
		return
	}
	ctx := r.Context()
	var key string
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		d, err := exchange.GetDocument(ctx, tx, aid, id)
		if err != nil {
			return err
		}
		key = d.StorageKey
		if err := exchange.DeleteDocument(ctx, tx, aid, id); err != nil {
			return err
		}
		return auth.Audit(ctx, tx, userFrom(r), "delete", "activity_document", id, minutesRecord{aid, d}, nil)
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.deleteBlobs(r, key)
	http.Redirect(w, r, fmt.Sprintf("/admin/activities/%d?notice=deleted#minutes", aid), http.StatusSeeOther)
}
