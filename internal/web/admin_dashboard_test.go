package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"sistercity/internal/auth"
	"sistercity/internal/milestone"
)

func TestAdminRelationsAndMilestones(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	editor := e.userClient(auth.RoleEditor)
	ctx := context.Background()

	resp, body := editor.get("/admin/relations/new")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `<option value="KR" selected>`) {
		t.Fatalf("new relation form starts from the home country: %d", resp.StatusCode)
	}
	rel := url.Values{"country_a": {"RU"}, "country_b": {"KR"}, "established_on": {"1990-09-30"},
		"note": {"Established with the USSR; continued by the Russian Federation"}}
	if resp, body := editor.post("/admin/relations", rel); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create relation: %d\n%s", resp.StatusCode, body)
	}
	r, err := milestone.FindRelation(ctx, e.db.R, "KR", "RU")
	if err != nil || r.CountryA != "KR" || r.CountryB != "RU" {
		t.Fatalf("stored relation: %v %+v", err, r)
	}
	editor.lang = "ko"
	for _, tt := range []struct {
		name string
		v    url.Values
		want string
	}{
		{"duplicate", rel, "두 나라의 수교는 이미 기록되어 있습니다."},
		{"same country", with(rel, "country_b", "RU"), "서로 다른 두 나라를 선택하세요."},
		{"future", with(rel, "established_on", "2030-01-01"), "미래"},
		{"no date", with(rel, "established_on", ""), "필수"},
	} {
		resp, body := editor.post("/admin/relations", tt.v)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d, want 422 with %q", tt.name, resp.StatusCode, tt.want)
		}
	}
	editor.lang = ""
	// An edit on a stale version is a conflict.
	resp, _ = editor.post("/admin/relations/"+itoa64(r.ID), with(rel, "version", "1", "note", "USSR"))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit relation: %d", resp.StatusCode)
	}
	if resp, _ := editor.post("/admin/relations/"+itoa64(r.ID), with(rel, "version", "1", "note", "again")); resp.StatusCode != http.StatusConflict {
		t.Errorf("stale relation: %d", resp.StatusCode)
	}

	// A yearly milestone of the partnership, with titles in two languages.
	m := url.Values{"title_en": {"Busan office opens in Vladivostok"}, "title_ko": {"블라디보스토크 사무소 개소"},
		"on": {"2010-11-15"}, "yearly": {"1"}, "partnership_id": {itoa64(p.ID)}}
	resp, _ = editor.post("/admin/milestones", m)
	id := idFrom(t, resp)
	got, err := milestone.Get(ctx, e.db.R, id)
	if err != nil || !got.Yearly || got.PartnershipID != p.ID || len(got.Texts) != 2 {
		t.Fatalf("stored milestone: %v %+v", err, got)
	}
	for _, bad := range []url.Values{
		with(m, "title_en", "", "title_ko", ""),
		with(m, "on", ""),
		with(m, "on", "2010-02-30"),
		with(m, "partnership_id", "999"),
		with(m, "extra_lang", "xx-!!", "extra_title", "?"),
	} {
		if resp, _ := editor.post("/admin/milestones", bad); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("bad milestone %v: %d", bad, resp.StatusCode)
		}
	}
	if resp, _ := editor.post("/admin/milestones/"+itoa64(id), with(m, "version", "1", "yearly", "")); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("edit milestone: %d", resp.StatusCode)
	}
	if resp, _ := editor.post("/admin/milestones/"+itoa64(id), with(m, "version", "1")); resp.StatusCode != http.StatusConflict {
		t.Errorf("stale milestone: %d", resp.StatusCode)
	}

	// The list previews the coming year (from 2020-07-10): the 30th of the relations, in Russian.
	_, body = editor.get("/admin/milestones?lang=ru")
	if !strings.Contains(body, "Республика Корея — Россия: 30 лет дипломатическим отношениям") {
		t.Errorf("milestones page lacks the 30th of Korea–Russia relations")
	}
	if !strings.Contains(body, "Busan office opens in Vladivostok") {
		t.Errorf("milestones page lacks the milestone added by hand")
	}
	if resp, _ := editor.post("/admin/milestones/"+itoa64(id)+"/delete", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("delete milestone: %d", resp.StatusCode)
	}
	if resp, _ := editor.post("/admin/relations/"+itoa64(r.ID)+"/delete", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("delete relation: %d", resp.StatusCode)
	}
	if n := auditCount(t, e, auth.EntityDiplomaticRelation) + auditCount(t, e, auth.EntityMilestone); n != 6 {
		t.Errorf("%d audit entries for relations and milestones, want 6", n)
	}
}

