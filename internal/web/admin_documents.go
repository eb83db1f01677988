package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"sistercity/internal/auth"
	"sistercity/internal/blob"
	"sistercity/internal/i18n"
	"sistercity/internal/problem"
	"sistercity/internal/register"
)

// documentTypes are the files a partnership may hold, by extension, with the type the content
// must sniff as. Both must agree: the client's Content-Type is never asked.
var documentTypes = map[string]string{
	".pdf":  "application/pdf",
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
	".png":  "image/png",
	".webp": "image/webp",
}

const maxDocTitle = 200

// countingHash counts and hashes what is stored, so the record matches the bytes written.
type countingHash struct {
	n int64
	h hash.Hash
}

func (c *countingHash) Write(b []byte) (int, error) {
	c.n += int64(len(b))
	return c.h.Write(b)
}

// documentUpload stores a file for a partnership. The bytes go to the store first and the record
// after, in one transaction with the audit entry; when the transaction fails the stored file is
// deleted again, so nothing is left half saved.
func (s *Server) documentUpload(w http.ResponseWriter, r *http.Request) {
	stored, ok := s.loadPartnership(w, r)
	if !ok {
		return
	}
	view := partnershipView{stored: stored, doc: documentForm{Title: formValue(r, "title")}}
	refuse := func(status int, field, key string) {
		s.renderPartnership(w, r, status, partnershipFormOf(stored), view,
			problem.Fields{{Field: field, Msg: i18n.M(key)}}, "")
	}
	var errs problem.Fields
	if view.doc.Title == "" {
		errs.Add("doc_title", "validation.required")
	}
	register.CheckText(&errs, "doc_title", view.doc.Title, maxDocTitle)
	if r.MultipartForm == nil || len(r.MultipartForm.File["file"]) == 0 {
		errs.Add("doc_file", "validation.required")
	}
	if len(errs) > 0 {
		s.renderPartnership(w, r, http.StatusUnprocessableEntity, partnershipFormOf(stored), view, errs, "")
		return
	}
	fh := r.MultipartForm.File["file"][0]
	name := safeFilename(fh.Filename)
	ext := strings.ToLower(path.Ext(name))
	want, known := documentTypes[ext]
	switch {
	case fh.Size == 0:
		refuse(http.StatusUnprocessableEntity, "doc_file", "validation.file_empty")
		return
	case fh.Size > s.cfg.MaxDocumentBytes:
		refuse(http.StatusRequestEntityTooLarge, "doc_file", "error.too_large")
		return
	case !known:
		refuse(http.StatusUnsupportedMediaType, "doc_file", "validation.file_type")
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
		refuse(http.StatusUnsupportedMediaType, "doc_file", "validation.file_type")
		return
	}
	if _, err := file.Seek(0, io.SeekStart); err != nil {
		s.fail(w, r, err)
		return
	}
	d := &register.Document{Title: view.doc.Title, Filename: name, ContentType: want,
		StorageKey: fmt.Sprintf("documents/%d/%s", stored.ID, randomHex(16))}
	if err := s.storeDocument(r, stored.ID, d, file); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/partnerships/%d?notice=uploaded#documents", stored.ID), http.StatusSeeOther)
}

// storeDocument writes the bytes, then records them; on any failure it removes what it wrote.
func (s *Server) storeDocument(r *http.Request, partnershipID int64, d *register.Document, content io.Reader) error {
	ctx := r.Context()
	sum := &countingHash{h: sha256.New()}
	if err := s.docs.Put(ctx, d.StorageKey, io.TeeReader(content, sum)); err != nil {
		return fmt.Errorf("web: store document: %w", err)
	}
	d.Size, d.SHA256 = sum.n, hex.EncodeToString(sum.h.Sum(nil))
	u := userFrom(r)
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := register.AddDocument(ctx, tx, partnershipID, d, u.ID); err != nil {
			return err
		}
		return auth.Audit(ctx, tx, u, "create", "document", d.ID, nil, documentRecord{partnershipID, d})
	})
	if err != nil {
		s.deleteBlobs(r, d.StorageKey)
		return err
	}
	return nil
}

// documentRecord is a document as the audit log keeps it: with its partnership.
type documentRecord struct {
	PartnershipID int64 `json:"partnership_id"`
	*register.Document
}

func (s *Server) documentDownload(w http.ResponseWriter, r *http.Request) {
	pid, ok1 := pathID(r, "id")
	id, ok2 := pathID(r, "doc")
	if !ok1 || !ok2 {
		s.notFound(w, r)
		return
	}
	d, err := register.GetDocument(r.Context(), s.db.R, pid, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.sendAttachment(w, r, d.StorageKey, d.ContentType, d.Filename, d.UploadedAt)
}

// sendAttachment sends an uploaded file as a download: never rendered by the browser as part of
// the site, whatever it holds. Partnership documents and activity minutes both use it.
func (s *Server) sendAttachment(w http.ResponseWriter, r *http.Request, key, contentType, filename string, modTime time.Time) {
	f, err := s.docs.Open(r.Context(), key)
	if errors.Is(err, blob.ErrNotFound) {
		s.fail(w, r, problem.New(http.StatusNotFound, "error.not_found"))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": filename}))
	h.Set("X-Content-Type-Options", "nosniff")
	// Even if a browser were to open it, the file runs nothing and reaches nothing of the site.
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cache-Control", "private, no-store")
	http.ServeContent(w, r, "", modTime, f)
}

func (s *Server) documentDelete(w http.ResponseWriter, r *http.Request) {
	pid, ok1 := pathID(r, "id")
	id, ok2 := pathID(r, "doc")
	if !ok1 || !ok2 {
		s.notFound(w, r)
		return
	}
	ctx := r.Context()
	var key string
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		d, err := register.GetDocument(ctx, tx, pid, id)
		if err != nil {
			return err
		}
		key = d.StorageKey
		if err := register.DeleteDocument(ctx, tx, pid, id); err != nil {
			return err
		}
		return auth.Audit(ctx, tx, userFrom(r), "delete", "document", id, documentRecord{pid, d}, nil)
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.deleteBlobs(r, key)
	http.Redirect(w, r, fmt.Sprintf("/admin/partnerships/%d?notice=deleted#documents", pid), http.StatusSeeOther)
}

// deleteBlobs removes stored files whose records are gone (or were never written). It goes on
// when the request is cancelled, and a failure only leaves an orphan file, so it is logged.
func (s *Server) deleteBlobs(r *http.Request, keys ...string) {
	ctx := context.WithoutCancel(r.Context())
	for _, k := range keys {
		if err := s.docs.Delete(ctx, k); err != nil {
			s.log.Warn("delete stored document", "key", k, "err", err)
		}
	}
}

// safeFilename keeps the base name of an uploaded file, without control characters, path
// separators or quotes, short enough for any file system.
func safeFilename(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base(name)
	if !utf8.ValidString(name) {
		name = strings.ToValidUTF8(name, "_")
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r), r == '/', r == '"', r == '\'', r == '<', r == '>', r == ':', r == '*', r == '?', r == '|':
			return '_'
		case unicode.IsSpace(r):
			return ' '
		}
		return r
	}, name)
	name = strings.Trim(strings.TrimSpace(name), ".")
	ext := path.Ext(name)
	if utf8.RuneCountInString(ext) > 10 {
		ext = ""
	}
	base := strings.TrimSuffix(name, ext)
	if runes := []rune(base); len(runes) > 100 {
		base = string(runes[:100])
	}
	if base == "" {
		base = "document"
	}
	return base + ext
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
