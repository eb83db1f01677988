package web

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"sistercity/internal/auth"
	"sistercity/internal/config"
	"sistercity/internal/db"
	"sistercity/internal/i18n"
	"sistercity/internal/messages"
	"sistercity/internal/problem"
	"sistercity/internal/subtitle"
	"sistercity/internal/track"
	"sistercity/internal/translate"
	"sistercity/internal/video"
)

// Limits of the cue editor's autosave. The whole cue list is sent each time; the JSON body
// limit of the CSRF middleware (maxJSONBytes) bounds it, with room for track.MaxCues cues.
const (
	maxEditorCueRunes = 1000
	maxEditorCueTime  = 99 * time.Hour
)

func (s *Server) translateRoutes() []route {
	return []route{
		{"GET /admin/translations", auth.RoleTranslator, s.translationList},
		{"POST /admin/tracks/{id}/translations", auth.RoleEditor, s.translationCreate},
		{"GET /admin/tracks/{id}/edit", auth.RoleTranslator, s.trackEditor},
		{"GET /admin/tracks/{id}/cues.json", auth.RoleTranslator, s.trackCuesJSON},
		{"POST /admin/tracks/{id}/cues", auth.RoleTranslator, s.trackCuesSave},
		{"POST /admin/tracks/{id}/submit", auth.RoleTranslator, s.trackReview(track.ActionSubmit, track.Submit)},
		{"POST /admin/tracks/{id}/approve", auth.RoleEditor, s.trackReview(track.ActionApprove, track.Approve)},
		{"POST /admin/tracks/{id}/return", auth.RoleEditor, s.trackReview(track.ActionReturn, track.Return)},
		{"POST /admin/tracks/{id}/reopen", auth.RoleEditor, s.trackReview(track.ActionReopen, track.Reopen)},
		{"POST /admin/tracks/{id}/machine-translate", auth.RoleTranslator, s.trackMachineTranslate},
	}
}

// newMachine builds the configured machine translation once, at start-up: nil when it is off,
// an error when --translate-url cannot be used.
func newMachine(cfg config.Config) (translate.Translator, error) {
	if cfg.TranslateURL == "" {
		return nil, nil
	}
	lt, err := translate.NewLibreTranslate(cfg.TranslateURL, cfg.TranslateKey)
	if err != nil {
		return nil, fmt.Errorf("--translate-url %q: %w", cfg.TranslateURL, err)
	}
	return lt, nil
}

// mayWork tells whether u may open, edit and submit t: editors any track, a translator only the
// tracks assigned to them.
func mayWork(u *auth.User, t *track.Track) bool {
	return u != nil && (u.Role.AtLeast(auth.RoleEditor) || (t.TranslatorID != 0 && t.TranslatorID == u.ID))
}

// errNotAssigned refuses a translator a track assigned to someone else.
var errNotAssigned = problem.New(http.StatusForbidden, "translate.error.not_assigned")

// loadWorkTrack reads the track of the request's {id} if the user may work on it.
func (s *Server) loadWorkTrack(ctx context.Context, r *http.Request) (*track.Track, error) {
	id, ok := pathID(r, "id")
	if !ok {
		return nil, problem.New(http.StatusNotFound, "error.not_found")
	}
	t, err := track.Get(ctx, s.db.R, id)
	if err != nil {
		return nil, err
	}
	if !mayWork(userFrom(r), t) {
		return nil, errNotAssigned
	}
	return t, nil
}

// editorCue is one cue as the editor sends and reads it, times in milliseconds.
type editorCue struct {
	StartMS int64  `json:"start_ms"`
	EndMS   int64  `json:"end_ms"`
	Text    string `json:"text"`
	Source  string `json:"source,omitempty"`
}

// editorIssue is one finding of the track's validation, in words.
type editorIssue struct {
	Cue      int    `json:"cue"` // 1-based; 0 for the track
	Code     string `json:"code"`
	Severity string `json:"severity"`
	Message  string `json:"message"` // with the cue's number, for the report
	Short    string `json:"short"`   // without it, shown at the cue
}

