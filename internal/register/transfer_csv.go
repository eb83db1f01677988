package register

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/language"

	"sistercity/internal/civil"
	"sistercity/internal/csvsafe"
	"sistercity/internal/langtext"
)

// The CSV format: a header row names the columns, in any order; every other row is one
// partnership of the home city with the partner city it describes.
//
//	name_<lang>           the city's name in a language (BCP 47: name_en, name_ko, name_ru, …); name_en is required
//	description_<lang>    a short description; note_<lang> is accepted for it
//	country               ISO 3166-1 alpha-2 code, required
//	kind                  city (default), province, state, prefecture
//	type                  sister, friendship or exchange_mou, required
//	signed_on             date (YYYY-MM-DD)
//	signed_at_<lang>      the place of signing in a language (signed_at_ko, …); signed_at is
//	                      the place in no stated language. A row sets the languages it has
//	                      columns for and keeps the others.
//	status                active (default), dormant, upgraded, ended
//	area_km2              area in km², digits with an optional decimal point
//	population            whole number; population_thousands gives it in thousands
//	stats_as_of           when population and area were counted (or ImportOptions.StatsAsOf)
//	founded_on, founding_note, city_day_rule, timezone, wikidata
//	council_approved_on, council_note, note (of the partnership), areas (separated by ;)
//	partner_claimed_on, partner_claim_source  the date the partner city records, when it differs
//
// The file is UTF-8 (a byte-order mark is allowed), separated by commas, or by semicolons or
// tabs as spreadsheets in some locales write it. Contacts, signatories and status history are
// carried only by the JSON format.
//
// The export writes a cell that a spreadsheet would run as a formula (one beginning with =, +,
// -, @, a tab or a carriage return, unless it is a plain number such as -5) with a single quote
// in front (csvsafe.Cell); the import removes that quote again (csvsafe.Unquote), so that an
// export reads back as it was. A cell of a file made by hand that begins with a quote before
// one of those characters loses that one quote too.

// csvColumns maps the fixed column names to the fields they set.
var csvColumns = map[string]string{
	"country": fCountry, "kind": fKind, "population": fPopulation, "population_thousands": fPopulation,
	"area_km2": fArea, "stats_as_of": fStatsAsOf, "founded_on": fFoundedOn, "founding_note": fFoundingNote,
	"city_day_rule": fCityDayRule, "timezone": fTimezone, "wikidata": fWikidata,
	"type": fType, "signed_on": fSignedOn, "signed_at": fSignedAt, "status": fStatus,
	"council_approved_on": fApprovedOn, "council_note": fCouncilNote, "note": fNote, "areas": fAreas,
	"partner_claimed_on": fClaimOn, "partner_claim_source": fClaimSource,
}

// Read reads a register file in format (FormatCSV or FormatJSON); an empty format is guessed
// from the content.
func Read(r io.Reader, format string) (*File, error) {
	data, err := readLimited(r)
	if err != nil {
		return nil, err
	}
	if format == "" {
		format = SniffFormat(data)
	}
	if format == FormatJSON {
		return readJSON(data)
	}
	return readCSV(data)
}

// SniffFormat guesses the format of a file from its first bytes.
func SniffFormat(head []byte) string {
	head = bytes.TrimPrefix(head, utf8BOM)
	if t := bytes.TrimLeft(head, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		return FormatJSON
	}
	return FormatCSV
}

// FormatOf names the format a file name suggests, or "" when it suggests none.
func FormatOf(name string) string {
	name = strings.ToLower(name)
	switch {
	case strings.HasSuffix(name, ".json"):
		return FormatJSON
	case strings.HasSuffix(name, ".csv"), strings.HasSuffix(name, ".tsv"), strings.HasSuffix(name, ".txt"):
		return FormatCSV
	}
	return ""
}

// ReadCSV reads a register file in the CSV format. It fails with FileErrors when the file as a
// whole cannot be read (encoding, header, size); problems in single cells are kept in the File
// and reported by Import together with the rest.
func ReadCSV(r io.Reader) (*File, error) {
	data, err := readLimited(r)
	if err != nil {
		return nil, err
	}
	return readCSV(data)
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

func fatal(pl Place, field, key string, args ...any) error {
	var p problems
	p.add(pl, field, key, args...)
	return p.err()
}

func readLimited(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxImportBytes+1))
	if err != nil {
		return nil, fmt.Errorf("register: read import file: %w", err)
	}
	if len(data) > MaxImportBytes {
		return nil, fatal(Place{}, "", "import.error.too_large", "max", MaxImportBytes>>20)
	}
	return data, nil
}

