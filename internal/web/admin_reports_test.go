package web

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"sistercity/internal/auth"
	"sistercity/internal/civil"
	"sistercity/internal/db/dbtest"
	"sistercity/internal/register"
	"sistercity/internal/report"
)

// reportWorld is Busan with two partners and a shared report, seen by every kind of client.
type reportWorld struct {
	e                  *testEnv
	busan, spb, vlad   *register.City
	pSPB, pVlad        int64
	shared, draft      int64
	staff              map[auth.Role]*client
	anon               *client
	spbLiaison, vladLi *client
}

// A string that only the reports hold: a page or file that shows it shows report data.
const reportSecret = "Busan Infectious Disease Control Unit"

func seedCity(t *testing.T, e *testEnv, en, ko, ru, country string, population int64) *register.City {
	t.Helper()
	c := &register.City{Country: country, Kind: register.KindCity, Population: &population, StatsAsOf: civil.MustParse("2020-01-01"),
		Texts: []register.Text{{Lang: "en", Name: en}, {Lang: "ko", Name: ko}, {Lang: "ru", Name: ru}}}
	e.inTx(func(tx *sql.Tx) error { return register.CreateCity(context.Background(), tx, c) })
	return c
}

func newReportWorld(t *testing.T) *reportWorld {
	t.Helper()
	ctx := context.Background()
	// The clock stands after 2020, so that the whole OWID year imports.
	e := newTestEnvAt(t, dbtest.Open(t), time.Date(2021, 1, 5, 12, 0, 0, 0, time.UTC))
	w := &reportWorld{e: e, staff: map[auth.Role]*client{}}
	w.busan = seedCity(t, e, "Busan", "부산", "Пусан", "KR", 3400000)
	w.spb = seedCity(t, e, "Saint Petersburg", "상트페테르부르크", "Санкт-Петербург", "RU", 5400000)
	w.vlad = seedCity(t, e, "Vladivostok", "블라디보스토크", "Владивосток", "RU", 600000)
	e.inTx(func(tx *sql.Tx) error {
		if err := register.SetHomeCity(ctx, tx, w.busan.ID); err != nil {
			return err
		}
		for _, c := range []*register.City{w.spb, w.vlad} {
			p := &register.Partnership{HomeCityID: w.busan.ID, PartnerCityID: c.ID, Type: register.TypeSister, Status: register.StatusActive}
			if err := register.CreatePartnership(ctx, tx, p, 0); err != nil {
				return err
			}
			if c == w.spb {
				w.pSPB = p.ID
			} else {
				w.pVlad = p.ID
			}
		}
		return nil
	})
	covid, err := report.SituationByKey(ctx, e.db.R, "covid-19")
	if err != nil {
		t.Fatal(err)
	}
	mk := func(city int64, cases float64) int64 {
		r := &report.Report{SituationID: covid.ID, CityID: city, AsOf: civil.MustParse("2020-04-30"), SourceOrg: reportSecret,
			Values: []report.Value{{Day: civil.MustParse("2020-04-30"), Metric: "total_cases", Value: cases}},
			Beds: []report.Bed{{Type: "NegativeFlowIsolation", Unit: report.UnitRooms, Baseline: 50, Available: 20, Occupied: 30,
				Add24h: 2, Add72h: 6, Status: report.CapacityAvailable}}}
		e.inTx(func(tx *sql.Tx) error { return report.Create(ctx, tx, r, civil.Of(fixedNow), 0) })
		return r.ID
	}
	w.shared, w.draft = mk(w.busan.ID, 136), mk(w.spb.ID, 8100)
	e.inTx(func(tx *sql.Tx) error { return report.Share(ctx, tx, w.shared, []int64{w.pSPB}, 0) })
	for _, role := range auth.Roles[1:] {
		w.staff[role] = e.userClient(role)
	}
	w.anon = e.client()
	w.spbLiaison, w.vladLi = w.liaison("liaison-spb", w.spb.ID), w.liaison("liaison-vlad", w.vlad.ID)
	return w
}