// editorCues answers cues.json and an autosave: the version to save from next, the progress
// and the validation report; cues.json also carries the cues with their source text.
type editorCues struct {
	Version  int64  `json:"version"`
	Status   string `json:"status"`
	Progress int    `json:"progress"`
	// ProgressText says the progress in words, in the user's language.
	ProgressText string        `json:"progress_text"`
	Done         int           `json:"done"`
	Total        int           `json:"total"`
	Cues         []editorCue   `json:"cues,omitempty"`
	Issues       []editorIssue `json:"issues"`
	Blocking     bool          `json:"blocking"`
	Report       *editorReport `json:"report,omitempty"`
}

// editorReport is the "Check" section of the editor, in words.
type editorReport struct {
	ErrorsText   string   `json:"errors_text"`
	Errors       []string `json:"errors"`
	WarningsText string   `json:"warnings_text"`
	Warnings     []string `json:"warnings"`
	NoneText     string   `json:"none_text"`
}

func editorReportOf(l *i18n.Localizer, issues []editorIssue) *editorReport {
	r := &editorReport{Errors: []string{}, Warnings: []string{}, NoneText: l.T("translate.editor.no_issues")}
	for _, is := range issues {
		if is.Severity == string(subtitle.SeverityError) {
			r.Errors = append(r.Errors, is.Message)
		} else {
			r.Warnings = append(r.Warnings, is.Message)
		}
	}
	r.ErrorsText = l.N("translate.editor.errors", len(r.Errors))
	r.WarningsText = l.N("translate.editor.warnings", len(r.Warnings))
	return r
}

// editorCueProblem says why a cue of an autosave cannot be saved.
type editorCueProblem struct {
	Cue      int      `json:"cue"`
	Messages []string `json:"messages"`
}

// autosaveError is err as the autosave says it. The editor keeps the typed text on the page,
// so a conflict's message tells what to do with it rather than the tracks page's "reload".
func autosaveError(err error) error {
	switch {
	case errors.Is(err, track.ErrStale):
		return problem.New(http.StatusConflict, "translate.error.stale")
	case errors.Is(err, track.ErrNotEditable):
		return problem.New(http.StatusConflict, "translate.error.not_editable")
	}
	return err
}

// editorProgress says how much of a track has text: "3 of 12 cues have text (25 %)".
func editorProgress(l *i18n.Localizer, t *track.Track) string {
	return l.N("translate.editor.done", t.CueCount, "done", t.DoneCount, "percent", t.Progress())
}

// editorIssues renders a validation report, errors first.
func editorIssues(l *i18n.Localizer, rep subtitle.Report) []editorIssue {
	var out []editorIssue
	for _, sev := range []subtitle.Severity{subtitle.SeverityError, subtitle.SeverityWarning} {
		for _, is := range rep.Issues {
			if is.Severity != sev {
				continue
			}
			msg := l.T("translate.issue."+string(is.Code), "cue", is.Cue, "other", is.Other,
				"count", math.Round(is.Value), "limit", math.Round(is.Limit))
			if msg == "translate.issue."+string(is.Code) {
				msg = l.T("translate.issue.other", "cue", is.Cue)
			}
			short := msg
			if is.Cue > 0 {
				msg = l.T("translate.issue.at_cue", "cue", is.Cue, "message", msg)
			}
			out = append(out, editorIssue{Cue: is.Cue, Code: string(is.Code), Severity: string(is.Severity), Message: msg, Short: short})
		}
	}
	return out
}

// workState is a track with what the editor shows next to it.
type workState struct {
	t      *track.Track
	v      *video.Video
	cues   *subtitle.Track
	source *track.Track // nil unless a translation whose source still exists
	srcCue []string     // the source text of each cue
	report subtitle.Report
}

