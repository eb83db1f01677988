// Package video keeps sistercity's video messages: their texts in any number of languages,
// their origin (ours or a partner city's), the partnerships and tags they belong to, their
// publishing states, and the renditions, poster and thumbnail that processing makes from the
// uploaded source. It knows nothing of HTTP; internal/web shows and edits videos through it.
package video

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/language"

	"sistercity/internal/db"
	"sistercity/internal/problem"
)

// Publishing states.
const (
	StatePlanned   = "planned"
	StateDraft     = "draft"
	StateInReview  = "in_review"
	StateScheduled = "scheduled"
	StatePublished = "published"
	StateUnlisted  = "unlisted"
	StateWithdrawn = "withdrawn"
)

// States lists the publishing states in workflow order.
var States = []string{StatePlanned, StateDraft, StateInReview, StateScheduled, StatePublished, StateUnlisted, StateWithdrawn}

// transitions says which state may follow which. A draft may be published or scheduled in one
// step, or sent to review first: an office that wants every video reviewed says so in its
// Workflow, which then refuses the direct steps. A video may go back a step to be reworked,
// and a published or unlisted video may be withdrawn and brought back to draft.
var transitions = map[string][]string{
	StatePlanned:   {StateDraft, StateWithdrawn},
	StateDraft:     {StatePublished, StateScheduled, StateInReview, StatePlanned, StateWithdrawn},
	StateInReview:  {StatePublished, StateScheduled, StateUnlisted, StateDraft, StateWithdrawn},
	StateScheduled: {StatePublished, StateInReview, StateWithdrawn},
	StatePublished: {StateUnlisted, StateWithdrawn},
	StateUnlisted:  {StatePublished, StateWithdrawn},
	StateWithdrawn: {StateDraft},
}

// CanMove tells whether a video may go from state from to state to, whatever the office's
// Workflow.
func CanMove(from, to string) bool { return slices.Contains(transitions[from], to) }

// skipsReview tells whether the step from from to to makes a video public, or due to be,
// without a review.
func skipsReview(from, to string) bool {
	return from == StateDraft && (to == StatePublished || to == StateScheduled)
}

// needsRenditions tells whether a video must be processed to enter state s. A video may be
// scheduled while its source is still being processed: it is published at its time, or as soon
// as its first rendition is ready after that.
func needsRenditions(s string) bool {
	return s == StatePublished || s == StateUnlisted || s == StateScheduled
}

// canEnter tells whether v's processing lets it enter state s.
func canEnter(v *Video, s string) bool {
	return !needsRenditions(s) || v.Processed() || (s == StateScheduled && v.Pending())
}

// Workflow is the office's choice of publishing workflow, kept in its settings.
type Workflow struct {
	// ReviewRequired: a draft goes through review before it is published or scheduled.
	ReviewRequired bool
}

// CanMove tells whether the workflow lets a video go from state from to state to.
func (w Workflow) CanMove(from, to string) bool {
	return CanMove(from, to) && !(w.ReviewRequired && skipsReview(from, to))
}

// Offer lists the states v may move to now, in the order they are offered: those the
// workflow allows from its state, less publication while it has no renditions.
func (w Workflow) Offer(v *Video) []string {
	var out []string
	for _, to := range transitions[v.State] {
		if w.CanMove(v.State, to) && canEnter(v, to) {
			out = append(out, to)
		}
	}
	return out
}

// Processing statuses of a video's source.
const (
	ProcNone       = "none"       // no source attached yet
	ProcWaiting    = "waiting"    // a source is attached, processing has not started
	ProcProcessing = "processing" // Progress says how far
	ProcFailed     = "failed"     // Failure says why
	ProcReady      = "ready"      // renditions, poster and thumbnail are stored
)

// Limits on texts.
const (
	MaxTitle       = 200
	MaxDescription = 5000
	MaxCredits     = 2000
	MaxTags        = 20
	MaxTag         = 40
	// MaxFailure bounds the failure reason kept for the admin: ffmpeg's last words, trimmed.
	MaxFailure = 500
)

// ErrStale is returned when a video was changed by someone else since it was read; it is a
// db.ErrStale.
var ErrStale = fmt.Errorf("video: %w", db.ErrStale)