func (w *reportWorld) liaison(name string, city int64) *client {
	ctx := context.Background()
	w.e.inTx(func(tx *sql.Tx) error {
		u, err := auth.CreateUser(ctx, tx, name, "", testPassword, auth.RoleLiaison)
		if err != nil {
			return err
		}
		return report.BindLiaison(ctx, tx, u.ID, city)
	})
	c := w.e.client()
	c.signIn(name, testPassword, http.StatusSeeOther)
	return c
}

func (w *reportWorld) path(pattern string, id int64) string {
	_, p, _ := strings.Cut(pattern, " ")
	return strings.Replace(p, "{id}", itoa64(id), 1)
}

// TestReports runs the reports' scenarios on one server.
func TestReports(t *testing.T) {
	t.Parallel()
	w := newReportWorld(t)
	t.Run("privacy", w.testPrivacy)
	t.Run("import", w.testImport)
	t.Run("bad bed row", w.testBadBedRow)
	t.Run("exports and chart", w.testExportsAndChart)
	t.Run("binding a liaison", w.testBindLiaison)
	t.Run("a liaison's city on the users form", w.testLiaisonOnUsersForm)
	t.Run("edit form", w.testEdit)
}

// testEdit: the edit form changes a report's dates, source, texts and figures; bad input (a
// negative figure, a share over 1, a date in the future, a period past the as-of date, a
// number that is none) is refused in the editor's language with nothing saved; a shared
// report's form says what saving does there.
func (w *reportWorld) testEdit(t *testing.T) {
	editor := w.staff[auth.RoleEditor]
	editor.lang = "ru"
	defer func() { editor.lang = "" }()
	page := "/admin/reports/" + itoa64(w.draft)
	if _, body := editor.get(page); !strings.Contains(body, `id="report-edit"`) || !strings.Contains(body, `name="m_total_cases" type="number" min="0" step="any" inputmode="decimal" value="8100"`) {
		t.Fatalf("the edit form:\n%s", body)
	}
	if _, body := editor.get("/admin/reports/" + itoa64(w.shared)); !strings.Contains(body, "Сводка открыта партнёрам: после сохранения") {
		t.Error("the shared report's form does not say what saving does")
	}
	good := func() url.Values {
		return url.Values{"as_of": {"2020-04-30"}, "period_start": {"2020-04-01"}, "period_end": {"2020-04-30"}, "source_org": {"Smolny"},
			"m_total_cases": {"8200"}, "m_new_cases": {"312"}, "m_positive_rate": {"0.05"}, "measures_ru": {"Режим самоизоляции"}}
	}
	for name, c := range map[string]struct {
		field, value, want string
	}{
		"negative":      {"m_new_cases", "-3", "не может быть отрицательным"},
		"ratio over 1":  {"m_positive_rate", "5", "positive_rate"},
		"future":        {"as_of", "2031-01-01", "будущем"},
		"period past":   {"period_end", "2020-05-02", "не позже даты сводки"},
		"not a number":  {"m_total_cases", "12abc", "число"},
		"text too long": {"measures_ru", strings.Repeat("я", report.MaxText+1), "Не более"},
	} {
		form := good()
		form.Set(c.field, c.value)
		resp, body := editor.post(page+"/edit", form)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d, want 422 with %q", name, resp.StatusCode, c.want)
		}
	}
	if rep, _ := report.Get(context.Background(), w.e.db.R, report.Reader{Staff: true}, w.draft); rep.SourceOrg != reportSecret || len(rep.Texts) != 0 {
		t.Fatalf("a refused edit saved something: %+v", rep)
	}
	if resp, body := editor.post(page+"/edit", good()); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d\n%s", resp.StatusCode, body)
	}
	rep, err := report.Get(context.Background(), w.e.db.R, report.Reader{Staff: true}, w.draft)
	if err != nil {
		t.Fatal(err)
	}
	cases, _ := rep.Latest("total_cases")
	if rep.SourceOrg != "Smolny" || cases.Value != 8200 || len(rep.Values) != 3 || rep.PeriodStart.String() != "2020-04-01" {
		t.Errorf("edited report: %+v", rep)
	}
	if txt, ok := rep.Text("ru"); !ok || txt.Measures != "Режим самоизоляции" || len(rep.Texts) != 1 {
		t.Errorf("edited texts: %+v", rep.Texts)
	}
	if resp, _ := w.spbLiaison.post(page+"/edit", good()); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a liaison edits: %d", resp.StatusCode)
	}
}

