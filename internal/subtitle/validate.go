package subtitle

import (
	"cmp"
	"slices"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/language"
	"golang.org/x/text/width"
)

// Severity says whether an issue blocks publishing a track.
type Severity string

// Severities.
const (
	// SeverityError: the track would show wrongly or not at all; it must not be published.
	SeverityError Severity = "error"
	// SeverityWarning: the track works, but a viewer may have trouble reading it.
	SeverityWarning Severity = "warning"
)

// Codes of the issues Validate reports, with their severity.
const (
	// Errors.
	CodeEndBeforeStart   Code = "end-before-start"       // the cue ends before it starts
	CodeZeroDuration     Code = "zero-duration"          // the cue never shows
	CodeStartsAfterVideo Code = "starts-after-video-end" // the cue starts after the video ends
	// CodeNoCues (the track has no cues), CodeInvalidCue (a nil cue or a negative time),
	// CodeInvalidLanguage and CodeInvalidKind are errors too.

	// Warnings.
	CodeEndsAfterVideo  Code = "ends-after-video-end" // the cue is cut short by the video's end
	CodeOverlap         Code = "overlap"              // the cue starts before an earlier one ends
	CodeOutOfOrder      Code = "out-of-order"         // the cue starts before the cue above it
	CodeEmptyCue        Code = "empty-cue"            // the cue has no visible text
	CodeReadingSpeed    Code = "reading-speed"        // more characters per second than the limit
	CodeLineTooLong     Code = "line-too-long"        // a line is wider than the limit
	CodeTooManyLines    Code = "too-many-lines"       // more lines than the limit
	CodeMissingLanguage Code = "missing-language"     // neither the track nor the options say
	// CodeBrokenMarkup (tags the sanitiser has to repair or drop) is a warning too.
)

// severities gives each issue code its severity; it never changes for a code.
var severities = map[Code]Severity{
	CodeNoCues:           SeverityError,
	CodeInvalidCue:       SeverityError,
	CodeInvalidLanguage:  SeverityError,
	CodeInvalidKind:      SeverityError,
	CodeEndBeforeStart:   SeverityError,
	CodeZeroDuration:     SeverityError,
	CodeStartsAfterVideo: SeverityError,
	CodeEndsAfterVideo:   SeverityWarning,
	CodeOverlap:          SeverityWarning,
	CodeOutOfOrder:       SeverityWarning,
	CodeEmptyCue:         SeverityWarning,
	CodeBrokenMarkup:     SeverityWarning,
	CodeReadingSpeed:     SeverityWarning,
	CodeLineTooLong:      SeverityWarning,
	CodeTooManyLines:     SeverityWarning,
	CodeMissingLanguage:  SeverityWarning,
}

// Issue is one finding of Validate.
type Issue struct {
	Code     Code
	Severity Severity
	Cue      int // 1-based position of the cue in the track; 0 for the track as a whole
	Line     int // the cue's SourceLine; 0 when the cue was not parsed from a file
	// Other is the 1-based position of the other cue an overlap or an ordering issue is
	// about; 0 otherwise.
	Other int
	// Value and Limit are the measured value and the limit it broke, for reading speed
	// (characters per second), line width (columns) and line count; 0 otherwise.
	Value, Limit float64
}

// Report is the result of Validate: its issues, track-level ones first, then by cue.
type Report struct {
	Issues []Issue
}

// Blocking reports whether the track has an error, which keeps it from being published.
// Warnings do not block.
func (r Report) Blocking() bool {
	for _, is := range r.Issues {
		if is.Severity == SeverityError {
			return true
		}
	}
	return false
}

// Count returns how many issues have severity s.
func (r Report) Count(s Severity) int {
	n := 0
	for _, is := range r.Issues {
		if is.Severity == s {
			n++
		}
	}
	return n
}

// LanguageLimits are the readability limits of one language.
type LanguageLimits struct {
	// MaxCharsPerSecond is the reading speed limit: the cue's characters, spaces and
	// punctuation included, line breaks not, divided by its duration in seconds.
	MaxCharsPerSecond float64
	// MaxLineWidth is the width limit of one line in columns: full-width characters (Hangul,
	// CJK ideographs, kana, full-width forms) count 2, zero-width ones 0, all others 1.
	MaxLineWidth int
	// MaxLines is the most lines a cue may have.
	MaxLines int
	// HalfWidthCountsHalf makes reading speed count half-width characters (Latin letters,
	// digits, spaces, punctuation) as half a character, as style guides for Korean, Japanese and
	// Chinese do; the speed is then in full-width characters per second.
	HalfWidthCountsHalf bool
}