// checkText refuses what is not UTF-8 text and strips a UTF-8 byte-order mark. Invalid UTF-8
// is left for the format's reader, which can say where it is.
func checkText(data []byte) ([]byte, error) {
	first := Place{Line: 1}
	switch {
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		return nil, fatal(first, "", "import.error.spreadsheet")
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return nil, fatal(first, "", "import.error.utf16")
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fatal(first, "", "import.error.empty")
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		// UTF-16 without a byte-order mark, or a binary file.
		return nil, fatal(Place{Line: lineAt(data, i)}, "", "import.error.utf16")
	}
	return data, nil
}

// lineAt returns the line of the byte at offset.
func lineAt(data []byte, offset int) int {
	offset = min(offset, len(data))
	return 1 + bytes.Count(data[:offset], []byte{'\n'})
}

// firstInvalidUTF8 returns the offset of the first byte that is not UTF-8, or -1.
func firstInvalidUTF8(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return -1
}

// sniffComma picks the separator the header row uses: Excel writes semicolons where the
// decimal separator is a comma (Russia, most of Europe).
func sniffComma(data []byte) rune {
	line, _, _ := bytes.Cut(data, []byte{'\n'})
	counts := map[rune]int{}
	quoted := false
	for _, c := range string(line) {
		switch {
		case c == '"':
			quoted = !quoted
		case !quoted && (c == ',' || c == ';' || c == '\t'):
			counts[c]++
		}
	}
	best := ','
	for _, c := range []rune{';', '\t'} {
		if counts[c] > counts[best] {
			best = c
		}
	}
	return best
}

// csvHeader is the meaning of a file's columns.
type csvHeader struct {
	fields    []string          // per column: the field it sets, "" for an ignored column
	written   map[string]string // field → the column name as written
	thousands bool              // population is given in thousands
}

func (h *csvHeader) label(field string) string {
	if w, ok := h.written[field]; ok {
		return w
	}
	return field
}

// columnField returns the field a column name sets, or "" when the name is unknown.
func columnField(name string) string {
	if f, ok := csvColumns[name]; ok {
		return f
	}
	for prefix, to := range map[string]string{namePrefix: namePrefix, descPrefix: descPrefix, "note_": descPrefix, signedAtPrefix: signedAtPrefix} {
		tag, ok := strings.CutPrefix(name, prefix)
		if !ok {
			continue
		}
		t, err := language.Parse(tag)
		if err != nil || tag == "" {
			return ""
		}
		return to + t.String()
	}
	return ""
}

func readCSV(data []byte) (*File, error) {
	data, err := checkText(data)
	if err != nil {
		return nil, err
	}
	badUTF8 := firstInvalidUTF8(data)
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comma = sniffComma(data)
	cr.FieldsPerRecord = -1
	type record struct {
		line  int
		cells []string
	}
	var records []record
	for {
		cells, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			if badUTF8 >= 0 && lineAt(data, badUTF8) <= pe.Line {
				return nil, fatal(Place{Line: lineAt(data, badUTF8)}, "", "import.error.not_utf8")
			}
			return nil, fatal(Place{Line: pe.Line}, "", "import.error.csv_syntax")
		}
		if err != nil {
			return nil, fmt.Errorf("register: read csv: %w", err)
		}
		line, _ := cr.FieldPos(0)
		blank := true
		for i := range cells {
			cells[i] = strings.TrimSpace(csvsafe.Unquote(strings.TrimSpace(cells[i])))
			blank = blank && cells[i] == ""
		}
		if blank {
			continue
		}
		if len(records) > MaxImportRows {
			return nil, fatal(Place{Line: line}, "", "import.error.too_many_rows", "count", MaxImportRows)
		}
		records = append(records, record{line, cells})
	}
	if len(records) == 0 {
		return nil, fatal(Place{Line: 1}, "", "import.error.empty")
	}
	header := records[0].cells
	for _, rec := range records {
		for i, c := range rec.cells {
			if !utf8.ValidString(c) {
				field := ""
				if rec.line != records[0].line && i < len(header) {
					field = header[i]
				}
				return nil, fatal(Place{Line: rec.line}, field, "import.error.not_utf8")
			}
		}
	}
	h, err := parseHeader(records[0].line, header, func(col int) bool {
		for _, rec := range records[1:] {
			if col < len(rec.cells) && rec.cells[col] != "" {
				return true
			}
		}
		return false
	})
	if err != nil {
		return nil, err
	}
	if len(records) == 1 {
		return nil, fatal(Place{Line: records[0].line}, "", "import.error.no_rows")
	}
	f := &File{Format: FormatCSV}
	var probs problems
	for _, rec := range records[1:] {
		if len(rec.cells) != len(header) {
			probs.add(Place{Line: rec.line}, "", "import.error.field_count", "count", len(rec.cells), "want", len(header))
			if len(rec.cells) > len(header) {
				continue
			}
		}
		f.Rows = append(f.Rows, h.row(rec.line, rec.cells, &probs))
	}
	f.probs = probs
	return f, nil
}

