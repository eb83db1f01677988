package web

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"sistercity/internal/auth"
	"sistercity/internal/civil"
	"sistercity/internal/db"
	"sistercity/internal/fed"
	"sistercity/internal/polltest"
	"sistercity/internal/register"
	"sistercity/internal/report"
)

// seedHomeAndPartner makes home the instance's own city and a partnership of it with partner.
func seedHomeAndPartner(t *testing.T, e *testEnv, home, partner *register.City) *register.Partnership {
	t.Helper()
	ctx := context.Background()
	p := &register.Partnership{HomeCityID: home.ID, PartnerCityID: partner.ID, Type: register.TypeSister, Status: register.StatusActive}
	e.inTx(func(tx *sql.Tx) error {
		if err := register.SetHomeCity(ctx, tx, home.ID); err != nil {
			return err
		}
		return register.CreatePartnership(ctx, tx, p, 0)
	})
	return p
}

// receivedReport is the id on e of the report received as remoteID, 0 while there is none.
func (e *testEnv) receivedReport(remoteID string) int64 {
	var id int64
	_ = e.db.R.QueryRow("SELECT id FROM reports WHERE remote_id = $1", remoteID).Scan(&id)
	return id
}

// deliveredActivities are the activities e enqueued for delivery, with their inboxes.
func (e *testEnv) deliveredActivities() []fed.DeliverArgs {
	e.t.Helper()
	// River keeps the arguments as JSONB: SQLite's json() writes them out as text.
	col := "json(args)"
	if e.db.Dialect == db.Postgres {
		col = "CAST(args AS TEXT)"
	}
	rows, err := e.db.R.Query("SELECT " + col + " FROM river_job WHERE kind = 'fed.deliver' ORDER BY id")
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []fed.DeliverArgs
	for rows.Next() {
		var raw []byte
		var a fed.DeliverArgs
		if err := rows.Scan(&raw); err != nil {
			e.t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &a); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

// TestReportBetweenInstances: with two instances, a report shared by A (Busan) with B's city
// (Saint Petersburg) appears on B for B's staff and is absent from B's public pages and from
// A's followers. A's and B's partnerships name each other's actors (sister portals); a
// follower of A on a third server sees nothing of it. Changed figures, and sharing again,
// update it on B; withdrawing it removes it there.
func TestReportBetweenInstances(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, b := newFedEnv(t), newFedEnv(t)
	aBusan := seedCity(t, a, "Busan", "부산", "Пусан", "KR", 3400000)
	aSPb := seedCity(t, a, "Saint Petersburg", "상트페테르부르크", "Санкт-Петербург", "RU", 5400000)
	aP := seedHomeAndPartner(t, a, aBusan, aSPb)
	bSPb := seedCity(t, b, "Saint Petersburg", "상트페테르부르크", "Санкт-Петербург", "RU", 5400000)
	bBusan := seedCity(t, b, "Busan", "부산", "Пусан", "KR", 3400000)
	bP := seedHomeAndPartner(t, b, bSPb, bBusan)

	aEditor, bEditor := a.userClient(auth.RoleEditor), b.userClient(auth.RoleEditor)
	// Each names the other's actor as its partner's, and each follows the other.
	for _, side := range []struct {
		e, other *testEnv
		editor   *client
		p        *register.Partnership
	}{{a, b, aEditor, aP}, {b, a, bEditor, bP}} {
		path := "/admin/partnerships/" + itoa64(side.p.ID) + "/portal"
		if resp, body := side.editor.post(path, url.Values{"actor": {side.other.ts.URL + fed.ActorPath}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("set partner actor: %d\n%s", resp.StatusCode, body)
		}
	}
	for _, e := range []*testEnv{a, b} {
		polltest.Until(t, "the follow accepted", func() (bool, string) {
			var st string
			_ = e.db.R.QueryRow("SELECT state FROM partner_actors").Scan(&st)
			return st == "accepted", "state " + st
		})
	}
	// A follower of A on another server.
	mallory := newFollower(t, "Mallory")
	if got := mallory.send(a, "/ap/inbox", map[string]any{"id": mallory.id() + "#follows/1", "type": "Follow",
		"actor": mallory.id(), "object": a.ts.URL + fed.ActorPath}); got != http.StatusAccepted {
		t.Fatalf("follow: %d", got)
	}
	polltest.Until(t, "A accepts the follower", func() (bool, string) { return len(mallory.received("Accept")) > 0, "no Accept" })

	covid, err := report.SituationByKey(ctx, a.db.R, "covid-19")
	if err != nil {
		t.Fatal(err)
	}
	rep := &report.Report{SituationID: covid.ID, CityID: aBusan.ID, AsOf: civil.MustParse("2020-04-30"), SourceOrg: reportSecret,
		Texts:  []report.Text{{Lang: "ru", Measures: "Изоляция прибывающих", FollowUp: "Наблюдение 14 дней"}},
		Values: []report.Value{{Day: civil.MustParse("2020-04-30"), Metric: "total_cases", Value: 136}},
		Beds: []report.Bed{{Type: "NegativeFlowIsolation", Unit: report.UnitRooms, Baseline: 50, Available: 20, Occupied: 30,
			Add24h: 2, Add72h: 6, Status: report.CapacityAvailable}}}
	a.inTx(func(tx *sql.Tx) error { return report.Create(ctx, tx, rep, civil.Of(fixedNow), 0) })
	editor := aEditor
	share := func() {
		t.Helper()
		if resp, body := editor.post("/admin/reports/"+itoa64(rep.ID)+"/share", url.Values{"partnership": {itoa64(aP.ID)}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("share: %d\n%s", resp.StatusCode, body)
		}
	}
	share()

	objectID := a.ts.URL + "/ap/reports/" + itoa64(rep.ID)
	var onB int64
	polltest.Until(t, "the report on B", func() (bool, string) {
		onB = b.receivedReport(objectID)
		return onB != 0, "not yet"
	})
	page := "/admin/reports/" + itoa64(onB)
	viewer := b.userClient(auth.RoleViewer)
	viewer.lang = "ru"
	if _, list := viewer.get("/admin/reports"); !strings.Contains(list, `href="`+page+`"`) || !strings.Contains(list, "получена") {
		t.Errorf("B's list lacks the received report:\n%s", list)
	}
	resp, body := viewer.get(page)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, reportSecret) || !strings.Contains(body, "Пусан") ||
		!strings.Contains(body, "Изоляция прибывающих") || !strings.Contains(body, "Получена с собственного сайта партнёра") {
		t.Fatalf("B's staff page of the report: %d\n%s", resp.StatusCode, body)
	}
	if resp, body := bEditor.get(page); resp.StatusCode != http.StatusOK || strings.Contains(body, "/share\"") {
		t.Errorf("B's editor may share the partner's report: %d", resp.StatusCode)
	}
	if resp, _ := bEditor.post(page+"/share", url.Values{"partnership": {itoa64(bP.ID)}}); resp.StatusCode != http.StatusConflict {
		t.Errorf("B's editor shares the partner's report: %d, want 409", resp.StatusCode)
	}
	if resp, body := bEditor.get(page + "/edxl-have.xml"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "NegativeFlowIsolation") {
		t.Errorf("B's export of the received report: %d", resp.StatusCode)
	}
	// Not for a visitor, nor a liaison, nor anywhere public on B.
	if resp, body := b.client().get(page); resp.StatusCode != http.StatusNotFound || strings.Contains(body, reportSecret) {
		t.Errorf("anonymous on B: %d", resp.StatusCode)
	}
	liaison := (&reportWorld{e: b}).liaison("liaison-busan", bBusan.ID)
	if resp, body := liaison.get(page); resp.StatusCode != http.StatusNotFound || strings.Contains(body, reportSecret) {
		t.Errorf("B's liaison: %d", resp.StatusCode)
	}
	for _, path := range []string{"/en/", "/ru/", "/ko/partners", "/ru/partners/" + itoa64(bBusan.ID), "/sitemap.xml", "/en/videos/feed.xml",
		"/en/videos?q=Infectious", "/ru/calendar.ics", "/en/statistics", fed.OutboxPath} {
		if _, body := b.client().get(path); strings.Contains(body, reportSecret) || strings.Contains(body, "Изоляция прибывающих") {
			t.Errorf("B's public %s shows the report", path)
		}
	}
	if resp, _ := a.client().get("/ap/reports/" + itoa64(rep.ID)); resp.StatusCode != http.StatusNotFound {
		t.Errorf("A serves the report object: %d", resp.StatusCode)
	}

	// Figures changed on the edit form: an Update, and B shows the new figures; shared again:
	// another Update.
	if resp, body := editor.post("/admin/reports/"+itoa64(rep.ID)+"/edit", url.Values{"as_of": {"2020-04-30"},
		"source_org": {reportSecret}, "m_total_cases": {"140"}, "measures_ru": {"Изоляция прибывающих"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d\n%s", resp.StatusCode, body)
	}
	share()
	polltest.Until(t, "the update on B", func() (bool, string) {
		var v float64
		_ = b.db.R.QueryRow("SELECT value FROM report_values WHERE report_id = $1 AND metric = 'total_cases'", onB).Scan(&v)
		return v == 140, "total_cases still old"
	})
	if got := b.receivedReport(objectID); got != onB {
		t.Errorf("the update made report %d, want %d updated", got, onB)
	}

	// Withdrawn, it goes from B.
	if resp := editor.postToken("/admin/reports/"+itoa64(rep.ID)+"/withdraw", editor.csrf()); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("withdraw: %d", resp.StatusCode)
	}
	polltest.Until(t, "the withdrawal on B", func() (bool, string) { return b.receivedReport(objectID) == 0, "still there" })
	if resp, _ := viewer.get(page); resp.StatusCode != http.StatusNotFound {
		t.Errorf("withdrawn report on B: %d", resp.StatusCode)
	}
	// B remembers the withdrawal, so that a late copy of an earlier version stays out.
	var withdrawn int
	if err := b.db.R.QueryRow("SELECT COUNT(*) FROM received_report_deletions WHERE remote_id = $1", objectID).Scan(&withdrawn); err != nil || withdrawn != 1 {
		t.Errorf("B's record of the withdrawal: %d %v", withdrawn, err)
	}

	// Every activity of the report went to B's actor alone, and none to A's follower.
	kinds := map[string]int{}
	for _, d := range a.deliveredActivities() {
		var act map[string]any
		_ = json.Unmarshal(d.Activity, &act)
		obj, _ := act["object"].(map[string]any)
		if obj == nil || obj["type"] != "SituationReport" {
			continue
		}
		kinds[act["type"].(string)]++
		if act["type"] == "Delete" && obj["deleted"] == nil {
			t.Errorf("a Delete without the time of the withdrawal: %s", d.Activity)
		}
		to, _ := json.Marshal(act["to"])
		if d.Inbox != b.ts.URL+fed.InboxPath || string(to) != `["`+b.ts.URL+fed.ActorPath+`"]` || act["cc"] != nil ||
			strings.Contains(string(d.Activity), fed.Public) || strings.Contains(string(d.Activity), "followers") {
			t.Errorf("report activity to %s, addressed %s:\n%s", d.Inbox, to, d.Activity)
		}
	}
	if kinds["Create"] != 1 || kinds["Update"] != 2 || kinds["Delete"] != 1 {
		t.Errorf("report activities: %v, want a Create, two Updates and a Delete", kinds)
	}
	mallory.mu.Lock()
	for _, got := range mallory.got {
		if b, _ := json.Marshal(got); strings.Contains(string(b), "SituationReport") || strings.Contains(string(b), reportSecret) {
			t.Errorf("A's follower received the report: %s", b)
		}
	}
	mallory.mu.Unlock()
}

// TestReportFromStranger: a report from an actor that no partnership names is refused, and
// so is a partner's report that breaks the report rules or names an object on another host;
// nothing is stored.
func TestReportFromStranger(t *testing.T) {
	t.Parallel()
	b := newFedEnv(t)
	_, _, ps := seedVladivostok(t, b)
	partner, stranger := newFollower(t, "Vladivostok"), newFollower(t, "Mallory")
	b.inTx(func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO partner_actors (partnership_id, actor_id, follow_id, state, set_at) VALUES ($1, $2, $3, 'accepted', $4)`,
			ps.ID, partner.id(), b.ts.URL+"/ap/actor#follows/1", fixedNow)
		return err
	})
	create := func(f *follower, objectID string, occupied int) map[string]any {
		return map[string]any{"id": f.id() + "#reports/1", "type": "Create", "actor": f.id(), "to": []string{b.ts.URL + fed.ActorPath},
			"object": map[string]any{"id": objectID, "type": "SituationReport", "situation": "covid-19",
				"report": map[string]any{"as_of": "2020-04-30", "source_organisation": reportSecret, "updated_at": "2020-05-01T00:00:00Z",
					"beds": []map[string]any{{"bed_type": "AdultICU", "unit": "beds", "baseline": 10, "available": 0, "occupied": occupied,
						"capacity_status": "available"}}}}}
	}
	for _, c := range []struct {
		name string
		from *follower
		act  map[string]any
		want int
	}{
		{"a stranger's report", stranger, create(stranger, stranger.ts.URL+"/ap/reports/1", 5), http.StatusForbidden},
		{"a stranger's Delete", stranger, map[string]any{"id": stranger.id() + "#d/1", "type": "Delete", "actor": stranger.id(),
			"object": stranger.ts.URL + "/ap/reports/1"}, http.StatusForbidden},
		{"occupied over baseline", partner, create(partner, partner.ts.URL+"/ap/reports/1", 11), http.StatusUnprocessableEntity},
		{"an object on another host", partner, create(partner, stranger.ts.URL+"/ap/reports/1", 5), http.StatusForbidden},
	} {
		if got := c.from.send(b, "/ap/inbox", c.act); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
	if n := b.countRows("reports"); n != 0 {
		t.Fatalf("%d reports stored from refused activities", n)
	}
	if got := partner.send(b, "/ap/inbox", create(partner, partner.ts.URL+"/ap/reports/1", 5)); got != http.StatusAccepted {
		t.Fatalf("the partner's report: %d", got)
	}
	var city int64
	if err := b.db.R.QueryRow("SELECT city_id FROM reports WHERE remote_id = $1", partner.ts.URL+"/ap/reports/1").Scan(&city); err != nil || city != ps.PartnerCityID {
		t.Errorf("the partner's report stored as city %d (%v), want %d", city, err, ps.PartnerCityID)
	}
}
