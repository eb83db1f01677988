package web

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode"

	"sistercity/internal/auth"
	"sistercity/internal/blob"
	"sistercity/internal/i18n"
	"sistercity/internal/problem"
	"sistercity/internal/subtitle"
	"sistercity/internal/track"
	"sistercity/internal/video"
)

// Limits of the subtitle import.
const (
	// maxSubtitleBytes bounds an uploaded subtitle file: hours of dense subtitles in UTF-16 stay
	// far below it, and a larger file is refused before it is parsed.
	maxSubtitleBytes = 10 << 20
	// maxImportTracks bounds the tracks one file may hold (SAMI and TTML hold one per language).
	maxImportTracks = 20
	// previewCues is how many cues of each track the preview shows.
	previewCues = 5
)

// importTokenRe is the form of the random key an upload is kept under between the preview and
// the confirmation.
var importTokenRe = regexp.MustCompile(`^[0-9a-f]{32}$`)

// trackImportKey is where an uploaded subtitle file waits for its confirmation.
func trackImportKey(videoID int64, token string) string {
	return fmt.Sprintf("imports/tracks/%d/%s", videoID, token)
}

// cuePreview is a cue of the preview as a viewer reads it.
type cuePreview struct {
	Start, End string
	Text       string
}

// importTrackView is one track found in an uploaded file, with the fields to confirm.
type importTrackView struct {
	Index             int
	Lang, Kind, Label string
	Default           bool
	LangGuessed       bool
	CueCount          int
	Cues              []cuePreview
	Issues            []subtitleIssueView
	Errors, Warnings  int
}

type trackImportData struct {
	Video     *video.Video
	Title     string
	Token     string
	Filename  string
	Encoding  string // the override chosen; "" to detect
	Format    string // detected format, in words
	Detected  string // detected encoding, in words
	Warnings  []subtitleIssueView
	Tracks    []importTrackView
	Problem   string
	Encodings []option
	Kinds     []option
	// Lang, Kind and Label are what the first step asked for all tracks.
	Lang, Kind, Label string
}

// clockMS formats a cue time for the preview: 0:01.500.
func clockMS(d time.Duration) string {
	ms := int(d / time.Millisecond)
	h, m, s := ms/3600000, ms/60000%60, ms/1000%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d.%03d", h, m, s, ms%1000)
	}
	return fmt.Sprintf("%d:%02d.%03d", m, s, ms%1000)
}

// guessLanguage names the language of a track whose file does not say, by its script: Hangul is
// Korean, Cyrillic Russian, kana Japanese, Han Chinese, Latin English. "" when there is no text.
func guessLanguage(st *subtitle.Track) string {
	counts := map[string]int{}
	for i, c := range st.Cues {
		if i > 200 {
			break
		}
		for _, r := range track.PlainCueText(c.Text) {
			switch {
			case unicode.Is(unicode.Hangul, r):
				counts["ko"]++
			case unicode.Is(unicode.Cyrillic, r):
				counts["ru"]++
			case unicode.In(r, unicode.Hiragana, unicode.Katakana):
				counts["ja"] += 2
			case unicode.Is(unicode.Han, r):
				counts["zh"]++
			case unicode.Is(unicode.Latin, r):
				counts["en"]++
			}
		}
	}
	best, n := "", 0
	for _, lang := range []string{"ko", "ru", "ja", "zh", "en"} {
		if counts[lang] > n {
			best, n = lang, counts[lang]
		}
	}
	return best
}

// readImport reads an upload kept for confirmation.
func (s *Server) readImport(ctx context.Context, videoID int64, token string) ([]byte, error) {
	f, err := s.docs.Open(ctx, trackImportKey(videoID, token))
	if errors.Is(err, blob.ErrNotFound) {
		return nil, problem.New(http.StatusGone, "tracks.import.expired")
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxSubtitleBytes+1))
}

// importSource reads the file of an import step: the uploaded one, or the one kept under the
// form's token. It fills in data's token and file name.
func (s *Server) importSource(r *http.Request, v *video.Video, data *trackImportData) ([]byte, error) {
	if r.MultipartForm != nil && len(r.MultipartForm.File["file"]) > 0 {
		fh := r.MultipartForm.File["file"][0]
		data.Filename = safeFilename(fh.Filename)
		switch {
		case fh.Size == 0:
			return nil, problem.New(http.StatusUnprocessableEntity, "tracks.import.empty")
		case fh.Size > maxSubtitleBytes:
			return nil, problem.New(http.StatusRequestEntityTooLarge, "tracks.import.too_large", "size", maxSubtitleBytes>>20)
		}
		f, err := fh.Open()
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return io.ReadAll(io.LimitReader(f, maxSubtitleBytes+1))
	}
	token := formValue(r, "token")
	if token == "" {
		return nil, problem.New(http.StatusUnprocessableEntity, "tracks.import.no_file")
	}
	if !importTokenRe.MatchString(token) {
		return nil, problem.New(http.StatusGone, "tracks.import.expired")
	}
	data.Filename = safeFilename(formValue(r, "filename"))
	raw, err := s.readImport(r.Context(), v.ID, token)
	if err != nil {
		return nil, err
	}
	data.Token = token
	return raw, nil
}

