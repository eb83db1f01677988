package report_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"sistercity/internal/civil"
	"sistercity/internal/report"
)

const owidPath = "../../../shared/data/owid-covid-kor-rus-2020.csv"

func readOWID(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(owidPath)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestParseOWIDFile reads the real OWID file for South Korea and Russia in 2020.
func TestParseOWIDFile(t *testing.T) {
	t.Parallel()
	f, err := report.ParseOWID(readOWID(t), civil.MustParse("2021-01-01"))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Series) != 2 || f.Rows != 682 || f.Encoding != report.EncodingUTF8 || f.Delimiter != ',' {
		t.Fatalf("series %d, rows %d, %s %q", len(f.Series), f.Rows, f.Encoding, f.Delimiter)
	}
	if !slicesEqual(f.Ignored, []string{"population"}) || !slicesEqual(f.Metrics, []string{"total_cases", "new_cases", "total_deaths", "new_deaths", "hosp_patients", "icu_patients"}) {
		t.Errorf("metrics %v, ignored %v", f.Metrics, f.Ignored)
	}
	for _, s := range f.Series {
		r := s.Report(1, 1, "OWID")
		last, ok := r.Latest("total_cases")
		if !ok || last.Day.String() != "2020-12-31" {
			t.Errorf("%s: last total_cases %+v", s.Name(), last)
		}
	}
}

