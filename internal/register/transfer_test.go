package register_test

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"sistercity/internal/civil"
	"sistercity/internal/db"
	"sistercity/internal/db/dbtest"
	"sistercity/internal/i18n"
	"sistercity/internal/langtext"
	"sistercity/internal/register"
	"sistercity/internal/sharedtest"
)

// testToday lies after the January 2022 figures of busan-partners.csv.
var testToday = civil.MustParse("2022-06-01")

var busanStats = civil.MustParse("2022-01-01")

func busanHome() *register.City {
	return &register.City{Country: "KR", Kind: register.KindCity, Texts: []register.Text{
		{Lang: "en", Name: "Busan"}, {Lang: "ko", Name: "부산"}, {Lang: "ru", Name: "Пусан"}}}
}

func busanOptions() register.ImportOptions {
	return register.ImportOptions{Today: testToday, HomeCity: busanHome(), StatsAsOf: busanStats}
}

func busanCSV(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/busan-partners.csv")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// importBytes reads data in format and imports it in one transaction.
func importBytes(t *testing.T, d *db.DB, data []byte, format string, opts register.ImportOptions) (*register.ImportResult, error) {
	t.Helper()
	f, err := register.Read(bytes.NewReader(data), format)
	if err != nil {
		return nil, err
	}
	var res *register.ImportResult
	err = d.InTx(context.Background(), func(tx *sql.Tx) error {
		var err error
		res, err = register.Import(context.Background(), tx, f, opts)
		return err
	})
	return res, err
}

func mustImport(t *testing.T, d *db.DB, data []byte, format string, opts register.ImportOptions) *register.ImportResult {
	t.Helper()
	res, err := importBytes(t, d, data, format, opts)
	if err != nil {
		if fe, ok := register.AsFileErrors(err); ok {
			for _, e := range fe.List {
				t.Errorf("%+v %s: %s %v", e.Place, e.Field, e.Msg.Key, e.Msg.Args)
			}
		}
		t.Fatalf("import: %v", err)
	}
	return res
}

var registerTables = []string{"cities", "city_texts", "city_contacts", "partnerships", "partnership_signatories",
	"partnership_areas", "partnership_status_history", "partnership_date_claims", "settings"}

// counts returns the number of rows in every table of the register.
func counts(t *testing.T, d *db.DB) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range registerTables {
		var n int
		if err := d.R.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

func export(t *testing.T, d *db.DB, format string) []byte {
	t.Helper()
	reg, err := register.Load(context.Background(), d.R)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if format == register.FormatJSON {
		err = register.WriteJSON(&buf, reg)
	} else {
		err = register.WriteCSV(&buf, reg)
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestTestdataIsTheSharedFile keeps the project's copies of busan-partners.csv (the tests' and
// the demo's) byte for byte the same as the shared data.
func TestTestdataIsTheSharedFile(t *testing.T) {
	shared, err := os.ReadFile(sharedtest.Dir(t, "data/busan-partners.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, copy := range []string{"testdata/busan-partners.csv", "../../cmd/sistercity/demo/busan-partners.csv"} {
		b, err := os.ReadFile(copy)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, shared) {
			t.Errorf("%s differs from shared/data/busan-partners.csv", copy)
		}
	}
}

func TestImportBusanPartners(t *testing.T) {
	d := dbtest.Open(t)
	res := mustImport(t, d, busanCSV(t), "", busanOptions())
	if res.Rows != 29 || res.PartnershipsCreated != 29 || res.CitiesCreated != 30 || res.CitiesUpdated != 0 {
		t.Fatalf("result %+v, want 29 rows, 29 partnerships and 30 cities (29 partners and Busan) created", res)
	}
	c := counts(t, d)
	if c["partnerships"] != 29 || c["cities"] != 30 || c["city_texts"] != 90 || c["partnership_status_history"] != 29 {
		t.Fatalf("rows in the database: %v", c)
	}
	reg, err := register.Load(context.Background(), d.R)
	if err != nil {
		t.Fatal(err)
	}
	if reg.Home == nil || reg.Home.Name("en") != "Busan" || res.HomeCityID != reg.Home.ID {
		t.Fatalf("home city %+v, result %d", reg.Home, res.HomeCityID)
	}
	byName := map[string]*register.Partnership{}
	for _, p := range reg.Partnerships {
		byName[p.PartnerCity.Name("en")] = p
	}
	la := byName["Los Angeles"]
	if la == nil || la.Type != register.TypeSister || la.SignedOn != civil.MustParse("1967-12-18") || la.Status != register.StatusActive {
		t.Fatalf("Los Angeles: %+v", la)
	}
	city := la.PartnerCity
	if *city.Population != 3_910_000 || *city.AreaKm2 != 1300 || city.StatsAsOf != busanStats || city.Country != "US" ||
		city.Name("ko") != "로스앤젤레스" || city.Name("ru") != "Лос-Анджелес" || !strings.HasPrefix(city.Description("en"), "Largest port city") {
		t.Errorf("Los Angeles city: %+v", city)
	}
	spb := byName["Saint Petersburg"].PartnerCity
	if spb.Population != nil || spb.AreaKm2 != nil || !spb.StatsAsOf.IsZero() {
		t.Errorf("Saint Petersburg has no figures in the file, got %+v", spb)
	}
	if got := byName["Chongqing"].PartnerCity.Population; *got != 35_000_000 {
		t.Errorf("Chongqing population %d", *got)
	}
	if byName["Guangzhou"].Type != register.TypeFriendship || byName["Victoria (state)"].PartnerCity.Name("ru") != "Виктория (штат)" {
		t.Errorf("Guangzhou or Victoria wrong")
	}
	if reg.Partnerships[0].PartnerCity.Name("en") != "Kaohsiung" {
		t.Errorf("oldest partnership first, got %s", reg.Partnerships[0].PartnerCity.Name("en"))
	}
}

func TestImportTwiceChangesNothing(t *testing.T) {
	d := dbtest.Open(t)
	mustImport(t, d, busanCSV(t), "", busanOptions())
	before, beforeJSON := counts(t, d), export(t, d, register.FormatJSON)
	var versions int64
	_ = d.R.QueryRow("SELECT SUM(version) FROM cities").Scan(&versions)

	res := mustImport(t, d, busanCSV(t), "", busanOptions())
	if res.PartnershipsCreated != 0 || res.PartnershipsUpdated != 0 || res.PartnershipsUnchanged != 29 ||
		res.CitiesCreated != 0 || res.CitiesUpdated != 0 || res.CitiesUnchanged != 29 {
		t.Fatalf("second import: %+v", res)
	}
	for _, ch := range res.Changes {
		if ch.City != register.Unchanged || ch.Partnership != register.Unchanged || len(ch.Fields) > 0 || ch.PartnershipID == 0 {
			t.Errorf("line %d: %+v", ch.Line, ch)
		}
	}
	if after := counts(t, d); !equalCounts(before, after) {
		t.Errorf("rows before %v, after %v", before, after)
	}
	if !bytes.Equal(beforeJSON, export(t, d, register.FormatJSON)) {
		t.Error("the register changed on the second import")
	}
	var versionsAfter int64
	_ = d.R.QueryRow("SELECT SUM(version) FROM cities").Scan(&versionsAfter)
	if versions != versionsAfter {
		t.Errorf("city versions moved from %d to %d", versions, versionsAfter)
	}
}

func equalCounts(a, b map[string]int) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return len(a) == len(b)
}

type wantProblem struct {
	line  int
	field string
	key   string
}

func TestImportRejectsBadFiles(t *testing.T) {
	const header = "name_en,name_ru,country,type,signed_on,area_km2,population_thousands\n"
	const good = "Vladivostok,Владивосток,RU,sister,1992-06-30,331,606\n"
	cp1251, err := charmap.Windows1251.NewEncoder().Bytes([]byte(header + good))
	if err != nil {
		t.Fatal(err)
	}
	utf16, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(header + good))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data string
		opts func(*register.ImportOptions)
		want []wantProblem
	}{
		{"unknown column", "name_en,country,type,colour\nVladivostok,RU,sister,blue\n", nil,
			[]wantProblem{{1, "colour", "import.error.unknown_column"}}},
		{"missing column", "name_en,type\nVladivostok,sister\n", nil,
			[]wantProblem{{1, "country", "import.error.missing_column"}}},
		{"duplicate column", "name_en,country,type,note_en,description_en\nVladivostok,RU,sister,a,b\n", nil,
			[]wantProblem{{1, "description_en", "import.error.duplicate_column"}}},
		{"duplicate column, same name", "name_en,country,type,country\nVladivostok,RU,sister,RU\n", nil,
			[]wantProblem{{1, "country", "import.error.duplicate_column"}}},
		{"bad date", header + good + "Tijuana,Тихуана,MX,sister,1995-13-17,1564,1200\n", nil,
			[]wantProblem{{3, "signed_on", "import.error.date"}}},
		{"future date", header + "Tijuana,Тихуана,MX,sister,2030-01-17,1564,1200\n", nil,
			[]wantProblem{{2, "signed_on", "validation.date_in_future"}}},
		{"date before 1900", header + "Tijuana,Тихуана,MX,sister,1899-12-31,1564,1200\n", nil,
			[]wantProblem{{2, "signed_on", "validation.date_too_early"}}},
		{"bad number", header + "Tijuana,Тихуана,MX,sister,1995-01-17,\"1,564\",many\n", nil,
			[]wantProblem{{2, "area_km2", "import.error.number"}, {2, "population_thousands", "import.error.number"}}},
		{"negative population", "name_en,country,type,population,stats_as_of\nTijuana,MX,sister,-5,2020-01-01\n", nil,
			[]wantProblem{{2, "population", "import.error.integer"}}},
		{"unknown type", header + "Tijuana,Тихуана,MX,twin,1995-01-17,1564,1200\n", nil,
			[]wantProblem{{2, "type", "import.error.unknown_value"}}},
		{"missing type", header + "Tijuana,Тихуана,MX,,1995-01-17,1564,1200\n", nil,
			[]wantProblem{{2, "type", "validation.required"}}},
		{"unknown status", "name_en,country,type,status\nTijuana,MX,sister,sleeping\n", nil,
			[]wantProblem{{2, "status", "import.error.unknown_value"}}},
		{"bad country", header + "Tijuana,Тихуана,XX,sister,1995-01-17,1564,1200\n", nil,
			[]wantProblem{{2, "country", "validation.country"}}},
		{"missing English name", header + ",Тихуана,MX,sister,1995-01-17,1564,1200\n", nil,
			[]wantProblem{{2, "name_en", "validation.required"}}},
		{"Windows-1251", string(cp1251), nil, []wantProblem{{2, "name_ru", "import.error.not_utf8"}}},
		{"UTF-16", string(utf16), nil, []wantProblem{{1, "", "import.error.utf16"}}},
		{"spreadsheet", "PK\x03\x04\x14\x00\x06\x00", nil, []wantProblem{{1, "", "import.error.spreadsheet"}}},
		{"empty file", "", nil, []wantProblem{{1, "", "import.error.empty"}}},
		{"only a byte-order mark", "\ufeff\n", nil, []wantProblem{{1, "", "import.error.empty"}}},
		{"header only", header, nil, []wantProblem{{1, "", "import.error.no_rows"}}},
		{"too many cells", header + good + "Tijuana,Тихуана,MX,sister,1995-01-17,1564,1200,extra\n", nil,
			[]wantProblem{{3, "", "import.error.field_count"}}},
		{"stray quote", header + "Tij\"uana,Тихуана,MX,sister,1995-01-17,1564,1200\n", nil,
			[]wantProblem{{2, "", "import.error.csv_syntax"}}},
		{"figures without a date", header + "Gdańsk,Гданьск,PL,friendship,2020-01-17,262,470\n", func(o *register.ImportOptions) { o.StatsAsOf = civil.Date{} },
			[]wantProblem{{0, "stats_as_of", "import.error.stats_as_of_option"}}},
		{"figures with an empty date", "name_en,country,type,population,stats_as_of\nGdańsk,PL,friendship,470000,\n", func(o *register.ImportOptions) { o.StatsAsOf = civil.Date{} },
			[]wantProblem{{2, "stats_as_of", "import.error.stats_as_of"}}},
		{"same partnership twice", header + good + good, nil,
			[]wantProblem{{3, "type", "import.error.duplicate_row"}}},
		{"one city described two ways", header + good + "Vladivostok,Владивосток,RU,friendship,1991-06-30,331,600\n", nil,
			[]wantProblem{{3, "population_thousands", "import.error.city_conflict"}}},
		{"partner is the home city", header + "Busan,Пусан,KR,sister,1995-01-17,770,3400\n", nil,
			[]wantProblem{{2, "name_en", "validation.same_city"}}},
		{"claim without source", "name_en,country,type,partner_claimed_on,partner_claim_source\nLos Angeles,US,sister,1971-04-05,\n", nil,
			[]wantProblem{{2, "partner_claim_source", "validation.required"}}},
		{"claim without source column", "name_en,country,type,partner_claimed_on\nLos Angeles,US,sister,1971-04-05\n", nil,
			[]wantProblem{{1, "partner_claim_source", "import.error.missing_column"}}},
		{"unknown area", "name_en,country,type,areas\nLos Angeles,US,sister,culture;knitting\n", nil,
			[]wantProblem{{2, "areas", "import.error.unknown_value"}}},
		{"bad wikidata", "name_en,country,type,wikidata\nLos Angeles,US,sister,L65\n", nil,
			[]wantProblem{{2, "wikidata", "validation.wikidata"}}},
		{"bad JSON", `{"format": "sistercity-register", "version": 1,` + "\n" + `"partnerships": [}`, nil,
			[]wantProblem{{2, "", "import.error.json_syntax"}}},
		{"JSON of another kind", `{"format": "something", "version": 1, "partnerships": []}`, nil,
			[]wantProblem{{0, "format", "import.error.json_format"}}},
		{"JSON version", `{"format": "sistercity-register", "version": 2, "partnerships": []}`, nil,
			[]wantProblem{{0, "version", "import.error.json_version"}}},
	}
	d := dbtest.Open(t)
	mustImport(t, d, busanCSV(t), "", busanOptions())
	before := counts(t, d)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := busanOptions()
			if tt.opts != nil {
				tt.opts(&opts)
			}
			_, err := importBytes(t, d, []byte(tt.data), "", opts)
			fe, ok := register.AsFileErrors(err)
			if !ok {
				t.Fatalf("want FileErrors, got %v", err)
			}
			if fe.Total != len(fe.List) || fe.Total == 0 {
				t.Errorf("total %d, listed %d", fe.Total, len(fe.List))
			}
			for _, w := range tt.want {
				found := false
				for _, e := range fe.List {
					line := e.Line
					if e.Item > 0 {
						line = e.Item
					}
					found = found || (line == w.line && e.Field == w.field && e.Msg.Key == w.key)
				}
				if !found {
					t.Errorf("no problem %+v among %v", w, fe)
				}
			}
			if after := counts(t, d); !equalCounts(before, after) {
				t.Errorf("rows before %v, after %v", before, after)
			}
		})
	}
}