// parseHeader works out what each column means. A column without a name is ignored when it is
// empty all the way down (spreadsheets leave such columns behind).
func parseHeader(line int, header []string, used func(col int) bool) (*csvHeader, error) {
	h := &csvHeader{written: map[string]string{}}
	var probs problems
	pl := Place{Line: line}
	for i, name := range header {
		key := strings.ToLower(name)
		field := columnField(key)
		switch {
		case name == "":
			if used(i) {
				probs.add(pl, "", "import.error.column_no_name", "number", i+1)
			}
		case field == "":
			probs.add(pl, name, "import.error.unknown_column", "column", name)
		case h.written[field] != "":
			probs.add(pl, name, "import.error.duplicate_column", "column", name, "other", h.written[field])
			field = ""
		default:
			h.written[field] = name
			if key == "population_thousands" {
				h.thousands = true
			}
		}
		h.fields = append(h.fields, field)
	}
	for _, need := range []string{namePrefix + "en", fCountry, fType} {
		if h.written[need] == "" {
			probs.add(pl, need, "import.error.missing_column", "column", need)
		}
	}
	for _, pair := range [][2]string{{fClaimOn, fClaimSource}, {fClaimSource, fClaimOn}} {
		if h.written[pair[0]] != "" && h.written[pair[1]] == "" {
			probs.add(pl, pair[1], "import.error.missing_column", "column", pair[1])
		}
	}
	if err := probs.err(); err != nil {
		return nil, err
	}
	return h, nil
}