// testLiaisonOnUsersForm: an administrator creates a partner liaison account with its partner
// city on the users form; without a city, or with a city in no partnership as a partner, the
// form refuses it in the administrator's language and creates nothing.
func (w *reportWorld) testLiaisonOnUsersForm(t *testing.T) {
	admin := w.staff[auth.RoleAdmin]
	admin.lang = "ru"
	defer func() { admin.lang = "" }()
	_, form := admin.get("/admin/users")
	if !strings.Contains(form, `<label for="f-city">Город-партнёр`) || !strings.Contains(form, `<option value="`+itoa64(w.spb.ID)+`">Санкт-Петербург</option>`) {
		t.Fatalf("the users form lacks the partner city:\n%s", form)
	}
	for _, city := range []string{"", itoa64(w.busan.ID), "x"} {
		resp, body := admin.post("/admin/users", url.Values{"username": {"liaison-form"}, "role": {"liaison"}, "city": {city}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="err-city"`) {
			t.Errorf("liaison with city %q: %d, want 422 on the city", city, resp.StatusCode)
		}
	}
	var n int
	_ = w.e.db.R.QueryRow("SELECT COUNT(*) FROM users WHERE username = 'liaison-form'").Scan(&n)
	if n != 0 {
		t.Fatal("a refused liaison account was created")
	}
	if resp, body := admin.post("/admin/users", url.Values{"username": {"liaison-form"}, "role": {"liaison"}, "city": {itoa64(w.spb.ID)},
		"password": {testPassword}}); resp.StatusCode != http.StatusOK {
		t.Fatalf("create liaison: %d\n%s", resp.StatusCode, body)
	}
	if _, list := admin.get("/admin/users?q=liaison-form"); !strings.Contains(list, "Представитель города-партнёра · Санкт-Петербург") {
		t.Errorf("the users list does not name the liaison's city:\n%s", list)
	}
	c := w.e.client()
	c.signIn("liaison-form", testPassword, http.StatusSeeOther)
	if resp, body := c.get("/admin/reports/" + itoa64(w.shared)); resp.StatusCode != http.StatusOK || !strings.Contains(body, reportSecret) {
		t.Errorf("the liaison created on the users form: %d", resp.StatusCode)
	}
}

// testBindLiaison: a liaison account bound to no city reads nothing; an administrator binds it
// to Saint Petersburg, and it reads what is shared there. Only liaison accounts are bound.
func (w *reportWorld) testBindLiaison(t *testing.T) {
	var id int64
	w.e.inTx(func(tx *sql.Tx) error {
		u, err := auth.CreateUser(context.Background(), tx, "liaison-new", "", testPassword, auth.RoleLiaison)
		id = u.ID
		return err
	})
	c := w.e.client()
	c.signIn("liaison-new", testPassword, http.StatusSeeOther)
	if _, body := c.get("/admin/reports"); strings.Contains(body, reportSecret) || strings.Contains(body, `href="/admin/reports/`+itoa64(w.shared)+`"`) {
		t.Fatal("an unbound liaison reads a report")
	}
	admin := w.staff[auth.RoleAdmin]
	if _, page := admin.get("/admin/reports"); !strings.Contains(page, `action="/admin/reports/liaisons"`) || !strings.Contains(page, ">liaison-new<") {
		t.Error("the administrator's list lacks the binding form")
	}
	if resp, _ := admin.post("/admin/reports/liaisons", url.Values{"user": {"1"}, "city": {itoa64(w.spb.ID)}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("binding a staff account: %d, want 422", resp.StatusCode)
	}
	if resp, _ := admin.post("/admin/reports/liaisons", url.Values{"user": {itoa64(id)}, "city": {itoa64(w.spb.ID)}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("binding: %d", resp.StatusCode)
	}
	if resp, body := c.get("/admin/reports/" + itoa64(w.shared)); resp.StatusCode != http.StatusOK || !strings.Contains(body, reportSecret) {
		t.Errorf("the bound liaison: %d", resp.StatusCode)
	}
}

// testPrivacy walks every report route and export as a visitor without a session, as each
// staff role, as another partner's liaison and as the intended one: those not allowed get 404
// and no data; the report never reaches the public site.
func (w *reportWorld) testPrivacy(t *testing.T) {
	routes := w.e.srv.reportRoutes()
	for _, rt := range routes {
		method, _, _ := strings.Cut(rt.pattern, " ")
		if method != "GET" {
			// Changes need the editor's role: a visitor or a liaison is refused before anything.
			for name, c := range map[string]*client{"anonymous": w.anon, "liaison": w.spbLiaison} {
				if resp := c.postToken(w.path(rt.pattern, w.shared), c.csrf()); resp.StatusCode != http.StatusForbidden {
					t.Errorf("%s %s: %d, want 403", name, rt.pattern, resp.StatusCode)
				}
			}
			continue
		}
		for _, id := range []int64{w.shared, w.draft} {
			path := w.path(rt.pattern, id)
			resp, body := w.anon.get(path)
			if resp.StatusCode != http.StatusNotFound || strings.Contains(body, reportSecret) {
				t.Errorf("anonymous %s: %d", path, resp.StatusCode)
			}
			resp, body = w.vladLi.get(path)
			wantVlad := http.StatusNotFound
			if rt.role == auth.RoleEditor {
				wantVlad = http.StatusForbidden
			} else if !strings.Contains(rt.pattern, "{id}") {
				wantVlad = http.StatusOK // the list and the comparison, empty for this liaison
			}
			if resp.StatusCode != wantVlad || strings.Contains(body, reportSecret) || strings.Contains(body, "Busan") {
				t.Errorf("another partner's liaison %s: %d, want %d (or it shows data)", path, resp.StatusCode, wantVlad)
			}
			resp, body = w.spbLiaison.get(path)
			switch {
			case rt.role == auth.RoleEditor:
				if resp.StatusCode != http.StatusForbidden {
					t.Errorf("liaison %s: %d, want 403", path, resp.StatusCode)
				}
			case strings.Contains(rt.pattern, "{id}") && id == w.draft:
				if resp.StatusCode != http.StatusNotFound || strings.Contains(body, reportSecret) {
					t.Errorf("liaison on a draft %s: %d", path, resp.StatusCode)
				}
			case resp.StatusCode != http.StatusOK:
				t.Errorf("liaison %s: %d, want 200", path, resp.StatusCode)
			case strings.Contains(rt.pattern, "{id}") && !strings.Contains(body, reportSecret) && !strings.HasSuffix(path, ".csv"):
				t.Errorf("liaison %s lacks the report", path)
			}
			for role, c := range w.staff {
				resp, _ := c.get(path)
				want := http.StatusOK
				if !role.AtLeast(rt.role) {
					want = http.StatusForbidden
				}
				if resp.StatusCode != want {
					t.Errorf("%s %s: %d, want %d", role, path, resp.StatusCode, want)
				}
			}
		}
	}
	// The liaison sees nothing else of the admin, and its navigation offers only the reports.
	for _, path := range []string{"/admin/", "/admin/partnerships", "/admin/cities", "/admin/activities", "/admin/videos", "/admin/import", "/admin/dashboard"} {
		if resp, body := w.spbLiaison.get(path); resp.StatusCode != http.StatusForbidden || strings.Contains(body, "Vladivostok") {
			t.Errorf("liaison %s: %d", path, resp.StatusCode)
		}
	}
	_, body := w.spbLiaison.get("/admin/reports")
	if strings.Contains(body, `href="/admin/partnerships"`) || !strings.Contains(body, `href="/admin/reports/`+itoa64(w.shared)+`"`) ||
		strings.Contains(body, `href="/admin/reports/`+itoa64(w.draft)+`"`) {
		t.Error("the liaison's list shows other parts of the admin, or not exactly the shared report")
	}
	// Never on the public site, its feeds or its sitemap.
	for _, path := range []string{"/en/", "/ko/", "/ru/partners", "/sitemap.xml", "/en/activities", "/en/videos/feed.xml", "/en/partners/" + itoa64(w.spb.ID)} {
		if _, body := w.anon.get(path); strings.Contains(body, reportSecret) || strings.Contains(body, "/admin/reports") {
			t.Errorf("%s shows a report", path)
		}
	}
}

const owidTestFile = "../../../shared/data/owid-covid-kor-rus-2020.csv"

// testImport imports the real OWID file after its preview, then a copy with one broken row,
// which imports nothing and names the line and the column.
func (w *reportWorld) testImport(t *testing.T) {
	editor := w.staff[auth.RoleEditor]
	data, err := os.ReadFile(owidTestFile)
	if err != nil {
		t.Fatal(err)
	}
	count := func() int {
		rs, err := report.List(context.Background(), w.e.db.R, report.Reader{Staff: true})
		if err != nil {
			t.Fatal(err)
		}
		return len(rs)
	}
	before := count()
	lines := strings.Split(string(data), "\n")
	lines[99] = strings.Replace(lines[99], "2020-", "2020-14-", 1)
	resp, body := editor.postFile("/admin/reports/import", map[string]string{"csrf_token": editor.csrf(), "source_org": "OWID"},
		"broken.csv", []byte(strings.Join(lines, "\n")))
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "<td>100</td>") || !strings.Contains(body, "<code>date</code>") {
		t.Fatalf("broken file: %d\n%s", resp.StatusCode, body)
	}
	if count() != before {
		t.Fatal("a broken file imported something")
	}
	big := make([]byte, maxReportImportBytes+10)
	if resp, _ := editor.postFile("/admin/reports/import", map[string]string{"csrf_token": editor.csrf()}, "big.csv", big); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a file over the limit: %d, want 413", resp.StatusCode)
	}

	resp, body = editor.postFile("/admin/reports/import", map[string]string{"csrf_token": editor.csrf(), "source_org": "OWID"}, "owid.csv", data)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Russia") || !strings.Contains(body, "South Korea") || !strings.Contains(body, "population") {
		t.Fatalf("preview: %d\n%s", resp.StatusCode, body)
	}
	if count() != before {
		t.Fatal("the preview saved something")
	}
	token := regexp.MustCompile(`name="token" value="([0-9a-f]+)"`).FindStringSubmatch(body)
	if token == nil {
		t.Fatal("no token in the preview")
	}
	form := url.Values{"token": {token[1]}, "source_org": {"OWID"}, "filename": {"owid.csv"}}
	// The file lists Russia first: Russia for Saint Petersburg, South Korea for Busan.
	form.Set("city_0", itoa64(w.spb.ID))
	form.Set("city_1", itoa64(w.busan.ID))
	resp, body = editor.post("/admin/reports/import/confirm", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm: %d\n%s", resp.StatusCode, regexp.MustCompile(`(?s)<main.*</main>`).FindString(body))
	}
	if count() != before+2 {
		t.Errorf("%d reports after the import, want %d", count(), before+2)
	}
}

// testBadBedRow sends bed rows that do not add up: a clear message in the reader's language,
// 422, nothing saved.
func (w *reportWorld) testBadBedRow(t *testing.T) {
	editor := w.staff[auth.RoleEditor]
	editor.lang = "ru"
	defer func() { editor.lang = "" }()
	for _, c := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"type": {"AdultICU"}, "unit": {"beds"}, "baseline": {"10"}, "occupied": {"11"}, "status": {"available"}}, "Занято больше коек"},
		{url.Values{"type": {"AdultICU"}, "unit": {"beds"}, "baseline": {"10"}, "available": {"5"}, "occupied": {"6"}, "status": {"available"}}, "превышают норматив"},
		{url.Values{"type": {"AdultICU"}, "unit": {"beds"}, "baseline": {"-1"}, "status": {"available"}}, "не может быть отрицательным"},
		{url.Values{"type": {"OperatingRooms"}, "unit": {"beds"}, "baseline": {"3"}, "status": {"available"}}, "не подходит к типу коек"},
	} {
		resp, body := editor.post("/admin/reports/"+itoa64(w.draft)+"/beds", c.form)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, c.want) {
			t.Errorf("%v: %d, want 422 with %q", c.form, resp.StatusCode, c.want)
		}
	}
	r, err := report.Get(context.Background(), w.e.db.R, report.Reader{Staff: true}, w.draft)
	if err != nil || len(r.Beds) != 1 {
		t.Errorf("bed rows after refused forms: %v %v", r, err)
	}
	resp, _ := editor.post("/admin/reports/"+itoa64(w.draft)+"/beds", url.Values{"type": {"AdultICU"}, "unit": {"beds"},
		"baseline": {"10"}, "available": {"4"}, "occupied": {"6"}, "status": {"available"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("a good bed row: %d", resp.StatusCode)
	}
}

// testExportsAndChart: the EDXL-HAVE export validates against the OASIS schema; the
// comparison chart and its table hold the same figures per 100,000 inhabitants.
func (w *reportWorld) testExportsAndChart(t *testing.T) {
	resp, body := w.spbLiaison.get("/admin/reports/" + itoa64(w.shared) + "/edxl-have.xml")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "private, no-store" {
		t.Fatalf("edxl-have: %d %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	validateEDXLHAVE(t, []byte(body))
	if _, body := w.spbLiaison.get("/admin/reports/" + itoa64(w.shared) + "/export.csv"); body != "location,date,total_cases\nBusan,2020-04-30,136\n" {
		t.Errorf("csv export:\n%s", body)
	}
	w.e.inTx(func(tx *sql.Tx) error { return report.Share(context.Background(), tx, w.draft, []int64{w.pSPB}, 0) })
	_, body = w.staff[auth.RoleViewer].get("/admin/reports/compare?metric=total_cases")
	// Busan 136 / 3,400,000 → 4 per 100,000; Saint Petersburg 8,100 / 5,400,000 → 150.
	for _, want := range []string{"<td>4</td>", "<td>150</td>", ">4</text>", ">150</text>", "<title id=\"compare-title\">"} {
		if !strings.Contains(body, want) {
			t.Errorf("comparison lacks %s", want)
		}
	}
	// Each city's series as reported (Busan's from the OWID import: a year of daily figures), a
	// line chart naming its first date, with a table of every figure beside it.
	for _, want := range []string{"total_cases in Busan</title>", "total_cases in Saint Petersburg</title>", `<path d="M`,
		`text-anchor="start" fill="#1b1f24">22 January 2020</text>`, `<time datetime="2020-01-22">22 January 2020</time></th><td>1</td>`} {
		if !strings.Contains(body, want) {
			t.Errorf("time series lacks %s", want)
		}
	}
	c := w.e.client()
	c.lang = "ru"
	c.signIn("liaison-spb", testPassword, http.StatusSeeOther)
	if _, body := c.get("/admin/reports/compare"); !strings.Contains(body, "на 100\u00a0000 жителей") || !strings.Contains(body, "Каждый город во времени") {
		t.Error("the comparison is not in the reader's language")
	}
}

// validateEDXLHAVE checks a document against the OASIS EDXL-HAVE 1.0 schema with xmllint.
func validateEDXLHAVE(t *testing.T, doc []byte) {
	t.Helper()
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Fatal("xmllint is missing (libxml2-utils; make test installs it)")
	}
	path := filepath.Join(t.TempDir(), "have.xml")
	if err := os.WriteFile(path, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	schema := "../../../shared/conformance/edxl-have/external/edxl-have/1.0/edxl-have.xsd"
	if out, err := exec.Command("xmllint", "--nonet", "--noout", "--schema", schema, path).CombinedOutput(); err != nil {
		t.Fatalf("xmllint: %v\n%s\n%s", err, out, doc)
	}
}
