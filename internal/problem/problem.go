// Package problem carries errors that are meant for the person using sistercity: a message key
// from the locale catalogs, the HTTP status that fits, and the field a message is about. The
// internal cause stays apart and goes only to the log.
package problem

import (
	"errors"
	"net/http"
	"strings"

	"sistercity/internal/i18n"
)

// Error is an error with a message safe to show a user.
type Error struct {
	Status int      // HTTP status
	Msg    i18n.Msg // what the user reads
	Err    error    // the internal cause, for logs; may be nil
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg.Key + ": " + e.Err.Error()
	}
	return e.Msg.Key
}

func (e *Error) Unwrap() error { return e.Err }

// New makes an Error with a status and a message key.
func New(status int, key string, args ...any) *Error {
	return &Error{Status: status, Msg: i18n.M(key, args...)}
}

// BadRequest is a 400 with a message.
func BadRequest(key string, args ...any) *Error { return New(http.StatusBadRequest, key, args...) }

// FieldError is one message about one field of a form or a row of a file.
type FieldError struct {
	Field string
	Msg   i18n.Msg
}

// Fields collects the validation messages of a form. A non-empty Fields is an error (422).
type Fields []FieldError

// Add records a message about field.
func (f *Fields) Add(field, key string, args ...any) {
	*f = append(*f, FieldError{Field: field, Msg: i18n.M(key, args...)})
}

// Err returns f as an error, or nil when it holds nothing.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	return f
}

func (f Fields) Error() string {
	var parts []string
	for _, e := range f {
		parts = append(parts, e.Field+": "+e.Msg.Key)
	}
	return "invalid: " + strings.Join(parts, "; ")
}

// For returns the messages about field.
func (f Fields) For(field string) []i18n.Msg {
	var out []i18n.Msg
	for _, e := range f {
		if e.Field == field {
			out = append(out, e.Msg)
		}
	}
	return out
}

// Has tells whether there is a message about field.
func (f Fields) Has(field string) bool { return len(f.For(field)) > 0 }

// AsFields finds Fields in err's chain.
func AsFields(err error) (Fields, bool) {
	var f Fields
	ok := errors.As(err, &f)
	return f, ok
}
