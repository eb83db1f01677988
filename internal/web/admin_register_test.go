package web

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"sistercity/internal/auth"
	"sistercity/internal/auth/authtest"
	"sistercity/internal/blob"
	"sistercity/internal/civil"
	"sistercity/internal/db"
	"sistercity/internal/langtext"
	"sistercity/internal/register"
)

// countRows returns the number of rows in table.
func (e *testEnv) countRows(table string) int {
	e.t.Helper()
	var n int
	if err := e.db.R.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// postFile posts a multipart form with one file, adding the session's CSRF token.
func (c *client) postFile(path string, fields map[string]string, filename string, content []byte) (*http.Response, string) {
	c.e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if _, ok := fields["csrf_token"]; !ok {
		_ = mw.WriteField("csrf_token", c.csrf())
	}
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	if filename != "" {
		// The client's Content-Type is deliberately wrong: the server must not trust it.
		fw, err := mw.CreateFormFile("file", filename)
		if err != nil {
			c.e.t.Fatal(err)
		}
		_, _ = fw.Write(content)
	}
	_ = mw.Close()
	return c.do("POST", path, &body, mw.FormDataContentType())
}

// idFrom reads the record id from a redirect to /admin/<what>/<id>?….
func idFrom(t *testing.T, resp *http.Response) int64 {
	t.Helper()
	loc := resp.Header.Get("Location")
	m := regexp.MustCompile(`^/admin/[a-z]+/([0-9]+)`).FindStringSubmatch(loc)
	if resp.StatusCode != http.StatusSeeOther || m == nil {
		t.Fatalf("want a 303 to a record, got %d %q", resp.StatusCode, loc)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

func itoa64(id int64) string { return strconv.FormatInt(id, 10) }

// stPetersburgForm is a complete, valid city form.
func stPetersburgForm() url.Values {
	return url.Values{
		"name_en": {"Saint Petersburg"}, "name_ru": {"Санкт-Петербург"}, "name_ko": {"상트페테르부르크"},
		"description_en":  {"Russia's second city, on the Neva."},
		"extra_lang_0":    {"de"},
		"extra_name_0":    {"Sankt Petersburg"},
		"country":         {"RU"},
		"kind":            {"city"},
		"population":      {"5384342"},
		"area_km2":        {"1439"},
		"stats_as_of":     {"2020-01-01"},
		"founded_on":      {"1703-05-27"},
		"founding_note":   {"Gregorian calendar"},
		"city_day_rule":   {"05-27"},
		"timezone":        {"Europe/Moscow"},
		"wikidata":        {"Q656"},
		"contact_0_name":  {"Committee for External Relations"},
		"contact_0_email": {"kvs@gov.spb.ru"},
	}
}

func with(v url.Values, kv ...string) url.Values {
	out := maps.Clone(v)
	for i := 0; i+1 < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}

func TestAdminCityLifecycle(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, partner, _ := seedVladivostok(t, e)
	editor := e.userClient(auth.RoleEditor)
	ctx := context.Background()

	resp, body := editor.get("/admin/cities")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Vladivostok") || !strings.Contains(body, "<caption>") {
		t.Fatalf("city list: %d\n%s", resp.StatusCode, body)
	}
	if resp, body := editor.get("/admin/cities/new"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `<label for="f-name_en">`) {
		t.Fatalf("new city form: %d", resp.StatusCode)
	}

	resp, _ = editor.post("/admin/cities", stPetersburgForm())
	id := idFrom(t, resp)
	c, err := register.GetCity(ctx, e.db.R, id)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name("ru") != "Санкт-Петербург" || c.Name("de") != "Sankt Petersburg" || *c.Population != 5384342 ||
		c.FoundedOn != civil.MustParse("1703-05-27") || len(c.Contacts) != 1 {
		t.Fatalf("stored city: %+v", c)
	}
	read := c.Version
	resp, body = editor.get(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "The record has been created.") ||
		!strings.Contains(body, `name="version" value="`+itoa64(read)+`"`) || !strings.Contains(body, `value="Sankt Petersburg"`) {
		t.Fatalf("edit page after create: %d\n%s", resp.StatusCode, body)
	}

	// Save with the version read: accepted, version moves on.
	resp, _ = editor.post("/admin/cities/"+itoa64(id), with(stPetersburgForm(), "version", itoa64(read), "population", "5398064"))
	if idFrom(t, resp) != id {
		t.Fatal("update did not redirect to the city")
	}
	c, _ = register.GetCity(ctx, e.db.R, id)
	if *c.Population != 5398064 || c.Version != read+1 {
		t.Fatalf("after update: population %d version %d", *c.Population, c.Version)
	}

	// The same old version again: someone else's change would be lost, so 409 and nothing saved.
	resp, body = editor.post("/admin/cities/"+itoa64(id), with(stPetersburgForm(), "version", itoa64(read), "population", "1"))
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "Someone else changed this record") {
		t.Fatalf("stale save: %d", resp.StatusCode)
	}
	if c, _ = register.GetCity(ctx, e.db.R, id); *c.Population != 5398064 || c.Version != read+1 {
		t.Fatalf("stale save changed the city: %d v%d", *c.Population, c.Version)
	}

	// The audit log keeps both sides of the update.
	entries, err := authtest.AuditLog(ctx, e.db.R, auth.EntityCity, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	var sawUpdate bool
	for _, a := range entries {
		if a.Action == "update" && a.EntityID == id {
			sawUpdate = strings.Contains(a.Before, "5384342") && strings.Contains(a.After, "5398064") && a.Username == "u-editor"
		}
	}
	if !sawUpdate || entries[len(entries)-1].Action != "create" {
		t.Fatalf("audit entries: %+v", entries)
	}

	// A city in a partnership cannot go.
	resp, body = editor.post("/admin/cities/"+itoa64(partner.ID)+"/delete", nil)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "takes part in partnerships and cannot be deleted") {
		t.Fatalf("delete of a city in use: %d", resp.StatusCode)
	}
	if _, err := register.GetCity(ctx, e.db.R, partner.ID); err != nil {
		t.Fatal("the city in use was deleted")
	}
	home, _ := register.HomeCityID(ctx, e.db.R)
	resp, body = editor.post("/admin/cities/"+itoa64(home)+"/delete", nil)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "This is the home city of the site.") {
		t.Fatalf("delete of the home city: %d", resp.StatusCode)
	}
	resp, _ = editor.post("/admin/cities/"+itoa64(id)+"/delete", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/cities?notice=deleted" {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	if _, err := register.GetCity(ctx, e.db.R, id); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("deleted city still there: %v", err)
	}
	if resp, _ := editor.get("/admin/cities/" + itoa64(id)); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("deleted city page: %d", resp.StatusCode)
	}

	// A viewer reads the form without a way to send it.
	viewer := e.userClient(auth.RoleViewer)
	resp, body = viewer.get("/admin/cities/" + itoa64(partner.ID))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "<fieldset disabled>") || strings.Contains(body, `<button type="submit">Save`) {
		t.Fatalf("viewer's city page: %d\n%s", resp.StatusCode, body)
	}
}

