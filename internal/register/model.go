// Package register is the partner register: the cities a city is twinned with, the partnerships
// between them, their history, documents and the dates each side records. It holds the model,
// its rules and its SQL, and knows nothing of HTTP.
package register

import (
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/language"

	"sistercity/internal/attach"
	"sistercity/internal/civil"
	"sistercity/internal/langtext"
	"sistercity/internal/problem"
	"sistercity/internal/tz"
)

// City kinds.
const (
	KindCity       = "city"
	KindProvince   = "province"
	KindState      = "state"
	KindPrefecture = "prefecture"
)

// CityKinds lists the kinds a City may have.
var CityKinds = []string{KindCity, KindProvince, KindState, KindPrefecture}

// Partnership types.
const (
	TypeSister      = "sister"
	TypeFriendship  = "friendship"
	TypeExchangeMOU = "exchange_mou"
)

// PartnershipTypes lists the types in the order the register shows them.
var PartnershipTypes = []string{TypeSister, TypeFriendship, TypeExchangeMOU}

// Partnership statuses.
const (
	StatusActive   = "active"
	StatusDormant  = "dormant"
	StatusUpgraded = "upgraded" // a friendship that became a sister partnership
	StatusEnded    = "ended"
)

// Statuses lists the statuses a partnership may have.
var Statuses = []string{StatusActive, StatusDormant, StatusUpgraded, StatusEnded}

// Areas lists the areas of exchange a partnership may cover.
var Areas = []string{"administration", "culture", "tourism", "economy", "education", "youth", "sports", "health", "port_logistics", "science", "environment"}

