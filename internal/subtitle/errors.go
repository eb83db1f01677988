package subtitle

import "fmt"

// Code names what went wrong in a stable, machine-readable way. Callers map it to a message in
// the locale catalog; the strings never change once released.
type Code string

// Codes returned by the parsers.
const (
	// CodeBadSignature: the file does not start with the format's signature ("WEBVTT" followed by
	// a space, a tab or the end of the line), so it is not a file of that format at all.
	CodeBadSignature Code = "bad-signature"
	// CodeTooLarge: the input is longer than the limit given to the parser.
	CodeTooLarge Code = "too-large"
	// CodeReadFailed: the io.Reader returned an error; Err holds it.
	CodeReadFailed Code = "read-failed"
)

// Codes with which Parse, ParseFormat and the per-format parsers refuse a file.
const (
	// CodeNoCues: the text has content but not one cue could be read from it, so it is most
	// likely not a file of that format.
	CodeNoCues Code = "no-cues"
	// CodeMalformed: the file's structure is broken beyond repair (a TTML file that is not
	// well-formed XML). Line says where the damage was found.
	CodeMalformed Code = "malformed"
	// CodeDoctype: an XML file declares a DTD. It is refused outright rather than parsed, so that
	// no entity can be expanded (no external entities, no "billion laughs").
	CodeDoctype Code = "doctype"
	// CodeTooDeep: elements nest deeper than any real subtitle file does.
	CodeTooDeep Code = "too-deep"
	// CodeUnknownFormat: neither the content nor the file name says which format the file is in.
	CodeUnknownFormat Code = "unknown-format"
	// CodeUnknownEncoding: the caller named a character encoding this package does not know.
	CodeUnknownEncoding Code = "unknown-encoding"
	// CodeBinary: the input is full of control bytes: it is binary data, not a text file.
	CodeBinary Code = "binary"
)

// Codes of the warnings a parse collects in DetectedInfo.Warnings: something was repaired or
// skipped, and the file still loaded. Line says where.
const (
	// CodeBadTiming: a timing line or attribute could not be read; its cue was skipped, or, for
	// a TTML cue without an end, given no duration.
	CodeBadTiming Code = "bad-timing"
	// CodeStrayText: text outside any cue, ignored.
	CodeStrayText Code = "stray-text"
	// CodeBrokenMarkup: tags in a cue's text were unclosed, misnested or unknown, and were
	// repaired or dropped, or content that is never subtitle text (a script, a style) was
	// dropped. Validate reports it too, for WebVTT cue text.
	CodeBrokenMarkup Code = "broken-markup"
	// CodeNULBytes: NUL bytes were replaced by U+FFFD (or, at the end of the file, dropped).
	CodeNULBytes Code = "nul-bytes"
	// CodeBOMRemoved: a byte order mark in the middle of the text was removed.
	CodeBOMRemoved Code = "bom-removed"
	// CodeMixedEncoding: lines of the file are in different encodings (for example UTF-8 lines
	// pasted into a CP949 file); each line was decoded in the one that fits it.
	CodeMixedEncoding Code = "mixed-encoding"
	// CodeEncodingUncertain: no candidate encoding looked like real text; the one used is a
	// guess the user should confirm.
	CodeEncodingUncertain Code = "encoding-uncertain"
	// CodeInvalidUTF8: a file read as UTF-8 has bytes that are not UTF-8 (a multi-byte
	// character cut off, most often); each broken sequence became one U+FFFD. Line is the first.
	CodeInvalidUTF8 Code = "invalid-utf8"
	// CodeLooseTiming: a timing line was read although it is not written as the format says
	// (an SRT arrow with one dash, spaces inside a time, fewer than three digits after the comma);
	// the editor should check the cue's times.
	CodeLooseTiming Code = "loose-timing"
	// CodeInstantCue: text shown and cleared at the same moment (a SAMI SYNC followed by an
	// &nbsp; SYNC with the same time) never appears; it was left out.
	CodeInstantCue Code = "instant-cue"
	// CodeUnsortedTimes: the file's timings go back in time; the cues were sorted by start time.
	CodeUnsortedTimes Code = "unsorted-times"
)

// Codes about a Track's metadata, from SetLanguage and Validate.
const (
	// CodeInvalidLanguage: a language tag is not well-formed BCP 47.
	CodeInvalidLanguage Code = "invalid-language"
	// CodeInvalidKind: a track kind is not one of the Kind constants.
	CodeInvalidKind Code = "invalid-kind"
)

// Codes returned by the writers. They mean the Track holds a value the format cannot express
// (for example a cue identifier containing a line break); Index tells which item.
const (
	CodeInvalidHeader Code = "invalid-header"
	CodeInvalidStyle  Code = "invalid-style"
	CodeInvalidRegion Code = "invalid-region"
	CodeInvalidCue    Code = "invalid-cue"
	// CodeWriteFailed: the io.Writer returned an error; Err holds it.
	CodeWriteFailed Code = "write-failed"
)

// Error is the error type of this package. It carries what a validation report needs — a code
// and where — and keeps any underlying I/O error in Err for the log.
type Error struct {
	Code  Code
	Line  int   // 1-based line in the input the error is about; 0 when not tied to a line
	Index int   // 1-based index of the cue, region or style block concerned; 0 when none
	Err   error // underlying cause, if any
}

func (e *Error) Error() string {
	msg := "subtitle: " + string(e.Code)
	if e.Line > 0 {
		msg += fmt.Sprintf(" at line %d", e.Line)
	}
	if e.Index > 0 {
		msg += fmt.Sprintf(" (item %d)", e.Index)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same Code, so that
// errors.Is(err, subtitle.ErrBadSignature) works whatever the line.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Sentinels for errors.Is.
var (
	ErrBadSignature = &Error{Code: CodeBadSignature}
	ErrTooLarge     = &Error{Code: CodeTooLarge}
	ErrNoCues       = &Error{Code: CodeNoCues}
	ErrMalformed    = &Error{Code: CodeMalformed}
	ErrDoctype      = &Error{Code: CodeDoctype}
	ErrBinary       = &Error{Code: CodeBinary}
)