func TestAdminCityValidation(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, partner, _ := seedVladivostok(t, e)
	editor := e.userClient(auth.RoleEditor)
	before := e.countRows("cities")
	for _, tt := range []struct {
		name, field, value, want string
	}{
		{"future date", "founded_on", "2030-01-01", "The date must not be in the future."},
		{"before 1900", "stats_as_of", "1899-12-31", "The date must not be before 1900-01-01."},
		{"not a date", "founded_on", "1703-13-45", "Enter a date as YYYY-MM-DD."},
		{"bad country", "country", "XX", "Not a valid country code"},
		{"bad number", "population", "12abc", "Enter a number."},
		{"hex number", "area_km2", "0x1p3", "Enter a number."},
		{"not a number", "area_km2", "NaN", "Enter a number."},
		{"negative", "population", "-5", "The value is outside the possible range."},
		{"no English name", "name_en", "", "This field is required."},
		{"bad language tag", "extra_lang_0", "not a tag!", "Not a valid language tag"},
		{"fixed language again", "extra_lang_0", "ru", "This language already has a name on this form."},
		{"bad e-mail", "contact_0_email", "nobody", "Not a valid e-mail address."},
		{"bad kind", "kind", "village", "Choose one of the offered values."},
		{"bad time zone", "timezone", "Mars/Olympus", "“Mars/Olympus” is not a time zone"},
		{"invalid UTF-8", "description_en", "\xff\xfe", "The text is not valid UTF-8."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := editor.post("/admin/cities", with(stPetersburgForm(), tt.field, tt.value))
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", resp.StatusCode)
			}
			if !strings.Contains(body, tt.want) {
				t.Errorf("no message %q", tt.want)
			}
			if !strings.Contains(body, `aria-invalid="true"`) || !strings.Contains(body, `class="field-error" id="err-`) {
				t.Error("the field is not marked invalid and tied to its message")
			}
			if echoed := strings.HasPrefix(tt.field, "description") || tt.field == "country" || tt.field == "kind"; tt.value != "" && !echoed &&
				!strings.Contains(body, `value="`+tt.value+`"`) {
				t.Errorf("the typed value %q is not shown again", tt.value)
			}
			if !strings.Contains(body, `value="Санкт-Петербург"`) {
				t.Error("the rest of the form is lost")
			}
			if n := e.countRows("cities"); n != before {
				t.Fatalf("cities: %d, want %d", n, before)
			}
		})
	}
	// A message about a contact lands on its row, with blank rows before it.
	resp, body := editor.post("/admin/cities", with(stPetersburgForm(), "contact_0_name", "", "contact_0_email", "",
		"contact_1_name", "A", "contact_2_name", "B", "contact_2_email", "nobody"))
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="err-contact_2"`) || strings.Contains(body, `id="err-contact_1"`) {
		t.Fatalf("contact message on the wrong row: %d", resp.StatusCode)
	}
	// NUL characters mean nothing in a form and PostgreSQL cannot store them: they are dropped.
	resp, _ = editor.post("/admin/cities", with(stPetersburgForm(), "name_ru", "Санкт-\x00Петербург"))
	if c, err := register.GetCity(context.Background(), e.db.R, idFrom(t, resp)); err != nil || c.Name("ru") != "Санкт-Петербург" {
		t.Fatalf("name with NUL: %v %+v", err, c)
	}
	// An invalid edit changes nothing either.
	resp, _ = editor.post("/admin/cities/"+itoa64(partner.ID), with(stPetersburgForm(), "version", itoa64(partner.Version), "founded_on", "2999-01-01"))
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("invalid edit: %d", resp.StatusCode)
	}
	if c, _ := register.GetCity(context.Background(), e.db.R, partner.ID); c.Name("en") != "Vladivostok" || c.Version != partner.Version {
		t.Fatalf("invalid edit saved: %+v", c)
	}
	// A form without its version is not a form of this site.
	if resp, _ := editor.post("/admin/cities/"+itoa64(partner.ID), stPetersburgForm()); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("edit without version: %d", resp.StatusCode)
	}
}

// addCity registers a city directly.
func addCity(t testing.TB, e *testEnv, en, country string) *register.City {
	t.Helper()
	c := &register.City{Country: country, Kind: register.KindCity, Texts: []register.Text{{Lang: "en", Name: en}}}
	e.inTx(func(tx *sql.Tx) error { return register.CreateCity(context.Background(), tx, c) })
	return c
}

func partnershipValues(partner int64) url.Values {
	return url.Values{
		"partner_city_id":      {itoa64(partner)},
		"type":                 {"sister"},
		"signed_on":            {"1992-06-30"},
		"signed_at.en":         {"Busan"},
		"signed_at.ko":         {"부산"},
		"signatory_0_side":     {"home"},
		"signatory_0_name.en":  {"Mayor of Busan"},
		"signatory_0_name.ko":  {"부산광역시장"},
		"signatory_0_title.en": {"Mayor"},
		"signatory_1_side":     {"partner"}, // a blank row: ignored
		"council_approved_on":  {"1992-05-20"},
		"areas":                {"culture", "health"},
		"status":               {"active"},
	}
}

func TestAdminPartnershipLifecycle(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	home, vlad, _ := seedVladivostok(t, e)
	spb := addCity(t, e, "Saint Petersburg", "RU")
	editor := e.userClient(auth.RoleEditor)
	ctx := context.Background()

	resp, body := editor.get("/admin/partnerships")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Vladivostok") || !strings.Contains(body, "28 years") {
		t.Fatalf("partnership list: %d\n%s", resp.StatusCode, body)
	}
	resp, _ = editor.post("/admin/partnerships", partnershipValues(spb.ID))
	id := idFrom(t, resp)
	p, err := register.GetPartnership(ctx, e.db.R, id)
	if err != nil {
		t.Fatal(err)
	}
	if p.HomeCityID != home.ID || len(p.Signatories) != 1 || !slices.Equal(p.Areas, []string{"culture", "health"}) ||
		len(p.History) != 1 || p.CouncilApprovedOn != civil.MustParse("1992-05-20") {
		t.Fatalf("stored partnership: %+v", p)
	}

	n := e.countRows("partnerships")
	for _, tt := range []struct {
		name string
		form url.Values
		want string
	}{
		{"duplicate", partnershipValues(vlad.ID), "These two cities already have a partnership of this type."},
		{"with itself", partnershipValues(home.ID), "A city cannot partner with itself."},
		{"unknown city", partnershipValues(9999), "Choose one of the offered values."},
		{"before 1900", with(partnershipValues(spb.ID), "type", "friendship", "signed_on", "1899-12-31"), "The date must not be before 1900-01-01."},
		{"future", with(partnershipValues(spb.ID), "type", "friendship", "council_approved_on", "2021-01-01"), "The date must not be in the future."},
		{"bad date", with(partnershipValues(spb.ID), "type", "friendship", "signed_on", "30.06.1992"), "Enter a date as YYYY-MM-DD."},
		{"bad area", with(partnershipValues(spb.ID), "type", "friendship", "areas", "piracy"), "Choose one of the offered values."},
	} {
		resp, body := editor.post("/admin/partnerships", tt.form)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d, want 422 with %q", tt.name, resp.StatusCode, tt.want)
		}
		if got := e.countRows("partnerships"); got != n {
			t.Fatalf("%s: %d partnerships, want %d", tt.name, got, n)
		}
	}

	// A change of status goes into the history with its date and reason.
	read := p.Version
	edit := with(partnershipValues(spb.ID), "version", itoa64(read), "status", "dormant", "status_changed_on", "2020-03-01",
		"status_reason.en", "Exchanges paused by COVID-19", "status_reason.ru", "Обмены приостановлены из-за COVID-19")
	resp, _ = editor.post("/admin/partnerships/"+itoa64(id), edit)
	if idFrom(t, resp) != id {
		t.Fatal("update did not redirect to the partnership")
	}
	p, _ = register.GetPartnership(ctx, e.db.R, id)
	if p.Status != "dormant" || len(p.History) != 2 || !langtext.Equal(p.History[1].Reason, langtext.Texts{"en": "Exchanges paused by COVID-19", "ru": "Обмены приостановлены из-за COVID-19"}) ||
		p.History[1].ChangedOn != civil.MustParse("2020-03-01") {
		t.Fatalf("history after the change: %+v", p.History)
	}
	_, body = editor.get("/admin/partnerships/" + itoa64(id))
	if !strings.Contains(body, "Exchanges paused by COVID-19") || !strings.Contains(body, "1 March 2020") {
		t.Fatal("the edit page does not show the status history")
	}
	// Stale, future change date, duplicate on edit: refused, nothing saved.
	if resp, _ := editor.post("/admin/partnerships/"+itoa64(id), with(edit, "status", "ended")); resp.StatusCode != http.StatusConflict {
		t.Fatalf("stale partnership save: %d", resp.StatusCode)
	}
	if resp, _ := editor.post("/admin/partnerships/"+itoa64(id), with(edit, "version", itoa64(read+1), "status", "ended", "status_changed_on", "2020-08-01")); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status change in the future: %d", resp.StatusCode)
	}
	if resp, body := editor.post("/admin/partnerships/"+itoa64(id), with(edit, "version", itoa64(read+1), "partner_city_id", itoa64(vlad.ID))); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "already have a partnership") {
		t.Fatalf("edit into a duplicate: %d", resp.StatusCode)
	}
	if p, _ = register.GetPartnership(ctx, e.db.R, id); p.Status != "dormant" || p.Version != read+1 || p.PartnerCityID != spb.ID {
		t.Fatalf("a refused edit changed the partnership: %+v", p)
	}

	resp, _ = editor.post("/admin/partnerships/"+itoa64(id)+"/delete", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	if got := e.countRows("partnerships"); got != n-1 {
		t.Fatalf("after delete: %d partnerships", got)
	}
	entries, _ := authtest.AuditLog(ctx, e.db.R, auth.EntityPartnership, 10, 0)
	if len(entries) != 3 || entries[0].Action != "delete" || !strings.Contains(entries[0].Before, "Exchanges paused") || entries[0].After != "" {
		t.Fatalf("partnership audit: %+v", entries)
	}
}

func TestAdminHomeCity(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	busan := addCity(t, e, "Busan", "KR")
	admin := e.userClient(auth.RoleAdmin)

	resp, body := admin.get("/admin/partnerships/new")
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "The home city is not set.") || !strings.Contains(body, "/admin/cities#home-city") {
		t.Fatalf("new partnership without a home city: %d", resp.StatusCode)
	}
	if resp, _ := admin.post("/admin/partnerships", partnershipValues(busan.ID)); resp.StatusCode != http.StatusConflict {
		t.Fatalf("create without a home city: %d", resp.StatusCode)
	}
	if resp, body := admin.post("/admin/settings/home-city", url.Values{"city_id": {"999"}}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="err-city_id"`) {
		t.Fatalf("unknown home city: %d", resp.StatusCode)
	}
	resp, _ = admin.post("/admin/settings/home-city", url.Values{"city_id": {itoa64(busan.ID)}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("set home city: %d", resp.StatusCode)
	}
	if id, err := register.HomeCityID(context.Background(), e.db.R); err != nil || id != busan.ID {
		t.Fatalf("home city: %d %v", id, err)
	}
	_, body = admin.get("/admin/cities")
	if !strings.Contains(body, "home city</span>") {
		t.Fatal("the city list does not mark the home city")
	}
}

