package register

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"golang.org/x/text/language"

	"sistercity/internal/langtext"
)

// The JSON format is the whole register, for backups and for moving it to another site:
//
//	{"format": "sistercity-register", "version": 1,
//	 "home_city": {City},
//	 "partnerships": [{"type": …, "signed_on": …, …, "signatories": […], "areas": […],
//	                   "history": [{"status", "changed_on", "reason"}],
//	 (signed_at, reason and a signatory's name and title are texts by language, {"ko": …, "en": …};
//	  a plain string, as files written before they had languages hold, is a text of no stated
//	  language, "und")
//	                   "date_claims": [{"city": "home"|"partner", "claimed_on", "source"}],
//	                   "partner": {City}}]}
//
// where a City is {"texts": [{"lang", "name", "description"}], "country", "kind", "population",
// "area_km2", "stats_as_of", "founded_on", "founding_note", "city_day_rule", "timezone",
// "wikidata", "contacts": [{"name", "role", "department", "email", "phone"}]}. Dates are
// YYYY-MM-DD. Database ids are not written: records are matched as Import describes.
// Documents (uploaded agreements and photographs) are not exported; copy them with a backup.
//
// Each item is a full record: a field it leaves out is cleared on import. A partnership
// without "history" keeps the history it has.

// JSON format name and version.
const (
	JSONFormatName = "sistercity-register"
	JSONVersion    = 1
)

type wireFile struct {
	Format       string            `json:"format"`
	Version      int               `json:"version"`
	HomeCity     *wireCity         `json:"home_city"`
	Partnerships []wirePartnership `json:"partnerships"`
}

type wireCity struct {
	Texts        []Text    `json:"texts"`
	Country      string    `json:"country"`
	Kind         string    `json:"kind,omitempty"`
	Population   *int64    `json:"population,omitempty"`
	AreaKm2      *float64  `json:"area_km2,omitempty"`
	StatsAsOf    string    `json:"stats_as_of,omitempty"`
	FoundedOn    string    `json:"founded_on,omitempty"`
	FoundingNote string    `json:"founding_note,omitempty"`
	CityDayRule  string    `json:"city_day_rule,omitempty"`
	Timezone     string    `json:"timezone,omitempty"`
	Wikidata     string    `json:"wikidata,omitempty"`
	Contacts     []Contact `json:"contacts,omitempty"`
}

type wireStatus struct {
	Status    string         `json:"status"`
	ChangedOn string         `json:"changed_on"`
	Reason    langtext.Texts `json:"reason,omitempty"`
}

type wireClaim struct {
	City      string `json:"city"` // home or partner
	ClaimedOn string `json:"claimed_on"`
	Source    string `json:"source"`
}

type wirePartnership struct {
	Type              string         `json:"type"`
	SignedOn          string         `json:"signed_on,omitempty"`
	SignedAt          langtext.Texts `json:"signed_at,omitempty"`
	CouncilApprovedOn string         `json:"council_approved_on,omitempty"`
	CouncilNote       string         `json:"council_note,omitempty"`
	Status            string         `json:"status,omitempty"`
	Note              string         `json:"note,omitempty"`
	Signatories       []Signatory    `json:"signatories,omitempty"`
	Areas             []string       `json:"areas,omitempty"`
	History           []wireStatus   `json:"history,omitempty"`
	DateClaims        []wireClaim    `json:"date_claims,omitempty"`
	Partner           *wireCity      `json:"partner"`
}

// ReadCityJSON reads one city written as in the JSON format ("home_city" of an export), to be
// given as ImportOptions.HomeCity.
func ReadCityJSON(r io.Reader) (*City, error) {
	data, err := readLimited(r)
	if err != nil {
		return nil, err
	}
	if data, err = checkJSONText(data); err != nil {
		return nil, err
	}
	pl := Place{Home: true}
	var wc wireCity
	if err := decodeStrict(data, &wc); err != nil {
		return nil, jsonFatal(data, pl, err)
	}
	var probs problems
	row := wc.row(pl, jsonLabel(""), &probs)
	if err := probs.err(); err != nil {
		return nil, err
	}
	return &row.Partner, nil
}

func checkJSONText(data []byte) ([]byte, error) {
	data, err := checkText(data)
	if err != nil {
		return nil, err
	}
	// encoding/json would quietly turn bytes that are not UTF-8 into U+FFFD.
	if i := firstInvalidUTF8(data); i >= 0 {
		return nil, fatal(Place{Line: lineAt(data, i)}, "", "import.error.not_utf8")
	}
	return data, nil
}

