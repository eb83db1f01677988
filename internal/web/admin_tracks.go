package web

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"sistercity/internal/auth"
	"sistercity/internal/i18n"
	"sistercity/internal/problem"
	"sistercity/internal/subtitle"
	"sistercity/internal/track"
	"sistercity/internal/video"
)

// trackAdminRoutes are the subtitle tracks of a video in the admin: the list with each track's
// validation report, the two-step import of subtitle files, the metadata form, the review
// steps, deletion and export. The cue editor (/admin/tracks/{id}/edit), the import of streams
// from the video file and the burned-in versions live in their own files.
func (s *Server) trackAdminRoutes() []route {
	return []route{
		{"GET /admin/videos/{id}/tracks", auth.RoleViewer, s.adminTracks},
		{"POST /admin/videos/{id}/tracks/import", auth.RoleEditor, s.adminTrackImport},
		{"POST /admin/videos/{id}/tracks/import/confirm", auth.RoleEditor, s.adminTrackImportConfirm},
		{"POST /admin/videos/{id}/tracks/{track}", auth.RoleEditor, s.adminTrackUpdate},
		{"POST /admin/videos/{id}/tracks/{track}/delete", auth.RoleEditor, s.adminTrackDelete},
		{"GET /admin/tracks/{id}/export/{format}", auth.RoleViewer, s.adminTrackExport},
	}
}

// tracksPageNotices are the notices a redirect to the tracks page may ask for.
var tracksPageNotices = noticeSet{
	"imported": "tracks.notice.imported",
	"saved":    "admin.notice.saved",
	"deleted":  "admin.notice.deleted",
}

// trackStatusLabel names a track's state; an approved track of a video not yet public says
// that it will be public with the video, not that it is.
func trackStatusLabel(l *i18n.Localizer, status string, v *video.Video) string {
	if status == track.StatusApproved && !v.Public() {
		return l.T("tracks.status_approved_unpublished")
	}
	return l.T("tracks.status." + status)
}

// subtitleIssueView is one finding of a validation report or a parse, as the admin shows it.
type subtitleIssueView struct {
	Severity string // subtitle.SeverityError or SeverityWarning
	Label    string // "Error", "Warning"
	Where    string // "Cue 3, line 12"
	Text     string
}

// issueText is the localized message of a validation issue.
func issueText(l *i18n.Localizer, is subtitle.Issue) string {
	round := func(v float64) float64 { return math.Round(v*10) / 10 }
	// The measured value is {count}: its message is a plural one, so that Russian agrees with
	// it («45 знаков», «18,3 знака»).
	return l.T("subtitle.code."+string(is.Code), "other", is.Other, "count", round(is.Value), "limit", round(is.Limit))
}

// issueWhere says where an issue is: the cue and the line of the file.
func issueWhere(l *i18n.Localizer, cue, line int) string {
	switch {
	case cue > 0 && line > 0:
		return l.T("subtitle.where.cue_line", "cue", cue, "line", line)
	case cue > 0:
		return l.T("subtitle.where.cue", "cue", cue)
	case line > 0:
		return l.T("subtitle.where.line", "line", line)
	}
	return l.T("subtitle.where.track")
}

func subtitleIssueViews(l *i18n.Localizer, rep subtitle.Report) []subtitleIssueView {
	var out []subtitleIssueView
	for _, is := range rep.Issues {
		out = append(out, subtitleIssueView{Severity: string(is.Severity), Label: l.T("subtitle.severity." + string(is.Severity)),
			Where: issueWhere(l, is.Cue, is.Line), Text: issueText(l, is)})
	}
	return out
}

// subtitleErrorText is the localized message of a parse error or warning, with its line.
func subtitleErrorText(l *i18n.Localizer, err error) string {
	var se *subtitle.Error
	if !errors.As(err, &se) {
		return l.T("tracks.import.failed")
	}
	msg := l.T("subtitle.code." + string(se.Code))
	if se.Line > 0 {
		return l.T("tracks.import.at_line", "line", se.Line, "message", msg)
	}
	return msg
}