// row reads one data row.
func (h *csvHeader) row(line int, cells []string, probs *problems) *Row {
	r := &Row{Place: Place{Line: line}, given: map[string]bool{}, bad: map[string]bool{}, label: h.label}
	rd := cellReader{r: r, probs: probs}
	texts := map[string]*Text{}
	text := func(lang string) *Text {
		if texts[lang] == nil {
			texts[lang] = &Text{Lang: lang}
		}
		return texts[lang]
	}
	var claimOn civil.Date
	var claimSource string
	for i, field := range h.fields {
		if field == "" {
			continue
		}
		r.given[field] = true
		v := ""
		if i < len(cells) {
			v = cells[i]
		}
		p, c := &r.Partnership, &r.Partner
		switch {
		case strings.HasPrefix(field, namePrefix):
			text(strings.TrimPrefix(field, namePrefix)).Name = v
		case strings.HasPrefix(field, descPrefix):
			text(strings.TrimPrefix(field, descPrefix)).Description = v
		case field == fCountry:
			c.Country = strings.ToUpper(v)
		case field == fKind:
			c.Kind = rd.choice(field, v, CityKinds, KindCity)
		case field == fPopulation && h.thousands:
			c.Population = rd.thousands(field, v)
		case field == fPopulation:
			c.Population = rd.integer(field, v)
		case field == fArea:
			c.AreaKm2 = rd.decimal(field, v)
		case field == fStatsAsOf:
			c.StatsAsOf = rd.date(field, v)
		case field == fFoundedOn:
			c.FoundedOn = rd.date(field, v)
		case field == fFoundingNote:
			c.FoundingNote = v
		case field == fCityDayRule:
			c.CityDayRule = v
		case field == fTimezone:
			c.Timezone = v
		case field == fWikidata:
			c.Wikidata = normaliseWikidata(v)
		case field == fType:
			p.Type = rd.choice(field, v, PartnershipTypes, "")
		case field == fSignedOn:
			p.SignedOn = rd.date(field, v)
		case field == fSignedAt, strings.HasPrefix(field, signedAtPrefix):
			lang := langtext.Und
			if l, ok := strings.CutPrefix(field, signedAtPrefix); ok {
				lang = l
			}
			if p.SignedAt == nil {
				p.SignedAt = langtext.Texts{}
			}
			p.SignedAt.Set(lang, v)
			r.signedAtLangs = append(r.signedAtLangs, lang)
			r.given[fSignedAt] = true
		case field == fStatus:
			p.Status = rd.choice(field, v, Statuses, StatusActive)
		case field == fApprovedOn:
			p.CouncilApprovedOn = rd.date(field, v)
		case field == fCouncilNote:
			p.CouncilNote = v
		case field == fNote:
			p.Note = v
		case field == fAreas:
			p.Areas = rd.areas(field, splitList(v))
		case field == fClaimOn:
			claimOn = rd.date(field, v)
		case field == fClaimSource:
			claimSource = v
		}
	}
	for lang, t := range texts {
		r.Partner.SetText(lang, t.Name, t.Description)
	}
	sortTexts(&r.Partner)
	if r.given[fClaimOn] && (!claimOn.IsZero() || claimSource != "" || r.bad[fClaimOn]) {
		r.claims = map[string]DateClaim{sidePartner: {ClaimedOn: claimOn, Source: claimSource}}
	}
	return r
}