// newImportData prepares the preview page's data from the form.
func newImportData(l *i18n.Localizer, r *http.Request, v *video.Video) *trackImportData {
	return &trackImportData{Video: v, Title: v.Title(l.Lang), Encodings: encodingOptions(l), Kinds: kindOptions(l),
		Lang: formValue(r, "lang"), Kind: formValue(r, "kind"), Label: formValue(r, "label")}
}

// parseImport reads and parses the file of an import step. On failure it renders the preview
// page with the reason and returns nil.
func (s *Server) parseImport(w http.ResponseWriter, r *http.Request, p *page, data *trackImportData) ([]*subtitle.Track, subtitle.DetectedInfo, bool) {
	l := p.L
	refuse := func(err error) {
		status, msg := classify(err)
		if status >= 500 {
			s.fail(w, r, err)
			return
		}
		data.Problem = l.Msg(msg)
		s.renderImport(w, r, status, p, data)
	}
	enc, err := subtitle.ParseEncoding(formValue(r, "encoding"))
	if err != nil {
		refuse(problem.New(http.StatusUnprocessableEntity, "subtitle.code.unknown-encoding"))
		return nil, subtitle.DetectedInfo{}, false
	}
	data.Encoding = string(enc)
	raw, err := s.importSource(r, data.Video, data)
	if err != nil {
		refuse(err)
		return nil, subtitle.DetectedInfo{}, false
	}
	if len(raw) > maxSubtitleBytes {
		refuse(problem.New(http.StatusRequestEntityTooLarge, "tracks.import.too_large", "size", maxSubtitleBytes>>20))
		return nil, subtitle.DetectedInfo{}, false
	}
	tracks, info, err := subtitle.Parse(data.Filename, raw, enc)
	if info.Format != subtitle.FormatUnknown {
		data.Format = l.T("subtitle.format." + string(info.Format))
	}
	if info.Encoding != "" {
		data.Detected = encodingName(l, info.Encoding)
	}
	for _, w := range info.Warnings {
		data.Warnings = append(data.Warnings, subtitleIssueView{Severity: string(subtitle.SeverityWarning),
			Label: l.T("subtitle.severity.warning"), Where: issueWhere(l, w.Index, w.Line), Text: l.T("subtitle.code." + string(w.Code))})
	}
	if err == nil && !hasCues(tracks) {
		// A file of nothing but NULs or blank lines can parse to empty tracks.
		err = &subtitle.Error{Code: subtitle.CodeNoCues}
	}
	if err == nil && len(tracks) > maxImportTracks {
		err = problem.New(http.StatusUnprocessableEntity, "tracks.import.too_many_tracks", "count", maxImportTracks)
	}
	if err != nil {
		var se *subtitle.Error
		if errors.As(err, &se) {
			status := http.StatusUnprocessableEntity
			if se.Code == subtitle.CodeTooLarge {
				status = http.StatusRequestEntityTooLarge
			}
			data.Problem = subtitleErrorText(l, err)
			s.renderImport(w, r, status, p, data)
			return nil, info, false
		}
		refuse(err)
		return nil, info, false
	}
	if data.Token == "" {
		token := randomHex(16)
		if err := s.docs.Put(r.Context(), trackImportKey(data.Video.ID, token), bytes.NewReader(raw)); err != nil {
			s.fail(w, r, err)
			return nil, info, false
		}
		data.Token = token
		s.sweepTrackImports(r, time.Now())
	}
	return tracks, info, true
}

// trackImportExpiry is how long an uploaded subtitle file waits for its confirmation.
const trackImportExpiry = 24 * time.Hour

// sweepTrackImports deletes the uploads that were previewed and never confirmed, older than
// trackImportExpiry at now (the files' times are the machine's, not the server's pinned clock).
// It runs at each new upload, which is rare; a failure only leaves a small file for the next one.
func (s *Server) sweepTrackImports(r *http.Request, now time.Time) {
	ctx := context.WithoutCancel(r.Context())
	cutoff := now.Add(-trackImportExpiry)
	var old []string
	for a, err := range s.docs.List(ctx, "imports/tracks/") {
		if err != nil {
			s.log.Warn("list subtitle uploads", "err", err)
			return
		}
		if a.ModTime.Before(cutoff) {
			old = append(old, a.Key)
		}
	}
	s.deleteBlobs(r, old...)
}

// hasCues tells whether any of tracks has a cue.
func hasCues(tracks []*subtitle.Track) bool {
	for _, t := range tracks {
		if len(t.Cues) > 0 {
			return true
		}
	}
	return false
}

