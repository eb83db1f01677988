package web

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"sistercity/internal/auth"
	"sistercity/internal/auth/authtest"
	"sistercity/internal/civil"
	"sistercity/internal/exchange"
	"sistercity/internal/register"
)

// busanDayValues is a complete, valid activity form: Busan Day in Vladivostok, planned in
// person from 11:00 to 18:00 Vladivostok time.
func busanDayValues(partnership int64) url.Values {
	return url.Values{
		"kind":                {"cultural_event"},
		"status":              {"planned"},
		"mode":                {"in_person"},
		"organiser_kind":      {"city"},
		"partnerships":        {itoa64(partnership)},
		"title_en":            {"Busan Day in Vladivostok"},
		"title_ru":            {"День Пусана во Владивостоке"},
		"summary_en":          {"A cultural event that presents Busan."},
		"extra_lang_0":        {"de"},
		"extra_title_0":       {"Busan-Tag in Wladiwostok"},
		"planned_start_date":  {"2020-07-04"},
		"planned_start_time":  {"11:00"},
		"planned_start_zone":  {"Asia/Vladivostok"},
		"planned_end_date":    {"2020-07-04"},
		"planned_end_time":    {"18:00"},
		"planned_end_zone":    {"Asia/Vladivostok"},
		"venue.en":            {"Vladivostok"},
		"venue.ru":            {"Владивосток"},
		"participant_0_name":  {"Busan Cultural Foundation"},
		"participant_0_role":  {"Performers"},
		"topics":              {"culture\ntourism\n"},
		"status_changed_on":   {"2020-01-20"},
		"status_reason.en":    {"Part of the Eurasian campaign"},
		"participant_1_name":  {""},
		"participant_1_role":  {""},
		"extra_lang_1":        {""},
		"actual_start_date":   {""},
		"organiser_name":      {""},
		"planned_end_zone_xx": {"ignored"},
	}
}