func splitList(v string) []string {
	var out []string
	for _, a := range strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == ',' }) {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// cellReader reads typed values from a row's cells, noting what it cannot read.
type cellReader struct {
	r     *Row
	probs *problems
}

func (c cellReader) fail(field, key string, args ...any) {
	if c.r.bad == nil {
		c.r.bad = map[string]bool{}
	}
	c.r.bad[field] = true
	c.probs.add(c.r.Place, c.r.fieldLabel(field), key, args...)
}

func (c cellReader) date(field, v string) civil.Date {
	if v == "" {
		return civil.Date{}
	}
	d, err := civil.Parse(v)
	if err != nil {
		c.fail(field, "import.error.date", "value", v)
	}
	return d
}

// choice reads one of allowed; an empty cell is def, or a missing value when def is "".
func (c cellReader) choice(field, v string, allowed []string, def string) string {
	key := strings.ToLower(strings.NewReplacer(" ", "_", "-", "_").Replace(v))
	switch {
	case v == "" && def != "":
		return def
	case v == "":
		c.fail(field, "validation.required")
	case !slices.Contains(allowed, key):
		c.fail(field, "import.error.unknown_value", "value", v, "values", strings.Join(allowed, ", "))
	}
	return key
}

var (
	integerRe = regexp.MustCompile(`^[0-9]{1,18}$`)
	decimalRe = regexp.MustCompile(`^[0-9]{1,15}(\.[0-9]{1,9})?$`)
)

func (c cellReader) integer(field, v string) *int64 {
	if v == "" {
		return nil
	}
	if !integerRe.MatchString(v) {
		c.fail(field, "import.error.integer", "value", v)
		return nil
	}
	n, _ := strconv.ParseInt(v, 10, 64)
	return &n
}

func (c cellReader) decimal(field, v string) *float64 {
	if v == "" {
		return nil
	}
	if !decimalRe.MatchString(v) {
		c.fail(field, "import.error.number", "value", v)
		return nil
	}
	f, _ := strconv.ParseFloat(v, 64)
	return &f
}

// thousands reads a figure given in thousands (population_thousands: 3910 is 3,910,000).
func (c cellReader) thousands(field, v string) *int64 {
	f := c.decimal(field, v)
	if f == nil {
		return nil
	}
	n := int64(math.Round(*f * 1000))
	return &n
}

func (c cellReader) areas(field string, list []string) []string {
	var out []string
	for _, a := range list {
		key := strings.ToLower(strings.NewReplacer(" ", "_", "-", "_").Replace(a))
		if !slices.Contains(Areas, key) {
			c.fail(field, "import.error.unknown_value", "value", a, "values", strings.Join(Areas, ", "))
			continue
		}
		out = append(out, key)
	}
	return normaliseAreas(out)
}

// normaliseWikidata accepts an id (Q1234, q1234) or its page's address.
func normaliseWikidata(v string) string {
	for _, prefix := range []string{"https://www.wikidata.org/wiki/", "http://www.wikidata.org/wiki/",
		"https://www.wikidata.org/entity/", "http://www.wikidata.org/entity/"} {
		v = strings.TrimPrefix(v, prefix)
	}
	if strings.HasPrefix(v, "q") {
		v = "Q" + v[1:]
	}
	return v
}

// WriteCSV writes the register in the CSV format, one row per partnership. What CSV cannot
// carry (contacts, signatories, status history, the home city's own date claims) is left out;
// use WriteJSON for a complete copy.
func WriteCSV(w io.Writer, reg *Snapshot) error {
	var nameLangs, descLangs, placeLangs []string
	for _, p := range reg.Partnerships {
		for _, l := range p.SignedAt.Langs() {
			if !slices.Contains(placeLangs, l) {
				placeLangs = append(placeLangs, l)
			}
		}
		for _, t := range p.PartnerCity.Texts {
			if !slices.Contains(nameLangs, t.Lang) {
				nameLangs = append(nameLangs, t.Lang)
			}
			if t.Description != "" && !slices.Contains(descLangs, t.Lang) {
				descLangs = append(descLangs, t.Lang)
			}
		}
	}
	englishFirst := func(a, b string) int {
		if (a == "en") != (b == "en") {
			if a == "en" {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	}
	if !slices.Contains(nameLangs, "en") {
		nameLangs = append(nameLangs, "en")
	}
	slices.SortFunc(nameLangs, englishFirst)
	slices.SortFunc(descLangs, englishFirst)
	if len(placeLangs) == 0 {
		placeLangs = []string{langtext.Und} // the column, empty, as files always had it
	}
	slices.SortFunc(placeLangs, englishFirst)

	var header []string
	for _, l := range nameLangs {
		header = append(header, namePrefix+l)
	}
	header = append(header, "country", "kind", "type", "signed_on")
	for _, l := range placeLangs {
		if l == langtext.Und {
			header = append(header, fSignedAt)
		} else {
			header = append(header, signedAtPrefix+l)
		}
	}
	header = append(header, "status", "area_km2", "population",
		"stats_as_of", "founded_on", "founding_note", "city_day_rule", "timezone", "wikidata", "council_approved_on",
		"council_note", "areas", "partner_claimed_on", "partner_claim_source", "note")
	for _, l := range descLangs {
		header = append(header, descPrefix+l)
	}
	cw := csvsafe.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("register: write csv: %w", err)
	}
	for _, p := range reg.Partnerships {
		c := p.PartnerCity
		var rec []string
		for _, l := range nameLangs {
			t, _ := c.text(l)
			rec = append(rec, t.Name)
		}
		var claimOn, claimSource string
		if cl := storedClaim(p, p.PartnerCityID); cl != nil {
			claimOn, claimSource = cl.ClaimedOn.String(), cl.Source
		}
		rec = append(rec, c.Country, c.Kind, p.Type, p.SignedOn.String())
		for _, l := range placeLangs {
			rec = append(rec, p.SignedAt[l])
		}
		rec = append(rec, p.Status, formatArea(c.AreaKm2),
			formatInt(c.Population), c.StatsAsOf.String(), c.FoundedOn.String(), c.FoundingNote, c.CityDayRule,
			c.Timezone, c.Wikidata, p.CouncilApprovedOn.String(), p.CouncilNote, strings.Join(p.Areas, ";"),
			claimOn, claimSource, p.Note)
		for _, l := range descLangs {
			t, _ := c.text(l)
			rec = append(rec, t.Description)
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("register: write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("register: write csv: %w", err)
	}
	return nil
}

func formatArea(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

func formatInt(v *int64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatInt(*v, 10)
}