func TestImportReportsEveryProblem(t *testing.T) {
	d := dbtest.Open(t)
	data := "name_en,country,type,signed_on\n" +
		"Vladivostok,RU,sister,1992-06-30\n" +
		"Tijuana,MX,sister,17.01.1995\n" +
		"Auckland,NZ,twin,1996-04-22\n" +
		"Montreal,XX,sister,2000-09-19\n" +
		"Istanbul,TR,sister,2002-06-04\n"
	_, err := importBytes(t, d, []byte(data), register.FormatCSV, busanOptions())
	fe, ok := register.AsFileErrors(err)
	if !ok {
		t.Fatalf("want FileErrors, got %v", err)
	}
	var got []string
	for _, e := range fe.List {
		got = append(got, strings.Join([]string{strconv.Itoa(e.Line), e.Field, e.Msg.Key}, " "))
	}
	want := []string{"3 signed_on import.error.date", "4 type import.error.unknown_value", "5 country validation.country"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("problems %q, want %q", got, want)
	}
	if n := counts(t, d)["cities"]; n != 0 {
		t.Errorf("%d cities stored from a bad file", n)
	}
}

func TestImportMergesTheColumnsGiven(t *testing.T) {
	d := dbtest.Open(t)
	mustImport(t, d, busanCSV(t), "", busanOptions())
	opts := busanOptions()
	opts.StatsAsOf = civil.MustParse("2022-05-01")
	res := mustImport(t, d, []byte("name_en,country,type,population,wikidata\nVladivostok,RU,sister,603519,Q959\n"), "", opts)
	if res.CitiesUpdated != 1 || res.PartnershipsUnchanged != 1 {
		t.Fatalf("result %+v", res)
	}
	if f := res.Changes[0].Fields; strings.Join(f, ",") != "population,stats_as_of,wikidata" {
		t.Errorf("changed fields %v", f)
	}
	reg, _ := register.Load(context.Background(), d.R)
	for _, p := range reg.Partnerships {
		if c := p.PartnerCity; c.Name("en") == "Vladivostok" {
			if *c.Population != 603519 || c.StatsAsOf != opts.StatsAsOf || c.Wikidata != "Q959" ||
				c.Name("ru") != "Владивосток" || *c.AreaKm2 != 331 || c.Description("en") == "" || p.SignedOn != civil.MustParse("1992-06-30") {
				t.Errorf("Vladivostok after a partial import: %+v %+v", c, p)
			}
		}
	}
	// Now matched by its Wikidata id, even under another English name.
	res = mustImport(t, d, []byte("name_en,country,type,wikidata\nWladiwostok,RU,sister,q959\n"), "", opts)
	if res.CitiesCreated != 0 || res.CitiesUpdated != 1 || res.PartnershipsCreated != 0 {
		t.Fatalf("match by Wikidata: %+v", res)
	}
}