// recordingStore keeps track of the keys in a blob.Store, and can fail a step on purpose.
type recordingStore struct {
	blob.Store
	mu       sync.Mutex
	keys     map[string]bool
	afterPut func()
}

func (s *recordingStore) Put(ctx context.Context, key string, r io.Reader) error {
	if err := s.Store.Put(ctx, key, r); err != nil {
		return err
	}
	s.mu.Lock()
	s.keys[key] = true
	s.mu.Unlock()
	if s.afterPut != nil {
		s.afterPut()
	}
	return nil
}

func (s *recordingStore) Delete(ctx context.Context, key string) error {
	s.mu.Lock()
	delete(s.keys, key)
	s.mu.Unlock()
	return s.Store.Delete(ctx, key)
}

func (s *recordingStore) stored() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.keys)
}

func recordStore(e *testEnv) *recordingStore {
	rs := &recordingStore{Store: e.srv.docs, keys: map[string]bool{}}
	e.srv.docs = rs
	return rs
}

// pdf makes a small PDF-looking file of about size bytes.
func pdf(size int) []byte {
	b := []byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	for len(b) < size {
		b = append(b, byte(len(b)*7), '\n')
	}
	return b[:size]
}

func TestAdminDocuments(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	store := recordStore(e)
	editor := e.userClient(auth.RoleEditor)
	base := "/admin/partnerships/" + itoa64(p.ID)

	content := pdf(40 << 10)
	resp, body := editor.postFile(base+"/documents", map[string]string{"title": "Agreement of 1992"}, "Соглашение 1992.pdf", content)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload: %d\n%s", resp.StatusCode, body)
	}
	stored, _ := register.GetPartnership(context.Background(), e.db.R, p.ID)
	if len(stored.Documents) != 1 || store.stored() != 1 {
		t.Fatalf("documents: %d rows, %d files", len(stored.Documents), store.stored())
	}
	d := stored.Documents[0]
	if d.ContentType != "application/pdf" || d.Size != int64(len(content)) || !strings.HasPrefix(d.StorageKey, "documents/"+itoa64(p.ID)+"/") {
		t.Fatalf("document record: %+v", d)
	}
	// Any signed-in user may download it, byte for byte, as an attachment.
	viewer := e.userClient(auth.RoleViewer)
	resp, body = viewer.get(base + "/documents/" + itoa64(d.ID))
	if resp.StatusCode != http.StatusOK || body != string(content) {
		t.Fatalf("download: %d, %d bytes", resp.StatusCode, len(body))
	}
	h := resp.Header
	if h.Get("Content-Type") != "application/pdf" || h.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.HasPrefix(h.Get("Content-Disposition"), "attachment; filename*=utf-8''%D0%A1") {
		t.Fatalf("download headers: %v", h)
	}
	if _, body := editor.get(base); !strings.Contains(body, "Agreement of 1992") || !strings.Contains(body, "40 KB") {
		t.Fatal("the edit page does not list the document")
	}
	// A viewer sees the documents and the record, and no form that would change them.
	_, body = viewer.get(base)
	if !strings.Contains(body, base+"/documents/"+itoa64(d.ID)) || strings.Contains(body, `enctype="multipart/form-data"`) ||
		strings.Contains(body, "/delete") || !strings.Contains(body, "<fieldset disabled>") {
		t.Fatal("the viewer's partnership page offers changes")
	}

	for _, tt := range []struct {
		name, filename string
		content        []byte
		status         int
		want           string
	}{
		{"too large", "big.pdf", pdf(1<<20 + 1), http.StatusRequestEntityTooLarge, "The upload is too large."},
		{"text renamed .pdf", "notes.pdf", []byte("just some text, not a PDF at all\n"), http.StatusUnsupportedMediaType, "Only PDF, JPEG, PNG and WebP files are accepted."},
		{"png named .pdf", "photo.pdf", []byte("\x89PNG\r\n\x1a\n0000000000000000"), http.StatusUnsupportedMediaType, "Only PDF"},
		{"pdf named .exe", "setup.exe", pdf(100), http.StatusUnsupportedMediaType, "Only PDF"},
		{"html named .png", "x.png", []byte("<html><script>alert(1)</script>"), http.StatusUnsupportedMediaType, "Only PDF"},
		{"empty", "empty.pdf", nil, http.StatusUnprocessableEntity, "The file is empty."},
		{"no file", "", nil, http.StatusUnprocessableEntity, "This field is required."},
	} {
		resp, body := editor.postFile(base+"/documents", map[string]string{"title": tt.name}, tt.filename, tt.content)
		if resp.StatusCode != tt.status || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d, want %d with %q", tt.name, resp.StatusCode, tt.status, tt.want)
		}
		if n := e.countRows("partnership_documents"); n != 1 || store.stored() != 1 {
			t.Fatalf("%s: %d rows, %d files after a refused upload", tt.name, n, store.stored())
		}
	}
	if resp, _ := editor.postFile(base+"/documents", map[string]string{"title": ""}, "a.pdf", pdf(100)); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("upload without a title: %d", resp.StatusCode)
	}
	// Above the body limit the middleware refuses before any handler.
	if resp, _ := editor.postFile(base+"/documents", map[string]string{"title": "huge"}, "huge.pdf", pdf(int(e.srv.maxMultipartBytes())+1)); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("upload above the body limit: %d", resp.StatusCode)
	}

	resp, _ = editor.post(base+"/documents/"+itoa64(d.ID)+"/delete", nil)
	if resp.StatusCode != http.StatusSeeOther || e.countRows("partnership_documents") != 0 || store.stored() != 0 {
		t.Fatalf("delete: %d, %d files left", resp.StatusCode, store.stored())
	}
	if resp, _ := viewer.get(base + "/documents/" + itoa64(d.ID)); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("download of a deleted document: %d", resp.StatusCode)
	}
	entries, _ := authtest.AuditLog(context.Background(), e.db.R, auth.EntityDocument, 10, 0)
	if len(entries) != 2 || entries[0].Action != "delete" || !strings.Contains(entries[1].After, `"sha256"`) {
		t.Fatalf("document audit: %+v", entries)
	}

	// Deleting the partnership deletes its documents' files too, after the commit.
	if resp, _ := editor.postFile(base+"/documents", map[string]string{"title": "Agreement"}, "a.pdf", pdf(100)); resp.StatusCode != http.StatusSeeOther || store.stored() != 1 {
		t.Fatalf("upload before the partnership's deletion: %d, %d files", resp.StatusCode, store.stored())
	}
	if resp, _ := editor.post(base+"/delete", nil); resp.StatusCode != http.StatusSeeOther || store.stored() != 0 {
		t.Fatalf("partnership delete: %d, %d files left", resp.StatusCode, store.stored())
	}
}

