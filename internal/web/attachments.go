package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
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

	"sistercity/internal/attach"
	"sistercity/internal/auth"
	"sistercity/internal/blob"
	"sistercity/internal/i18n"
	"sistercity/internal/problem"
	"sistercity/internal/register"
)

// documentTypes are the files a record may hold, by extension, with the type the content must
// sniff as. Both must agree: the client's Content-Type is never asked.
var documentTypes = map[string]string{
	".pdf":  "application/pdf",
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
	".png":  "image/png",
	".webp": "image/webp",
}

const maxDocTitle = 200

// attachments is one kind of record files attach to, as the admin shows it: partnership
// documents, activity minutes. The upload, download and delete handlers are the same for
// every kind; only these differ.
type attachments struct {
	owner attach.Owner
	// entity names the records in the audit log; ownerField names the owner in its entries.
	entity     auth.Entity
	ownerField string
	// keyPrefix is where the bytes are stored: keyPrefix/ownerID/random.
	keyPrefix string
	// page is the owner's admin page; files is the path of its files under it.
	page  func(ownerID int64) string
	files string
	// section is the id of the page's files section; heading, caption and legend are the
	// catalog keys of its title, its table's caption and its upload form's legend.
	section, heading, caption, legend string
	// load finds the owner of the request's path; when it is missing it answers and reports
	// false. refuse shows the owner's page again with errs and the title typed.
	load func(w http.ResponseWriter, r *http.Request) (refuse func(status int, title string, errs problem.Fields), ok bool)
}

func (s *Server) partnershipDocuments() attachments {
	return attachments{
		owner: attach.Partnership, entity: auth.EntityDocument, ownerField: "partnership_id", keyPrefix: "documents",
		page:    func(id int64) string { return fmt.Sprintf("/admin/partnerships/%d", id) },
		files:   "documents",
		section: "documents", heading: "partner.documents", caption: "admin.documents.caption", legend: "admin.documents.upload",
		load: func(w http.ResponseWriter, r *http.Request) (func(int, string, problem.Fields), bool) {
			stored, ok := s.loadPartnership(w, r)
			return func(status int, title string, errs problem.Fields) {
				view := partnershipView{stored: stored, doc: documentForm{Title: title}}
				s.renderPartnership(w, r, status, partnershipFormOf(stored), view, errs, "")
			}, ok
		},
	}
}

func (s *Server) activityMinutes() attachments {
	return attachments{
		owner: attach.Activity, entity: auth.EntityActivityDocument, ownerField: "activity_id", keyPrefix: "activities",
		page:    func(id int64) string { return fmt.Sprintf("/admin/activities/%d", id) },
		files:   "minutes",
		section: "minutes", heading: "admin.activities.minutes", caption: "admin.activities.minutes_caption", legend: "admin.activities.minutes_upload",
		load: func(w http.ResponseWriter, r *http.Request) (func(int, string, problem.Fields), bool) {
			stored, ok := s.loadActivity(w, r)
			return func(status int, title string, errs problem.Fields) {
				view := activityView{stored: stored, doc: documentForm{Title: title}}
				s.renderActivity(w, r, status, activityFormOf(stored), view, errs, "")
			}, ok
		},
	}
}

// anchor is the section of the owner's page that lists its files.
func (a attachments) anchor() string { return "#" + a.section }

// attachmentsView is the files section of an owner's admin page, as the partial
// "attachments" shows it.
type attachmentsView struct {
	Section, Heading, Caption, Legend string
	// Base is the URL of the files: POST Base uploads, Base/{id} downloads.
	Base    string
	Rows    []attachmentRow
	CanEdit bool
	// Title is what was typed into the upload form, shown again after a refusal.
	Title   string
	MaxSize string
}

type attachmentRow struct {
	attach.Document
	SizeText string
}

// view builds the files section of owner ownerID's page.
func (a attachments) view(l *i18n.Localizer, maxBytes, ownerID int64, docs []attach.Document, canEdit bool, title string) attachmentsView {
	v := attachmentsView{Section: a.section, Heading: a.heading, Caption: a.caption, Legend: a.legend,
		Base: fmt.Sprintf("%s/%s", a.page(ownerID), a.files), CanEdit: canEdit, Title: title,
		MaxSize: l.T("admin.documents.max_size", "size", l.Number(float64(maxBytes)/(1<<20)))}
	for _, d := range docs {
		v.Rows = append(v.Rows, attachmentRow{Document: d, SizeText: l.T("admin.documents.size", "size", l.Number((d.Size+1023)/1024))})
	}
	return v
}