func activityCount(t *testing.T, e *testEnv) int {
	t.Helper()
	list, err := exchange.List(context.Background(), e.db.R)
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

func auditCount(t *testing.T, e *testEnv, entity auth.Entity) int {
	t.Helper()
	entries, err := authtest.AuditLog(context.Background(), e.db.R, entity, 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

func TestAdminActivityLifecycle(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	home, _, p := seedVladivostok(t, e)
	editor := e.userClient(auth.RoleEditor)
	ctx := context.Background()
	home.Timezone = "Asia/Seoul"
	e.inTx(func(tx *sql.Tx) error { return register.UpdateCity(ctx, tx, home) })

	resp, body := editor.get("/admin/activities/new?partnership=" + itoa64(p.ID))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="planned_start_zone"`) {
		t.Fatalf("new activity form: %d", resp.StatusCode)
	}
	resp, _ = editor.post("/admin/activities", busanDayValues(p.ID))
	id := idFrom(t, resp)
	a, err := exchange.Get(ctx, e.db.R, id)
	if err != nil {
		t.Fatal(err)
	}
	// 11:00 in Vladivostok (UTC+10) is 01:00 UTC, and 10:00 in Busan.
	if !a.Planned.Start.At.Equal(time.Date(2020, 7, 4, 1, 0, 0, 0, time.UTC)) || a.Planned.Start.Zone != "Asia/Vladivostok" {
		t.Errorf("planned start: %+v", a.Planned.Start)
	}
	if a.FirstMode != exchange.ModeInPerson || len(a.Texts) != 3 || len(a.Topics) != 2 || len(a.Participants) != 1 {
		t.Errorf("stored: %+v", a)
	}
	if len(a.History) != 1 || a.History[0].ChangedOn != civil.MustParse("2020-01-20") || a.History[0].Reason["en"] != "Part of the Eurasian campaign" {
		t.Errorf("first history entry: %+v", a.History)
	}
	if n := auditCount(t, e, auth.EntityActivity); n != 1 {
		t.Errorf("audit entries: %d", n)
	}
	_, body = editor.get("/admin/activities/" + itoa64(id))
	for _, want := range []string{`value="11:00"`, `value="Asia/Vladivostok"`, "Busan-Tag in Wladiwostok", "Busan Cultural Foundation"} {
		if !strings.Contains(body, want) {
			t.Errorf("edit page lacks %q", want)
		}
	}
	_, body = editor.get("/admin/activities?lang=en")
	if !strings.Contains(body, "4 July 2020, 11:00–18:00 (Asia/Vladivostok) · 4 July 2020, 10:00 in Busan") {
		t.Errorf("list does not show the time in Vladivostok and in Busan:\n%s", body)
	}

	// Switched to online because of COVID-19: the history grows, the mode first planned stays.
	read := a.Version
	v := busanDayValues(p.ID)
	v.Set("version", itoa64(read))
	v.Set("status", "switched_online")
	v.Set("mode", "online")
	v.Set("first_mode", "in_person")
	v.Set("status_changed_on", "2020-07-10")
	v.Set("status_reason.en", "COVID-19: no face-to-face events")
	resp, body = editor.post("/admin/activities/"+itoa64(id), v)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("switch to online: %d\n%s", resp.StatusCode, body)
	}
	a, _ = exchange.Get(ctx, e.db.R, id)
	if a.Mode != exchange.ModeOnline || a.FirstMode != exchange.ModeInPerson || len(a.History) != 2 ||
		a.History[1].Status != exchange.StatusSwitchedOnline || a.History[1].Reason["en"] != "COVID-19: no face-to-face events" {
		t.Fatalf("after the switch: %+v", a)
	}
	_, body = editor.get("/admin/activities/" + itoa64(id) + "?lang=en")
	if !strings.Contains(body, "Switched to online on 10 July 2020.") || !strings.Contains(body, "Reason: COVID-19: no face-to-face events") {
		t.Errorf("the page does not tell the switch and its reason")
	}

	// Someone still holding the version first read gets a 409 with the form as typed; nothing changes.
	v.Set("venue.en", "Stale venue")
	resp, body = editor.post("/admin/activities/"+itoa64(id), v)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "Stale venue") {
		t.Fatalf("stale edit: %d", resp.StatusCode)
	}
	if a, _ := exchange.Get(ctx, e.db.R, id); a.Venue["en"] != "Vladivostok" || a.Venue["ru"] != "Владивосток" || a.Version != read+1 {
		t.Errorf("stale edit saved: %+v", a)
	}

	// A viewer reads the page but gets no form to change it.
	viewer := e.userClient(auth.RoleViewer)
	resp, body = viewer.get("/admin/activities/" + itoa64(id))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "<fieldset disabled>") {
		t.Errorf("viewer: %d", resp.StatusCode)
	}
	if resp, _ := viewer.post("/admin/activities/"+itoa64(id), v); resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer saves: %d", resp.StatusCode)
	}

	resp, _ = editor.post("/admin/activities/"+itoa64(id)+"/delete", nil)
	if resp.StatusCode != http.StatusSeeOther || activityCount(t, e) != 0 {
		t.Fatalf("delete: %d, %d left", resp.StatusCode, activityCount(t, e))
	}
}

// TestAdminActivityBadInput sends forms with each kind of mistake: each is refused with a 4xx
// and a message in the reader's language next to its field, and nothing is saved.
func TestAdminActivityBadInput(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	home, _, p := seedVladivostok(t, e)
	spb := addCity(t, e, "Saint Petersburg", "RU")
	ended := &register.Partnership{HomeCityID: home.ID, PartnerCityID: spb.ID, Type: register.TypeFriendship,
		SignedOn: civil.MustParse("2000-01-01"), Status: register.StatusActive}
	ctx := context.Background()
	e.inTx(func(tx *sql.Tx) error {
		if err := register.CreatePartnership(ctx, tx, ended, 0); err != nil {
			return err
		}
		ended.Status = register.StatusEnded
		return register.UpdatePartnership(ctx, tx, ended, civil.MustParse("2015-03-01"), nil, 0)
	})
	editor := e.userClient(auth.RoleEditor)
	editor.lang = "ru"
	tests := []struct {
		name   string
		kv     []string
		status int
		want   string
	}{
		{"end before start", []string{"planned_end_time", "10:00"}, 422, "Окончание раньше начала."},
		{"time without zone", []string{"planned_start_zone", ""}, 422, "Для времени нужен часовой пояс"},
		{"unknown zone", []string{"planned_start_zone", "Asia/Atlantis"}, 422, "«Asia/Atlantis» — не часовой пояс"},
		{"bad time", []string{"planned_start_time", "25:00"}, 422, "Введите время в виде ЧЧ:ММ"},
		{"all day and timed", []string{"planned_end_time", ""}, 422, "ни для одного из них"},
		{"no date", []string{"planned_start_date", "", "planned_start_time", "", "planned_end_date", "", "planned_end_time", ""}, 422, "Укажите хотя бы запланированную дату начала."},
		{"ended partnership", []string{"partnerships", itoa64(ended.ID)}, 422, "Соглашение с городом Saint Petersburg прекращено 1 марта 2015 г."},
		{"no partnership", []string{"partnerships", ""}, 422, "Свяжите мероприятие хотя бы с одним соглашением."},
		{"unknown partnership", []string{"partnerships", "9999"}, 422, "Выберите одно из предложенных значений."},
		{"no title", []string{"title_en", "", "title_ru", "", "extra_title_0", "", "summary_en", ""}, 422, "Укажите название хотя бы на одном языке."},
		{"switched but in person", []string{"status", "switched_online"}, 422, "не может быть очным"},
		{"actual in the future", []string{"actual_start_date", "2020-08-01"}, 422, "Фактическое начало не может быть в будущем"},
		{"unknown kind", []string{"kind", "party"}, 422, "Выберите одно из предложенных значений."},
		{"parent that is no campaign", []string{"parent_id", "1"}, 422, ""},
	}
	for _, tt := range tests {
		v := with(busanDayValues(p.ID), tt.kv...)
		if tt.name == "parent that is no campaign" {
			// An activity that exists but is no campaign.
			resp, _ := editor.post("/admin/activities", busanDayValues(p.ID))
			v.Set("parent_id", itoa64(idFrom(t, resp)))
		}
		before, audits := activityCount(t, e), auditCount(t, e, "")
		resp, body := editor.post("/admin/activities", v)
		if resp.StatusCode != tt.status {
			t.Errorf("%s: %d, want %d", tt.name, resp.StatusCode, tt.status)
			continue
		}
		if tt.want != "" && !strings.Contains(body, tt.want) {
			t.Errorf("%s: message %q not found", tt.name, tt.want)
		}
		if !strings.Contains(body, `class="field-error"`) {
			t.Errorf("%s: no message next to a field", tt.name)
		}
		if activityCount(t, e) != before || auditCount(t, e, "") != audits {
			t.Errorf("%s: something was saved", tt.name)
		}
	}
	// An activity of 2010 may still be recorded for the partnership that ended in 2015.
	v := with(busanDayValues(p.ID), "partnerships", itoa64(ended.ID), "planned_start_date", "2010-05-01",
		"planned_end_date", "2010-05-01")
	if resp, body := editor.post("/admin/activities", v); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("an activity from before the end: %d\n%s", resp.StatusCode, body)
	}
	// A version that is no number is a bad request.
	if resp, _ := editor.post("/admin/activities/1", with(busanDayValues(p.ID), "version", "x")); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad version: %d", resp.StatusCode)
	}
}

func TestAdminChecklist(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	editor := e.userClient(auth.RoleEditor)
	ctx := context.Background()
	resp, _ := editor.post("/admin/activities", with(busanDayValues(p.ID), "kind", "outbound_visit"))
	id := idFrom(t, resp)
	base := "/admin/activities/" + itoa64(id)

	if resp, _ := editor.post(base+"/checklist/standard", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("standard items: %d", resp.StatusCode)
	}
	items, _ := exchange.Checklist(ctx, e.db.R, id)
	if len(items) != 6 {
		t.Fatalf("%d standard items", len(items))
	}
	// A custom item needs its name; a user and a name at once are refused.
	resp, body := editor.post(base+"/checklist", url.Values{"item": {"custom"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="err-item_label"`) {
		t.Errorf("custom item without a name: %d", resp.StatusCode)
	}
	editorID := itoa64(userID(t, e, "u-editor"))
	resp, _ = editor.post(base+"/checklist", url.Values{"item": {"custom"}, "label": {"Airport pick-up"},
		"assignee_user": {editorID}, "assignee_name": {"Protocol team"}})
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("two assignees: %d", resp.StatusCode)
	}
	resp, _ = editor.post(base+"/checklist", url.Values{"item": {"custom"}, "label": {"Airport pick-up"},
		"assignee_user": {editorID}, "due_on": {"2020-07-01"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("custom item: %d", resp.StatusCode)
	}
	_, body = editor.get(base + "?lang=en")
	if !strings.Contains(body, "Airport pick-up") || !strings.Contains(body, "overdue") || !strings.Contains(body, "u-editor") {
		t.Errorf("checklist on the page:\n%s", body)
	}
	items, _ = exchange.Checklist(ctx, e.db.R, id)
	gifts := items[2]
	itemPath := base + "/checklist/" + itoa64(gifts.ID)
	if resp, _ := editor.post(itemPath+"/done", url.Values{"done": {"1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("mark done: %d", resp.StatusCode)
	}
	if resp, _ := editor.post(itemPath+"/done", url.Values{"done": {"maybe"}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("done=maybe: %d", resp.StatusCode)
	}
	got, _ := exchange.GetItem(ctx, e.db.R, id, gifts.ID)
	if !got.Done || got.Version != gifts.Version+1 {
		t.Fatalf("after done: %+v", got)
	}
	// The edit form read before it was marked done is now stale.
	resp, _ = editor.post(itemPath, url.Values{"version": {itoa64(gifts.Version)}, "item": {"gifts"}, "assignee_name": {"Protocol team"}})
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("stale item: %d", resp.StatusCode)
	}
	resp, body = editor.post(itemPath, url.Values{"version": {itoa64(got.Version)}, "item": {"gifts"}, "assignee_name": {"Protocol team"},
		"label": {"Busan souvenirs"}, "done": {"1"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit item: %d\n%s", resp.StatusCode, body)
	}
	got, _ = exchange.GetItem(ctx, e.db.R, id, gifts.ID)
	if got.AssigneeName != "Protocol team" || got.Label != "Busan souvenirs" || !got.Done {
		t.Errorf("edited item: %+v", got)
	}
	if resp, _ := editor.get(itemPath); resp.StatusCode != http.StatusOK {
		t.Errorf("item page: %d", resp.StatusCode)
	}
	if resp, _ := editor.post(itemPath+"/delete", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("delete item: %d", resp.StatusCode)
	}
	if items, _ := exchange.Checklist(ctx, e.db.R, id); len(items) != 6 {
		t.Errorf("%d items after delete", len(items))
	}
	// An item of another activity is not found through this one.
	if resp, _ := editor.get("/admin/activities/999/checklist/" + itoa64(items[0].ID)); resp.StatusCode != http.StatusNotFound {
		t.Errorf("item through another activity: %d", resp.StatusCode)
	}
}

func TestAdminActivityMinutes(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	store := recordStore(e)
	editor := e.userClient(auth.RoleEditor)
	resp, _ := editor.post("/admin/activities", busanDayValues(p.ID))
	id := idFrom(t, resp)
	base := "/admin/activities/" + itoa64(id)
	content := pdf(20 << 10)
	resp, body := editor.postFile(base+"/minutes", map[string]string{"title": "Minutes"}, "протокол.pdf", content)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload: %d\n%s", resp.StatusCode, body)
	}
	a, _ := exchange.Get(context.Background(), e.db.R, id)
	if len(a.Documents) != 1 || store.stored() != 1 || !strings.HasPrefix(a.Documents[0].StorageKey, "activities/"+itoa64(id)+"/") {
		t.Fatalf("minutes: %+v, %d files", a.Documents, store.stored())
	}
	resp, body = editor.get(base + "/minutes/" + itoa64(a.Documents[0].ID))
	if resp.StatusCode != http.StatusOK || body != string(content) || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("download: %d %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}
	// A file that is not what its name says is refused, and nothing is kept.
	resp, _ = editor.postFile(base+"/minutes", map[string]string{"title": "Fake"}, "fake.pdf", []byte("<html>not a pdf</html>"))
	if resp.StatusCode != http.StatusUnsupportedMediaType || store.stored() != 1 {
		t.Errorf("fake pdf: %d, %d files", resp.StatusCode, store.stored())
	}
	resp, _ = editor.post(base+"/minutes/"+itoa64(a.Documents[0].ID)+"/delete", nil)
	if resp.StatusCode != http.StatusSeeOther || store.stored() != 0 {
		t.Errorf("delete: %d, %d files", resp.StatusCode, store.stored())
	}
	// Deleting the activity deletes its files too.
	if resp, _ := editor.postFile(base+"/minutes", map[string]string{"title": "Programme"}, "p.pdf", content); resp.StatusCode != http.StatusSeeOther || store.stored() != 1 {
		t.Fatalf("upload before the activity's deletion: %d, %d files", resp.StatusCode, store.stored())
	}
	if resp, _ := editor.post(base+"/delete", nil); resp.StatusCode != http.StatusSeeOther || store.stored() != 0 {
		t.Errorf("activity delete: %d, %d files left", resp.StatusCode, store.stored())
	}
}
