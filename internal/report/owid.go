package report

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/korean"
	xunicode "golang.org/x/text/encoding/unicode"

	"sistercity/internal/civil"
	"sistercity/internal/i18n"
)

// Limits of an OWID file.
const (
	MaxOWIDRows   = 100000
	maxRowErrors  = 20
	maxCellLength = 200
)

// Encodings an OWID file may come in; Detect picks one from the content.
const (
	EncodingUTF8        = "utf-8"
	EncodingUTF16       = "utf-16"
	EncodingCP949       = "cp949"
	EncodingWindows1251 = "windows-1251"
)

// Series is one location's rows of an OWID file: a city's (or a country's) figures by day.
type Series struct {
	ISOCode  string
	Location string
	Values   []Value
	First    civil.Date
	Last     civil.Date
	Days     int
}

// OWIDFile is an OWID CSV file as read: its series, what was detected, and the columns used
// and ignored.
type OWIDFile struct {
	Series    []*Series
	Encoding  string
	Delimiter rune
	Metrics   []string // the metric columns found, in the file's order
	Ignored   []string // the columns not known, left out
	Rows      int
}

// RowError is what is wrong with one cell of an OWID file: its line (1 is the header), its
// column by name, and a message.
type RowError struct {
	Line   int
	Column string
	Msg    i18n.Msg
}

// RowErrors are the problems of a file; any of them imports nothing.
type RowErrors []RowError

func (e RowErrors) Error() string {
	if len(e) == 0 {
		return "report: owid: no errors"
	}
	return fmt.Sprintf("report: owid: line %d, column %s: %s (and %d more)", e[0].Line, e[0].Column, e[0].Msg.Key, len(e)-1)
}

// FileError is a problem of the whole file (no header, no date column, not text).
type FileError struct{ Msg i18n.Msg }

func (e *FileError) Error() string { return "report: owid: " + e.Msg.Key }

// decodeText detects the file's encoding and returns its text as UTF-8: a byte order mark
// decides; UTF-8 that is valid is taken as it is; otherwise the legacy encoding of Korea
// (CP949) or of Russia (Windows-1251), whichever reads as more letters of its own script.
func decodeText(data []byte) (string, string, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		data = data[3:]
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		s, err := xunicode.UTF16(xunicode.BigEndian, xunicode.UseBOM).NewDecoder().Bytes(data)
		if err != nil {
			return "", "", &FileError{Msg: i18n.M("reports.import.error.encoding")}
		}
		return string(s), EncodingUTF16, nil
	}
	if utf8.Valid(data) {
		return string(data), EncodingUTF8, nil
	}
	best, bestName, bestScore := "", "", -1
	for _, c := range []struct {
		name string
		enc  encoding.Encoding
		is   *unicode.RangeTable
	}{{EncodingCP949, korean.EUCKR, unicode.Hangul}, {EncodingWindows1251, charmap.Windows1251, unicode.Cyrillic}} {
		s, err := c.enc.NewDecoder().Bytes(data)
		if err != nil {
			continue
		}
		score := 0
		for _, r := range string(s) {
			switch {
			case r == utf8.RuneError:
				score -= 10
			case unicode.Is(c.is, r):
				score++
			}
		}
		if score > bestScore {
			best, bestName, bestScore = string(s), c.name, score
		}
	}
	if bestName == "" {
		return "", "", &FileError{Msg: i18n.M("reports.import.error.encoding")}
	}
	return best, bestName, nil
}

// sniffDelimiter picks the separator the header uses: a comma, or the semicolon spreadsheets
// write where the decimal separator is a comma, or a tab.
func sniffDelimiter(text string) rune {
	line, _, _ := strings.Cut(text, "\n")
	best := ','
	for _, c := range []rune{';', '\t'} {
		if strings.Count(line, string(c)) > strings.Count(line, string(best)) {
			best = c
		}
	}
	return best
}