func slicesEqual(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") }

// TestParseOWIDBadInput: each broken copy is refused whole, naming the line and column.
func TestParseOWIDBadInput(t *testing.T) {
	t.Parallel()
	good := readOWID(t)
	lines := strings.Split(string(good), "\n")
	broken := func(line int, edit func(string) string) []byte {
		c := append([]string(nil), lines...)
		c[line-1] = edit(c[line-1])
		return []byte(strings.Join(c, "\n"))
	}
	today := civil.MustParse("2021-01-01")
	cases := []struct {
		name   string
		data   []byte
		line   int
		column string
	}{
		{"not a number", broken(40, func(s string) string { return strings.Replace(s, ",145934460.0", ",lots", 1) + "x" }), 0, ""},
		{"negative count", broken(57, func(s string) string {
			cells := strings.Split(s, ",")
			cells[4] = "-3"
			return strings.Join(cells, ",")
		}), 57, "new_cases"},
		{"bad date", broken(12, func(s string) string { return strings.Replace(s, "2020-02-", "2020-13-", 1) }), 12, "date"},
		{"future date", broken(300, func(s string) string {
			cells := strings.Split(s, ",")
			cells[2] = "2021-06-01"
			return strings.Join(cells, ",")
		}), 300, "date"},
	}
	for _, c := range cases {
		_, err := report.ParseOWID(c.data, today)
		errs, ok := err.(report.RowErrors)
		if !ok || len(errs) == 0 {
			t.Errorf("%s: %v, want row errors", c.name, err)
			continue
		}
		if c.line != 0 && (errs[0].Line != c.line || errs[0].Column != c.column) {
			t.Errorf("%s: line %d column %q, want %d %q", c.name, errs[0].Line, errs[0].Column, c.line, c.column)
		}
	}
	if _, err := report.ParseOWID([]byte("a,b\n1,2\n"), today); err == nil {
		t.Error("a file without date and location columns was read")
	}
}

// TestParseOWIDDelimiterAndEncoding reads a spreadsheet's semicolon file with decimal commas
// in Windows-1251, and a tab-separated one in UTF-16 with its byte order mark.
func TestParseOWIDDelimiterAndEncoding(t *testing.T) {
	t.Parallel()
	text := "location;date;total_cases;positive_rate;ignored\nСанкт-Петербург;2020-05-01;4500;0,05;x\nСанкт-Петербург;2020-05-02;4700;0,04;y\n"
	data, err := charmap.Windows1251.NewEncoder().Bytes([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	f, err := report.ParseOWID(data, civil.MustParse("2020-07-10"))
	if err != nil {
		t.Fatal(err)
	}
	if f.Encoding != report.EncodingWindows1251 || f.Delimiter != ';' || f.Series[0].Location != "Санкт-Петербург" {
		t.Fatalf("%s %q %q", f.Encoding, f.Delimiter, f.Series[0].Location)
	}
	if v, _ := f.Series[0].Report(1, 1, "").Latest("positive_rate"); v.Value != 0.04 {
		t.Errorf("positive_rate %v", v.Value)
	}
	utf16 := append([]byte{0xFF, 0xFE}, utf16le("location\tdate\tnew_cases\n부산\t2020-04-01\t3\n")...)
	if f, err := report.ParseOWID(utf16, civil.MustParse("2020-07-10")); err != nil || f.Encoding != report.EncodingUTF16 || f.Series[0].Location != "부산" {
		t.Errorf("utf-16: %+v %v", f, err)
	}
}

func utf16le(s string) []byte {
	var b bytes.Buffer
	for _, r := range s {
		b.WriteByte(byte(r))
		b.WriteByte(byte(r >> 8))
	}
	return b.Bytes()
}

// validateEDXL checks an EDXL-HAVE document against the OASIS schema with xmllint.
func validateEDXL(t *testing.T, doc []byte) {
	t.Helper()
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Fatal("xmllint is missing (libxml2-utils; make test installs it)")
	}
	path := filepath.Join(t.TempDir(), "have.xml")
	if err := os.WriteFile(path, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	schema := "../../../shared/conformance/edxl-have/external/edxl-have/1.0/edxl-have.xsd"
	out, err := exec.Command("xmllint", "--nonet", "--noout", "--schema", schema, path).CombinedOutput()
	if err != nil {
		t.Fatalf("xmllint: %v\n%s\n%s", err, out, doc)
	}
}

// TestExports writes a report as OWID CSV, JSON and EDXL-HAVE XML; the XML validates against
// the OASIS schema, and the CSV reads back.
func TestExports(t *testing.T) {
	t.Parallel()
	r := &report.Report{ID: 7, AsOf: civil.MustParse("2020-04-30"), PeriodStart: civil.MustParse("2020-04-29"),
		PeriodEnd: civil.MustParse("2020-04-30"), Demo: true,
		Values: []report.Value{{Day: civil.MustParse("2020-04-29"), Metric: "total_cases", Value: 135},
			{Day: civil.MustParse("2020-04-30"), Metric: "total_cases", Value: 137}, {Day: civil.MustParse("2020-04-30"), Metric: "positive_rate", Value: 0.012}},
		Beds: []report.Bed{{Type: "AdultICU", Unit: "beds", Baseline: 100, Available: 40, Occupied: 50, Status: report.CapacityAvailable},
			{Type: "NegativeFlowIsolation", Unit: "rooms", Baseline: 50, Available: 20, Occupied: 30, Add24h: 2, Add72h: 6, Status: report.CapacityNotAvailable}}}
	var csv bytes.Buffer
	if err := report.WriteCSV(&csv, r, "Busan"); err != nil {
		t.Fatal(err)
	}
	want := "location,date,total_cases,positive_rate\nBusan,2020-04-29,135,\nBusan,2020-04-30,137,0.012\n"
	if csv.String() != want {
		t.Errorf("csv:\n%s\nwant\n%s", csv.String(), want)
	}
	if f, err := report.ParseOWID(csv.Bytes(), civil.MustParse("2020-07-10")); err != nil || len(f.Series[0].Values) != 3 {
		t.Errorf("csv does not read back: %v", err)
	}
	var js bytes.Buffer
	if err := report.WriteJSON(&js, r, "Busan", "COVID-19"); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`"positive_rate": "ratio"`, `"demonstration_figures": true`, `"bed_totals_without_isolation"`} {
		if !strings.Contains(js.String(), w) {
			t.Errorf("json lacks %s", w)
		}
	}
	var x bytes.Buffer
	if err := report.WriteEDXLHAVE(&x, r, "Busan Metropolitan City", nil); err != nil {
		t.Fatal(err)
	}
	validateEDXL(t, x.Bytes())
}