func readJSON(data []byte) (*File, error) {
	data, err := checkJSONText(data)
	if err != nil {
		return nil, err
	}
	var top struct {
		Format       string            `json:"format"`
		Version      int               `json:"version"`
		HomeCity     json.RawMessage   `json:"home_city"`
		Partnerships []json.RawMessage `json:"partnerships"`
	}
	if err := decodeStrict(data, &top); err != nil {
		return nil, jsonFatal(data, Place{}, err)
	}
	if top.Format != JSONFormatName {
		return nil, fatal(Place{}, "format", "import.error.json_format", "format", JSONFormatName)
	}
	if top.Version != JSONVersion {
		return nil, fatal(Place{}, "version", "import.error.json_version", "version", strconv.Itoa(top.Version),
			"supported", strconv.Itoa(JSONVersion))
	}
	if len(top.Partnerships) > MaxImportRows {
		return nil, fatal(Place{}, "partnerships", "import.error.too_many_rows", "count", MaxImportRows)
	}
	f := &File{Format: FormatJSON}
	var probs problems
	if len(top.HomeCity) > 0 && string(top.HomeCity) != "null" {
		pl := Place{Home: true}
		var wc wireCity
		if err := decodeStrict(top.HomeCity, &wc); err != nil {
			field, key, args := jsonProblem(err)
			probs.add(pl, field, key, args...)
		} else {
			f.home = wc.row(pl, jsonLabel(""), &probs)
		}
	}
	for i, raw := range top.Partnerships {
		pl := Place{Item: i + 1}
		var wp wirePartnership
		if err := decodeStrict(raw, &wp); err != nil {
			field, key, args := jsonProblem(err)
			probs.add(pl, field, key, args...)
			continue
		}
		if wp.Partner == nil {
			probs.add(pl, "partner", "validation.required")
			continue
		}
		f.Rows = append(f.Rows, wp.row(pl, &probs))
	}
	if probs.total == 0 && f.home == nil && len(f.Rows) == 0 {
		return nil, fatal(Place{}, "partnerships", "import.error.no_rows")
	}
	f.probs = probs
	return f, nil
}

// decodeStrict decodes one JSON value that must fill v exactly: no unknown fields, nothing after.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &json.SyntaxError{Offset: dec.InputOffset()}
	}
	return nil
}

func jsonFatal(data []byte, pl Place, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fatal(Place{Line: lineAt(data, int(se.Offset))}, "", "import.error.json_syntax")
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fatal(Place{Line: lineAt(data, len(data))}, "", "import.error.json_syntax")
	}
	field, key, args := jsonProblem(err)
	return fatal(pl, field, key, args...)
}

// jsonProblem turns a decoding error into a field and a message.
func jsonProblem(err error) (field, key string, args []any) {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return te.Field, "import.error.json_type", nil
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if n, uerr := strconv.Unquote(name); uerr == nil {
			name = n
		}
		return name, "import.error.json_unknown_field", []any{"field", name}
	}
	return "", "import.error.json_syntax", nil
}

// jsonLabel names fields as a JSON file does: city fields under prefix ("partner."), the
// partnership's fields bare, date claims by side.
func jsonLabel(prefix string) func(string) string {
	return func(field string) string {
		switch field {
		case fClaimOn:
			return "date_claims.partner.claimed_on"
		case fClaimSource:
			return "date_claims.partner.source"
		case fHomeClaimOn:
			return "date_claims.home.claimed_on"
		case fHomeClaimSrc:
			return "date_claims.home.source"
		}
		for _, f := range partnershipFields {
			if f == field {
				return field
			}
		}
		return prefix + field
	}
}

// row turns a city into a Row of its own (the home city) or the partner of one.
func (wc *wireCity) row(pl Place, label func(string) string, probs *problems) *Row {
	r := &Row{Place: pl, bad: map[string]bool{}, label: label}
	wc.fill(r, probs)
	return r
}

func (wc *wireCity) fill(r *Row, probs *problems) {
	rd := cellReader{r: r, probs: probs}
	c := &r.Partner
	seen := map[string]bool{}
	for _, t := range wc.Texts {
		if tag, err := language.Parse(t.Lang); err == nil {
			t.Lang = tag.String()
		}
		if seen[t.Lang] {
			rd.fail(fTexts, "import.error.duplicate_language", "lang", t.Lang)
			continue
		}
		seen[t.Lang] = true
		c.Texts = append(c.Texts, Text{Lang: t.Lang, Name: strings.TrimSpace(t.Name), Description: strings.TrimSpace(t.Description)})
	}
	sortTexts(c)
	c.Country = strings.ToUpper(strings.TrimSpace(wc.Country))
	c.Kind = rd.choice(fKind, strings.TrimSpace(wc.Kind), CityKinds, KindCity)
	c.Population, c.AreaKm2 = wc.Population, wc.AreaKm2
	c.StatsAsOf = rd.date(fStatsAsOf, strings.TrimSpace(wc.StatsAsOf))
	c.FoundedOn = rd.date(fFoundedOn, strings.TrimSpace(wc.FoundedOn))
	c.FoundingNote = wc.FoundingNote
	c.CityDayRule = strings.TrimSpace(wc.CityDayRule)
	c.Timezone = strings.TrimSpace(wc.Timezone)
	c.Wikidata = normaliseWikidata(strings.TrimSpace(wc.Wikidata))
	c.Contacts = wc.Contacts
}

