package track

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"html"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"sistercity/internal/auth"
	"sistercity/internal/db"
	"sistercity/internal/problem"
	"sistercity/internal/subtitle"
	"sistercity/internal/translate"
	"sistercity/internal/video"
)

// The workflow's use cases: each checks its rules, changes the track and writes its audit
// entry in the caller's transaction, whoever calls — a page, a command, a job.

// Step is a review step someone asks for: the track as they read it, the version they acted
// on, who they are, their comment and when.
type Step struct {
	Track   *Track // moved in place when the step succeeds
	Version int64
	Actor   *auth.User // nil for the system
	Comment string
	At      time.Time
}

// Submit sends a draft for review. A track whose validation report has errors cannot be
// submitted: ErrBlocked.
func Submit(ctx context.Context, tx *sql.Tx, s Step) error { return review(ctx, tx, ActionSubmit, s) }

// Approve makes a track in review public. A track whose validation report has errors cannot be
// approved: ErrBlocked.
func Approve(ctx context.Context, tx *sql.Tx, s Step) error { return review(ctx, tx, ActionApprove, s) }

// Return sends a track in review back to its translator; the comment saying why is required.
func Return(ctx context.Context, tx *sql.Tx, s Step) error { return review(ctx, tx, ActionReturn, s) }

// Reopen takes an approved track off the public site, back to draft.
func Reopen(ctx context.Context, tx *sql.Tx, s Step) error { return review(ctx, tx, ActionReopen, s) }

// reviewRecord is the audit entry of a review step: the track after it, with the comment.
type reviewRecord struct {
	Record
	Comment string `json:"comment,omitempty"`
}

// review checks a step in the order a person fixes things: someone else's change first, then
// the comment, then whether the step is open from the track's status, then the validation
// report; then it moves the track and audits the step.
func review(ctx context.Context, tx *sql.Tx, action string, s Step) error {
	t := s.Track
	if s.Version != t.Version {
		return fmt.Errorf("track: %d %s from version %d, now %d: %w", t.ID, action, s.Version, t.Version, ErrStale)
	}
	comment := strings.TrimSpace(s.Comment)
	var f problem.Fields
	switch {
	case action == ActionReturn && comment == "":
		f.Add("comment", "translate.error.comment_required")
	case utf8.RuneCountInString(comment) > MaxComment:
		f.Add("comment", "translate.error.comment_long", "count", MaxComment)
	}
	if err := f.Err(); err != nil {
		return err
	}
	if step := transitions[action]; step.from != t.Status {
		return fmt.Errorf("track: %d %s from %s: %w", t.ID, action, t.Status, ErrTransition)
	}
	if action == ActionSubmit || action == ActionApprove {
		if err := checkNotBlocked(ctx, tx, t); err != nil {
			return err
		}
	}
	before := AuditOf(t)
	if err := move(ctx, tx, t, action, actorID(s.Actor), comment, s.At); err != nil {
		return err
	}
	return auth.Audit(ctx, tx, s.Actor, auth.Action(action), auth.EntitySubtitleTrack, t.ID, before, reviewRecord{AuditOf(t), comment})
}

// checkNotBlocked validates t against its video's duration: ErrBlocked when the report has
// errors (warnings do not block).
func checkNotBlocked(ctx context.Context, q db.Querier, t *Track) error {
	v, err := video.Get(ctx, q, t.VideoID)
	if err != nil {
		return err
	}
	rep, err := t.Report(v.Duration)
	if err != nil {
		return err
	}
	if rep.Blocking() {
		return fmt.Errorf("track: %d has %d validation errors: %w", t.ID, rep.Count(subtitle.SeverityError), ErrBlocked)
	}
	return nil
}

func actorID(u *auth.User) int64 {
	if u == nil {
		return 0
	}
	return u.ID
}

// Record is a track as the audit log keeps it: its metadata and counts, not its cues, which
// are too long to copy at every autosave; the version says which state they were in.
type Record struct {
	ID            int64  `json:"id"`
	VideoID       int64  `json:"video_id"`
	Lang          string `json:"lang"`
	Kind          string `json:"kind"`
	Label         string `json:"label"`
	Default       bool   `json:"default"`
	Status        string `json:"status"`
	Origin        string `json:"origin"`
	SourceTrackID int64  `json:"source_track_id,omitempty"`
	TranslatorID  int64  `json:"translator_id,omitempty"`
	Cues          int    `json:"cues"`
	Done          int    `json:"done"`
	Version       int64  `json:"version"`
}