// previewTracks describes the parsed tracks with their first cues, a language (the file's, the
// one asked for, or a guess) and their validation reports.
func previewTracks(l *i18n.Localizer, data *trackImportData, tracks []*subtitle.Track, videoDuration time.Duration) {
	data.Tracks = nil
	for i, st := range tracks {
		tv := importTrackView{Index: i, Lang: st.Language, Kind: string(st.Kind), Label: st.Label, CueCount: len(st.Cues)}
		if tv.Lang == "" {
			tv.Lang = data.Lang
		}
		if tv.Lang == "" {
			tv.Lang, tv.LangGuessed = guessLanguage(st), true
		}
		if data.Kind != "" {
			tv.Kind = data.Kind
		}
		if tv.Kind == "" {
			tv.Kind = string(subtitle.KindSubtitles)
		}
		if data.Label != "" && len(tracks) == 1 {
			tv.Label = data.Label
		}
		if tv.Label == "" && tv.Lang != "" {
			tv.Label = selfLabel(tv.Lang)
		}
		for _, c := range st.Cues[:min(len(st.Cues), previewCues)] {
			tv.Cues = append(tv.Cues, cuePreview{Start: clockMS(c.Start), End: clockMS(c.End), Text: track.PlainCueText(c.Text)})
		}
		check := *st
		if lang, err := subtitle.CanonicalLanguage(tv.Lang); err == nil {
			check.Language = lang
		}
		check.Kind = subtitle.Kind(tv.Kind)
		rep := subtitle.Validate(&check, subtitle.ValidateOptions{VideoDuration: videoDuration})
		tv.Issues = subtitleIssueViews(l, rep)
		tv.Errors, tv.Warnings = rep.Count(subtitle.SeverityError), rep.Count(subtitle.SeverityWarning)
		data.Tracks = append(data.Tracks, tv)
	}
}

func (s *Server) renderImport(w http.ResponseWriter, r *http.Request, status int, p *page, data *trackImportData) {
	p.Title = p.L.T("tracks.import.title", "video", data.Title)
	p.Data = data
	s.render(w, r, status, "admin/track-import", p)
}

// adminTrackImport is the first step of an import: it parses the uploaded file (or, with a
// token, the one kept from the last step, read in another encoding) and shows what it found.
// Nothing is saved as a track yet.
func (s *Server) adminTrackImport(w http.ResponseWriter, r *http.Request) {
	v, err := s.adminVideo(r.Context(), r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.adminPage(w, r, "")
	data := newImportData(p.L, r, v)
	tracks, _, ok := s.parseImport(w, r, p, data)
	if !ok {
		return
	}
	previewTracks(p.L, data, tracks, v.Duration)
	s.renderImport(w, r, http.StatusOK, p, data)
}

// adminTrackImportConfirm is the second step: it parses the kept file again with the chosen
// encoding and creates every track it holds as a draft, all in one transaction, or none.
func (s *Server) adminTrackImportConfirm(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v, err := s.adminVideo(ctx, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.adminPage(w, r, "")
	data := newImportData(p.L, r, v)
	if r.MultipartForm != nil {
		// The confirmation only ever names a kept file.
		r.MultipartForm.File = nil
	}
	tracks, info, ok := s.parseImport(w, r, p, data)
	if !ok {
		return
	}
	previewTracks(p.L, data, tracks, v.Duration)
	origin := fmt.Sprintf("%s (%s, %s)", data.Filename, strings.ToUpper(string(info.Format)), info.Encoding)
	var errs problem.Fields
	var rows []*track.Track
	for i, st := range tracks {
		tv := &data.Tracks[i]
		tv.Lang, tv.Kind, tv.Label = formValue(r, fmt.Sprintf("lang_%d", i)), formValue(r, fmt.Sprintf("kind_%d", i)), formValue(r, fmt.Sprintf("label_%d", i))
		tv.Default, tv.LangGuessed = formValue(r, fmt.Sprintf("default_%d", i)) != "", false
		t := &track.Track{VideoID: v.ID, Lang: tv.Lang, Kind: subtitle.Kind(tv.Kind), Label: tv.Label, Default: tv.Default,
			Status: track.StatusDraft, Origin: origin}
		if err := t.Validate(); err != nil {
			f, _ := problem.AsFields(err)
			for _, fe := range f {
				errs = append(errs, problem.FieldError{Field: fmt.Sprintf("%s_%d", fe.Field, i), Msg: fe.Msg})
			}
		}
		st.Language, st.Kind, st.Label = t.Lang, t.Kind, t.Label
		if err := t.SetCues(st); err != nil {
			var pe *problem.Error
			if !errors.As(err, &pe) {
				s.fail(w, r, err)
				return
			}
			errs = append(errs, problem.FieldError{Field: fmt.Sprintf("track_%d", i), Msg: pe.Msg})
		}
		rows = append(rows, t)
	}
	if len(errs) > 0 {
		p.Errors = errs
		s.renderImport(w, r, http.StatusUnprocessableEntity, p, data)
		return
	}
	u := userFrom(r)
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		for _, t := range rows {
			if err := track.Create(ctx, tx, t); err != nil {
				return err
			}
			if err := auth.Audit(ctx, tx, u, auth.ActionCreate, auth.EntitySubtitleTrack, t.ID, nil, track.AuditOf(t)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.deleteBlobs(r, trackImportKey(v.ID, data.Token))
	http.Redirect(w, r, fmt.Sprintf("/admin/videos/%d/tracks?notice=imported", v.ID), http.StatusSeeOther)
}
