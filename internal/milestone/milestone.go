// Package milestone computes the days worth planning for: the anniversaries of partnerships
// (from their signing dates), of the founding of partner cities, their city days (by a rule such
// as "first Sunday of July"), the anniversaries of diplomatic relations between countries, and
// milestones added by hand.
//
// It is its own package rather than part of register or exchange: it reads the register but
// keeps only two small tables of its own, its rules are pure date arithmetic that the dashboard,
// the public timeline and the calendar feeds all share, and it needs nothing of the activities —
// the dashboard brings the two together.
package milestone

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/language"

	"sistercity/internal/civil"
	"sistercity/internal/problem"
	"sistercity/internal/register"
	"sistercity/internal/visibility"
)

// Kinds of milestone.
const (
	KindPartnership = "partnership" // anniversary of a partnership's signing
	KindFounding    = "founding"    // anniversary of a city's founding
	KindCityDay     = "city_day"    // a city's day, by its rule
	KindRelations   = "relations"   // anniversary of diplomatic relations between two countries
	KindCustom      = "custom"      // added by hand
)

// Kinds lists the kinds in the order the pages group them.
var Kinds = []string{KindPartnership, KindFounding, KindCityDay, KindRelations, KindCustom}

// IsRound tells whether an anniversary is a round one, worth an event of its own: the 5th, 10th,
// 20th and 25th, then every tenth and every twenty-fifth (30, 40, 50, 60, 70, 75, …).
func IsRound(years int) bool {
	return years > 0 && (years == 5 || years%10 == 0 || years%25 == 0)
}

// Anniversary returns the day origin has its years-th anniversary: the same day, and for 29
// February the 28th in common years (civil.AddYears).
func Anniversary(origin civil.Date, years int) civil.Date { return origin.AddYears(years) }

var (
	ruleRe = regexp.MustCompile(`^(first|second|third|fourth|last)-(monday|tuesday|wednesday|thursday|friday|saturday|sunday)-(0[1-9]|1[0-2])$`)
	dayRe  = regexp.MustCompile(`^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$`)
)