// AuditOf is t as the audit log keeps it.
func AuditOf(t *Track) Record {
	return Record{ID: t.ID, VideoID: t.VideoID, Lang: t.Lang, Kind: string(t.Kind), Label: t.Label, Default: t.Default,
		Status: t.Status, Origin: t.Origin, SourceTrackID: t.SourceTrackID, TranslatorID: t.TranslatorID,
		Cues: t.CueCount, Done: t.DoneCount, Version: t.Version}
}

// MaxMachineTime bounds a whole machine translation, all its batches, so a slow service
// cannot hold a request for long.
const MaxMachineTime = 2 * time.Minute

// maxLangTag bounds a typed language tag, as video.CanonicalLang does.
const maxLangTag = 35

// TranslationOrder is a new translation someone asks for.
type TranslationOrder struct {
	Lang string // as typed; canonicalised
	// TranslatorID is the user to assign it to: 0 for nobody; it must be an enabled account
	// that may translate.
	TranslatorID int64
	// Machine fills the cues by machine translation when not nil.
	Machine translate.Translator
	Actor   *auth.User
}

// NewTranslation makes a draft translation of src in lang and stores it, audited: the source's
// cues and timings with empty text, or with the machine's text when o.Machine is set. Captions
// become subtitles, since the sounds they describe are not translated; the label is the
// language's name in itself. A refused order is a problem.Fields on "lang" and "translator".
// When the machine translation fails the draft is made with empty cues and its error returned
// as machineErr; err is for what stopped the translation from being made. The machine is asked
// before the transaction, which only stores.
func NewTranslation(ctx context.Context, d *db.DB, src *Track, o TranslationOrder) (t *Track, machineErr, err error) {
	lang, refused := translationLang(src, o.Lang)
	var f problem.Fields
	if refused != "" {
		f.Add("lang", refused)
	}
	if o.TranslatorID != 0 {
		tu, err := auth.GetUser(ctx, d.R, o.TranslatorID)
		switch {
		case errors.Is(err, db.ErrNotFound) || (err == nil && (tu.Disabled || !tu.Role.AtLeast(auth.RoleTranslator))):
			f.Add("translator", "translate.error.translator")
		case err != nil:
			return nil, nil, err
		}
	}
	if err := f.Err(); err != nil {
		return nil, nil, err
	}
	srcCues, err := src.Cues()
	if err != nil {
		return nil, nil, err
	}
	kind := src.Kind
	if kind == subtitle.KindCaptions {
		kind = subtitle.KindSubtitles
	}
	st := &subtitle.Track{Language: lang, Kind: kind, Label: translationLabel(lang)}
	for _, c := range srcCues.Cues {
		cc := *c
		cc.Text, cc.ID, cc.SourceLine = "", "", 0
		st.Cues = append(st.Cues, &cc)
	}
	if o.Machine != nil {
		machineErr = machineFill(ctx, o.Machine, srcCues, st, src.Lang, lang)
	}
	t = &Track{VideoID: src.VideoID, Lang: lang, Kind: kind, Label: st.Label, Status: StatusDraft,
		SourceTrackID: src.ID, TranslatorID: o.TranslatorID}
	if err := t.Validate(); err != nil {
		return nil, nil, err
	}
	if err := t.SetCues(st); err != nil {
		return nil, nil, err
	}
	err = d.InTx(ctx, func(tx *sql.Tx) error {
		if err := Create(ctx, tx, t); err != nil {
			return err
		}
		return auth.Audit(ctx, tx, o.Actor, auth.ActionCreate, auth.EntitySubtitleTrack, t.ID, nil, AuditOf(t))
	})
	if err != nil {
		return nil, nil, err
	}
	return t, machineErr, nil
}

// translationLang checks the language typed for a translation of src: the canonical tag, or
// the catalog key of the reason it is refused.
func translationLang(src *Track, raw string) (lang, refused string) {
	raw = strings.TrimSpace(raw)
	lang, err := subtitle.CanonicalLanguage(raw)
	switch {
	case err != nil || lang == "" || len(raw) > maxLangTag:
		return "", "track.error.lang"
	case lang == src.Lang:
		return "", "translate.error.same_lang"
	}
	return lang, ""
}

