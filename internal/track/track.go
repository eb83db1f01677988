// Package track keeps the subtitle and caption tracks of sistercity's videos: imported files,
// translations in progress and approved tracks, each a row holding its cues as normalised
// WebVTT. It adds the database and the workflow to package subtitle, which knows the formats:
// a track is imported through subtitle.Parse, stored with SetCues, read back with Cues, and
// moves draft → in review → approved. Only approved tracks are public.
package track

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"sistercity/internal/db"
	"sistercity/internal/problem"
	"sistercity/internal/subtitle"
)

// Workflow statuses.
const (
	StatusDraft    = "draft"     // imported, being edited or translated
	StatusInReview = "in_review" // submitted, waiting for an editor
	StatusApproved = "approved"  // public
)

// Statuses lists the statuses in workflow order.
var Statuses = []string{StatusDraft, StatusInReview, StatusApproved}

// Review actions kept in a track's history.
const (
	ActionSubmit  = "submit"  // the translator sends the track for review
	ActionApprove = "approve" // an editor makes it public
	ActionReturn  = "return"  // an editor sends it back with a comment
	ActionReopen  = "reopen"  // an editor takes an approved track back to draft
)

// transitions says which action moves a track from which status to which.
var transitions = map[string]struct{ from, to string }{
	ActionSubmit:  {StatusDraft, StatusInReview},
	ActionApprove: {StatusInReview, StatusApproved},
	ActionReturn:  {StatusInReview, StatusDraft},
	ActionReopen:  {StatusApproved, StatusDraft},
}

// Kinds are the track kinds a video may have, as the HTML <track> element names them.
var Kinds = []subtitle.Kind{subtitle.KindSubtitles, subtitle.KindCaptions, subtitle.KindDescriptions, subtitle.KindChapters}

// Limits.
const (
	// MaxVTTBytes bounds a track's stored WebVTT: about ten hours of dense subtitles.
	MaxVTTBytes = 4 << 20
	MaxCues     = 20000
	MaxLabel    = 100
	MaxComment  = 2000
	MaxOrigin   = 300
)

// Errors.
var (
	// ErrStale is returned when a track was changed by someone else since it was read; it is a
	// db.ErrStale.
	ErrStale = fmt.Errorf("track: %w", db.ErrStale)
	// ErrTransition is returned for a workflow step the track's status does not allow.
	ErrTransition = errors.New("track: status change not allowed")
	// ErrBlocked is returned when a track with validation errors is submitted or approved.
	ErrBlocked = errors.New("track: validation errors block it")
	// ErrNotEditable is returned when the cues of a track that is not a draft are saved.
	ErrNotEditable = errors.New("track: only a draft can be edited")
)

// Track is one subtitle track of a video.
type Track struct {
	ID      int64
	VideoID int64
	Lang    string // BCP 47, canonical
	Kind    subtitle.Kind
	Label   string
	Default bool
	Status  string
	// SourceTrackID is the track this one translates; 0 when it was imported.
	SourceTrackID int64
	// TranslatorID is the user assigned to translate or edit it; 0 when nobody is.
	TranslatorID int64
	// Origin says where the cues came from: "file.smi (SAMI, CP949)", "stream 2", …
	Origin string
	// VTT is the track's normalised WebVTT; set it through SetCues.
	VTT string
	// PlainText is the cue text without markup, one cue per line.
	PlainText string
	CueCount  int
	// DoneCount is how many cues have text: the translated part of a translation.
	DoneCount     int
	ReviewComment string
	Version       int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Progress is the share of cues with text, in percent.
func (t *Track) Progress() int {
	if t.CueCount == 0 {
		return 0
	}
	return t.DoneCount * 100 / t.CueCount
}

// Public tells whether viewers may see the track.
func (t *Track) Public() bool { return t.Status == StatusApproved }

// Cues parses the stored WebVTT back into a subtitle.Track carrying the row's language, kind
// and label.
func (t *Track) Cues() (*subtitle.Track, error) {
	st, err := subtitle.ParseWebVTTLimit(strings.NewReader(t.VTT), MaxVTTBytes+1)
	if err != nil {
		return nil, fmt.Errorf("track %d: %w", t.ID, err)
	}
	st.Language, st.Kind, st.Label = t.Lang, t.Kind, t.Label
	return st, nil
}

// SetCues stores st's cues (sanitised) as the track's WebVTT and recounts them. A translation
// keeps cues whose text is still empty: DoneCount counts the others.
func (t *Track) SetCues(st *subtitle.Track) error {
	if len(st.Cues) > MaxCues {
		return problem.New(http.StatusUnprocessableEntity, "track.error.too_many_cues")
	}
	clean := *st
	clean.Cues = make([]*subtitle.Cue, len(st.Cues))
	var plain strings.Builder
	done := 0
	for i, c := range st.Cues {
		cc := *c
		cc.Text = subtitle.SanitizeCueText(strings.ReplaceAll(c.Text, "\r", ""))
		clean.Cues[i] = &cc
		text := PlainCueText(cc.Text)
		if text != "" {
			done++
		}
		plain.WriteString(text)
		plain.WriteByte('\n')
	}
	var b bytes.Buffer
	if err := subtitle.WriteWebVTT(&b, &clean); err != nil {
		return fmt.Errorf("track: %w", err)
	}
	if b.Len() > MaxVTTBytes {
		return problem.New(http.StatusRequestEntityTooLarge, "track.error.too_large")
	}
	t.VTT, t.PlainText = b.String(), plain.String()
	t.CueCount, t.DoneCount = len(clean.Cues), done
	return nil
}

// PlainCueText is a cue's text as a viewer reads it: markup removed, ruby text in parentheses
// after its base (as subtitle.CueNode.PlainText gives it), lines joined by spaces.
func PlainCueText(text string) string {
	return strings.Join(strings.Fields(subtitle.ParseCueText(text).PlainText()), " ")
}

// Validate checks the track's fields (not its cues: see Report). Field names match the
// admin forms'.
func (t *Track) Validate() error {
	var f problem.Fields
	lang, err := subtitle.CanonicalLanguage(strings.TrimSpace(t.Lang))
	if err != nil || lang == "" {
		f.Add("lang", "track.error.lang")
	} else {
		t.Lang = lang
	}
	if !slices.Contains(Kinds, t.Kind) {
		f.Add("kind", "track.error.kind")
	}
	t.Label = strings.TrimSpace(t.Label)
	if len([]rune(t.Label)) > MaxLabel || strings.ContainsAny(t.Label, "\n\r") {
		f.Add("label", "track.error.label")
	}
	if !slices.Contains(Statuses, t.Status) {
		f.Add("status", "track.error.status")
	}
	if len([]rune(t.Origin)) > MaxOrigin {
		t.Origin = string([]rune(t.Origin)[:MaxOrigin])
	}
	return f.Err()
}

// Report validates the track's cues against the video's duration.
func (t *Track) Report(videoDuration time.Duration) (subtitle.Report, error) {
	st, err := t.Cues()
	if err != nil {
		return subtitle.Report{}, err
	}
	return subtitle.Validate(st, subtitle.ValidateOptions{VideoDuration: videoDuration}), nil
}