func TestImportHomeCity(t *testing.T) {
	data := []byte("name_en,country,type\nVladivostok,RU,sister\n")
	d := dbtest.Open(t)
	opts := busanOptions()
	opts.HomeCity = nil
	_, err := importBytes(t, d, data, "", opts)
	if fe, ok := register.AsFileErrors(err); !ok || fe.List[0].Msg.Key != "import.error.no_home_city" {
		t.Fatalf("no home city: %v", err)
	}
	mustImport(t, d, data, "", busanOptions())
	// Once set, the home city is used without being named again, and a different one is refused.
	if res := mustImport(t, d, data, "", opts); res.PartnershipsUnchanged != 1 {
		t.Errorf("second import: %+v", res)
	}
	opts.HomeCity = &register.City{Country: "KR", Kind: register.KindCity, Texts: []register.Text{{Lang: "en", Name: "Seoul"}}}
	_, err = importBytes(t, d, data, "", opts)
	if fe, ok := register.AsFileErrors(err); !ok || fe.List[0].Msg.Key != "import.error.home_city_mismatch" || !fe.List[0].Home {
		t.Fatalf("another home city: %v", err)
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	d := dbtest.Open(t)
	before := counts(t, d)
	opts := busanOptions()
	opts.DryRun = true
	res := mustImport(t, d, busanCSV(t), "", opts)
	if res.PartnershipsCreated != 29 || res.CitiesCreated != 30 || len(res.Changes) != 29 || res.Changes[0].PartnershipID != 0 {
		t.Fatalf("dry run: %+v", res)
	}
	if after := counts(t, d); !equalCounts(before, after) {
		t.Errorf("dry run wrote: %v → %v", before, after)
	}
}

func TestPartnerDateClaims(t *testing.T) {
	d := dbtest.Open(t)
	// The demo loader's way: the unchanged file, plus Los Angeles's own date.
	f, err := register.ReadCSV(bytes.NewReader(busanCSV(t)))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range f.Rows {
		if r.Partner.Name("en") == "Los Angeles" {
			r.SetPartnerClaim(civil.MustParse("1971-04-05"), "City of Los Angeles")
		}
	}
	err = d.InTx(context.Background(), func(tx *sql.Tx) error {
		_, err := register.Import(context.Background(), tx, f, busanOptions())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	claim := func() *register.DateClaim {
		reg, _ := register.Load(context.Background(), d.R)
		for _, p := range reg.Partnerships {
			if p.PartnerCity.Name("en") == "Los Angeles" && len(p.DateClaims) > 0 {
				for _, c := range p.DateClaims {
					if c.CityID != p.PartnerCityID {
						t.Errorf("claim by city %d, want the partner %d", c.CityID, p.PartnerCityID)
					}
				}
				return &p.DateClaims[0]
			}
		}
		return nil
	}
	if c := claim(); c == nil || c.ClaimedOn != civil.MustParse("1971-04-05") || c.Source != "City of Los Angeles" {
		t.Fatalf("claim %+v", c)
	}
	// The file format says the same with two columns; an empty cell removes the claim.
	const head = "name_en,country,type,partner_claimed_on,partner_claim_source\n"
	res := mustImport(t, d, []byte(head+"Los Angeles,US,sister,1971-04-05,City of Los Angeles\n"), "", busanOptions())
	if res.PartnershipsUnchanged != 1 {
		t.Errorf("same claim again: %+v", res)
	}
	res = mustImport(t, d, []byte(head+"Los Angeles,US,sister,,\n"), "", busanOptions())
	if res.PartnershipsUpdated != 1 || claim() != nil {
		t.Errorf("claim not removed: %+v", res)
	}
}

// enrich adds to an imported register what only JSON carries.
func enrich(t *testing.T, d *db.DB) {
	t.Helper()
	ctx := context.Background()
	err := d.InTx(ctx, func(tx *sql.Tx) error {
		reg, err := register.Load(ctx, tx)
		if err != nil {
			return err
		}
		home := reg.Home
		home.Contacts = []register.Contact{{Name: "Kim Minji", Role: "Officer", Department: "International Relations", Email: "intl@busan.example"}}
		home.Wikidata, home.Timezone = "Q16520", "Asia/Seoul"
		if err := register.UpdateCity(ctx, tx, home); err != nil {
			return err
		}
		for _, p := range reg.Partnerships {
			switch p.PartnerCity.Name("en") {
			case "Vladivostok":
				c := p.PartnerCity
				c.FoundedOn, c.FoundingNote, c.CityDayRule, c.Timezone = civil.MustParse("1860-07-02"), "Founded as a military outpost", "first-sunday-07", "Asia/Vladivostok"
				c.SetText("ko", "블라디보스토크", "러시아 극동 최대의 항구 도시")
				c.Contacts = []register.Contact{{Name: "Ivan Petrov", Phone: "+7 423 000 00 00"}}
				if err := register.UpdateCity(ctx, tx, c); err != nil {
					return err
				}
				p.Signatories = []register.Signatory{{Side: "home", Name: langtext.Of("en", "Mayor of Busan")}, {Side: "partner", Name: langtext.Texts{"en": "Oleg Gumenyuk", "ru": "Олег Гуменюк"}, Title: langtext.Of("en", "Mayor")}}
				p.Areas = []string{"culture", "health", "tourism"}
				p.CouncilApprovedOn, p.CouncilNote = civil.MustParse("1992-05-20"), "Approved unanimously"
				if err := register.UpdatePartnership(ctx, tx, p, civil.MustParse("1992-06-30"), nil, 0); err != nil {
					return err
				}
			case "Los Angeles":
				if err := register.SetDateClaim(ctx, tx, p.ID, register.DateClaim{CityID: p.PartnerCityID, ClaimedOn: civil.MustParse("1971-04-05"), Source: "City of Los Angeles"}); err != nil {
					return err
				}
				if err := register.SetDateClaim(ctx, tx, p.ID, register.DateClaim{CityID: home.ID, ClaimedOn: civil.MustParse("1967-12-18"), Source: "City of Busan"}); err != nil {
					return err
				}
			case "Tijuana":
				p.Status = register.StatusDormant
				if err := register.UpdatePartnership(ctx, tx, p, civil.MustParse("2020-03-01"), langtext.Texts{"en": "No exchanges since 2015", "ko": "2015년 이후 교류 없음"}, 0); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	a := dbtest.Open(t)
	mustImport(t, a, busanCSV(t), "", busanOptions())
	enrich(t, a)
	exported := export(t, a, register.FormatJSON)
	for _, want := range []string{`"format": "sistercity-register"`, `"Kim Minji"`, `"claimed_on": "1971-04-05"`,
		`"city": "partner"`, `"city": "home"`, `"en": "No exchanges since 2015"`, `"ko": "2015년 이후 교류 없음"`, `"ru": "Олег Гуменюк"`} {
		if !bytes.Contains(exported, []byte(want)) {
			t.Errorf("export lacks %s", want)
		}
	}

	b := dbtest.Open(t)
	res := mustImport(t, b, exported, register.FormatJSON, register.ImportOptions{Today: testToday})
	if res.PartnershipsCreated != 29 || res.CitiesCreated != 30 {
		t.Fatalf("import into an empty database: %+v", res)
	}
	if again := export(t, b, register.FormatJSON); !bytes.Equal(exported, again) {
		t.Errorf("JSON round trip differs:\n%s", diffLines(exported, again))
	}
	if ca, cb := counts(t, a), counts(t, b); !equalCounts(ca, cb) {
		t.Errorf("rows differ: %v and %v", ca, cb)
	}
	// And back into the database it came from: nothing to do.
	res = mustImport(t, a, exported, register.FormatJSON, register.ImportOptions{Today: testToday})
	if res.PartnershipsUnchanged != 29 || res.CitiesUnchanged != 30 {
		t.Errorf("re-import into the source: %+v", res)
	}
}

func TestCSVRoundTrip(t *testing.T) {
	a := dbtest.Open(t)
	mustImport(t, a, busanCSV(t), "", busanOptions())
	enrich(t, a)
	exported := export(t, a, register.FormatCSV)
	if !bytes.HasPrefix(exported, []byte("name_en,name_ko,name_ru,country,kind,type,signed_on")) {
		t.Errorf("header: %s", bytes.SplitN(exported, []byte("\n"), 2)[0])
	}
	b := dbtest.Open(t)
	res := mustImport(t, b, exported, register.FormatCSV, register.ImportOptions{Today: testToday, HomeCity: busanHome()})
	if res.PartnershipsCreated != 29 {
		t.Fatalf("import into an empty database: %+v", res)
	}
	if again := export(t, b, register.FormatCSV); !bytes.Equal(exported, again) {
		t.Errorf("CSV round trip differs:\n%s", diffLines(exported, again))
	}
	// Back into the source it changes nothing, and keeps what CSV does not carry.
	beforeJSON := export(t, a, register.FormatJSON)
	res = mustImport(t, a, exported, register.FormatCSV, register.ImportOptions{Today: testToday})
	if res.PartnershipsUnchanged != 29 || res.CitiesUnchanged != 29 {
		t.Errorf("re-import into the source: %+v", res)
	}
	if !bytes.Equal(beforeJSON, export(t, a, register.FormatJSON)) {
		t.Error("re-importing the CSV export changed the register")
	}
}

func TestSemicolonsAndByteOrderMark(t *testing.T) {
	d := dbtest.Open(t)
	data := "\ufeffname_en;country;type;area_km2\r\nVladivostok;RU;sister;331.2\r\n"
	opts := busanOptions()
	res := mustImport(t, d, []byte(data), "", opts)
	if res.PartnershipsCreated != 1 {
		t.Fatalf("%+v", res)
	}
	reg, _ := register.Load(context.Background(), d.R)
	if c := reg.Partnerships[0].PartnerCity; *c.AreaKm2 != 331.2 || c.StatsAsOf != busanStats {
		t.Errorf("city %+v", c)
	}
}

func TestJSONItemProblems(t *testing.T) {
	d := dbtest.Open(t)
	data := `{"format": "sistercity-register", "version": 1, "home_city": {"texts": [{"lang": "en", "name": "Busan"}], "country": "KR"},
	"partnerships": [
	  {"type": "sister", "partner": {"texts": [{"lang": "en", "name": "Vladivostok"}], "country": "RU"}},
	  {"type": "sister", "colour": "blue", "partner": {"texts": [{"lang": "en", "name": "Tijuana"}], "country": "MX"}},
	  {"type": "sister", "partner": {"texts": [{"lang": "en", "name": "Auckland"}], "country": "NZ", "population": "many"}},
	  {"type": "sister", "signed_on": "2000-02-30", "partner": {"texts": [{"lang": "en", "name": "Montreal"}], "country": "CA"}},
	  {"type": "sister", "partner": {"texts": [{"lang": "en", "name": "Istanbul"}], "country": "TR", "timezone": "Mars/Olympus"}}
	]}`
	_, err := importBytes(t, d, []byte(data), "", register.ImportOptions{Today: testToday})
	fe, ok := register.AsFileErrors(err)
	if !ok {
		t.Fatalf("want FileErrors, got %v", err)
	}
	var got []string
	for _, e := range fe.List {
		got = append(got, e.Where().Args[1].(string)+" "+e.Field+" "+e.Msg.Key)
	}
	want := "2 colour import.error.json_unknown_field|3 partner.population import.error.json_type|" +
		"4 signed_on import.error.date|5 partner.timezone tz.error"
	if strings.Join(got, "|") != want {
		t.Errorf("problems\n%q\nwant\n%q", strings.Join(got, "|"), want)
	}
}

func TestLimits(t *testing.T) {
	big := bytes.Repeat([]byte("a"), register.MaxImportBytes+1)
	_, err := register.Read(bytes.NewReader(big), register.FormatCSV)
	if fe, ok := register.AsFileErrors(err); !ok || fe.List[0].Msg.Key != "import.error.too_large" {
		t.Errorf("too large: %v", err)
	}
	var b strings.Builder
	b.WriteString("name_en,country,type\n")
	for range register.MaxImportRows + 1 {
		b.WriteString("X,RU,sister\n")
	}
	_, err = register.Read(strings.NewReader(b.String()), register.FormatCSV)
	if fe, ok := register.AsFileErrors(err); !ok || fe.List[0].Msg.Key != "import.error.too_many_rows" || fe.List[0].Line != register.MaxImportRows+2 {
		t.Errorf("too many rows: %v", err)
	}
}

// diffLines shows the first lines in which a and b differ.
func diffLines(a, b []byte) string {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	var out []string
	for i := 0; i < max(len(la), len(lb)) && len(out) < 10; i++ {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			out = append(out, "- "+x, "+ "+y)
		}
	}
	return strings.Join(out, "\n")
}

// TestMessagesAreInTheCatalog fails when the package names a message the catalogs lack.
func TestMessagesAreInTheCatalog(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, k := range cat.Keys("en") {
		have[k] = true
	}
	files, _ := filepath.Glob("exchange*.go")
	keyRe := regexp.MustCompile(`"((?:import|validation)\.[a-z_.]+[a-z])"`)
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range keyRe.FindAllStringSubmatch(string(src), -1) {
			if !have[m[1]] {
				t.Errorf("%s: no message %s in the catalog", name, m[1])
			}
		}
	}
}

// TestConcurrentImportsDoNotDuplicate imports one file twice at once (a double click): the
// import lock makes the second wait for the first and then find its cities.
func TestConcurrentImportsDoNotDuplicate(t *testing.T) {
	d := dbtest.Open(t)
	data := busanCSV(t)
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := importBytes(t, d, data, "", busanOptions())
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if c := counts(t, d); c["cities"] != 30 || c["partnerships"] != 29 {
		t.Errorf("after two imports at once: %v", c)
	}
}
