// Package csvsafe writes CSV that a spreadsheet opens as data, not as formulas (CSV or
// "formula" injection, OWASP): a cell that begins with =, +, -, @, a tab or a carriage return
// is written with a single quote in front, which spreadsheets take as "text follows" and do not
// show. The register's import reads such a file back with Cell undone by Unquote.
//
// A cell that is a plain decimal number ("-5", "-0.25") is written as it is: a spreadsheet
// reads it as the number it is, which is no formula, and a figure should stay a figure. A
// cell that begins with quotes before one of those characters gets one more quote, so that
// Unquote(Cell(s)) == s for every s.
package csvsafe

import (
	"encoding/csv"
	"io"
	"strings"
)

// triggers are the first characters that make a spreadsheet read a cell as a formula.
const triggers = "=+-@\t\r"

// Cell returns s as it is safe to write in a CSV cell.
func Cell(s string) string {
	if needsQuote(s) {
		return "'" + s
	}
	return s
}

// needsQuote tells whether s begins, after any single quotes, with a trigger, and is not a
// plain number.
func needsQuote(s string) bool {
	rest := strings.TrimLeft(s, "'")
	if rest == "" || !strings.ContainsRune(triggers, rune(rest[0])) {
		return false
	}
	return len(rest) != len(s) || !isNumber(s)
}

// isNumber tells whether s is a plain decimal number: an optional minus, digits, and an
// optional fraction.
func isNumber(s string) bool {
	s = strings.TrimPrefix(s, "-")
	whole, frac, dot := strings.Cut(s, ".")
	return digits(whole) && (!dot || digits(frac))
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Unquote undoes Cell: it removes the quote Cell put before a trigger. A cell Cell would not
// have written that way is returned unchanged.
func Unquote(s string) string {
	if strings.HasPrefix(s, "'") && needsQuote(s[1:]) {
		return s[1:]
	}
	return s
}

// Writer writes CSV records as csv.Writer does, each cell through Cell.
type Writer struct {
	cw  *csv.Writer
	buf []string
}

// NewWriter returns a Writer writing to w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{cw: csv.NewWriter(w)}
}

// Write writes one record, each cell made safe.
func (w *Writer) Write(record []string) error {
	w.buf = w.buf[:0]
	for _, s := range record {
		w.buf = append(w.buf, Cell(s))
	}
	return w.cw.Write(w.buf)
}

// Flush writes any buffered data to the underlying io.Writer.
func (w *Writer) Flush() { w.cw.Flush() }

// Error reports any error of a previous Write or Flush.
func (w *Writer) Error() error { return w.cw.Error() }
