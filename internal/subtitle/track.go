package subtitle

import (
	"time"

	"golang.org/x/text/language"
)

// Track is one subtitle or caption file in memory: its cues in file order, plus the regions and
// style blocks a WebVTT file may define. Formats without regions or styles leave those empty.
type Track struct {
	// Language is the BCP 47 tag of the track's language ("ko", "ru-RU"), in the canonical form
	// golang.org/x/text/language gives it; "" when the file does not say. Set it with
	// SetLanguage, which checks it.
	Language string
	// Kind is what the track is for, as the HTML <track> element's kind; "" when the file does
	// not say, which players treat as subtitles.
	Kind Kind
	// Label is the name a player shows in its track menu ("한국어", "Русский"); formats that
	// name their tracks (SAMI) fill it.
	Label string

	// Header is the text after the "WEBVTT" signature on the first line, without the space or
	// tab that separates it.
	Header string
	// HeaderLines are the lines between the first line and the first blank line (for example
	// "Kind: captions", "Language: ko").
	HeaderLines []string
	// Styles are the STYLE blocks, in file order. Their CSS is kept as written, not parsed.
	Styles []*Style
	// Regions are the REGION blocks, in file order, duplicates included: a cue's "region:"
	// setting refers to the last region with that identifier.
	Regions []*Region
	Cues    []*Cue
}

// Style is one STYLE block.
type Style struct {
	CSS        string // the block's lines after "STYLE", joined by "\n"
	SourceLine int    // 1-based line of the "STYLE" line in the input; 0 if not parsed
}

// Cue is one timed piece of text with its layout settings. The settings are those of a WebVTT
// cue, which are a superset of what the other formats can say.
type Cue struct {
	ID    string
	Start time.Duration
	End   time.Duration
	// Text is the raw cue text as in the file (line breaks as "\n"). It may contain markup and
	// anything a file's author typed: render it only through ParseCueText or SanitizeCueText.
	Text string

	Vertical      WritingDirection
	Line          AutoNumber // line position: a line number, a percentage, or auto
	SnapToLines   bool       // true when Line counts lines, false when it is a percentage
	LineAlign     LineAlign
	Position      AutoNumber // percentage of the video width, or auto
	PositionAlign PositionAlign
	Size          float64 // percentage of the video width
	Align         TextAlign
	Region        *Region // nil when the cue is not in a region

	// SourceLine is the 1-based line of the cue's timing line in the input (0 if the cue was not
	// parsed), so validation reports can say "cue 12, line 48".
	SourceLine int

	// Layer and StyleName are the "Layer" and "Style" columns of an ASS/SSA Dialogue line, kept
	// so an editor can tell signs from dialogue; other formats leave them zero.
	Layer     int
	StyleName string
}

// NewCue returns a cue with the defaults the WebVTT parser gives every new cue: line and position
// auto, snapping to lines, size 100, centred text.
func NewCue() *Cue {
	return &Cue{
		Vertical:      Horizontal,
		Line:          Auto,
		SnapToLines:   true,
		LineAlign:     LineAlignStart,
		Position:      Auto,
		PositionAlign: PositionAlignAuto,
		Size:          100,
		Align:         AlignCenter,
	}
}

// Region is a WebVTT region: a rectangle of the video viewport that cues can be placed in and
// scroll up within. All positions are percentages.
type Region struct {
	ID    string
	Width float64
	// Lines is the region's height in lines. The WebVTT parser reads it as an integer of any
	// size ("lines:10000000000000000000000000000000000" is valid), so it is kept as a float64
	// holding a non-negative whole number, as browsers expose it.
	Lines           float64
	RegionAnchorX   float64
	RegionAnchorY   float64
	ViewportAnchorX float64
	ViewportAnchorY float64
	Scroll          Scroll

	SourceLine int // 1-based line of the "REGION" line in the input; 0 if not parsed
}

