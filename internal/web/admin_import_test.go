package web

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"sistercity/internal/auth"
	"sistercity/internal/i18n"
)

// upload posts a register file to /admin/import with the form fields, as the import page's
// form does.
func (c *client) upload(filename string, content []byte, fields map[string]string) (*http.Response, string) {
	c.e.t.Helper()
	_, page := c.get("/admin/import")
	m := csrfRe.FindStringSubmatch(page)
	if m == nil {
		c.e.t.Fatal("no csrf token on the import page")
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("csrf_token", m[1])
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	if filename != "" {
		fw, err := mw.CreateFormFile("file", filename)
		if err != nil {
			c.e.t.Fatal(err)
		}
		_, _ = fw.Write(content)
	}
	_ = mw.Close()
	return c.do("POST", "/admin/import", &body, mw.FormDataContentType())
}

func (e *testEnv) count(table string) int {
	e.t.Helper()
	var n int
	if err := e.db.R.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func busanPartnersCSV(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../register/testdata/busan-partners.csv")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The test clock stands on 2020-07-10, before the file's January 2022 figures: the form gives
// an earlier date for them.
var busanForm = map[string]string{"home_name": "Busan", "home_country": "kr", "stats_as_of": "2020-01-01"}

func TestImportUploadAsEditor(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	c := e.userClient(auth.RoleEditor)
	resp, body := c.get("/admin/import")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `enctype="multipart/form-data"`) || !strings.Contains(body, `name="home_name"`) {
		t.Fatalf("import page: %d\n%s", resp.StatusCode, body)
	}
	resp, body = c.upload("busan-partners.csv", busanPartnersCSV(t), busanForm)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("upload: %d\n%s", resp.StatusCode, body)
	}
	for _, want := range []string{"The file has been imported.", "29 rows read", "<td>29</td>", "<td>30</td>", "Vladivostok"} {
		if !strings.Contains(body, want) {
			t.Errorf("result page lacks %q", want)
		}
	}
	if n := e.count("partnerships"); n != 29 {
		t.Errorf("%d partnerships stored, want 29", n)
	}
	var after string
	if err := e.db.R.QueryRow("SELECT after FROM audit_log WHERE action = 'import' AND entity = 'register'").Scan(&after); err != nil {
		t.Fatalf("no audit entry: %v", err)
	}
	if !strings.Contains(after, `"partnerships_created":29`) || !strings.Contains(after, `"file":"busan-partners.csv"`) {
		t.Errorf("audit entry: %s", after)
	}

	// The same file again changes nothing, and says so in Korean.
	c.lang = "ko"
	resp, body = c.upload("busan-partners.csv", busanPartnersCSV(t), map[string]string{"stats_as_of": "2020-01-01"})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "29행 읽음") || !strings.Contains(body, "파일이 결연 현황 자료와 같아 변경되는 내용이 없습니다.") {
		t.Errorf("second upload: %d\n%s", resp.StatusCode, body)
	}
	if n := e.count("partnerships"); n != 29 {
		t.Errorf("%d partnerships after the second upload", n)
	}
}

func TestImportBadFileSavesNothing(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	seedVladivostok(t, e)
	c := e.userClient(auth.RoleEditor)
	before := e.count("cities")
	bad := "name_en,country,type,signed_on\nAuckland,NZ,sister,1996-04-22\nTijuana,MX,sister,17.01.1995\nIstanbul,TR,twin,2002-06-04\n"
	for lang, want := range map[string][]string{
		"en": {"2 problems were found; nothing has been saved.", "line 3", "signed_on", "“17.01.1995” is not a date", "line 4", "Unknown value “twin”"},
		"ru": {"Найдены 2 ошибки, ничего не сохранено.", "строка 3", "«17.01.1995» — не дата", "строка 4"},
		"ko": {"문제 2건이 발견되어", "3행", "4행"},
	} {
		c.lang = lang
		resp, body := c.upload("partners.csv", []byte(bad), nil)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("%s: status %d, want 422", lang, resp.StatusCode)
		}
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: page lacks %q", lang, w)
			}
		}
	}
	if after := e.count("cities"); after != before || e.count("partnerships") != 1 {
		t.Errorf("a bad file stored something: %d cities before, %d after", before, after)
	}
	// A file in the wrong encoding is named as such, with its line.
	c.lang = "en"
	resp, body := c.upload("partners.csv", []byte("name_en,name_ru,country,type\nVladivostok,\xc2\xeb\xe0\xe4\xe8\xe2\xee\xf1\xf2\xee\xea,RU,sister\n"), nil)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "line 2") || !strings.Contains(body, "not in UTF-8") {
		t.Errorf("Windows-1251 file: %d\n%s", resp.StatusCode, body)
	}
	// No file at all.
	resp, body = c.upload("", nil, nil)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Choose a file to import.") {
		t.Errorf("no file: %d", resp.StatusCode)
	}
}

