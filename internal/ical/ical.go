// Package ical writes iCalendar (RFC 5545) feeds: a calendar of events, all-day or at a time in
// an IANA time zone (with its VTIMEZONE), once or every year. It is a leaf library without I/O
// beyond the writer it is given.
//
// It is our own small writer rather than a library: what a subscribable feed needs is little —
// escaping, line folding at 75 octets without splitting a character, CRLF, VTIMEZONE from Go's
// zone database — and the tests check the output with two independent parsers.
package ical

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"sistercity/internal/civil"
)

// Time is a start or an end: a date for an all-day event, or an instant with the IANA zone it
// belongs to. An instant whose zone cannot be loaded is written in UTC.
type Time struct {
	Date civil.Date
	At   time.Time // zero for an all-day event
	Zone string
}

// Text is a text value with the language it is written in ("" for the calendar's language).
type Text struct {
	Value string
	Lang  string
}

// Status values of an event.
const (
	StatusTentative = "TENTATIVE"
	StatusConfirmed = "CONFIRMED"
	StatusCancelled = "CANCELLED"
)

// Event is one VEVENT.
type Event struct {
	UID         string
	Stamp       time.Time // DTSTAMP: when the information was last revised
	Start       Time
	End         Time // optional; for an all-day event, the last day (inclusive)
	Summary     Text
	Description Text
	Location    Text
	Categories  []string
	Status      string
	RRule       string // e.g. FREQ=YEARLY; "" for a single occurrence
	URL         string
	Transparent bool // does not block time (anniversaries, city days)
}

// Calendar is one VCALENDAR.
type Calendar struct {
	ProdID      string
	Name        string
	Description string
	Lang        string        // the language of names and descriptions without their own
	Refresh     time.Duration // how often a subscriber should fetch the feed again
	Events      []Event
}

// Write writes the calendar to w.
func (c *Calendar) Write(w io.Writer) error {
	var b bytes.Buffer
	l := &lineWriter{w: &b}
	l.line("BEGIN", nil, "VCALENDAR")
	l.line("VERSION", nil, "2.0")
	l.line("PRODID", nil, escape(c.ProdID))
	l.line("CALSCALE", nil, "GREGORIAN")
	if c.Name != "" {
		l.text("NAME", Text{Value: c.Name, Lang: c.Lang}, "")
		l.line("X-WR-CALNAME", nil, escape(c.Name))
	}
	if c.Description != "" {
		l.text("DESCRIPTION", Text{Value: c.Description, Lang: c.Lang}, "")
		l.line("X-WR-CALDESC", nil, escape(c.Description))
	}
	if c.Refresh > 0 {
		d := duration(c.Refresh)
		l.line("REFRESH-INTERVAL", []string{"VALUE=DURATION"}, d)
		l.line("X-PUBLISHED-TTL", nil, d)
	}
	for _, tz := range c.zones() {
		tz.write(l)
	}
	for i := range c.Events {
		c.Events[i].write(l, c.Lang)
	}
	l.line("END", nil, "VCALENDAR")
	_, err := w.Write(b.Bytes())
	return err
}