// trackRow is one track on the tracks page.
type trackRow struct {
	T        *track.Track
	LangName string
	Kind     string
	Status   string
	Issues   []subtitleIssueView
	Errors   int
	Warnings int
	Actions  []option // review steps open to the track
	Edit     trackForm
}

// trackForm is the metadata form of a track, as typed.
type trackForm struct {
	Lang, Kind, Label string
	Default           bool
	Version           int64
}

type tracksPageData struct {
	List     listView
	Video    *video.Video
	Title    string
	Rows     []trackRow
	CanEdit  bool
	Kinds    []option
	Encoding []option
	// FormID is the track whose metadata form Errors are about; 0 for none.
	FormID  int64
	Problem string
	Exports []string
	// Links to the pages of the other parts of the subtitle work.
	StreamsURL, VersionsURL string
}

// kindOptions lists the track kinds with their names.
func kindOptions(l *i18n.Localizer) []option {
	var out []option
	for _, k := range track.Kinds {
		out = append(out, option{Value: string(k), Label: l.T("subtitle.kind." + string(k))})
	}
	return out
}

// importEncodings are the encodings offered to override the detected one.
var importEncodings = []subtitle.Encoding{subtitle.EncodingAuto, subtitle.UTF8, subtitle.UTF16LE, subtitle.UTF16BE,
	subtitle.CP949, subtitle.Windows1251, subtitle.KOI8R, subtitle.Windows1252}

func encodingName(l *i18n.Localizer, enc subtitle.Encoding) string {
	if enc == subtitle.EncodingAuto {
		return l.T("subtitle.encoding.auto")
	}
	return l.T("subtitle.encoding." + string(enc))
}

func encodingOptions(l *i18n.Localizer) []option {
	var out []option
	for _, enc := range importEncodings {
		out = append(out, option{Value: string(enc), Label: encodingName(l, enc)})
	}
	return out
}

// reviewActions are the review steps an editor may take from each status.
var reviewActions = map[string][]string{
	track.StatusDraft:    {track.ActionSubmit},
	track.StatusInReview: {track.ActionApprove, track.ActionReturn},
	track.StatusApproved: {track.ActionReopen},
}

// adminVideo loads the video of the {id} wildcard.
func (s *Server) adminVideo(ctx context.Context, r *http.Request) (*video.Video, error) {
	id, ok := pathID(r, "id")
	if !ok {
		return nil, problem.New(http.StatusNotFound, "error.not_found")
	}
	return video.Get(ctx, s.db.R, id)
}