func TestImportDryRun(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	seedVladivostok(t, e)
	c := e.userClient(auth.RoleEditor)
	resp, body := c.upload("partners.csv", []byte("name_en,country,type,signed_on\nVladivostok,RU,sister,1992-06-30\nAuckland,NZ,sister,1996-04-22\n"),
		map[string]string{"dry_run": "1"})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "nothing has been saved") || !strings.Contains(body, "Auckland") {
		t.Fatalf("dry run: %d\n%s", resp.StatusCode, body)
	}
	if e.count("partnerships") != 1 || e.count("cities") != 2 {
		t.Error("a dry run stored something")
	}
	var audits int
	_ = e.db.R.QueryRow("SELECT COUNT(*) FROM audit_log WHERE action = 'import'").Scan(&audits)
	if audits != 0 {
		t.Error("a dry run was audited")
	}
}

func TestImportNeedsAnEditor(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	seedVladivostok(t, e)
	c := e.userClient(auth.RoleViewer)
	resp, body := c.get("/admin/import")
	if resp.StatusCode != http.StatusOK || strings.Contains(body, `enctype="multipart/form-data"`) || !strings.Contains(body, "/admin/export.csv") {
		t.Fatalf("viewer's import page: %d", resp.StatusCode)
	}
	resp, _ = c.upload("partners.csv", []byte("name_en,country,type\nAuckland,NZ,sister\n"), nil)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer upload: status %d, want 403", resp.StatusCode)
	}
	if e.count("partnerships") != 1 {
		t.Error("a viewer's upload was stored")
	}
}

func TestImportTooLarge(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	c := e.userClient(auth.RoleEditor)
	big := append([]byte("name_en,country,type,note\n"), bytes.Repeat([]byte("x"), maxImportBytes)...)
	resp, _ := c.upload("big.csv", big, nil)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413", resp.StatusCode)
	}
}

func TestExportDownloads(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	seedVladivostok(t, e)
	c := e.userClient(auth.RoleViewer)

	resp, body := c.get("/admin/export.csv")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("csv: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename=sistercity-register-2020-07-10.csv` {
		t.Errorf("csv Content-Disposition %q", cd)
	}
	if !strings.HasPrefix(body, "\ufeffname_en,name_ko,name_ru,country") || !strings.Contains(body, "signed_on,signed_at_en,signed_at_ru,status,") || !strings.Contains(body, "Vladivostok,블라디보스토크,Владивосток,RU,city,sister,1992-06-30,Vladivostok,Владивосток,active") {
		t.Errorf("csv body:\n%s", body)
	}

	resp, body = c.get("/admin/export.json")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json; charset=utf-8" ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment;") {
		t.Fatalf("json: %d %v", resp.StatusCode, resp.Header)
	}
	var doc struct {
		Format       string                   `json:"format"`
		HomeCity     struct{ Country string } `json:"home_city"`
		Partnerships []struct {
			Type    string
			Partner struct{ Country string }
		}
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Format != "sistercity-register" || doc.HomeCity.Country != "KR" || len(doc.Partnerships) != 1 || doc.Partnerships[0].Partner.Country != "RU" {
		t.Errorf("json: %+v", doc)
	}

	// The JSON export brings the register into an empty site.
	e2 := newTestEnv(t)
	c2 := e2.userClient(auth.RoleEditor)
	resp, page := c2.upload("register.json", []byte(body), nil)
	if resp.StatusCode != http.StatusOK || e2.count("partnerships") != 1 || e2.count("cities") != 2 {
		t.Errorf("import of the export: %d\n%s", resp.StatusCode, page)
	}

	// Signed out, nothing.
	resp, _ = e.client().get("/admin/export.json")
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("signed out: status %d, want a redirect to sign in", resp.StatusCode)
	}
}

// TestImportMessagesAreInTheCatalog fails when the import page names a message the catalogs lack.
func TestImportMessagesAreInTheCatalog(t *testing.T) {
	t.Parallel()
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, k := range cat.Keys("en") {
		have[k] = true
	}
	keyRe := regexp.MustCompile(`"((?:import|validation|error)\.[a-z_.]+[a-z])"`)
	for _, name := range []string{"admin_import.go", "templates/admin/import.html"} {
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