var ordinals = map[string]int{"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}

var weekdays = map[string]time.Weekday{"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday,
	"wednesday": time.Wednesday, "thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday}

// CityDay returns the day a city-day rule falls on in year: "first-sunday-07" is the first
// Sunday of July, "last-saturday-09" the last Saturday of September, "05-27" the 27th of May
// (and "02-29" the 28th of February in common years). It is false for a rule it cannot read or
// a fixed day a month does not have.
func CityDay(rule string, year int) (civil.Date, bool) {
	if m := dayRe.FindStringSubmatch(rule); m != nil {
		month, _ := strconv.Atoi(m[1])
		day, _ := strconv.Atoi(m[2])
		if month == 2 && day == 29 {
			return civil.Date{Year: 2000, Month: 2, Day: 29}.AddYears(year - 2000), true
		}
		t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
		if t.Day() != day {
			return civil.Date{}, false // 04-31
		}
		return civil.Of(t), true
	}
	m := ruleRe.FindStringSubmatch(rule)
	if m == nil {
		return civil.Date{}, false
	}
	n, wd := ordinals[m[1]], weekdays[m[2]]
	month, _ := strconv.Atoi(m[3])
	if n > 0 {
		first := time.Date(year, time.Month(month), 1, 0, 0, 0, 0, time.UTC)
		offset := (int(wd) - int(first.Weekday()) + 7) % 7
		return civil.Of(first.AddDate(0, 0, offset+7*(n-1))), true
	}
	last := time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC)
	offset := (int(last.Weekday()) - int(wd) + 7) % 7
	return civil.Of(last.AddDate(0, 0, -offset)), true
}

// CityDayRRule returns the RFC 5545 recurrence rule of a city-day rule: the same rule CityDay
// applies, written for calendar programs. It is "" for a rule CityDay cannot read.
func CityDayRRule(rule string) string {
	if m := dayRe.FindStringSubmatch(rule); m != nil {
		if m[1] == "02" && m[2] == "29" {
			return leapRule
		}
		return "FREQ=YEARLY"
	}
	m := ruleRe.FindStringSubmatch(rule)
	if m == nil {
		return ""
	}
	month, _ := strconv.Atoi(m[3])
	day := strings.ToUpper(m[2][:2])
	return fmt.Sprintf("FREQ=YEARLY;BYMONTH=%d;BYDAY=%d%s", month, ordinals[m[1]], day)
}

// leapRule repeats 29 February on the last day of February: the 29th in leap years, the 28th
// in common years, as civil.AddYears counts. A plain FREQ=YEARLY from a 29 February would skip
// the common years (RFC 5545 ignores invalid dates).
const leapRule = "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1"

// YearlyRRule returns the RFC 5545 recurrence rule of an anniversary of origin.
func YearlyRRule(origin civil.Date) string {
	if origin.Month == time.February && origin.Day == 29 {
		return leapRule
	}
	return "FREQ=YEARLY"
}

// Relation is the establishment of diplomatic relations between two countries (ISO 3166
// codes, kept in alphabetical order). Korea and the USSR established them on 1990-09-30; the
// Russian Federation continued them, so the relation is recorded as KR–RU with a note.
type Relation struct {
	ID            int64      `json:"id"`
	CountryA      string     `json:"country_a"`
	CountryB      string     `json:"country_b"`
	EstablishedOn civil.Date `json:"established_on"`
	Note          string     `json:"note,omitempty"`
	Version       int64      `json:"-"`
}

// Normalize puts the country codes in upper case and in order.
func (r *Relation) Normalize() {
	r.CountryA, r.CountryB = strings.ToUpper(strings.TrimSpace(r.CountryA)), strings.ToUpper(strings.TrimSpace(r.CountryB))
	if r.CountryB < r.CountryA {
		r.CountryA, r.CountryB = r.CountryB, r.CountryA
	}
}

// Concerns tells whether the relation is between country and other.
func (r *Relation) Concerns(country, other string) bool {
	return (r.CountryA == country && r.CountryB == other) || (r.CountryA == other && r.CountryB == country)
}

// earliest and latest bound the dates of milestones kept by hand.
var (
	earliest = civil.Date{Year: 1, Month: 1, Day: 1}
	latest   = civil.Date{Year: 2200, Month: 12, Day: 31}
)

const (
	maxTitle = 300
	maxNote  = 2000
	maxTexts = 20
)

// Validate checks r and returns the problems found; it does not need r normalized.
func (r *Relation) Validate(today civil.Date) problem.Fields {
	var f problem.Fields
	for _, c := range []struct{ field, code string }{{"country_a", r.CountryA}, {"country_b", r.CountryB}} {
		if reg, err := language.ParseRegion(c.code); err != nil || !reg.IsCountry() || len(c.code) != 2 {
			f.Add(c.field, "validation.country")
		}
	}
	if r.CountryA != "" && r.CountryA == r.CountryB {
		f.Add("country_b", "milestone.validation.same_country")
	}
	switch {
	case r.EstablishedOn.IsZero():
		f.Add("established_on", "validation.required")
	case r.EstablishedOn.Before(civil.Date{Year: 1600, Month: 1, Day: 1}):
		f.Add("established_on", "validation.date_too_early", "date", "1600-01-01")
	case r.EstablishedOn.After(today):
		f.Add("established_on", "validation.date_in_future")
	}
	checkLen(&f, "note", r.Note, maxNote)
	return f
}

// Text is a milestone's title and note in one language.
type Text struct {
	Lang  string `json:"lang"`
	Title string `json:"title"`
	Note  string `json:"note,omitempty"`
}

// Milestone is a day added by hand: once, or every year from its date.
type Milestone struct {
	ID            int64      `json:"id"`
	Texts         []Text     `json:"texts"`
	On            civil.Date `json:"on"`
	Yearly        bool       `json:"yearly"`
	PartnershipID int64      `json:"partnership_id,omitempty"` // 0: the office as a whole
	Visibility    string     `json:"visibility,omitempty"`     // visibility.Internal or Public; "" is public
	Version       int64      `json:"-"`
}

// Public tells whether the milestone may be shown on the public site, its feeds and calendars.
func (m *Milestone) Public() bool { return m.Visibility == visibility.Public }

// PublicOnly returns a copy of s that keeps only the public milestones kept by hand: what the
// public site computes from. Derived milestones (anniversaries, founding days, city days,
// relations) are public by nature and stay.
func (s *Sources) PublicOnly() *Sources {
	out := *s
	out.Milestones = nil
	for _, m := range s.Milestones {
		if m.Public() {
			out.Milestones = append(out.Milestones, m)
		}
	}
	return &out
}

// Title returns the title in lang, falling back to English and then to any title.
func (m *Milestone) Title(lang string) string { return m.text(lang).Title }

// TitleLang returns the language of the title Title(lang) returns.
func (m *Milestone) TitleLang(lang string) string { return m.text(lang).Lang }

// Note returns the note in the language of Title(lang).
func (m *Milestone) Note(lang string) string { return m.text(lang).Note }

func (m *Milestone) text(lang string) Text {
	for _, want := range []string{lang, "en"} {
		for _, t := range m.Texts {
			if t.Lang == want && t.Title != "" {
				return t
			}
		}
	}
	for _, t := range m.Texts {
		if t.Title != "" {
			return t
		}
	}
	return Text{Lang: lang}
}

// Validate checks m and returns the problems found.
func (m *Milestone) Validate() problem.Fields {
	var f problem.Fields
	hasTitle := false
	seen := map[string]bool{}
	if len(m.Texts) > maxTexts {
		f.Add("title", "validation.too_many")
	}
	for _, t := range m.Texts {
		field := "title_" + t.Lang
		if tag, err := language.Parse(t.Lang); err != nil || tag.String() != t.Lang {
			f.Add(field, "validation.language_tag")
		}
		if seen[t.Lang] {
			f.Add(field, "exchange.validation.lang_twice")
		}
		seen[t.Lang] = true
		if strings.TrimSpace(t.Title) != "" {
			hasTitle = true
		} else if t.Note != "" {
			f.Add(field, "exchange.validation.title_for_text")
		}
		checkLen(&f, field, t.Title, maxTitle)
		checkLen(&f, "note_"+t.Lang, t.Note, maxNote)
	}
	if !hasTitle {
		f.Add("title", "exchange.validation.title_required")
	}
	if m.Visibility != "" && !visibility.Valid(m.Visibility) {
		f.Add("visibility", "validation.choice")
	}
	switch {
	case m.On.IsZero():
		f.Add("on", "validation.required")
	case m.On.Before(earliest):
		f.Add("on", "validation.date_too_early", "date", earliest.String())
	case m.On.After(latest):
		f.Add("on", "exchange.validation.date_too_late", "date", latest.String())
	}
	return f
}

func checkLen(f *problem.Fields, field, s string, max int) {
	if !utf8.ValidString(s) {
		f.Add(field, "validation.encoding")
		return
	}
	if utf8.RuneCountInString(s) > max {
		f.Add(field, "validation.too_long", "count", max)
	}
}

// Occurrence is one milestone on one day.
type Occurrence struct {
	Kind   string
	On     civil.Date
	Origin civil.Date // the day counted from; for a city day, On
	Years  int        // years since Origin; 0 for a city day or a day kept once
	Round  bool
	// Partnerships are the partnerships the day concerns: for a city's days, those with the
	// city; for relations, those with a city of the other country; empty: the office as a whole.
	Partnerships []int64

	Partnership *register.Partnership // KindPartnership
	City        *register.City        // KindFounding, KindCityDay
	Relation    *Relation             // KindRelations
	Milestone   *Milestone            // KindCustom
}

// Key names the series the occurrence belongs to, stable across years and requests: the
// calendar feeds make their UIDs from it.
func (o *Occurrence) Key() string {
	switch o.Kind {
	case KindPartnership:
		return fmt.Sprintf("partnership-%d", o.Partnership.ID)
	case KindFounding:
		return fmt.Sprintf("founding-%d", o.City.ID)
	case KindCityDay:
		return fmt.Sprintf("city-day-%d", o.City.ID)
	case KindRelations:
		return fmt.Sprintf("relations-%d", o.Relation.ID)
	}
	return fmt.Sprintf("milestone-%d", o.Milestone.ID)
}

// Series is a milestone as a whole, for a calendar: its first day and its yearly rule.
type Series struct {
	Occurrence        // the first day, with what it is about
	RRule      string // RFC 5545 recurrence rule; "" for a day kept once
}

// Sources are what milestones are derived from.
type Sources struct {
	Home         *register.City          // nil when the instance has no home city yet
	Partnerships []*register.Partnership // live ones: not ended, not upgraded
	Relations    []*Relation
	Milestones   []*Milestone
}

// live tells whether a partnership still has anniversaries: an ended one has none, and an
// upgraded friendship lives on in the sister partnership that followed it.
func live(p *register.Partnership) bool {
	return p.Status != register.StatusEnded && p.Status != register.StatusUpgraded && p.PartnerCity != nil
}

// NewSources keeps the live partnerships of all and the rest as given.
func NewSources(home *register.City, all []*register.Partnership, relations []*Relation, milestones []*Milestone) *Sources {
	s := &Sources{Home: home, Relations: relations, Milestones: milestones}
	for _, p := range all {
		if live(p) {
			s.Partnerships = append(s.Partnerships, p)
		}
	}
	return s
}

// cities returns the cities whose founding and city day count: the home city, then the partner
// cities of live partnerships, each once, with the partnerships it takes part in.
func (s *Sources) cities() ([]*register.City, map[int64][]int64) {
	var out []*register.City
	links := map[int64][]int64{}
	if s.Home != nil {
		out = append(out, s.Home)
	}
	for _, p := range s.Partnerships {
		if _, seen := links[p.PartnerCityID]; !seen && (s.Home == nil || p.PartnerCityID != s.Home.ID) {
			out = append(out, p.PartnerCity)
		}
		links[p.PartnerCityID] = append(links[p.PartnerCityID], p.ID)
	}
	return out, links
}

// relationPartnerships returns the live partnerships a relation concerns: those between the
// home city and a city of the other country.
func (s *Sources) relationPartnerships(r *Relation) []int64 {
	if s.Home == nil {
		return nil
	}
	var ids []int64
	for _, p := range s.Partnerships {
		if r.Concerns(s.Home.Country, p.PartnerCity.Country) {
			ids = append(ids, p.ID)
		}
	}
	return ids
}

func (s *Sources) milestonePartnerships(m *Milestone) []int64 {
	if m.PartnershipID == 0 {
		return nil
	}
	return []int64{m.PartnershipID}
}

// Series lists every milestone as a series: anniversaries from their origin with a yearly
// rule, city days from the year of the city's first partnership, days kept once on their date.
func (s *Sources) Series() []Series {
	var out []Series
	for _, p := range s.Partnerships {
		if p.SignedOn.IsZero() {
			continue
		}
		out = append(out, Series{Occurrence{Kind: KindPartnership, On: p.SignedOn, Origin: p.SignedOn,
			Partnerships: []int64{p.ID}, Partnership: p}, YearlyRRule(p.SignedOn)})
	}
	cities, links := s.cities()
	for _, c := range cities {
		if !c.FoundedOn.IsZero() {
			out = append(out, Series{Occurrence{Kind: KindFounding, On: c.FoundedOn, Origin: c.FoundedOn,
				Partnerships: links[c.ID], City: c}, YearlyRRule(c.FoundedOn)})
		}
		rule := CityDayRRule(c.CityDayRule)
		if rule == "" {
			continue
		}
		year := 2000
		for _, p := range s.Partnerships {
			if p.PartnerCityID == c.ID && !p.SignedOn.IsZero() && p.SignedOn.Year < year {
				year = p.SignedOn.Year
			}
		}
		if day, ok := CityDay(c.CityDayRule, year); ok {
			out = append(out, Series{Occurrence{Kind: KindCityDay, On: day, Origin: day, Partnerships: links[c.ID], City: c}, rule})
		}
	}
	for _, r := range s.Relations {
		out = append(out, Series{Occurrence{Kind: KindRelations, On: r.EstablishedOn, Origin: r.EstablishedOn,
			Partnerships: s.relationPartnerships(r), Relation: r}, YearlyRRule(r.EstablishedOn)})
	}
	for _, m := range s.Milestones {
		rule := ""
		if m.Yearly {
			rule = YearlyRRule(m.On)
		}
		out = append(out, Series{Occurrence{Kind: KindCustom, On: m.On, Origin: m.On,
			Partnerships: s.milestonePartnerships(m), Milestone: m}, rule})
	}
	return out
}

// Between lists the milestones from from to to, both included, by date: every anniversary
// (round ones marked), every city day, every day kept by hand.
func (s *Sources) Between(from, to civil.Date) []Occurrence {
	var out []Occurrence
	for _, sr := range s.Series() {
		o := sr.Occurrence
		switch {
		case o.Kind == KindCityDay:
			for y := from.Year; y <= to.Year; y++ {
				if day, ok := CityDay(o.City.CityDayRule, y); ok && within(day, from, to) {
					o.On, o.Origin = day, day
					out = append(out, o)
				}
			}
		case sr.RRule == "":
			if within(o.On, from, to) {
				out = append(out, o)
			}
		default:
			// Anniversaries: the first is one year on; a day kept by hand counts its own date too.
			first := 1
			if o.Kind == KindCustom {
				first = 0
			}
			for y := max(from.Year, o.Origin.Year+first); y <= to.Year; y++ {
				n := y - o.Origin.Year
				day := Anniversary(o.Origin, n)
				if !within(day, from, to) {
					continue
				}
				o.On, o.Years, o.Round = day, n, IsRound(n)
				out = append(out, o)
			}
		}
	}
	Sort(out)
	return out
}

// Sort orders occurrences by date, then by kind, then by series.
func Sort(list []Occurrence) {
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if a.On != b.On {
			return a.On.Before(b.On)
		}
		if a.Kind != b.Kind {
			return slices.Index(Kinds, a.Kind) < slices.Index(Kinds, b.Kind)
		}
		return a.Key() < b.Key()
	})
}

func within(d, from, to civil.Date) bool { return !d.Before(from) && !d.After(to) }
