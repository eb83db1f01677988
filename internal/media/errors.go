package media

import (
	"bytes"
	"fmt"
	"strings"
)

// Code names why a file was refused or an encode failed, in a stable, machine-readable way.
// Callers map it to a message in the locale catalog; the strings never change once released.
type Code string

// Codes returned by Probe and Info.Check: the upload is not something the video index can play.
const (
	// CodeEmpty: the file has no bytes at all (an upload that never arrived).
	CodeEmpty Code = "empty"
	// CodeNotVideo: the file is not a media file (a document, random bytes) or is a still image.
	CodeNotVideo Code = "not-video"
	// CodeNoVideoStream: a media file without a picture, such as a sound recording; cover art
	// embedded in a music file does not count as a picture.
	CodeNoVideoStream Code = "no-video-stream"
	// CodeTruncated: the file starts like a video but is cut short (an interrupted upload or
	// copy): its index is missing, its duration unknown, or its last seconds cannot be decoded.
	CodeTruncated Code = "truncated"
	// CodeTooLong: the video lasts longer than Limits.MaxDuration.
	CodeTooLong Code = "too-long"
	// CodeTooShort: the video lasts less than Limits.MinDuration.
	CodeTooShort Code = "too-short"
	// CodeDimensions: the picture is smaller than Limits.MinSide or larger than Limits.MaxSide,
	// or too large for ffmpeg to size at all.
	CodeDimensions Code = "dimensions"
	// CodeRotation: the picture is to be shown turned by an angle that is not a multiple of
	// 90° (a display matrix of 45°, say), which players do not honour alike.
	CodeRotation Code = "rotation"
	// CodeUnreadable: the file could not be read or examined (permissions, an I/O error, ffprobe
	// hanging or printing absurd amounts); Err says which.
	CodeUnreadable Code = "unreadable"
)

// CodeEncodeFailed is returned by Transcode and Poster when ffmpeg exits with an error on a file
// that passed Check. It is an operator's problem more than the uploader's; Stderr says why.
const CodeEncodeFailed Code = "encode-failed"

// Error is the error type for everything that is wrong with a media file. Code is what the user
// is told (through the locale catalog); Detail, Stderr and Err are for the administrator.
type Error struct {
	Code Code
	// Detail is a short English note on what was measured, e.g. "duration 0.2s < 0.5s".
	Detail string
	// Stderr keeps the last few KB of what ffmpeg or ffprobe wrote, for the log. It must never
	// be shown to a user: it contains paths and tool internals.
	Stderr string
	Err    error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("media: ")
	b.WriteString(string(e.Code))
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	// The last line of stderr is usually ffmpeg's verdict; the rest stays in the field.
	if last := lastLine(e.Stderr); last != "" {
		fmt.Fprintf(&b, " (ffmpeg: %s)", last)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same Code, so that
// errors.Is(err, media.ErrTruncated) works whatever the detail.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Sentinels for errors.Is.
var (
	ErrEmpty         = &Error{Code: CodeEmpty}
	ErrNotVideo      = &Error{Code: CodeNotVideo}
	ErrNoVideoStream = &Error{Code: CodeNoVideoStream}
	ErrTruncated     = &Error{Code: CodeTruncated}
	ErrTooLong       = &Error{Code: CodeTooLong}
	ErrTooShort      = &Error{Code: CodeTooShort}
	ErrDimensions    = &Error{Code: CodeDimensions}
	ErrRotation      = &Error{Code: CodeRotation}
	ErrUnreadable    = &Error{Code: CodeUnreadable}
	ErrEncodeFailed  = &Error{Code: CodeEncodeFailed}
)

// lastLine returns the last line of ffmpeg's stderr that says something, skipping its
// "Last message repeated n times".
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" && !strings.HasPrefix(l, "Last message repeated") {
			return l
		}
	}
	return ""
}

// stderrTail keeps the last max bytes written to it: enough of ffmpeg's complaints for the
// administrator without letting a chatty or hostile file fill memory.
type stderrTail struct {
	max int
	buf []byte
	cut bool // the head was dropped
}

const stderrKeep = 2 << 10

func newStderrTail() *stderrTail { return &stderrTail{max: stderrKeep} }

func (t *stderrTail) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) >= t.max {
		t.buf = append(t.buf[:0], p[len(p)-t.max:]...)
		t.cut = true
		return n, nil
	}
	if over := len(t.buf) + len(p) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
		t.cut = true
	}
	t.buf = append(t.buf, p...)
	return n, nil
}

// String returns the kept text, starting at a line boundary when the head was cut off, so the
// log never shows half a line.
func (t *stderrTail) String() string {
	b := t.buf
	if t.cut {
		if i := bytes.IndexByte(b, '\n'); i >= 0 && i < len(b)-1 {
			b = b[i+1:]
		}
	}
	return strings.TrimSpace(string(bytes.ToValidUTF8(b, []byte("\uFFFD"))))
}