// Text is a City's name and description in one language.
type Text struct {
	Lang        string `json:"lang"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// Contact is a person in a city's international-relations department.
type Contact struct {
	Name       string `json:"name"`
	Role       string `json:"role,omitempty"`
	Department string `json:"department,omitempty"`
	Email      string `json:"email,omitempty"`
	Phone      string `json:"phone,omitempty"`
}

// City is a city, province or state that takes part in partnerships, the home city included.
type City struct {
	ID           int64      `json:"id"`
	Texts        []Text     `json:"texts"`
	Country      string     `json:"country"` // ISO 3166-1 alpha-2
	Kind         string     `json:"kind"`
	Population   *int64     `json:"population,omitempty"`
	AreaKm2      *float64   `json:"area_km2,omitempty"`
	StatsAsOf    civil.Date `json:"stats_as_of"` // when population and area were counted
	FoundedOn    civil.Date `json:"founded_on"`
	FoundingNote string     `json:"founding_note,omitempty"` // calendar or source remarks
	CityDayRule  string     `json:"city_day_rule,omitempty"` // e.g. "first-sunday-07"
	Timezone     string     `json:"timezone,omitempty"`      // IANA zone
	Wikidata     string     `json:"wikidata,omitempty"`
	Contacts     []Contact  `json:"contacts,omitempty"`
	Version      int64      `json:"-"`
}

// Name returns the city's name in lang, falling back to English and then to any name.
func (c *City) Name(lang string) string {
	if t, ok := c.text(lang); ok {
		return t.Name
	}
	if t, ok := c.text("en"); ok {
		return t.Name
	}
	if len(c.Texts) > 0 {
		return c.Texts[0].Name
	}
	return ""
}

// NameLang returns the language of the name Name(lang) returns, so that a page can mark a name
// shown in another language with its lang attribute.
func (c *City) NameLang(lang string) string {
	if _, ok := c.text(lang); ok {
		return lang
	}
	if _, ok := c.text("en"); ok {
		return "en"
	}
	if len(c.Texts) > 0 {
		return c.Texts[0].Lang
	}
	return lang
}

// Description returns the description in lang, falling back to English.
func (c *City) Description(lang string) string {
	if t, ok := c.text(lang); ok && t.Description != "" {
		return t.Description
	}
	if t, ok := c.text("en"); ok {
		return t.Description
	}
	return ""
}

// DescriptionLang returns the language of the text Description(lang) returns.
func (c *City) DescriptionLang(lang string) string {
	if t, ok := c.text(lang); ok && t.Description != "" {
		return lang
	}
	return "en"
}

func (c *City) text(lang string) (Text, bool) {
	for _, t := range c.Texts {
		if t.Lang == lang {
			return t, true
		}
	}
	return Text{}, false
}

// SetText sets the name and description in lang, removing the entry when both are empty.
func (c *City) SetText(lang, name, description string) {
	c.Texts = slices.DeleteFunc(c.Texts, func(t Text) bool { return t.Lang == lang })
	if name != "" || description != "" {
		c.Texts = append(c.Texts, Text{Lang: lang, Name: name, Description: description})
	}
}

var (
	wikidataRe = regexp.MustCompile(`^Q[1-9][0-9]{0,11}$`)
	emailRe    = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	dayRuleRe  = regexp.MustCompile(`^(first|second|third|fourth|last)-(monday|tuesday|wednesday|thursday|friday|saturday|sunday)-(0[1-9]|1[0-2])$|^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$`)
)

// Limits on free text, so that no field can grow without bound.
const (
	maxName  = 200
	maxText  = 4000
	maxShort = 300
)

// Validate checks c and returns the problems found, field by field.
func (c *City) Validate(today civil.Date) problem.Fields {
	var f problem.Fields
	if len(c.Texts) == 0 || c.Name("en") == "" {
		f.Add("name", "validation.required")
	}
	for _, t := range c.Texts {
		field := "name_" + t.Lang
		if _, err := language.Parse(t.Lang); err != nil || t.Lang == "" {
			f.Add(field, "validation.language_tag")
		}
		if strings.TrimSpace(t.Name) == "" {
			f.Add(field, "validation.required")
		}
		checkLen(&f, field, t.Name, maxName)
		checkLen(&f, "description_"+t.Lang, t.Description, maxText)
	}
	if r, err := language.ParseRegion(c.Country); err != nil || !r.IsCountry() || len(c.Country) != 2 {
		f.Add("country", "validation.country")
	}
	if !slices.Contains(CityKinds, c.Kind) {
		f.Add("kind", "validation.choice")
	}
	if c.Population != nil && (*c.Population < 0 || *c.Population > 200_000_000) {
		f.Add("population", "validation.range")
	}
	if c.AreaKm2 != nil && (*c.AreaKm2 <= 0 || *c.AreaKm2 > 20_000_000) {
		f.Add("area_km2", "validation.range")
	}
	if (c.Population != nil || c.AreaKm2 != nil) && c.StatsAsOf.IsZero() {
		f.Add("stats_as_of", "validation.stats_as_of_required")
	}
	checkDate(&f, "stats_as_of", c.StatsAsOf, civil.Date{Year: 1900, Month: 1, Day: 1}, today)
	checkDate(&f, "founded_on", c.FoundedOn, civil.Date{Year: 1, Month: 1, Day: 1}, today)
	checkLen(&f, "founding_note", c.FoundingNote, maxShort)
	if c.CityDayRule != "" && !dayRuleRe.MatchString(c.CityDayRule) {
		f.Add("city_day_rule", "validation.day_rule")
	}
	if c.Timezone != "" {
		if !tz.Valid(c.Timezone) {
			f = append(f, problem.FieldError{Field: "timezone", Msg: tz.Problem(c.Timezone)})
		}
	}
	if c.Wikidata != "" && !wikidataRe.MatchString(c.Wikidata) {
		f.Add("wikidata", "validation.wikidata")
	}
	if len(c.Contacts) > 20 {
		f.Add("contacts", "validation.too_many")
	}
	for i, ct := range c.Contacts {
		field := "contact_" + itoa(i)
		if strings.TrimSpace(ct.Name) == "" {
			f.Add(field, "validation.contact_name")
		}
		if ct.Email != "" && !emailRe.MatchString(ct.Email) {
			f.Add(field, "validation.email")
		}
		for _, s := range []string{ct.Name, ct.Role, ct.Department, ct.Email, ct.Phone} {
			checkLen(&f, field, s, maxShort)
		}
	}
	return f
}

// Signatory is a person who signed an agreement for one side, with the name and title as each
// language writes them.
type Signatory struct {
	Side  string         `json:"side"` // home or partner
	Name  langtext.Texts `json:"name"`
	Title langtext.Texts `json:"title,omitempty"`
}

// EqualSignatories tells whether two lists name the same signatories in the same order.
func EqualSignatories(a, b []Signatory) bool {
	return slices.EqualFunc(a, b, func(x, y Signatory) bool {
		return x.Side == y.Side && langtext.Equal(x.Name, y.Name) && langtext.Equal(x.Title, y.Title)
	})
}

// CloneSignatories copies a list of signatories with their texts.
func CloneSignatories(in []Signatory) []Signatory {
	var out []Signatory
	for _, s := range in {
		out = append(out, Signatory{Side: s.Side, Name: s.Name.Clone(), Title: s.Title.Clone()})
	}
	return out
}

// StatusChange is one entry of a partnership's status history.
type StatusChange struct {
	Status     string         `json:"status"`
	ChangedOn  civil.Date     `json:"changed_on"`
	Reason     langtext.Texts `json:"reason,omitempty"`
	RecordedAt time.Time      `json:"-"`
}

// Document is an uploaded file attached to a record; package attach keeps them.
type Document = attach.Document

// DateClaim is the date one city records for a partnership when the two cities disagree (Busan
// gives 1967-12-18 for Los Angeles, Los Angeles gives 1971-04-05).
type DateClaim struct {
	ID        int64      `json:"id"`
	CityID    int64      `json:"city_id"`
	ClaimedOn civil.Date `json:"claimed_on"`
	Source    string     `json:"source"`
}

// Partnership joins the home city with a partner city.
type Partnership struct {
	ID                int64          `json:"id"`
	HomeCityID        int64          `json:"home_city_id"`
	PartnerCityID     int64          `json:"partner_city_id"`
	Type              string         `json:"type"`
	SignedOn          civil.Date     `json:"signed_on"`
	SignedAt          langtext.Texts `json:"signed_at,omitempty"` // the place of signing
	CouncilApprovedOn civil.Date     `json:"council_approved_on"`
	CouncilNote       string         `json:"council_note,omitempty"`
	Status            string         `json:"status"`
	Note              string         `json:"note,omitempty"`
	Signatories       []Signatory    `json:"signatories,omitempty"`
	Areas             []string       `json:"areas,omitempty"`
	History           []StatusChange `json:"history,omitempty"`
	Documents         []Document     `json:"documents,omitempty"`
	DateClaims        []DateClaim    `json:"date_claims,omitempty"`
	Version           int64          `json:"-"`

	// Loaded with the partnership for display.
	HomeCity    *City `json:"-"`
	PartnerCity *City `json:"-"`
}

// Age returns the partnership's age in whole years on today, and false when the signing date is
// unknown or in the future.
func (p *Partnership) Age(today civil.Date) (int, bool) {
	if p.SignedOn.IsZero() || p.SignedOn.After(today) {
		return 0, false
	}
	return p.SignedOn.YearsUntil(today), true
}

// earliest is the earliest date a partnership, approval or claim may carry: the first modern
// twinnings date from the 1920s, so a date before 1900 is a typing error.
var earliest = civil.Date{Year: 1900, Month: 1, Day: 1}

// Validate checks p and returns the problems found.
func (p *Partnership) Validate(today civil.Date) problem.Fields {
	var f problem.Fields
	if p.PartnerCityID == 0 {
		f.Add("partner_city_id", "validation.required")
	}
	if p.HomeCityID != 0 && p.HomeCityID == p.PartnerCityID {
		f.Add("partner_city_id", "validation.same_city")
	}
	if !slices.Contains(PartnershipTypes, p.Type) {
		f.Add("type", "validation.choice")
	}
	if !slices.Contains(Statuses, p.Status) {
		f.Add("status", "validation.choice")
	}
	checkDate(&f, "signed_on", p.SignedOn, earliest, today)
	checkDate(&f, "council_approved_on", p.CouncilApprovedOn, earliest, today)
	checkTexts(&f, "signed_at", p.SignedAt, maxShort)
	checkLen(&f, "council_note", p.CouncilNote, maxText)
	checkLen(&f, "note", p.Note, maxText)
	if len(p.Signatories) > 20 {
		f.Add("signatories", "validation.too_many")
	}
	for _, s := range p.Signatories {
		if s.Side != "home" && s.Side != "partner" {
			f.Add("signatories", "validation.choice")
		}
		if s.Name.Empty() {
			f.Add("signatories", "validation.required")
		}
		checkTexts(&f, "signatories", s.Name, maxShort)
		checkTexts(&f, "signatories", s.Title, maxShort)
	}
	for _, a := range p.Areas {
		if !slices.Contains(Areas, a) {
			f.Add("areas", "validation.choice")
			break
		}
	}
	return f
}

// CheckRecordDate applies the register's rule for partnership dates — not before 1900, not in
// the future — to a date the model does not hold itself (a status change, a date claim).
func CheckRecordDate(f *problem.Fields, field string, d, today civil.Date) {
	checkDate(f, field, d, earliest, today)
}

// CheckTexts bounds each language's text of a field, as CheckText does, and refuses a language
// tag that is not BCP 47.
func CheckTexts(f *problem.Fields, field string, t langtext.Texts, max int) {
	checkTexts(f, field, t, max)
}

func checkTexts(f *problem.Fields, field string, t langtext.Texts, max int) {
	if len(t.CheckLangs()) > 0 {
		f.Add(field, "validation.language_tag")
	}
	for _, l := range t.Langs() {
		checkLen(f, field, t[l], max)
	}
}

// CheckText bounds a free-text field and checks that it is valid UTF-8.
func CheckText(f *problem.Fields, field, s string, max int) { checkLen(f, field, s, max) }

func checkDate(f *problem.Fields, field string, d, min, max civil.Date) {
	if d.IsZero() {
		return
	}
	if d.Before(min) {
		f.Add(field, "validation.date_too_early", "date", min.String())
	}
	if d.After(max) {
		f.Add(field, "validation.date_in_future")
	}
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

// Continents are the UN M.49 regions the partner list groups by.
var Continents = []string{"142", "150", "002", "019", "009"} // Asia, Europe, Africa, Americas, Oceania

// Continent returns the M.49 code of the continent that holds country, from CLDR's containment
// data, or "" when none does.
func Continent(country string) string {
	r, err := language.ParseRegion(country)
	if err != nil {
		return ""
	}
	for _, c := range Continents {
		if language.MustParseRegion(c).Contains(r) {
			return c
		}
	}
	return ""
}

// zoneContinents maps the area of an IANA time zone name to its continent's M.49 code. The
// areas Atlantic, Indian, Pacific and Antarctica name oceans and are left to the country.
var zoneContinents = map[string]string{
	"Asia": "142", "Europe": "150", "Africa": "002", "America": "019", "Australia": "009",
}

// Continent returns the M.49 code of the continent the city lies on. A country's continent is
// not always its cities': Russia is counted in Europe, yet Vladivostok lies in Asia. The city's
// time zone names its continent (Asia/Vladivostok, Europe/Moscow), so it decides when it names
// one; otherwise the country does.
func (c *City) Continent() string {
	if area, _, ok := strings.Cut(c.Timezone, "/"); ok {
		if code, ok := zoneContinents[area]; ok {
			return code
		}
	}
	return Continent(c.Country)
}