// TestAdminDocumentRollsBack makes the transaction fail after the file is stored: the file
// must go too.
func TestAdminDocumentRollsBack(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	store := recordStore(e)
	editor := e.userClient(auth.RoleEditor)
	store.afterPut = func() {
		// The partnership disappears between the upload and its record.
		if _, err := e.db.W.Exec("DELETE FROM partnership_status_history WHERE partnership_id = $1", p.ID); err != nil {
			t.Error(err)
		}
		if _, err := e.db.W.Exec("DELETE FROM partnerships WHERE id = $1", p.ID); err != nil {
			t.Error(err)
		}
	}
	resp, _ := editor.postFile("/admin/partnerships/"+itoa64(p.ID)+"/documents", map[string]string{"title": "x"}, "x.pdf", pdf(1000))
	if resp.StatusCode < 400 {
		t.Fatalf("upload into a vanished partnership: %d", resp.StatusCode)
	}
	if n := e.countRows("partnership_documents"); n != 0 || store.stored() != 0 {
		t.Fatalf("half saved: %d rows, %d files", n, store.stored())
	}
}

func TestAdminDateClaims(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	editor := e.userClient(auth.RoleEditor)
	base := "/admin/partnerships/" + itoa64(p.ID)
	claim := url.Values{"claim_city": {"partner"}, "claim_on": {"1992-07-01"}, "claim_source": {"Vladivostok city administration"}}
	for _, tt := range []struct {
		name string
		form url.Values
		want string
	}{
		{"no source", with(claim, "claim_source", ""), "This field is required."},
		{"no date", with(claim, "claim_on", ""), "This field is required."},
		{"future", with(claim, "claim_on", "2021-01-01"), "The date must not be in the future."},
		{"third city", with(claim, "claim_city", "other"), "Choose one of the offered values."},
	} {
		resp, body := editor.post(base+"/claims", tt.form)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d, want 422 with %q", tt.name, resp.StatusCode, tt.want)
		}
	}
	if n := e.countRows("partnership_date_claims"); n != 0 {
		t.Fatalf("refused claims saved: %d", n)
	}
	resp, _ := editor.post(base+"/claims", claim)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("claim: %d", resp.StatusCode)
	}
	_, body := editor.get(base)
	if !strings.Contains(body, "Vladivostok city administration") || !strings.Contains(body, "1 July 1992") {
		t.Fatal("the claim is not listed")
	}
	stored, _ := register.GetPartnership(context.Background(), e.db.R, p.ID)
	resp, _ = editor.post(base+"/claims/"+itoa64(stored.DateClaims[0].ID)+"/delete", nil)
	if resp.StatusCode != http.StatusSeeOther || e.countRows("partnership_date_claims") != 0 {
		t.Fatalf("delete claim: %d", resp.StatusCode)
	}
	if entries, _ := authtest.AuditLog(context.Background(), e.db.R, auth.EntityDateClaim, 10, 0); len(entries) != 2 {
		t.Fatalf("claim audit: %+v", entries)
	}
}