// Text is a video's title, description and credits in one language.
type Text struct {
	Lang        string // BCP 47
	Title       string
	Description string
	Credits     string
}

// Rendition is one stored encoding of a video.
type Rendition struct {
	Lines   int // nominal resolution, 360 for 360p
	Width   int
	Height  int
	Size    int64
	Bitrate int64 // bits per second, averaged over the video
	Key     string
	// HLSKey is the rendition's HLS media playlist, "" for a rendition made before HLS; its
	// init and media segments are stored beside it (see HLSPlaylistOf). Codecs, Bandwidth,
	// AverageBandwidth and FrameRate ("25.000", "" when unknown) are what the master playlist
	// says of the stream.
	HLSKey                      string
	Codecs                      string
	Bandwidth, AverageBandwidth int64
	FrameRate                   string
	// Source is the key of the source the rendition was made from: while the video's source
	// is processed, the renditions already made from it are the ones it can be watched in.
	Source string
}

// Video is a video message.
type Video struct {
	ID           int64
	OriginalLang string
	// OriginCityID is the partner city that produced the video; 0 when the city itself did.
	OriginCityID int64
	State        string
	PublishedAt  time.Time // zero until first published
	ScheduledAt  time.Time // zero unless scheduled
	Duration     time.Duration
	SourceKey    string
	SourceInfo   string // the probe's summary, JSON
	PosterKey    string
	ThumbnailKey string
	Processing   string
	Progress     int // percent, while processing
	Failure      string
	// HeartbeatAt is when the run processing the source last said it was alive (see Stalled).
	HeartbeatAt time.Time
	Version     int64
	CreatedAt   time.Time
	UpdatedAt   time.Time

	Texts        []Text
	Partnerships []int64
	Tags         []string
	Renditions   []Rendition // smallest first
}

// Processed tells whether v can be watched, which publication needs: processing is done, or
// it has already made a rendition of the current source (the lowest comes first, and the
// others join it as they are made).
func (v *Video) Processed() bool {
	if v.Processing == ProcReady {
		return len(v.Renditions) > 0
	}
	return len(v.Ready()) > 0
}

// Ready lists the renditions made from v's current source, smallest first: all of them once
// processing is done, the first ones while it runs.
func (v *Video) Ready() []Rendition {
	if v.Processing == ProcReady {
		return v.Renditions
	}
	return v.madeFrom(v.SourceKey)
}

// madeFrom lists the renditions recorded as made from source.
func (v *Video) madeFrom(source string) []Rendition {
	var out []Rendition
	for _, r := range v.Renditions {
		if source != "" && r.Source == source {
			out = append(out, r)
		}
	}
	return out
}

// Pending tells whether v's source is still to be processed or being processed: a video that
// will be watchable without anyone uploading another file.
func (v *Video) Pending() bool {
	return v.SourceKey != "" && (v.Processing == ProcWaiting || v.Processing == ProcProcessing)
}

// Public tells whether the video may be shown to anyone with its link.
func (v *Video) Public() bool { return v.State == StatePublished || v.State == StateUnlisted }

// Stalled tells whether v is being processed by a run that has not said it is alive since
// now-staleAfter: its process most likely died. Such a run is taken over (Retry, RescueStalled).
func (v *Video) Stalled(now time.Time, staleAfter time.Duration) bool {
	return v.Processing == ProcProcessing && (v.HeartbeatAt.IsZero() || v.HeartbeatAt.Before(now.Add(-staleAfter)))
}

// Listed tells whether the video appears in the public index.
func (v *Video) Listed() bool { return v.State == StatePublished }

// text returns the text in lang, else in the original language, else the first one.
func (v *Video) text(lang string) *Text {
	for _, want := range []string{lang, v.OriginalLang} {
		for i := range v.Texts {
			if v.Texts[i].Lang == want {
				return &v.Texts[i]
			}
		}
	}
	if len(v.Texts) > 0 {
		return &v.Texts[0]
	}
	return &Text{}
}

// Title is the title in lang, or in the original language when lang has none; TitleLang says
// which language it is in, so the page can mark it.
func (v *Video) Title(lang string) string { return v.text(lang).Title }