func TestAdminDashboard(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	editor := e.userClient(auth.RoleEditor)
	if resp, body := editor.post("/admin/relations", url.Values{"country_a": {"KR"}, "country_b": {"RU"},
		"established_on": {"1990-09-30"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("relation: %d\n%s", resp.StatusCode, body)
	}
	viewer := e.userClient(auth.RoleViewer)
	resp, body := viewer.get("/admin/dashboard?from=2020-01-01&lang=en")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("dashboard: %d", resp.StatusCode)
	}
	for _, want := range []string{
		"From 1 January 2020 to 31 December 2021",
		`<time datetime="2020-07-02">2 July 2020</time>`, "Vladivostok: 160 years since its founding",
		`<time datetime="2020-09-30">30 September 2020</time>`, "South Korea – Russia: 30 years of diplomatic relations",
		"Vladivostok: 28 years of partnership",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	// Both round anniversaries are flagged: no activity is planned; the partnership is a dormant
	// candidate.
	unmarked := section(body, "unmarked")
	if !strings.Contains(unmarked, "160 years") || !strings.Contains(unmarked, "30 years of diplomatic relations") {
		t.Errorf("unmarked section:\n%s", unmarked)
	}
	if !strings.Contains(section(body, "dormant"), "Vladivostok") {
		t.Error("Vladivostok is not a dormant candidate")
	}
	// An activity two days after the 160th marks it and ends the dormancy.
	resp, _ = editor.post("/admin/activities", with(busanDayValues(p.ID), "status", "held", "actual_start_date", "2020-07-04"))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("activity: %d", resp.StatusCode)
	}
	_, body = viewer.get("/admin/dashboard?from=2020-01-01&lang=en&days=30")
	if strings.Contains(section(body, "unmarked"), "160 years") || !strings.Contains(section(body, "unmarked"), "30 years of diplomatic") {
		t.Errorf("after Busan Day:\n%s", section(body, "unmarked"))
	}
	if !strings.Contains(section(body, "plan"), "Busan Day in Vladivostok") {
		t.Error("Busan Day is not in the plan")
	}
	_, body = viewer.get("/admin/dashboard?from=2020-08-01&lang=en")
	if strings.Contains(section(body, "dormant"), "Vladivostok") {
		t.Error("Vladivostok dormant after Busan Day")
	}
	// Without a date the dashboard starts today (2020-07-10); bad choices are a 400 with the
	// message next to the field.
	_, body = viewer.get("/admin/dashboard?lang=en")
	if !strings.Contains(body, "From 10 July 2020 to 9 July 2022") {
		t.Error("default start is not today")
	}
	for _, q := range []string{"from=2020-13-01", "days=-1", "years=1000", "days=abc", "from=1800-01-01"} {
		resp, body := viewer.get("/admin/dashboard?lang=en&" + q)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `class="field-error"`) {
			t.Errorf("%s: %d", q, resp.StatusCode)
		}
	}
	// The first screen is the next 60 days, before the per-partner plans: what is due for every
	// partner (Busan Day and the 160th it marks), then the partners with nothing planned.
	_, body = viewer.get("/admin/dashboard?from=2020-06-10&lang=en")
	soon, idle, plan := section(body, "soon"), section(body, "idle"), section(body, "plan")
	if i, j := strings.Index(body, `id="soon"`), strings.Index(body, `id="plan"`); i < 0 || j < i || !strings.Contains(soon, "Due in the next 60 days") {
		t.Fatalf("the next 60 days are not the first screen:\n%s", body)
	}
	for _, want := range []string{"From 10 June 2020 to 8 August 2020", `<time datetime="2020-07-02">2 July 2020</time>`,
		"Vladivostok: 160 years since its founding", "Busan Day in Vladivostok", `href="/admin/dashboard?partnership=` + itoa64(p.ID) + `#plan"`} {
		if !strings.Contains(soon, want) {
			t.Errorf("the next 60 days lack %q", want)
		}
	}
	if strings.Contains(soon, "No activity planned") || strings.Contains(soon, "30 years of diplomatic") {
		t.Errorf("the next 60 days flag a marked anniversary or reach beyond 60 days:\n%s", soon)
	}
	if !strings.Contains(idle, "Vladivostok") {
		t.Errorf("Vladivostok, whose only activity is held, is not among the partners with nothing planned:\n%s", idle)
	}
	if !strings.Contains(plan, `<details class="plan-group" id="group-`+itoa64(p.ID)+`">`) || strings.Contains(plan, " open>") {
		t.Errorf("the per-partner plans are not collapsed:\n%s", plan)
	}
	// Thirty days before the 30th of relations, it is due with no activity planned.
	_, body = viewer.get("/admin/dashboard?from=2020-09-01&lang=en")
	if soon := section(body, "soon"); !regexp.MustCompile(`30 years of diplomatic relations</span> <strong class="badge">Round anniversary</strong> <strong class="badge">No activity planned</strong>`).MatchString(soon) {
		t.Errorf("the 30th of relations is not flagged in the next 60 days:\n%s", soon)
	}
	// A planned activity takes Vladivostok off the idle list.
	if resp, body := editor.post("/admin/activities", with(busanDayValues(p.ID), "title_en", "Youth exchange",
		"planned_start_date", "2020-08-01", "planned_end_date", "2020-08-01")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("planned activity: %d\n%s", resp.StatusCode, body)
	}
	_, body = viewer.get("/admin/dashboard?from=2020-06-10&lang=en")
	if strings.Contains(section(body, "idle"), "Vladivostok") || !strings.Contains(section(body, "soon"), "Youth exchange") {
		t.Errorf("after planning an activity:\n%s", section(body, "idle"))
	}
	// A partner filter opens that partner's plan alone; an unknown partner is a 400.
	resp, body = viewer.get("/admin/dashboard?from=2020-06-10&lang=en&partnership=" + itoa64(p.ID))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `<details class="plan-group" id="group-`+itoa64(p.ID)+`" open>`) ||
		strings.Count(body, `<details class="plan-group"`) != 1 || !strings.Contains(body, `<option value="`+itoa64(p.ID)+`" selected>`) {
		t.Errorf("the partner filter: %d\n%s", resp.StatusCode, section(body, "plan"))
	}
	for _, q := range []string{"partnership=999", "partnership=abc", "partnership=-1"} {
		resp, body := viewer.get("/admin/dashboard?lang=ru&" + q)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `id="err-partnership"`) {
			t.Errorf("%s: %d", q, resp.StatusCode)
		}
	}

	// The overview links to it.
	if _, body := viewer.get("/admin/"); !strings.Contains(body, `href="/admin/dashboard"`) {
		t.Error("the overview does not link to the dashboard")
	}
}

// section returns the part of a page inside <section id="id">, up to the next section of the
// same level.
func section(body, id string) string {
	i := strings.Index(body, `<section id="`+id+`"`)
	if i < 0 {
		return ""
	}
	rest := body[i+1:]
	if j := strings.Index(rest, `<section id="`); j >= 0 {
		return body[i : i+1+j]
	}
	return body[i:]
}