// workStateOf loads what the editor shows beside t.
func (s *Server) workStateOf(ctx context.Context, t *track.Track) (*workState, error) {
	ws := &workState{t: t}
	var err error
	if ws.v, err = video.Get(ctx, s.db.R, t.VideoID); err != nil {
		return nil, err
	}
	if ws.cues, err = t.Cues(); err != nil {
		return nil, err
	}
	ws.report = subtitle.Validate(ws.cues, subtitle.ValidateOptions{VideoDuration: ws.v.Duration})
	if t.SourceTrackID != 0 {
		src, err := track.Get(ctx, s.db.R, t.SourceTrackID)
		switch {
		case errors.Is(err, db.ErrNotFound):
		case err != nil:
			return nil, err
		default:
			srcCues, err := src.Cues()
			if err != nil {
				return nil, err
			}
			ws.source = src
			ws.srcCue = track.SourceTexts(srcCues, ws.cues)
		}
	}
	return ws, nil
}

// trackCuesJSON gives the editor the cues with their source text.
func (s *Server) trackCuesJSON(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	l := s.cat.Localizer(s.adminLang(w, r))
	t, err := s.loadWorkTrack(ctx, r)
	if err != nil {
		s.failJSON(w, r, l, err)
		return
	}
	ws, err := s.workStateOf(ctx, t)
	if err != nil {
		s.failJSON(w, r, l, err)
		return
	}
	out := editorCues{Version: t.Version, Status: t.Status, Progress: t.Progress(), ProgressText: editorProgress(l, t),
		Done: t.DoneCount, Total: t.CueCount, Issues: editorIssues(l, ws.report), Blocking: ws.report.Blocking(), Cues: []editorCue{}}
	for i, c := range ws.cues.Cues {
		cj := editorCue{StartMS: c.Start.Milliseconds(), EndMS: c.End.Milliseconds(), Text: c.Text}
		if ws.srcCue != nil {
			cj.Source = ws.srcCue[i]
		}
		out.Cues = append(out.Cues, cj)
	}
	writeJSON(w, http.StatusOK, l.Lang, out)
}

// editorSave is an autosave of the cue editor: the whole cue list, as split and merged in the
// browser, and the version it was edited from.
type editorSave struct {
	Version int64       `json:"version"`
	Cues    []editorCue `json:"cues"`
}

// editorCuesOf checks the cues of an autosave and builds them on top of the stored track, keeping the
// layout settings of cues whose start did not move. Timing mistakes (an end before its start)
// are saved and reported, as a translator may be half-way through fixing them; only what cannot
// be a cue at all is refused.
func editorCuesOf(l *i18n.Localizer, stored *subtitle.Track, in []editorCue) (*subtitle.Track, []editorCueProblem) {
	byStart := map[time.Duration]*subtitle.Cue{}
	for _, c := range stored.Cues {
		if _, ok := byStart[c.Start]; !ok {
			byStart[c.Start] = c
		}
	}
	st := *stored
	st.Cues = make([]*subtitle.Cue, 0, len(in))
	var problems []editorCueProblem
	for i, cj := range in {
		var msgs []string
		if cj.StartMS < 0 || cj.EndMS < 0 {
			msgs = append(msgs, l.T("translate.cue.negative"))
		}
		// Compared in milliseconds: a huge number would overflow a time.Duration.
		if limit := maxEditorCueTime.Milliseconds(); cj.StartMS > limit || cj.EndMS > limit {
			msgs = append(msgs, l.T("translate.cue.too_late"))
		}
		text := strings.TrimRight(strings.ReplaceAll(strings.ReplaceAll(cj.Text, "\x00", ""), "\r", ""), " \t\n")
		if !utf8.ValidString(text) || utf8.RuneCountInString(text) > maxEditorCueRunes {
			msgs = append(msgs, l.T("translate.cue.too_long", "count", maxEditorCueRunes))
		}
		if len(msgs) > 0 {
			problems = append(problems, editorCueProblem{Cue: i + 1, Messages: msgs})
			continue
		}
		start, end := time.Duration(cj.StartMS)*time.Millisecond, time.Duration(cj.EndMS)*time.Millisecond
		c := subtitle.NewCue()
		if old, ok := byStart[start]; ok {
			cc := *old
			c = &cc
			c.ID = ""
		}
		c.Start, c.End, c.Text, c.SourceLine = start, end, text, 0
		st.Cues = append(st.Cues, c)
	}
	return &st, problems
}