// ParseOWID reads a CSV file in Our World in Data's format: columns by name (location or
// iso_code, date, and any of Metrics), unknown columns ignored, delimiter and encoding
// detected. Any bad cell makes it return RowErrors naming each line and column (the first
// few); a file-wide problem is a *FileError. today bounds the dates.
func ParseOWID(data []byte, today civil.Date) (*OWIDFile, error) {
	if bytes.IndexByte(data, 0) >= 0 && !bytes.HasPrefix(data, []byte{0xFF, 0xFE}) && !bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		return nil, &FileError{Msg: i18n.M("reports.import.error.binary")}
	}
	text, enc, err := decodeText(data)
	if err != nil {
		return nil, err
	}
	f := &OWIDFile{Encoding: enc, Delimiter: sniffDelimiter(text)}
	cr := csv.NewReader(strings.NewReader(text))
	cr.Comma = f.Delimiter
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, &FileError{Msg: i18n.M("reports.import.error.header")}
	}
	col := map[string]int{}
	type metricCol struct {
		index int
		m     Metric
	}
	var metrics []metricCol
	for i, name := range header {
		name = strings.ToLower(strings.TrimSpace(name))
		if _, dup := col[name]; dup {
			return nil, &FileError{Msg: i18n.M("reports.import.error.duplicate_column", "column", name)}
		}
		col[name] = i
		switch m, ok := MetricByName(name); {
		case ok:
			metrics = append(metrics, metricCol{i, m})
			f.Metrics = append(f.Metrics, name)
		case name == "date" || name == "location" || name == "iso_code":
		default:
			f.Ignored = append(f.Ignored, name)
		}
	}
	dateCol, hasDate := col["date"]
	locCol, hasLoc := col["location"]
	isoCol, hasISO := col["iso_code"]
	if !hasDate || (!hasLoc && !hasISO) {
		return nil, &FileError{Msg: i18n.M("reports.import.error.columns")}
	}
	if len(metrics) == 0 {
		return nil, &FileError{Msg: i18n.M("reports.import.error.no_metrics")}
	}
	var errs RowErrors
	bad := func(line int, column, key string, args ...any) {
		if len(errs) < maxRowErrors {
			errs = append(errs, RowError{Line: line, Column: column, Msg: i18n.M(key, args...)})
		}
	}
	cell := func(cells []string, i int) string {
		if i < len(cells) {
			return strings.TrimSpace(cells[i])
		}
		return ""
	}
	bySeries := map[string]*Series{}
	seen := map[string]bool{}
	for {
		cells, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				bad(pe.Line, "", "reports.import.error.syntax")
				break
			}
			return nil, fmt.Errorf("report: owid: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if len(cells) == 1 && strings.TrimSpace(cells[0]) == "" {
			continue
		}
		f.Rows++
		if f.Rows > MaxOWIDRows {
			return nil, &FileError{Msg: i18n.M("reports.import.error.too_many_rows", "count", MaxOWIDRows)}
		}
		if len(cells) > len(header) {
			bad(line, "", "reports.import.error.extra_cells")
			continue
		}
		iso, loc := "", ""
		if hasISO {
			iso = cell(cells, isoCol)
		}
		if hasLoc {
			loc = cell(cells, locCol)
		}
		if iso == "" && loc == "" {
			name := "location"
			if !hasLoc {
				name = "iso_code"
			}
			bad(line, name, "validation.required")
			continue
		}
		if utf8.RuneCountInString(iso) > maxCellLength || utf8.RuneCountInString(loc) > maxCellLength {
			bad(line, "location", "reports.import.error.too_long")
			continue
		}
		day, err := civil.Parse(cell(cells, dateCol))
		if err != nil {
			bad(line, "date", "validation.date")
			continue
		}
		if day.After(today) {
			bad(line, "date", "reports.error.future")
			continue
		}
		key := iso + "\x00" + loc
		if seen[key+day.String()] {
			bad(line, "date", "reports.import.error.duplicate_row", "date", day.String())
			continue
		}
		seen[key+day.String()] = true
		s := bySeries[key]
		if s == nil {
			s = &Series{ISOCode: iso, Location: loc, First: day, Last: day}
			bySeries[key] = s
			f.Series = append(f.Series, s)
		}
		s.Days++
		if day.Before(s.First) {
			s.First = day
		}
		if day.After(s.Last) {
			s.Last = day
		}
		for _, mc := range metrics {
			raw := cell(cells, mc.index)
			if raw == "" {
				continue
			}
			if f.Delimiter != ',' {
				raw = strings.Replace(raw, ",", ".", 1) // a decimal comma
			}
			v, err := strconv.ParseFloat(raw, 64)
			switch {
			case err != nil || math.IsNaN(v) || math.IsInf(v, 0):
				bad(line, mc.m.Name, "validation.number")
			case v < 0:
				bad(line, mc.m.Name, "reports.error.negative", "name", mc.m.Name)
			case mc.m.Ratio && v > 1:
				bad(line, mc.m.Name, "reports.error.ratio", "name", mc.m.Name)
			case !mc.m.Ratio && v > maxCount:
				bad(line, mc.m.Name, "reports.error.too_large", "name", mc.m.Name)
			default:
				s.Values = append(s.Values, Value{Day: day, Metric: mc.m.Name, Value: v})
			}
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if f.Rows == 0 {
		return nil, &FileError{Msg: i18n.M("reports.import.error.empty")}
	}
	for _, s := range f.Series {
		slices.SortFunc(s.Values, func(a, b Value) int {
			if c := strings.Compare(a.Day.String(), b.Day.String()); c != 0 {
				return c
			}
			return strings.Compare(a.Metric, b.Metric)
		})
	}
	return f, nil
}

// Report returns the series as a report of city about situation: as of its last day, over
// the days it covers.
func (s *Series) Report(situationID, cityID int64, sourceOrg string) *Report {
	return &Report{SituationID: situationID, CityID: cityID, AsOf: s.Last, PeriodStart: s.First, PeriodEnd: s.Last,
		SourceOrg: sourceOrg, Values: slices.Clone(s.Values)}
}

// Name returns what to call the series: its location, or its ISO code.
func (s *Series) Name() string {
	if s.Location != "" {
		return s.Location
	}
	return s.ISOCode
}