// zones returns the VTIMEZONEs the events need, each covering the years its events fall in.
func (c *Calendar) zones() []*vtimezone {
	byName := map[string]*vtimezone{}
	for _, e := range c.Events {
		for _, t := range []Time{e.Start, e.End} {
			loc := t.location()
			if loc == nil {
				continue
			}
			tz := byName[t.Zone]
			if tz == nil {
				tz = &vtimezone{name: t.Zone, loc: loc, from: t.At.Year(), to: t.At.Year()}
				byName[t.Zone] = tz
			}
			tz.from, tz.to = min(tz.from, t.At.Year()), max(tz.to, t.At.Year())
		}
	}
	var out []*vtimezone
	for _, tz := range byName {
		out = append(out, tz)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// location returns the zone of a timed Time, or nil for an all-day one or a zone Go does not
// know (then the instant goes out in UTC).
func (t Time) location() *time.Location {
	if t.At.IsZero() || t.Zone == "" || t.Zone == "UTC" {
		return nil
	}
	loc, err := time.LoadLocation(t.Zone)
	if err != nil {
		return nil
	}
	return loc
}

func (e *Event) write(l *lineWriter, calLang string) {
	l.line("BEGIN", nil, "VEVENT")
	l.line("UID", nil, escape(e.UID))
	stamp := e.Stamp
	if stamp.IsZero() {
		stamp = time.Unix(0, 0) // DTSTAMP is required; an unknown revision is the epoch
	}
	l.line("DTSTAMP", nil, stamp.UTC().Format("20060102T150405Z"))
	allDay := e.Start.At.IsZero()
	l.time("DTSTART", e.Start)
	switch {
	case allDay:
		last := e.Start.Date
		if !e.End.Date.IsZero() && e.End.Date.After(last) {
			last = e.End.Date
		}
		// DTEND of an all-day event is the day after the last one.
		l.line("DTEND", []string{"VALUE=DATE"}, dateValue(civil.Of(last.Time().AddDate(0, 0, 1))))
	case !e.End.At.IsZero() && !e.End.At.Before(e.Start.At):
		l.time("DTEND", e.End)
	}
	if e.RRule != "" {
		l.line("RRULE", nil, e.RRule)
	}
	l.text("SUMMARY", e.Summary, calLang)
	if e.Description.Value != "" {
		l.text("DESCRIPTION", e.Description, calLang)
	}
	if e.Location.Value != "" {
		l.text("LOCATION", e.Location, calLang)
	}
	if len(e.Categories) > 0 {
		var cats []string
		for _, c := range e.Categories {
			cats = append(cats, escape(c))
		}
		l.line("CATEGORIES", nil, strings.Join(cats, ","))
	}
	if e.Status != "" {
		l.line("STATUS", nil, e.Status)
	}
	if e.URL != "" {
		l.line("URL", nil, e.URL)
	}
	if e.Transparent {
		l.line("TRANSP", nil, "TRANSPARENT")
	}
	l.line("END", nil, "VEVENT")
}

func dateValue(d civil.Date) string { return fmt.Sprintf("%04d%02d%02d", d.Year, d.Month, d.Day) }

// duration writes a positive duration as RFC 5545 does (PT12H, P1D).
func duration(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("P%dD", d/(24*time.Hour))
	}
	s := "PT"
	if h := d / time.Hour; h > 0 {
		s += fmt.Sprintf("%dH", h)
	}
	if m := d % time.Hour / time.Minute; m > 0 {
		s += fmt.Sprintf("%dM", m)
	}
	if sec := d % time.Minute / time.Second; sec > 0 || s == "PT" {
		s += fmt.Sprintf("%dS", sec)
	}
	return s
}

// lineWriter writes content lines: NAME;PARAM=…:value, folded at 75 octets, ending in CRLF.
type lineWriter struct{ w *bytes.Buffer }

func (l *lineWriter) line(name string, params []string, value string) {
	var b strings.Builder
	b.WriteString(name)
	for _, p := range params {
		b.WriteByte(';')
		b.WriteString(p)
	}
	b.WriteByte(':')
	b.WriteString(value)
	fold(l.w, b.String())
}

// text writes a TEXT property, with its LANGUAGE when that is not the calendar's.
func (l *lineWriter) text(name string, t Text, calLang string) {
	var params []string
	if t.Lang != "" && t.Lang != calLang {
		params = append(params, "LANGUAGE="+paramValue(t.Lang))
	}
	l.line(name, params, escape(t.Value))
}

// time writes a DATE, a DATE-TIME with its TZID, or a DATE-TIME in UTC.
func (l *lineWriter) time(name string, t Time) {
	switch loc := t.location(); {
	case t.At.IsZero():
		l.line(name, []string{"VALUE=DATE"}, dateValue(t.Date))
	case loc != nil:
		l.line(name, []string{"TZID=" + paramValue(t.Zone)}, t.At.In(loc).Format("20060102T150405"))
	default:
		l.line(name, nil, t.At.UTC().Format("20060102T150405Z"))
	}
}

// maxLine is the longest a content line may be, in octets, without its CRLF.
const maxLine = 75

// fold writes s as one content line, folded so that no line exceeds 75 octets: each
// continuation starts with a space, and no UTF-8 sequence is split.
func fold(w *bytes.Buffer, s string) {
	limit := maxLine
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		w.WriteString(s[:cut])
		w.WriteString("\r\n ")
		s = s[cut:]
		limit = maxLine - 1 // the leading space counts
	}
	w.WriteString(s)
	w.WriteString("\r\n")
}