// trackCuesSave is the autosave: the whole cue list of a draft, checked against the version
// it was edited from; 409 when someone else saved in between.
func (s *Server) trackCuesSave(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	l := s.cat.Localizer(s.adminLang(w, r))
	t, err := s.loadWorkTrack(ctx, r)
	if err != nil {
		s.failJSON(w, r, l, err)
		return
	}
	var req editorSave
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.failJSON(w, r, l, problem.New(http.StatusRequestEntityTooLarge, "translate.error.too_large"))
			return
		}
		s.failJSON(w, r, l, badRequest())
		return
	}
	if req.Version <= 0 {
		s.failJSON(w, r, l, badRequest())
		return
	}
	if t.Status != track.StatusDraft {
		s.failJSON(w, r, l, autosaveError(track.ErrNotEditable))
		return
	}
	if req.Version != t.Version {
		s.failJSON(w, r, l, autosaveError(track.ErrStale))
		return
	}
	stored, err := t.Cues()
	if err != nil {
		s.failJSON(w, r, l, err)
		return
	}
	st, problems := editorCuesOf(l, stored, req.Cues)
	if len(problems) > 0 {
		writeJSON(w, http.StatusUnprocessableEntity, l.Lang, jsonError{Error: l.T("translate.error.cues"), Cues: problems})
		return
	}
	v, err := video.Get(ctx, s.db.R, t.VideoID)
	if err != nil {
		s.failJSON(w, r, l, err)
		return
	}
	before := track.AuditOf(t)
	if err := t.SetCues(st); err != nil {
		s.failJSON(w, r, l, err)
		return
	}
	err = s.change(r, auth.ActionEditCues, auth.EntitySubtitleTrack, func(tx *sql.Tx) (int64, any, any, error) {
		err := track.SaveCues(ctx, tx, t)
		return t.ID, before, track.AuditOf(t), err
	})
	if err != nil {
		s.failJSON(w, r, l, autosaveError(err))
		return
	}
	rep, err := t.Report(v.Duration)
	if err != nil {
		s.failJSON(w, r, l, err)
		return
	}
	issues := editorIssues(l, rep)
	writeJSON(w, http.StatusOK, l.Lang, editorCues{Version: t.Version, Status: t.Status, Progress: t.Progress(),
		ProgressText: editorProgress(l, t), Done: t.DoneCount, Total: t.CueCount, Issues: issues, Blocking: rep.Blocking(),
		Report: editorReportOf(l, issues)})
}

// editorCueRow is one cue of the editor page.
type editorCueRow struct {
	Num        int
	Start, End string
	Text       string
	Source     string
	Issues     []editorIssue
}

// reviewRow is one step of the review history.
type reviewRow struct {
	Code    string // the step, track.ActionSubmit, …
	When    string
	Who     string
	Action  string
	Comment string
}

// trackEditorData is the editor page.
type trackEditorData struct {
	ID, VideoID   int64
	Version       int64
	Lang          string
	LangName      string
	VideoTitle    string
	VideoLang     string
	VideoURL      string
	Poster        string
	Status        string
	StatusLabel   string
	Translation   bool
	SourceLang    string
	SourceName    string
	SourceID      int64
	Translator    string
	Comment       string // the review comment when sent back
	Cues          []editorCueRow
	Done, Total   int
	Progress      int
	Errors        []editorIssue
	Warnings      []editorIssue
	Editable      bool
	CanSubmit     bool
	CanReview     bool // approve or return
	CanReopen     bool
	Machine       bool // the machine-translate button
	MachineOn     bool // machine translation is configured
	CanTranslate  bool // an editor: the new-translation form
	Translators   []option
	NewLang       string
	NewTranslator string
	ReturnComment string
	History       []reviewRow
}

