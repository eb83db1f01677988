package i18n

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
	"golang.org/x/text/message"
	"golang.org/x/text/number"
)

// Localizer renders messages, dates and numbers in one language. It is cheap to make; make one
// per request.
type Localizer struct {
	Lang    string
	cat     *Catalog
	tag     language.Tag
	printer *message.Printer
}

// Localizer returns a Localizer for lang, or for the default language when lang has no catalog.
func (c *Catalog) Localizer(lang string) *Localizer {
	if !c.Has(lang) {
		lang = DefaultLang
	}
	tag := language.MustParse(lang)
	return &Localizer{Lang: lang, cat: c, tag: tag, printer: message.NewPrinter(tag)}
}

// T translates key, filling {name} placeholders from args given as name, value pairs.
func (l *Localizer) T(key string, args ...any) string {
	m, ok := l.cat.lookup(l.Lang, key)
	if !ok {
		return key
	}
	text := m.Text
	if m.Forms != nil {
		text = m.Forms[plural.Other]
		// A plural message takes its number as {count}, so that call sites which build messages
		// with name, value pairs (validation errors, templates) get the right form without a
		// separate N call.
		if v, ok := arg(args, "count"); ok {
			if f, ok := l.form(v); ok {
				if t, ok := m.Forms[f]; ok {
					text = t
				}
			}
		}
	}
	return interpolate(text, args, l.format)
}

// form is the CLDR cardinal category of a number as Number shows it: a fraction picks its form by
// its visible digits, so Russian says «25 знаков» but «18,3 знака».
func (l *Localizer) form(v any) (plural.Form, bool) {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return 0, false
		}
		rv = rv.Elem()
	}
	var x float64
	switch {
	case rv.CanInt():
		n := rv.Int()
		if n < 0 {
			n = -n
		}
		return plural.Cardinal.MatchPlural(l.tag, int(n%1000000), 0, 0, 0, 0), true
	case rv.CanUint():
		return plural.Cardinal.MatchPlural(l.tag, int(rv.Uint()%1000000), 0, 0, 0, 0), true
	case rv.CanFloat():
		x = math.Abs(rv.Float())
	default:
		return 0, false
	}
	// Number shows at most three fraction digits; take the operands from the same digits.
	digits := strconv.FormatFloat(math.Round(x*1000)/1000, 'f', -1, 64)
	whole, frac, _ := strings.Cut(digits, ".")
	i, err := strconv.Atoi(whole)
	if err != nil {
		return 0, false // too large to matter for a plural form
	}
	f := 0
	if frac != "" {
		f, _ = strconv.Atoi(frac)
	}
	return plural.Cardinal.MatchPlural(l.tag, i%1000000, len(frac), len(frac), f, f), true
}

// N translates the plural message key for count n; {count} in the message is n, formatted.
func (l *Localizer) N(key string, n int, args ...any) string {
	m, ok := l.cat.lookup(l.Lang, key)
	if !ok {
		return key
	}
	if m.Forms == nil {
		return interpolate(m.Text, append(args, "count", n), l.format)
	}
	abs := n
	if abs < 0 {
		abs = -abs
	}
	form := plural.Cardinal.MatchPlural(l.tag, abs, 0, 0, 0, 0)
	text, ok := m.Forms[form]
	if !ok {
		text = m.Forms[plural.Other]
	}
	return interpolate(text, append(args, "count", n), l.format)
}

// Msg renders a deferred message.
func (l *Localizer) Msg(m Msg) string {
	if m.Count != nil {
		return l.N(m.Key, *m.Count, m.Args...)
	}
	return l.T(m.Key, m.Args...)
}

func (l *Localizer) format(v any) string {
	switch v := v.(type) {
	case int, int64, int32, float64, float32, *int64, *float64:
		return l.Number(v)
	case Msg:
		return l.Msg(v)
	case fmt.Stringer:
		return v.String()
	default:
		return fmt.Sprint(v)
	}
}

// Number formats a number with the locale's grouping and decimal separators. It takes pointers
// too, as optional figures are stored that way; nil gives "".
func (l *Localizer) Number(v any) string {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return ""
		}
		rv = rv.Elem()
	}
	return l.printer.Sprint(number.Decimal(rv.Interface()))
}

// Date formats a calendar date in the locale's long form ("30 June 1992", "30 июня 1992 г.",
// "1992년 6월 30일"). The pattern and month names come from the catalog.
func (l *Localizer) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return l.T("format.date_long",
		"day", itoa(t.Day()),
		"month", l.T(fmt.Sprintf("format.month_of.%d", int(t.Month()))),
		"year", itoa(t.Year()))
}

// DateTime formats a moment in the locale's form, in loc.
func (l *Localizer) DateTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	if loc != nil {
		t = t.In(loc)
	}
	return l.T("format.datetime", "date", l.Date(t), "time", t.Format("15:04"))
}

// Region names a country or region (ISO 3166 or UN M.49 code) in the locale's language, from
// CLDR's data.
func (l *Localizer) Region(code string) string {
	r, err := language.ParseRegion(code)
	if err != nil {
		return code
	}
	name := display.Regions(l.tag).Name(r)
	if name == "" {
		return code
	}
	return name
}

// Tag returns the language tag.
func (l *Localizer) Tag() language.Tag { return l.tag }
