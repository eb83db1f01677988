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
)