// editorOpts are what a failed action sends back to the editor page.
type editorOpts struct {
	errs          problem.Fields
	problem       string // the catalog key of why the request was refused, shown as an error
	newLang       string
	newTranslator string
	returnComment string
}

// editorNotices are the notices of the editor page.
var editorNotices = noticeSet{
	"created":    "translate.notice.created",
	"submit":     "translate.notice.submitted",
	"approve":    "translate.notice.approved",
	"return":     "translate.notice.returned",
	"reopen":     "translate.notice.reopened",
	"mt_done":    "translate.notice.mt_done",
	"mt_nothing": "translate.notice.mt_nothing",
	"mt_failed":  "translate.notice.mt_failed",
}

// editorClock writes a cue time as the editor's inputs take it: 00:01:02.500.
func editorClock(d time.Duration) string {
	ms := d.Milliseconds()
	neg := ""
	if ms < 0 {
		neg, ms = "-", -ms
	}
	return fmt.Sprintf("%s%02d:%02d:%02d.%03d", neg, ms/3600000, ms/60000%60, ms/1000%60, ms%1000)
}

// trackEditor is the cue editor page.
func (s *Server) trackEditor(w http.ResponseWriter, r *http.Request) {
	t, err := s.loadWorkTrack(r.Context(), r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderEditor(w, r, http.StatusOK, t, editorOpts{})
}

// renderEditor renders the editor page of t with status; o carries what a failed action
// sends back.
func (s *Server) renderEditor(w http.ResponseWriter, r *http.Request, status int, t *track.Track, o editorOpts) {
	ctx := r.Context()
	p := s.adminPage(w, r, "")
	l := p.L
	ws, err := s.workStateOf(ctx, t)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	u := userFrom(r)
	editor := u.Role.AtLeast(auth.RoleEditor)
	users, err := auth.Users(ctx, s.db.R)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	names := map[int64]string{}
	for _, x := range users {
		names[x.ID] = x.Name()
	}
	v := ws.v
	d := trackEditorData{ID: t.ID, VideoID: t.VideoID, Version: t.Version, Lang: t.Lang, LangName: langName(l, t.Lang),
		VideoTitle: v.Title(l.Lang), VideoLang: v.TitleLang(l.Lang), Status: t.Status,
		StatusLabel: l.T("translate.status." + t.Status), Translation: t.SourceTrackID != 0,
		Translator: names[t.TranslatorID], Comment: t.ReviewComment, Done: t.DoneCount, Total: t.CueCount,
		Progress: t.Progress(), Editable: t.Status == track.StatusDraft,
		NewLang: o.newLang, NewTranslator: o.newTranslator, ReturnComment: o.returnComment}
	d.CanSubmit = d.Editable
	d.CanReview = editor && t.Status == track.StatusInReview
	d.CanReopen = editor && t.Status == track.StatusApproved
	d.Machine = d.Editable && ws.source != nil && s.machine != nil
	d.CanTranslate = editor
	d.MachineOn = s.machine != nil
	if ws.source != nil {
		d.SourceLang, d.SourceName, d.SourceID = ws.source.Lang, langName(l, ws.source.Lang), ws.source.ID
	}
	p.Title = l.T("translate.editor.title", "language", d.LangName)
	// The video as the admin sees it: public files once published, the admin's copy before.
	if rd := v.Default(); rd.Key != "" {
		if v.Public() {
			d.VideoURL, d.Poster = mediaURL(rd.Key), mediaURL(v.PosterKey)
		} else {
			prefix := "/admin/videos/" + strconv.FormatInt(v.ID, 10) + "/files/"
			d.VideoURL = prefix + strings.TrimPrefix(rd.Key, video.KeyPrefix(v.ID))
			if v.PosterKey != "" {
				d.Poster = prefix + strings.TrimPrefix(v.PosterKey, video.KeyPrefix(v.ID))
			}
		}
	}
	issues := editorIssues(l, ws.report)
	byCue := map[int][]editorIssue{}
	for _, is := range issues {
		if is.Severity == string(subtitle.SeverityError) {
			d.Errors = append(d.Errors, is)
		} else {
			d.Warnings = append(d.Warnings, is)
		}
		// An empty cue is plain to see at the cue itself; the report and the progress count them.
		if is.Cue > 0 && is.Code != string(subtitle.CodeEmptyCue) {
			byCue[is.Cue] = append(byCue[is.Cue], is)
		}
	}
	for i, c := range ws.cues.Cues {
		row := editorCueRow{Num: i + 1, Start: editorClock(c.Start), End: editorClock(c.End), Text: c.Text, Issues: byCue[i+1]}
		if ws.srcCue != nil {
			row.Source = ws.srcCue[i]
		}
		d.Cues = append(d.Cues, row)
	}
	if editor {
		for _, x := range users {
			if !x.Disabled && x.Role.AtLeast(auth.RoleTranslator) {
				d.Translators = append(d.Translators, option{strconv.FormatInt(x.ID, 10), x.Name()})
			}
		}
	}
	hist, err := track.History(ctx, s.db.R, t.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, h := range slices.Backward(hist) {
		who := names[h.UserID]
		if who == "" {
			who = l.T("translate.history.nobody")
		}
		d.History = append(d.History, reviewRow{Code: h.Action, When: l.DateTime(h.CreatedAt, time.UTC), Who: who,
			Action: l.T("translate.action." + h.Action), Comment: h.Comment})
	}
	if status == http.StatusOK {
		showNotice(p, r, editorNotices)
		// An approved track is public only once its video is: until then the notice says so.
		if r.URL.Query().Get("notice") == "approve" && !v.Public() {
			p.Message = l.T("translate.notice.approved_unpublished")
		}
	}
	if o.problem != "" {
		p.Alert = l.T(o.problem)
	}
	p.Errors = o.errs
	p.Data = d
	s.render(w, r, status, "admin/track-editor", p)
}

// trackReview moves a track through the review: submit (its translator or an editor), approve,
// return with a comment, reopen (editors). The rules are track's (Submit, Approve, Return,
// Reopen), passed as step, named action in the notice; a refusal shows the editor page with
// the reason.
func (s *Server) trackReview(action string, step func(context.Context, *sql.Tx, track.Step) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		t, err := s.loadWorkTrack(ctx, r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		version, ok := s.formVersion(w, r)
		if !ok {
			return
		}
		comment := formValue(r, "comment")
		err = s.db.InTx(ctx, func(tx *sql.Tx) error {
			return step(ctx, tx, track.Step{Track: t, Version: version, Actor: userFrom(r), Comment: comment, At: s.now()})
		})
		var fields problem.Fields
		switch {
		case errors.Is(err, track.ErrStale):
			fresh, gerr := track.Get(ctx, s.db.R, t.ID)
			if gerr != nil {
				s.fail(w, r, gerr)
				return
			}
			s.renderEditor(w, r, http.StatusConflict, fresh, editorOpts{problem: "translate.error.stale", returnComment: comment})
		case errors.As(err, &fields):
			s.renderEditor(w, r, http.StatusUnprocessableEntity, t, editorOpts{errs: fields, returnComment: comment})
		case errors.Is(err, track.ErrTransition):
			s.renderEditor(w, r, http.StatusConflict, t, editorOpts{problem: "translate.error.transition"})
		case errors.Is(err, track.ErrBlocked):
			s.renderEditor(w, r, http.StatusUnprocessableEntity, t, editorOpts{problem: "translate.error.blocked"})
		case err != nil:
			s.fail(w, r, err)
		default:
			http.Redirect(w, r, fmt.Sprintf("/admin/tracks/%d/edit?notice=%s", t.ID, action), http.StatusSeeOther)
		}
	}
}

// translationCreate makes a draft translation of the track (track.NewTranslation): the same
// cues and timings with empty text, or with machine-translated text when asked for and
// configured.
func (s *Server) translationCreate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	src, err := track.Get(ctx, s.db.R, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rawLang, rawTranslator := formValue(r, "lang"), formValue(r, "translator")
	order := track.TranslationOrder{Lang: rawLang, Actor: userFrom(r)}
	if rawTranslator != "" && rawTranslator != "0" {
		if order.TranslatorID, err = strconv.ParseInt(rawTranslator, 10, 64); err != nil || order.TranslatorID <= 0 {
			order.TranslatorID = -1 // no account: refused as any unknown one
		}
	}
	if r.PostFormValue("machine") != "" {
		order.Machine = s.machine
	}
	t, machineErr, err := track.NewTranslation(ctx, s.db, src, order)
	var fields problem.Fields
	switch {
	case errors.As(err, &fields):
		s.renderEditor(w, r, http.StatusUnprocessableEntity, src, editorOpts{errs: fields, newLang: rawLang, newTranslator: rawTranslator})
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	notice := "created"
	if machineErr != nil {
		s.log.Warn("machine translation", "track", src.ID, "to", t.Lang, "err", machineErr)
		notice = "mt_failed"
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/tracks/%d/edit?notice=%s", t.ID, notice), http.StatusSeeOther)
}

// machineFailure says what the user reads when the machine translation fails, and with which
// status; the service is someone else's, so never a 5xx of ours but 503 for "try later".
func machineFailure(err error) (int, string) {
	var te *translate.Error
	switch {
	case errors.As(err, &te) && te.Status == http.StatusTooManyRequests:
		return http.StatusTooManyRequests, "translate.mt.busy"
	case errors.As(err, &te) && te.Status == http.StatusBadRequest:
		return http.StatusUnprocessableEntity, "translate.mt.unsupported"
	case errors.As(err, &te) && (te.Status == http.StatusUnauthorized || te.Status == http.StatusForbidden):
		return http.StatusServiceUnavailable, "translate.mt.refused"
	default:
		return http.StatusServiceUnavailable, "translate.mt.unavailable"
	}
}

// trackMachineTranslate fills the empty cues of a draft translation from its source track
// through the configured service (track.FillByMachine); nothing changes when the service fails.
func (s *Server) trackMachineTranslate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	tr := s.machine
	if tr == nil {
		s.notFound(w, r)
		return
	}
	t, err := s.loadWorkTrack(ctx, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	version, ok := s.formVersion(w, r)
	if !ok {
		return
	}
	filled, err := track.FillByMachine(ctx, s.db, t, version, tr, userFrom(r))
	conflict := func(key string) {
		fresh, gerr := track.Get(ctx, s.db.R, t.ID)
		if gerr != nil {
			s.fail(w, r, gerr)
			return
		}
		s.renderEditor(w, r, http.StatusConflict, fresh, editorOpts{problem: key})
	}
	switch {
	case errors.Is(err, track.ErrNoSource):
		conflict("translate.error.no_source")
	case errors.Is(err, track.ErrNotEditable):
		conflict("translate.error.not_editable")
	case errors.Is(err, track.ErrStale):
		conflict("translate.error.stale")
	case errors.Is(err, track.ErrMachine):
		s.log.Warn("machine translation", "track", t.ID, "to", t.Lang, "err", err)
		status, key := machineFailure(err)
		s.renderEditor(w, r, status, t, editorOpts{problem: key})
	case err != nil:
		s.fail(w, r, err)
	case filled == 0:
		http.Redirect(w, r, fmt.Sprintf("/admin/tracks/%d/edit?notice=mt_nothing", t.ID), http.StatusSeeOther)
	default:
		http.Redirect(w, r, fmt.Sprintf("/admin/tracks/%d/edit?notice=mt_done", t.ID), http.StatusSeeOther)
	}
}

// translationRow is one track of the work list.
type translationRow struct {
	ID          int64
	VideoTitle  string
	VideoLang   string
	LangName    string
	SourceName  string
	Status      string
	StatusLabel string
	Progress    int
	Done, Total int
	Translator  string
	Returned    bool
	Updated     string
}

// translationListData is the work list.
type translationListData struct {
	List   listView
	Rows   []translationRow
	Editor bool
	// Messages are the citizens' messages whose translation an editor asked for.
	Messages []messageTranslationRow
}

// messageTranslationRow is a translation of a citizen's message asked for, linked to the
// message in its call's queue, where the translation is written.
type messageTranslationRow struct {
	URL, Body, From, FromName, LangName string
}

// translationList is the work list: a translator's assigned tracks, or every open translation
// for an editor.
func (s *Server) translationList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := s.adminPage(w, r, "translate.list.title")
	l := p.L
	u := userFrom(r)
	editor := u.Role.AtLeast(auth.RoleEditor)
	var ts []*track.Track
	var err error
	if editor {
		ts, err = track.OpenTranslations(ctx, s.db.R)
	} else {
		ts, err = track.AssignedTo(ctx, s.db.R, u.ID)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	lq := readList(r, adminListSize)
	if lq.Q != "" {
		matching, err := video.Matching(ctx, s.db.R, lq.Q)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		ts = slices.DeleteFunc(ts, func(t *track.Track) bool { return !matching[t.VideoID] })
	}
	lv := newListView(l, r, lq, len(ts))
	ts = pageRows(ts, lv.Pager)
	users, err := auth.Users(ctx, s.db.R)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	names := map[int64]string{}
	for _, x := range users {
		names[x.ID] = x.Name()
	}
	videos := map[int64]*video.Video{}
	sources := map[int64]string{}
	data := translationListData{Editor: editor, List: lv}
	for _, t := range ts {
		v, ok := videos[t.VideoID]
		if !ok {
			if v, err = video.Get(ctx, s.db.R, t.VideoID); err != nil {
				s.fail(w, r, err)
				return
			}
			videos[t.VideoID] = v
		}
		row := translationRow{ID: t.ID, VideoTitle: v.Title(l.Lang), VideoLang: v.TitleLang(l.Lang), LangName: langName(l, t.Lang),
			Status: t.Status, StatusLabel: l.T("translate.status." + t.Status), Progress: t.Progress(), Done: t.DoneCount,
			Total: t.CueCount, Translator: names[t.TranslatorID], Returned: t.Status == track.StatusDraft && t.ReviewComment != "",
			Updated: l.Date(t.UpdatedAt)}
		if t.SourceTrackID != 0 {
			name, ok := sources[t.SourceTrackID]
			if !ok {
				if src, err := track.Get(ctx, s.db.R, t.SourceTrackID); err == nil {
					name = langName(l, src.Lang)
				}
				sources[t.SourceTrackID] = name
			}
			row.SourceName = name
		}
		data.Rows = append(data.Rows, row)
	}
	asked, err := messages.RequestedTranslations(ctx, s.db.R)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, a := range asked {
		data.Messages = append(data.Messages, messageTranslationRow{URL: fmt.Sprintf("/admin/messages/%d/queue#message-%d", a.CallID, a.MessageID),
			Body: a.Body, From: a.From, FromName: langName(l, a.From), LangName: langName(l, a.Lang)})
	}
	p.Data = data
	s.render(w, r, http.StatusOK, "admin/translations", p)
}