// escape makes s a TEXT value: backslash, semicolon, comma and newline escaped, other control
// characters dropped.
func escape(s string) string {
	var b strings.Builder
	s = strings.ReplaceAll(s, "\r\n", "\n")
	for _, r := range s {
		switch {
		case r == '\\' || r == ';' || r == ',':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
		case r == utf8.RuneError:
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// paramValue quotes a parameter value that holds a character a bare one may not.
func paramValue(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '"' || r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if strings.ContainsAny(s, ";:,") {
		return `"` + s + `"`
	}
	return s
}

// vtimezone is the definition of one zone over a span of years, built from Go's zone database.
type vtimezone struct {
	name     string
	loc      *time.Location
	from, to int // years
}

// transition is a change of a zone's offset.
type transition struct {
	at         time.Time // the instant, UTC
	fromOffset int       // seconds east of UTC before
	toOffset   int       // and after
	abbr       string
	dst        bool
}

// transitions finds the changes of offset from the start of the first year to the end of the
// last: day by day, then to the second.
func (tz *vtimezone) transitions() []transition {
	start := time.Date(tz.from, 1, 1, 0, 0, 0, 0, tz.loc)
	end := time.Date(tz.to+1, 1, 1, 0, 0, 0, 0, tz.loc)
	var out []transition
	_, prev := start.In(tz.loc).Zone()
	for t := start; t.Before(end); t = t.Add(24 * time.Hour) {
		next := t.Add(24 * time.Hour)
		_, off := next.In(tz.loc).Zone()
		if off == prev {
			continue
		}
		lo, hi := t, next // offset at lo is prev, at hi is off
		for hi.Sub(lo) > time.Second {
			mid := lo.Add(hi.Sub(lo) / 2)
			if _, o := mid.In(tz.loc).Zone(); o == prev {
				lo = mid
			} else {
				hi = mid
			}
		}
		abbr, _ := hi.In(tz.loc).Zone()
		out = append(out, transition{at: hi, fromOffset: prev, toOffset: off, abbr: abbr, dst: hi.In(tz.loc).IsDST()})
		prev = off
	}
	return out
}

func (tz *vtimezone) write(l *lineWriter) {
	l.line("BEGIN", nil, "VTIMEZONE")
	l.line("TZID", nil, tz.name)
	// The first observance states the offset in force at the start of the span.
	start := time.Date(tz.from, 1, 1, 0, 0, 0, 0, tz.loc)
	abbr, off := start.Zone()
	observance(l, start.IsDST(), start.Format("20060102T150405"), off, off, abbr)
	for _, tr := range tz.transitions() {
		// DTSTART of an observance is the local time of the change in the offset before it.
		local := tr.at.Add(time.Duration(tr.fromOffset) * time.Second).UTC().Format("20060102T150405")
		observance(l, tr.dst, local, tr.fromOffset, tr.toOffset, tr.abbr)
	}
	l.line("END", nil, "VTIMEZONE")
}

func observance(l *lineWriter, dst bool, dtstart string, from, to int, abbr string) {
	kind := "STANDARD"
	if dst {
		kind = "DAYLIGHT"
	}
	l.line("BEGIN", nil, kind)
	l.line("DTSTART", nil, dtstart)
	l.line("TZOFFSETFROM", nil, offset(from))
	l.line("TZOFFSETTO", nil, offset(to))
	if abbr != "" {
		l.line("TZNAME", nil, escape(abbr))
	}
	l.line("END", nil, kind)
}

// offset writes seconds east of UTC as +HHMM (or +HHMMSS when there are seconds).
func offset(sec int) string {
	sign := '+'
	if sec < 0 {
		sign, sec = '-', -sec
	}
	if sec%60 != 0 {
		return fmt.Sprintf("%c%02d%02d%02d", sign, sec/3600, sec%3600/60, sec%60)
	}
	return fmt.Sprintf("%c%02d%02d", sign, sec/3600, sec%3600/60)
}