// adminTracks lists a video's tracks with their reports, the import form and the forms of each
// track.
func (s *Server) adminTracks(w http.ResponseWriter, r *http.Request) {
	v, err := s.adminVideo(r.Context(), r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.adminPage(w, r, "")
	showNotice(p, r, tracksPageNotices)
	s.renderTracks(w, r, http.StatusOK, p, v, nil, 0, "")
}

// renderTracks renders the tracks page; errs are about the metadata form of track formID, and
// problemText is a message above the forms.
func (s *Server) renderTracks(w http.ResponseWriter, r *http.Request, status int, p *page, v *video.Video,
	typed *trackForm, formID int64, problemText string) {
	l := p.L
	list, err := track.ForVideo(r.Context(), s.db.R, v.ID, false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.Title = l.T("tracks.title", "video", v.Title(l.Lang))
	// A video has a few tracks, each with its report: searched by language or label and paged
	// here, before the reports are made.
	lq := readList(r, adminListSize)
	if lq.Q != "" {
		q := strings.ToLower(lq.Q)
		list = slices.DeleteFunc(list, func(t *track.Track) bool {
			return !strings.Contains(strings.ToLower(t.Lang+" "+langName(l, t.Lang)+" "+t.Label), q)
		})
	}
	lv := newListView(l, r, lq, len(list))
	list = pageRows(list, lv.Pager)
	data := tracksPageData{Video: v, Title: v.Title(l.Lang), CanEdit: canEdit(r), Kinds: kindOptions(l),
		Encoding: encodingOptions(l), FormID: formID, Problem: problemText, Exports: exportFormatList,
		List: lv, StreamsURL: fmt.Sprintf("/admin/videos/%d/streams", v.ID), VersionsURL: fmt.Sprintf("/admin/videos/%d/versions", v.ID)}
	for _, t := range list {
		row := trackRow{T: t, LangName: langName(l, t.Lang), Kind: l.T("subtitle.kind." + string(t.Kind)),
			Status: trackStatusLabel(l, t.Status, v),
			Edit:   trackForm{Lang: t.Lang, Kind: string(t.Kind), Label: t.Label, Default: t.Default, Version: t.Version}}
		if typed != nil && t.ID == formID {
			row.Edit = *typed
		}
		rep, err := t.Report(v.Duration)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		row.Issues = subtitleIssueViews(l, rep)
		row.Errors, row.Warnings = rep.Count(subtitle.SeverityError), rep.Count(subtitle.SeverityWarning)
		for _, a := range reviewActions[t.Status] {
			if rep.Blocking() && (a == track.ActionSubmit || a == track.ActionApprove) {
				continue
			}
			row.Actions = append(row.Actions, option{Value: a, Label: l.T("tracks.action." + a)})
		}
		data.Rows = append(data.Rows, row)
	}
	p.Data = data
	s.render(w, r, status, "admin/tracks", p)
}

// loadVideoTrack loads the track of the {track} wildcard, which must belong to the video of {id}.
func (s *Server) loadVideoTrack(ctx context.Context, r *http.Request) (*track.Track, error) {
	vid, ok1 := pathID(r, "id")
	tid, ok2 := pathID(r, "track")
	if !ok1 || !ok2 {
		return nil, problem.New(http.StatusNotFound, "error.not_found")
	}
	t, err := track.Get(ctx, s.db.R, tid)
	if err != nil {
		return nil, err
	}
	if t.VideoID != vid {
		return nil, problem.New(http.StatusNotFound, "error.not_found")
	}
	return t, nil
}

// adminTrackUpdate saves a track's language, kind, label and default flag. A form read before
// someone else's change gets 409.
func (s *Server) adminTrackUpdate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	stored, err := s.loadVideoTrack(ctx, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	version, ok := s.formVersion(w, r)
	if !ok {
		return
	}
	form := trackForm{Lang: formValue(r, "lang"), Kind: formValue(r, "kind"), Label: formValue(r, "label"),
		Default: formValue(r, "default") != "", Version: version}
	t := *stored
	t.Lang, t.Kind, t.Label, t.Default, t.Version = form.Lang, subtitle.Kind(form.Kind), form.Label, form.Default, form.Version
	if err := t.Validate(); err != nil {
		v, verr := video.Get(ctx, s.db.R, stored.VideoID)
		if verr != nil {
			s.fail(w, r, verr)
			return
		}
		p := s.adminPage(w, r, "")
		p.Errors, _ = problem.AsFields(err)
		s.renderTracks(w, r, http.StatusUnprocessableEntity, p, v, &form, stored.ID, "")
		return
	}
	err = s.change(r, auth.ActionUpdate, auth.EntitySubtitleTrack, func(tx *sql.Tx) (int64, any, any, error) {
		err := track.Update(ctx, tx, &t)
		return t.ID, track.AuditOf(stored), track.AuditOf(&t), err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/videos/%d/tracks?notice=saved#track-%d", t.VideoID, t.ID), http.StatusSeeOther)
}

// adminTrackDelete removes a track, audited.
func (s *Server) adminTrackDelete(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	stored, err := s.loadVideoTrack(ctx, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	err = s.change(r, auth.ActionDelete, auth.EntitySubtitleTrack, func(tx *sql.Tx) (int64, any, any, error) {
		return stored.ID, track.AuditOf(stored), nil, track.Delete(ctx, tx, stored.ID)
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// The burned-in version went with the track's row; its file goes after the commit.
	var keys []string
	for a, err := range s.docs.List(ctx, track.BurnKeyPrefix(stored.ID)) {
		if err != nil {
			s.log.Warn("listing a deleted track's burned-in files", "track", stored.ID, "err", err)
			break
		}
		keys = append(keys, a.Key)
	}
	s.deleteBlobs(r, keys...)
	http.Redirect(w, r, fmt.Sprintf("/admin/videos/%d/tracks?notice=deleted", stored.VideoID), http.StatusSeeOther)
}

// exportFormats are the formats a track can be downloaded in: extension, content type and
// writer.
var exportFormats = map[string]struct {
	contentType string
	write       func(*bytes.Buffer, *subtitle.Track) error
}{
	"srt":  {"application/x-subrip; charset=utf-8", func(b *bytes.Buffer, t *subtitle.Track) error { return subtitle.WriteSRT(b, t) }},
	"vtt":  {"text/vtt; charset=utf-8", func(b *bytes.Buffer, t *subtitle.Track) error { return subtitle.WriteWebVTT(b, t) }},
	"sbv":  {"text/plain; charset=utf-8", func(b *bytes.Buffer, t *subtitle.Track) error { return subtitle.WriteSBV(b, t) }},
	"ttml": {"application/ttml+xml; charset=utf-8", func(b *bytes.Buffer, t *subtitle.Track) error { return subtitle.WriteTTML(b, t) }},
}

// exportFormatList orders the export links.
var exportFormatList = []string{"srt", "vtt", "sbv", "ttml"}

// trackFilename is the name an exported track is saved under: video-12-ko-3.srt.
func trackFilename(t *track.Track, ext string) string {
	return safeFilename(fmt.Sprintf("video-%d-%s-%d.%s", t.VideoID, t.Lang, t.ID, ext))
}

// adminTrackExport sends a track as a SubRip, WebVTT, SBV or TTML file to download.
func (s *Server) adminTrackExport(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	f, known := exportFormats[r.PathValue("format")]
	if !ok || !known {
		s.notFound(w, r)
		return
	}
	t, err := track.Get(r.Context(), s.db.R, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	st, err := t.Cues()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var b bytes.Buffer
	if err := f.write(&b, st); err != nil {
		var se *subtitle.Error
		if errors.As(err, &se) && se.Code != subtitle.CodeWriteFailed {
			s.fail(w, r, problem.New(http.StatusUnprocessableEntity, "subtitle.code."+string(se.Code)))
			return
		}
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": trackFilename(t, r.PathValue("format"))}))
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cache-Control", "private, no-store")
	http.ServeContent(w, r, "", t.UpdatedAt, bytes.NewReader(b.Bytes()))
}

// trackETag is a track's entity tag: its ID and version, which every change increments.
func trackETag(t *track.Track) string {
	return fmt.Sprintf(`"track-%d-%d"`, t.ID, t.Version)
}

// trackURL is the public URL of an approved track's WebVTT.
func trackURL(t *track.Track) string { return "/media/tracks/" + strconv.FormatInt(t.ID, 10) + ".vtt" }

// trackMedia serves the approved track of a public video as WebVTT ({id}.vtt), or its WebVTT
// media playlist for HLS ({id}.m3u8). Its cues were sanitised on the way in and are written by
// the WebVTT writer: the file carries only WebVTT's own markup.
func (s *Server) trackMedia(w http.ResponseWriter, r *http.Request) {
	id, ok := pathFileID(r, ".vtt")
	playlist := false
	if !ok {
		id, ok = pathFileID(r, ".m3u8")
		playlist = true
	}
	if !ok {
		s.notFound(w, r)
		return
	}
	ctx := r.Context()
	t, err := track.Get(ctx, s.db.R, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !t.Public() {
		s.notFound(w, r)
		return
	}
	v, err := s.publicVideo(ctx, strconv.FormatInt(t.VideoID, 10))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if playlist {
		s.trackPlaylist(w, r, t, v)
		return
	}
	h := w.Header()
	allowAnyOrigin(h)
	h.Set("Content-Type", "text/vtt; charset=utf-8")
	h.Set("ETag", trackETag(t))
	// A track can be corrected after publication: browsers keep it a few minutes, then ask
	// again with the ETag.
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	http.ServeContent(w, r, "", t.UpdatedAt.Truncate(time.Second), strings.NewReader(t.VTT))
}