// countingHash counts and hashes what is stored, so the record matches the bytes written.
type countingHash struct {
	n int64
	h hash.Hash
}

func (c *countingHash) Write(b []byte) (int, error) {
	c.n += int64(len(b))
	return c.h.Write(b)
}

// record is a document as the audit log keeps it: its fields and its owner's ID.
func (a attachments) record(ownerID int64, d *attach.Document) map[string]any {
	m := map[string]any{a.ownerField: ownerID}
	b, _ := json.Marshal(d)
	_ = json.Unmarshal(b, &m)
	return m
}

// upload stores a file for a record. The type is checked by extension and by the content; the
// bytes go to the store first and the record after, in one transaction with the audit entry;
// when the transaction fails the stored file is deleted again, so nothing is left half saved.
func (s *Server) upload(a attachments) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ownerID, _ := pathID(r, "id")
		show, ok := a.load(w, r)
		if !ok {
			return
		}
		title := formValue(r, "title")
		refuse := func(status int, errs problem.Fields) { show(status, title, errs) }
		one := func(key string) problem.Fields { return problem.Fields{{Field: "doc_file", Msg: i18n.M(key)}} }
		var errs problem.Fields
		if title == "" {
			errs.Add("doc_title", "validation.required")
		}
		register.CheckText(&errs, "doc_title", title, maxDocTitle)
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
		ctx := r.Context()
		d := &attach.Document{Title: title, Filename: name, ContentType: want,
			StorageKey: fmt.Sprintf("%s/%d/%s", a.keyPrefix, ownerID, randomHex(16))}
		sum := &countingHash{h: sha256.New()}
		if err := s.docs.Put(ctx, d.StorageKey, io.TeeReader(file, sum)); err != nil {
			s.fail(w, r, fmt.Errorf("web: store document: %w", err))
			return
		}
		d.Size, d.SHA256 = sum.n, hex.EncodeToString(sum.h.Sum(nil))
		u := userFrom(r)
		err = s.db.InTx(ctx, func(tx *sql.Tx) error {
			if err := attach.Add(ctx, tx, a.owner, ownerID, d, u.ID); err != nil {
				return err
			}
			return auth.Audit(ctx, tx, u, auth.ActionCreate, a.entity, d.ID, nil, a.record(ownerID, d))
		})
		if err != nil {
			s.deleteBlobs(r, d.StorageKey)
			s.fail(w, r, err)
			return
		}
		http.Redirect(w, r, a.page(ownerID)+"?notice=uploaded"+a.anchor(), http.StatusSeeOther)
	}
}

// download sends one of a record's files.
func (s *Server) download(a attachments) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ownerID, ok1 := pathID(r, "id")
		id, ok2 := pathID(r, "doc")
		if !ok1 || !ok2 {
			s.notFound(w, r)
			return
		}
		d, err := attach.Get(r.Context(), s.db.R, a.owner, ownerID, id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.sendAttachment(w, r, d.StorageKey, d.ContentType, d.Filename, d.UploadedAt)
	}
}

// remove deletes one of a record's files: the record in a transaction with its audit entry,
// then the bytes.
func (s *Server) remove(a attachments) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ownerID, ok1 := pathID(r, "id")
		id, ok2 := pathID(r, "doc")
		if !ok1 || !ok2 {
			s.notFound(w, r)
			return
		}
		ctx := r.Context()
		var key string
		err := s.db.InTx(ctx, func(tx *sql.Tx) error {
			d, err := attach.Get(ctx, tx, a.owner, ownerID, id)
			if err != nil {
				return err
			}
			key = d.StorageKey
			if err := attach.Delete(ctx, tx, a.owner, ownerID, id); err != nil {
				return err
			}
			return auth.Audit(ctx, tx, userFrom(r), auth.ActionDelete, a.entity, id, a.record(ownerID, d), nil)
		})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.deleteBlobs(r, key)
		http.Redirect(w, r, a.page(ownerID)+"?notice=deleted"+a.anchor(), http.StatusSeeOther)
	}
}

// sendAttachment sends an uploaded file as a download: never rendered by the browser as part of
// the site, whatever it holds.
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