// NewRegion returns a region with the WebVTT defaults: full width, 3 lines, both anchors at the
// bottom-left corner (0%, 100%), no scrolling.
func NewRegion() *Region {
	return &Region{
		Width:           100,
		Lines:           3,
		RegionAnchorX:   0,
		RegionAnchorY:   100,
		ViewportAnchorX: 0,
		ViewportAnchorY: 100,
		Scroll:          ScrollNone,
	}
}

// AutoNumber is a setting that is either a number or the keyword "auto".
type AutoNumber struct {
	Auto  bool
	Value float64 // meaningful only when Auto is false
}

// Auto is the "auto" value of an AutoNumber.
var Auto = AutoNumber{Auto: true}

// Number returns an AutoNumber holding v.
func Number(v float64) AutoNumber { return AutoNumber{Value: v} }

// The enumerations below use the keywords of WebVTT and of the VTTCue/VTTRegion interfaces as
// their values, so they read the same in files, in browser APIs and in JSON.

// WritingDirection is the "vertical" setting.
type WritingDirection string

// Writing directions.
const (
	Horizontal           WritingDirection = ""
	VerticalGrowingLeft  WritingDirection = "rl"
	VerticalGrowingRight WritingDirection = "lr"
)

// LineAlign is the alignment part of the "line" setting.
type LineAlign string

// Line alignments.
const (
	LineAlignStart  LineAlign = "start"
	LineAlignCenter LineAlign = "center"
	LineAlignEnd    LineAlign = "end"
)

// PositionAlign is the alignment part of the "position" setting.
type PositionAlign string

// Position alignments.
const (
	PositionAlignLineLeft  PositionAlign = "line-left"
	PositionAlignCenter    PositionAlign = "center"
	PositionAlignLineRight PositionAlign = "line-right"
	PositionAlignAuto      PositionAlign = "auto"
)

// TextAlign is the "align" setting.
type TextAlign string

// Text alignments.
const (
	AlignStart  TextAlign = "start"
	AlignCenter TextAlign = "center"
	AlignEnd    TextAlign = "end"
	AlignLeft   TextAlign = "left"
	AlignRight  TextAlign = "right"
)

// Scroll is a region's "scroll" setting.
type Scroll string

// Scroll values.
const (
	ScrollNone Scroll = ""
	ScrollUp   Scroll = "up"
)

// Kind is a track's kind, with the keywords of the HTML <track> element.
type Kind string

// Track kinds.
const (
	KindSubtitles    Kind = "subtitles"    // a translation of the dialogue
	KindCaptions     Kind = "captions"     // dialogue and sounds, for viewers who cannot hear them
	KindDescriptions Kind = "descriptions" // text descriptions of the picture, to be spoken
	KindChapters     Kind = "chapters"     // chapter titles, for navigation
)

// Valid reports whether k is "" or one of the kinds above.
func (k Kind) Valid() bool {
	switch k {
	case "", KindSubtitles, KindCaptions, KindDescriptions, KindChapters:
		return true
	}
	return false
}

// SetLanguage checks tag as BCP 47 and stores it in its canonical form ("ko-kr" becomes
// "ko-KR"); "" clears the language. A tag that does not parse leaves the track unchanged and
// returns an *Error with CodeInvalidLanguage.
func (t *Track) SetLanguage(tag string) error {
	canonical, err := CanonicalLanguage(tag)
	if err != nil {
		return err
	}
	t.Language = canonical
	return nil
}

// CanonicalLanguage returns tag in the canonical form of golang.org/x/text/language, or an
// *Error with CodeInvalidLanguage when it is not well-formed BCP 47. "" stays "".
func CanonicalLanguage(tag string) (string, error) {
	if tag == "" {
		return "", nil
	}
	parsed, err := language.Parse(tag)
	if err != nil {
		return "", &Error{Code: CodeInvalidLanguage, Err: err}
	}
	return parsed.String(), nil
}
