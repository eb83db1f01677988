package web

import (
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/text/collate"

	"sistercity/internal/civil"
	"sistercity/internal/i18n"
	"sistercity/internal/problem"
)

// Reading what a request carries: ids in the path, the query or a form, the version an edit
// form was filled from, typed fields, and the options a form offers. Malformed ids are pages
// that do not exist (404) or choices that were not offered (a field error), never a 500.

// option is one choice of a select, a radio group or a set of checkboxes.
type option struct {
	Value, Label string
}

// parseID reads a record id: a positive decimal number.
func parseID(s string) (int64, bool) {
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}

// pathID reads a positive numeric path wildcard; anything else is a page that does not exist.
func pathID(r *http.Request, name string) (int64, bool) { return parseID(r.PathValue(name)) }

// pathFileID reads the id of a media file named "{id}{ext}" in the path value "file".
func pathFileID(r *http.Request, ext string) (int64, bool) {
	raw, ok := strings.CutSuffix(r.PathValue("file"), ext)
	if !ok {
		return 0, false
	}
	return parseID(raw)
}

// queryID reads a positive id from the query string.
func queryID(r *http.Request, name string) (int64, bool) { return parseID(r.URL.Query().Get(name)) }

// formID reads a positive id from a submitted field.
func formID(r *http.Request, name string) (int64, bool) { return parseID(formValue(r, name)) }

// parseChoice reads the id of an optional choice: "" is 0, and an id that is malformed or not
// among the offered (offered reports which are) is a validation.choice error on field.
func parseChoice(f *problem.Fields, field, s string, offered func(int64) bool) int64 {
	if s == "" {
		return 0
	}
	id, ok := parseID(s)
	if !ok || !offered(id) {
		f.Add(field, "validation.choice")
		return 0
	}
	return id
}

// formVersion reads the version of the record an edit form was filled from. A missing or
// malformed one is answered as a bad request and reported false.
func (s *Server) formVersion(w http.ResponseWriter, r *http.Request) (int64, bool) {
	version, ok := parseID(r.PostFormValue("version"))
	if !ok {
		s.fail(w, r, badRequest())
		return 0, false
	}
	return version, true
}

// formValue returns a submitted field, trimmed and without NUL characters, which no form means
// and PostgreSQL refuses to store.
func formValue(r *http.Request, name string) string {
	return strings.TrimSpace(strings.ReplaceAll(r.PostFormValue(name), "\x00", ""))
}

// Strict number syntax: what an <input type=number> sends. strconv alone would also take
// "0x1p3", "Inf" or "NaN".
var (
	intRe   = regexp.MustCompile(`^-?[0-9]{1,18}$`)
	floatRe = regexp.MustCompile(`^-?[0-9]{1,15}(\.[0-9]{1,15})?$`)
)

// parseInt reads an optional whole number; "" is nil.
func parseInt(f *problem.Fields, field, s string) *int64 {
	if s == "" {
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if !intRe.MatchString(s) || err != nil {
		f.Add(field, "validation.number")
		return nil
	}
	return &n
}

// parseFloat reads an optional decimal number; "" is nil.
func parseFloat(f *problem.Fields, field, s string) *float64 {
	if s == "" {
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if !floatRe.MatchString(s) || err != nil {
		f.Add(field, "validation.number")
		return nil
	}
	return &v
}

// parseDate reads an optional YYYY-MM-DD date; "" is the zero (unknown) date.
func parseDate(f *problem.Fields, field, s string) civil.Date {
	if s == "" {
		return civil.Date{}
	}
	d, err := civil.Parse(s)
	if err != nil {
		f.Add(field, "validation.date")
		return civil.Date{}
	}
	return d
}

// nextIndex returns the first row index from n on that no row uses, for the blank rows a
// form with repeated rows (contacts, texts) offers.
func nextIndex(n int, used []int) int {
	for slices.Contains(used, n) {
		n++
	}
	return n
}

// sortOptions orders options by label with the collation of the reader's language.
func sortOptions(l *i18n.Localizer, opts []option) {
	c := collate.New(l.Tag())
	slices.SortFunc(opts, func(a, b option) int { return c.CompareString(a.Label, b.Label) })
}