// machineFill writes the machine's translation of src's cues into the cues of st, which has
// the same cues; on failure st keeps its text.
func machineFill(ctx context.Context, m translate.Translator, src, st *subtitle.Track, from, to string) error {
	texts := make([]string, len(src.Cues))
	for i, c := range src.Cues {
		texts[i] = PlainCueText(c.Text)
	}
	ctx, cancel := context.WithTimeout(ctx, MaxMachineTime)
	defer cancel()
	got, err := m.Translate(ctx, texts, from, to)
	if err != nil {
		return err
	}
	if len(got) != len(texts) {
		return fmt.Errorf("track: machine translation gave %d texts for %d: %w", len(got), len(texts), translate.ErrBadResponse)
	}
	for i, text := range got {
		st.Cues[i].Text = MachineCueText(text)
	}
	return nil
}

// MachineCueText turns plain text from the machine translation into WebVTT cue text.
func MachineCueText(plain string) string {
	return strings.TrimSpace(html.EscapeString(strings.ReplaceAll(plain, "\x00", "")))
}

// translationLabel names a language in itself ("русский"), the label a player's menu shows.
func translationLabel(tag string) string {
	name := display.Self.Name(language.Make(tag))
	if name == "" {
		return tag
	}
	return name
}

// Errors of FillByMachine.
var (
	// ErrNoSource: the track translates no track, or its source was deleted.
	ErrNoSource = errors.New("track: no source track to translate from")
	// ErrMachine wraps the machine translation service's failure (a *translate.Error, or
	// translate.ErrUnavailable or ErrBadResponse).
	ErrMachine = errors.New("track: machine translation failed")
)

// FillByMachine fills the empty cues of the draft translation t, read at version, with the
// machine's translation of the source text shown at the same time, audited. Cues with text keep
// it. It reports how many cues it filled; none when nothing was empty. The machine is asked
// before the transaction, which only stores; when it fails (ErrMachine) nothing changes.
func FillByMachine(ctx context.Context, d *db.DB, t *Track, version int64, m translate.Translator, actor *auth.User) (int, error) {
	switch {
	case t.SourceTrackID == 0:
		return 0, fmt.Errorf("track: %d: %w", t.ID, ErrNoSource)
	case t.Status != StatusDraft:
		return 0, fmt.Errorf("track: %d is %s: %w", t.ID, t.Status, ErrNotEditable)
	case version != t.Version:
		return 0, fmt.Errorf("track: %d from version %d, now %d: %w", t.ID, version, t.Version, ErrStale)
	}
	src, err := Get(ctx, d.R, t.SourceTrackID)
	if errors.Is(err, db.ErrNotFound) {
		return 0, fmt.Errorf("track: %d: %w", t.ID, ErrNoSource)
	}
	if err != nil {
		return 0, err
	}
	srcCues, err := src.Cues()
	if err != nil {
		return 0, err
	}
	cues, err := t.Cues()
	if err != nil {
		return 0, err
	}
	srcText := SourceTexts(srcCues, cues)
	var todo []int
	var texts []string
	for i, c := range cues.Cues {
		if PlainCueText(c.Text) == "" && strings.TrimSpace(srcText[i]) != "" {
			todo = append(todo, i)
			texts = append(texts, srcText[i])
		}
	}
	if len(todo) == 0 {
		return 0, nil
	}
	mctx, cancel := context.WithTimeout(ctx, MaxMachineTime)
	got, err := m.Translate(mctx, texts, src.Lang, t.Lang)
	cancel()
	if err == nil && len(got) != len(texts) {
		err = fmt.Errorf("%d texts for %d: %w", len(got), len(texts), translate.ErrBadResponse)
	}
	if err != nil {
		return 0, fmt.Errorf("track: %d from %s to %s: %w: %w", t.ID, src.Lang, t.Lang, ErrMachine, err)
	}
	for j, i := range todo {
		cues.Cues[i].Text = MachineCueText(got[j])
	}
	before := AuditOf(t)
	filled := *t
	if err := filled.SetCues(cues); err != nil {
		return 0, err
	}
	err = d.InTx(ctx, func(tx *sql.Tx) error {
		if err := SaveCues(ctx, tx, &filled); err != nil {
			return err
		}
		return auth.Audit(ctx, tx, actor, auth.ActionMachineTranslate, auth.EntitySubtitleTrack, t.ID, before, AuditOf(&filled))
	})
	if err != nil {
		return 0, err
	}
	*t = filled
	return len(todo), nil
}