// TitleLang is the language of Title(lang).
func (v *Video) TitleLang(lang string) string { return v.text(lang).Lang }

// Description is the description in lang or the original language's.
func (v *Video) Description(lang string) string { return v.text(lang).Description }

// Credits are the credits in lang or the original language's.
func (v *Video) Credits(lang string) string { return v.text(lang).Credits }

// Best is the largest rendition; the zero Rendition when there is none.
func (v *Video) Best() Rendition {
	if len(v.Renditions) == 0 {
		return Rendition{}
	}
	return v.Renditions[len(v.Renditions)-1]
}

// Default is the rendition a player starts with: the first at 720p or above, else the largest,
// so a phone on a weak connection is not sent 1080p first.
func (v *Video) Default() Rendition {
	for _, r := range v.Renditions {
		if r.Lines >= 720 {
			return r
		}
	}
	return v.Best()
}

// CanonicalLang returns lang as a canonical BCP 47 tag, or "" when it is not one.
func CanonicalLang(lang string) string {
	lang = strings.TrimSpace(lang)
	if lang == "" || len(lang) > 35 {
		return ""
	}
	t, err := language.Parse(lang)
	if err != nil {
		return ""
	}
	return t.String()
}

// Normalize trims texts, canonicalises language tags, drops empty texts and duplicate tags.
func (v *Video) Normalize() {
	v.OriginalLang = CanonicalLang(v.OriginalLang)
	var texts []Text
	for _, t := range v.Texts {
		t.Title = strings.TrimSpace(t.Title)
		t.Description = strings.TrimSpace(t.Description)
		t.Credits = strings.TrimSpace(t.Credits)
		if t.Title == "" && t.Description == "" && t.Credits == "" {
			continue
		}
		if c := CanonicalLang(t.Lang); c != "" {
			t.Lang = c
		}
		texts = append(texts, t)
	}
	v.Texts = texts
	var tags []string
	for _, tag := range v.Tags {
		tag = NormalizeTag(tag)
		if tag != "" && !slices.Contains(tags, tag) {
			tags = append(tags, tag)
		}
	}
	v.Tags = tags
	slices.Sort(v.Partnerships)
	v.Partnerships = slices.Compact(v.Partnerships)
}

// Validate checks v after Normalize. Field names match the admin form's.
func (v *Video) Validate() error {
	var f problem.Fields
	if v.OriginalLang == "" {
		f.Add("original_lang", "video.error.lang")
	}
	if !slices.Contains(States, v.State) {
		f.Add("state", "video.error.state")
	}
	seen := map[string]bool{}
	hasOriginal := false
	for i, t := range v.Texts {
		field := "texts." + itoa(i)
		switch {
		case CanonicalLang(t.Lang) == "":
			f.Add(field+".lang", "video.error.lang")
		case seen[t.Lang]:
			f.Add(field+".lang", "video.error.lang_twice")
		}
		seen[t.Lang] = true
		if t.Lang == v.OriginalLang {
			hasOriginal = true
		}
		if t.Title == "" {
			f.Add(field+".title", "video.error.title_missing")
		}
		if len([]rune(t.Title)) > MaxTitle || len([]rune(t.Description)) > MaxDescription || len([]rune(t.Credits)) > MaxCredits {
			f.Add(field+".title", "video.error.too_long")
		}
	}
	if v.OriginalLang != "" && !hasOriginal {
		f.Add("texts", "video.error.original_missing")
	}
	if len(v.Tags) > MaxTags {
		f.Add("tags", "video.error.tags")
	}
	for _, tag := range v.Tags {
		if !ValidTag(tag) {
			f.Add("tags", "video.error.tags")
			break
		}
	}
	if v.State == StateScheduled && v.ScheduledAt.IsZero() {
		f.Add("scheduled_at", "video.error.schedule_missing")
	}
	return f.Err()
}

// TrimFailure shortens a failure reason for the admin: its last line that says something, at
// most MaxFailure characters.
func TrimFailure(s string) string {
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > MaxFailure {
		s = "…" + string(r[len(r)-MaxFailure+1:])
	}
	return s
}