func (wp *wirePartnership) row(pl Place, probs *problems) *Row {
	r := &Row{Place: pl, bad: map[string]bool{}, label: jsonLabel("partner.")}
	wp.Partner.fill(r, probs)
	rd := cellReader{r: r, probs: probs}
	p := &r.Partnership
	p.Type = rd.choice(fType, strings.TrimSpace(wp.Type), PartnershipTypes, "")
	p.SignedOn = rd.date(fSignedOn, strings.TrimSpace(wp.SignedOn))
	p.SignedAt = wp.SignedAt
	p.CouncilApprovedOn = rd.date(fApprovedOn, strings.TrimSpace(wp.CouncilApprovedOn))
	p.CouncilNote = wp.CouncilNote
	p.Status = rd.choice(fStatus, strings.TrimSpace(wp.Status), Statuses, StatusActive)
	p.Note = wp.Note
	p.Signatories = wp.Signatories
	for _, s := range p.Signatories {
		if len(s.Name.CheckLangs())+len(s.Title.CheckLangs()) > 0 {
			rd.fail(fSignatories, "validation.language_tag")
		}
	}
	if len(p.SignedAt.CheckLangs()) > 0 {
		rd.fail(fSignedAt, "validation.language_tag")
	}
	p.Areas = rd.areas(fAreas, wp.Areas)
	for _, h := range wp.History {
		p.History = append(p.History, StatusChange{Status: strings.TrimSpace(h.Status),
			ChangedOn: rd.date(fHistory, strings.TrimSpace(h.ChangedOn)), Reason: h.Reason})
	}
	for _, c := range wp.DateClaims {
		side := strings.TrimSpace(c.City)
		onField := fClaimOn
		switch side {
		case sidePartner:
		case sideHome:
			onField = fHomeClaimOn
		default:
			rd.fail("date_claims", "import.error.unknown_value", "value", c.City, "values", sideHome+", "+sidePartner)
			continue
		}
		if _, dup := r.claims[side]; dup {
			rd.fail("date_claims", "import.error.duplicate_claim")
			continue
		}
		if r.claims == nil {
			r.claims = map[string]DateClaim{}
		}
		r.claims[side] = DateClaim{ClaimedOn: rd.date(onField, strings.TrimSpace(c.ClaimedOn)), Source: c.Source}
	}
	return r
}

// WriteJSON writes the register in the JSON format: everything but documents.
func WriteJSON(w io.Writer, reg *Snapshot) error {
	out := wireFile{Format: JSONFormatName, Version: JSONVersion, Partnerships: []wirePartnership{}}
	var homeID int64
	if reg.Home != nil {
		out.HomeCity, homeID = toWireCity(reg.Home), reg.Home.ID
	}
	for _, p := range reg.Partnerships {
		wp := wirePartnership{
			Type: p.Type, SignedOn: p.SignedOn.String(), SignedAt: p.SignedAt,
			CouncilApprovedOn: p.CouncilApprovedOn.String(), CouncilNote: p.CouncilNote,
			Status: p.Status, Note: p.Note, Signatories: p.Signatories, Areas: p.Areas,
			Partner: toWireCity(p.PartnerCity),
		}
		for _, h := range p.History {
			wp.History = append(wp.History, wireStatus{Status: h.Status, ChangedOn: h.ChangedOn.String(), Reason: h.Reason})
		}
		for _, side := range []string{sideHome, sidePartner} {
			id := homeID
			if side == sidePartner {
				id = p.PartnerCityID
			}
			if c := storedClaim(p, id); c != nil {
				wp.DateClaims = append(wp.DateClaims, wireClaim{City: side, ClaimedOn: c.ClaimedOn.String(), Source: c.Source})
			}
		}
		out.Partnerships = append(out.Partnerships, wp)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("register: write json: %w", err)
	}
	return nil
}

func toWireCity(c *City) *wireCity {
	texts := c.Texts
	if texts == nil {
		texts = []Text{}
	}
	return &wireCity{
		Texts: texts, Country: c.Country, Kind: c.Kind, Population: c.Population, AreaKm2: c.AreaKm2,
		StatsAsOf: c.StatsAsOf.String(), FoundedOn: c.FoundedOn.String(), FoundingNote: c.FoundingNote,
		CityDayRule: c.CityDayRule, Timezone: c.Timezone, Wikidata: c.Wikidata, Contacts: c.Contacts,
	}
}
