package web

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"sistercity/internal/auth"
	"sistercity/internal/register"
)

// auditAt writes n entries of the audit log at the moment at, by user (nil: the system).
func auditAt(t *testing.T, e *testEnv, at time.Time, userID any, username, action, entity string, id int64, before, after string, n int) {
	t.Helper()
	e.inTx(func(tx *sql.Tx) error {
		for range n {
			if _, err := tx.ExecContext(context.Background(), `INSERT INTO audit_log (at, user_id, username, action, entity, entity_id, before, after)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, at, userID, username, action, entity, id, before, after); err != nil {
				return err
			}
		}
		return nil
	})
}

var currentPageRe = regexp.MustCompile(`aria-current="page">([0-9]+)<`)

// TestAuditLogReadable: the audit log names actions, records and fields in the reader's words
// (unknown names shown raw and marked), shows times in the home city's zone and names it, and
// filters by user, record and days of that zone; any page number lands on a real page and a
// filter it cannot read is refused on its field, never a 500.
func TestAuditLogReadable(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	admin := e.userClient(auth.RoleAdmin)
	ctx := context.Background()
	busan := &register.City{Country: "KR", Kind: register.KindCity, Timezone: "Asia/Seoul",
		Texts: []register.Text{{Lang: "en", Name: "Busan"}}}
	e.inTx(func(tx *sql.Tx) error {
		if err := register.CreateCity(ctx, tx, busan); err != nil {
			return err
		}
		return register.SetHomeCity(ctx, tx, busan.ID)
	})
	me := userID(t, e, "u-admin")
	// 15:30 UTC on 1 July is 00:30 on 2 July in Seoul.
	auditAt(t, e, time.Date(2020, 7, 1, 15, 30, 0, 0, time.UTC), me, "u-admin", "update", "city", 7,
		`{"name":"Old","population":1,"home":false}`, `{"name":"New","population":1,"home":true,"mystery":"x"}`, 60)
	auditAt(t, e, time.Date(2020, 6, 30, 10, 0, 0, 0, time.UTC), nil, "system", "frobnicate", "video", 3, "", `{"title":"Hi"}`, 7)

	get := func(path string, want int) string {
		t.Helper()
		resp, body := admin.get(path)
		if resp.StatusCode != want {
			t.Fatalf("%s: %d, want %d\n%s", path, resp.StatusCode, want, body)
		}
		return body
	}

	body := get("/admin/audit?entity=city&entity_id=7", http.StatusOK)
	for _, want := range []string{
		"Showing 1–50 of 60 entries", ">Changed<", "City", "Name", "Old", "New", "yes",
		"<code>mystery</code> <span class=\"raw-name\">(internal name)</span>",
		"KST", "Asia/Seoul", "Busan",
		`<nav class="pager" aria-label="Pages">`, `aria-current="page">1<`,
		`href="/admin/audit?entity=city&amp;entity_id=7&amp;page=2" rel="next"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("record 7's log lacks %q", want)
		}
	}
	if strings.Contains(body, "<dt>Population</dt>") {
		t.Error("an unchanged field is listed as a change")
	}
	if !strings.Contains(body, "2 July 2020, 00:30 KST") {
		t.Errorf("time not in Seoul's zone:\n%s", body)
	}

	// Days are the home city's: 2 July in Seoul holds the 60 changes made on 1 July in UTC.
	body = get("/admin/audit?from=2020-07-02&to=2020-07-02", http.StatusOK)
	if !strings.Contains(body, "of 60 entries") {
		t.Errorf("2 July in Seoul: want the 60 city changes")
	}
	body = get("/admin/audit?to=2020-07-01", http.StatusOK)
	if !strings.Contains(body, "Showing 1–7 of 7 entries") {
		t.Errorf("up to 1 July in Seoul: want the 7 video entries only")
	}

	body = get("/admin/audit?user=system", http.StatusOK)
	if !strings.Contains(body, "Showing 1–7 of 7 entries") || !strings.Contains(body, "<code>frobnicate</code>") ||
		!strings.Contains(body, "<em>System</em>") {
		t.Errorf("the system's changes: unknown action not shown raw and marked")
	}
	body = get("/admin/audit?user="+itoa64(me)+"&entity=video", http.StatusOK)
	if !strings.Contains(body, e.shown("en", "admin.audit.empty")) {
		t.Error("the admin made no video change, yet the filter shows some")
	}

	for _, tt := range []struct {
		page string
		want string
	}{
		{"0", "1"}, {"-3", "1"}, {"abc", "1"}, {"", "1"}, {"%27%22", "1"},
		{"2", "2"}, {"3", "2"}, {"999999", "2"}, {"99999999999999999999999", "2"},
	} {
		body := get("/admin/audit?entity=city&entity_id=7&page="+tt.page, http.StatusOK)
		if m := currentPageRe.FindStringSubmatch(body); m == nil || m[1] != tt.want {
			t.Errorf("page=%s: current page %v, want %s", tt.page, m, tt.want)
		}
	}
	if body := get("/admin/audit?entity=city&entity_id=7&page=9", http.StatusOK); !strings.Contains(body, "Showing 51–60 of 60 entries") {
		t.Error("a page past the end does not show the last")
	}

	for _, q := range []string{"entity=bogus", "entity_id=abc", "entity_id=-1", "user=nobody", "from=2020-13-45",
		"from=2020-07-03&to=2020-07-01", "from=%00"} {
		body := get("/admin/audit?"+q, http.StatusBadRequest)
		if !strings.Contains(body, `aria-invalid="true"`) || !strings.Contains(body, `role="alert"`) {
			t.Errorf("%s: the refused filter is not marked", q)
		}
	}

	// Other roles do not read the log.
	if resp, _ := e.userClient(auth.RoleEditor).get("/admin/audit"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("editor reads the audit log: %d", resp.StatusCode)
	}
}

// TestPagerPlurals: the pager's summary takes the plural form of the total in each language.
func TestPagerPlurals(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	r := httptest.NewRequest("GET", "/admin/cities?q=x&page=2&notice=saved", nil)
	for _, tt := range []struct {
		lang  string
		total int
		want  string
	}{
		{"en", 1, "Showing 1–1 of 1 entry"},
		{"en", 95, "Showing 21–40 of 95 entries"},
		{"ru", 21, "Показаны 21–21 из 21 записи"},
		{"ru", 95, "Показаны 21–40 из 95 записей"},
		{"ko", 95, "전체 95건 중 21–40건"},
	} {
		pg := newPager(e.srv.cat.Localizer(tt.lang), r, readList(r, 20), tt.total)
		if pg.Summary != tt.want {
			t.Errorf("%s %d: %q, want %q", tt.lang, tt.total, pg.Summary, tt.want)
		}
	}
	pg := newPager(e.srv.cat.Localizer("en"), r, readList(r, 20), 95)
	if pg.Prev != "/admin/cities?q=x" || pg.Next != "/admin/cities?page=3&q=x" {
		t.Errorf("links lose the search or keep the notice: %q %q", pg.Prev, pg.Next)
	}
}