// defaultLimits are the limits of Netflix's Timed Text Style Guides for adult programmes, the
// reference most subtitlers and clients work to: 42 characters a line and 20 characters a second
// for English, 39 and 17 for Russian; 16 characters a line and 12 a second for Korean, with
// half-width characters counting half (so 32 columns); 13 and 4 for Japanese; 16 and 9 for
// Chinese. Two lines at most everywhere.
var defaultLimits = map[string]LanguageLimits{
	"en": {MaxCharsPerSecond: 20, MaxLineWidth: 42, MaxLines: 2},
	"ru": {MaxCharsPerSecond: 17, MaxLineWidth: 39, MaxLines: 2},
	"ko": {MaxCharsPerSecond: 12, MaxLineWidth: 32, MaxLines: 2, HalfWidthCountsHalf: true},
	"ja": {MaxCharsPerSecond: 4, MaxLineWidth: 26, MaxLines: 2, HalfWidthCountsHalf: true},
	"zh": {MaxCharsPerSecond: 9, MaxLineWidth: 32, MaxLines: 2, HalfWidthCountsHalf: true},
}

// otherLanguageLimits apply to languages without limits of their own: the 42-column line of
// broadcast and streaming guides, and 17 characters a second, the common middle ground between
// 15 (children, BBC) and 20 (adult English).
var otherLanguageLimits = LanguageLimits{MaxCharsPerSecond: 17, MaxLineWidth: 42, MaxLines: 2}

// DefaultLimits returns the readability limits for a BCP 47 language tag, by its base language
// ("ko-KR" has the limits of "ko"); an unknown or empty tag gets limits for Latin and Cyrillic
// scripts.
func DefaultLimits(lang string) LanguageLimits {
	tag, err := language.Parse(lang)
	if err != nil {
		return otherLanguageLimits
	}
	base, _ := tag.Base()
	if l, ok := defaultLimits[base.String()]; ok {
		return l
	}
	return otherLanguageLimits
}

// ValidateOptions tune Validate.
type ValidateOptions struct {
	// VideoDuration is the length of the video the track belongs to; 0 when unknown, which
	// skips the checks against it.
	VideoDuration time.Duration
	// Language chooses the limits when the track's own Language is empty or should not be
	// used; "" means the track's.
	Language string
	// Limits replaces the language's default limits when not nil.
	Limits *LanguageLimits
}

// Validate checks a track for what keeps it from being published (errors: cues that never
// show, end before they start, or start after the video; an invalid language or kind; no cues)
// and for what makes it hard to read (warnings: overlaps, cues out of order, cues running past
// the video, empty cues, markup the sanitiser has to repair, reading speed, line width and line
// count over the language's limits). Cue text is measured as a viewer sees it, without markup.
func Validate(t *Track, opts ValidateOptions) Report {
	var issues []Issue
	add := func(code Code, cue int, c *Cue) *Issue {
		is := Issue{Code: code, Severity: severities[code], Cue: cue}
		if c != nil {
			is.Line = c.SourceLine
		}
		issues = append(issues, is)
		return &issues[len(issues)-1]
	}
	if t == nil {
		t = &Track{}
	}

	lang := opts.Language
	if lang == "" {
		lang = t.Language
	}
	switch _, err := CanonicalLanguage(t.Language); {
	case err != nil:
		add(CodeInvalidLanguage, 0, nil)
	case lang == "":
		add(CodeMissingLanguage, 0, nil)
	}
	if !t.Kind.Valid() {
		add(CodeInvalidKind, 0, nil)
	}
	if len(t.Cues) == 0 {
		add(CodeNoCues, 0, nil)
	}
	limits := DefaultLimits(lang)
	if opts.Limits != nil {
		limits = *opts.Limits
	}

	// Overlaps are found in time order: a cue overlaps when it starts before the latest end so
	// far. Order is checked in file order.
	order := make([]int, 0, len(t.Cues))
	for i, c := range t.Cues {
		if c != nil {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(t.Cues[a].Start, t.Cues[b].Start) })
	overlapWith := map[int]int{}
	latest := -1
	for _, i := range order {
		c := t.Cues[i]
		if c.End <= c.Start {
			continue // reported as a duration error; it shows for no time to overlap in
		}
		if latest >= 0 && c.Start < t.Cues[latest].End {
			overlapWith[i] = latest
		}
		if latest < 0 || c.End > t.Cues[latest].End {
			latest = i
		}
	}

	prev := -1
	for i, c := range t.Cues {
		num := i + 1
		if c == nil || c.Start < 0 || c.End < 0 {
			add(CodeInvalidCue, num, c)
			continue
		}
		switch {
		case c.End < c.Start:
			add(CodeEndBeforeStart, num, c)
		case c.End == c.Start:
			add(CodeZeroDuration, num, c)
		}
		if prev >= 0 && c.Start < t.Cues[prev].Start {
			add(CodeOutOfOrder, num, c).Other = prev + 1
		}
		prev = i
		if other, ok := overlapWith[i]; ok {
			add(CodeOverlap, num, c).Other = other + 1
		}
		if opts.VideoDuration > 0 {
			switch {
			case c.Start >= opts.VideoDuration:
				add(CodeStartsAfterVideo, num, c)
			case c.End > opts.VideoDuration:
				add(CodeEndsAfterVideo, num, c)
			}
		}
		if hasMarkupProblems(c.Text) {
			add(CodeBrokenMarkup, num, c)
		}
		checkReadability(c, num, limits, add)
	}
	slices.SortStableFunc(issues, func(a, b Issue) int { return cmp.Compare(a.Cue, b.Cue) })
	return Report{Issues: issues}
}

// checkReadability measures a cue's text against the limits.
func checkReadability(c *Cue, num int, limits LanguageLimits, add func(Code, int, *Cue) *Issue) {
	text := strings.TrimSpace(ParseCueText(c.Text).PlainText())
	if text == "" {
		add(CodeEmptyCue, num, c)
		return
	}
	lines := strings.Split(text, "\n")
	if limits.MaxLines > 0 && len(lines) > limits.MaxLines {
		is := add(CodeTooManyLines, num, c)
		is.Value, is.Limit = float64(len(lines)), float64(limits.MaxLines)
	}
	widest, chars := 0, 0.0
	for _, line := range lines {
		w, n := measureLine(strings.TrimSpace(line), limits.HalfWidthCountsHalf)
		widest = max(widest, w)
		chars += n
	}
	if limits.MaxLineWidth > 0 && widest > limits.MaxLineWidth {
		is := add(CodeLineTooLong, num, c)
		is.Value, is.Limit = float64(widest), float64(limits.MaxLineWidth)
	}
	if d := c.End - c.Start; d > 0 && limits.MaxCharsPerSecond > 0 {
		if cps := chars / d.Seconds(); cps > limits.MaxCharsPerSecond {
			is := add(CodeReadingSpeed, num, c)
			is.Value, is.Limit = float64(int(cps*10+0.5))/10, limits.MaxCharsPerSecond
		}
	}
}

// measureLine returns a line's width in columns and its length in characters for reading
// speed: full-width characters are 2 columns and 1 character; zero-width ones (combining marks,
// joiners, controls) nothing; the rest 1 column and 1 character, or half a character with
// halfWidthCountsHalf.
func measureLine(line string, halfWidthCountsHalf bool) (columns int, chars float64) {
	for _, r := range line {
		switch {
		case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Cc):
		case isFullWidth(r):
			columns += 2
			chars++
		default:
			columns++
			if halfWidthCountsHalf {
				chars += 0.5
			} else {
				chars++
			}
		}
	}
	return columns, chars
}

// isFullWidth reports the characters East Asian text counts double: Unicode's East Asian Wide
// and Fullwidth classes (Hangul, CJK ideographs, kana, full-width forms, most emoji). Ambiguous
// ones, such as Cyrillic, are narrow outside East Asian fonts and count 1.
func isFullWidth(r rune) bool {
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return true
	}
	return false
}

// hasMarkupProblems reports cue text the sanitiser would have to repair: a tag WebVTT does not
// know, a misplaced <rt>, an end tag that closes nothing open, a malformed timestamp, a "<" that
// should have been "&lt;", or a span left open (except a voice span or a ruby text, whose end
// tags WebVTT lets authors omit).
func hasMarkupProblems(text string) bool {
	if !strings.Contains(text, "<") {
		return false
	}
	z := cueTokenizer{input: text}
	open := []NodeKind{NodeRoot}
	for z.pos < len(text) {
		tok := z.next()
		current := open[len(open)-1]
		switch tok.kind {
		case startTagToken:
			kind, ok := spanKinds[tok.value]
			if !ok || kind == NodeRubyText && current != NodeRuby {
				return true
			}
			open = append(open, kind)
		case endTagToken:
			kind, ok := spanKinds[tok.value]
			switch {
			case !ok:
				return true
			case kind == current:
				open = open[:len(open)-1]
			case kind == NodeRuby && current == NodeRubyText:
				open = open[:len(open)-2]
			default:
				return true
			}
		case timestampToken:
			if _, end, ok := collectTimestamp(tok.value, 0); !ok || end != len(tok.value) {
				return true
			}
		}
	}
	for _, k := range open[1:] {
		if k != NodeVoice && k != NodeRubyText {
			return true
		}
	}
	return false
}
