package exchange

import (
	"testing"

	"sistercity/internal/civil"
	"sistercity/internal/milestone"
	"sistercity/internal/register"
)

func d(s string) civil.Date { return civil.MustParse(s) }

func planSources() *milestone.Sources {
	busan := &register.City{ID: 1, Country: "KR"}
	vlad := &register.City{ID: 2, Country: "RU", FoundedOn: d("1860-07-02"), CityDayRule: "first-sunday-07"}
	spb := &register.City{ID: 3, Country: "RU", FoundedOn: d("1703-05-27")}
	kao := &register.City{ID: 4, Country: "TW"}
	young := &register.City{ID: 5, Country: "VN"}
	ps := []*register.Partnership{
		{ID: 10, PartnerCityID: 2, SignedOn: d("1992-06-30"), Status: register.StatusActive, HomeCity: busan, PartnerCity: vlad},
		{ID: 11, PartnerCityID: 3, SignedOn: d("2008-06-11"), Status: register.StatusActive, HomeCity: busan, PartnerCity: spb},
		{ID: 12, PartnerCityID: 4, SignedOn: d("1966-06-30"), Status: register.StatusActive, HomeCity: busan, PartnerCity: kao},
		{ID: 13, PartnerCityID: 5, SignedOn: d("2019-03-01"), Status: register.StatusActive, HomeCity: busan, PartnerCity: young},
	}
	rels := []*milestone.Relation{{ID: 1, CountryA: "KR", CountryB: "RU", EstablishedOn: d("1990-09-30")}}
	return milestone.NewSources(busan, ps, rels, nil)
}

func allDay(kind, status string, from, to string, partnerships ...int64) *Activity {
	a := &Activity{Kind: kind, Status: status, Partnerships: partnerships, Planned: Span{Start: OnDate(d(from))}}
	if to != "" {
		a.Planned.End = OnDate(d(to))
	}
	return a
}

func TestPlan(t *testing.T) {
	src := planSources()
	busanDay := allDay(KindCulturalEvent, StatusSwitchedOnline, "2020-07-04", "", 10)
	visit := allDay(KindOutboundVisit, StatusHeld, "2019-09-04", "2019-09-06", 10)
	spbCall := allDay(KindVideoConference, StatusHeld, "2020-04-22", "", 11)
	cancelled := allDay(KindYouth, StatusCancelled, "2020-09-28", "", 11)
	plan := MakePlan(src, []*Activity{busanDay, visit, spbCall, cancelled}, d("2020-01-01"), PlanOptions{})
	if plan.To != d("2021-12-31") {
		t.Errorf("24 months from 2020-01-01 end on %v", plan.To)
	}
	unmarked := map[string]bool{}
	for _, u := range plan.Unmarked {
		unmarked[u.Occurrence.Key()+"@"+itoa(int(u.Partnership.ID))+"@"+u.Occurrence.On.String()] = true
	}
	// Vladivostok's 160th (2 July 2020) is marked by Busan Day two days later.
	if unmarked["founding-2@10@2020-07-02"] {
		t.Error("Vladivostok's 160th is flagged although Busan Day is two days later")
	}
	// Korea–Russia's 30th (30 September 2020): nothing within 60 days for either Russian
	// partner — the cancelled youth exchange does not count.
	if !unmarked["relations-1@10@2020-09-30"] || !unmarked["relations-1@11@2020-09-30"] {
		t.Errorf("Korea–Russia 30th not flagged for both partners: %v", unmarked)
	}
	// Kaohsiung's 55th (2021) is not round; Busan–Vladivostok's 30th (2022) is beyond the window.
	for key := range unmarked {
		if key == "partnership-12@12@2021-06-30" || key == "partnership-10@10@2022-06-30" {
			t.Errorf("flagged: %s", key)
		}
	}
	// With the window at 100 days, Busan Day marks the relations' anniversary for Vladivostok.
	plan100 := MakePlan(src, []*Activity{busanDay, visit, spbCall, cancelled}, d("2020-01-01"), PlanOptions{Days: 100})
	for _, u := range plan100.Unmarked {
		if u.Occurrence.Kind == milestone.KindRelations && u.Partnership.ID == 10 {
			t.Error("Korea–Russia flagged for Vladivostok with a 100-day window")
		}
	}

	// Groups: every partner with something in the window, activities in it only.
	groups := map[int64]*PlanGroup{}
	for _, g := range plan.Groups {
		if g.Partnership != nil {
			groups[g.Partnership.ID] = g
		}
	}
	if g := groups[10]; g == nil || len(g.Activities) != 1 || g.Activities[0] != busanDay {
		t.Errorf("Vladivostok's activities in 2020–2021: %+v", g)
	}
	found := false
	for _, o := range groups[10].Milestones {
		if o.Kind == milestone.KindFounding && o.Years == 160 && o.On == d("2020-07-02") {
			found = true
		}
	}
	if !found {
		t.Error("Vladivostok's 160th is not in its group")
	}
	if plan.Count != 2 {
		t.Errorf("%d activities in the window, want 2 (the cancelled one left out)", plan.Count)
	}

	// Nothing planned from 2020-01-01: Saint Petersburg (its call is held, its youth exchange
	// cancelled), Kaohsiung and the young partnership; Vladivostok has Busan Day ahead.
	var idle []int64
	for _, ps := range plan.Idle {
		idle = append(idle, ps.ID)
	}
	if len(idle) != 3 || idle[0] != 11 || idle[1] != 12 || idle[2] != 13 {
		t.Errorf("nothing planned from 2020-01-01: %v, want [11 12 13]", idle)
	}

	// Dormant on 2020-01-01 with 3 years: Kaohsiung (nothing held), not Vladivostok (visit in
	// 2019), not the partnership of 2019 (too young). Saint Petersburg's call is after the date.
	dormant := map[int64]bool{}
	for _, dm := range plan.Dormant {
		dormant[dm.Partnership.ID] = true
	}
	if !dormant[12] || dormant[10] || dormant[13] || !dormant[11] {
		t.Errorf("dormant on 2020-01-01: %v", dormant)
	}
	later := MakePlan(src, []*Activity{busanDay, visit, spbCall}, d("2020-07-10"), PlanOptions{})
	for _, dm := range later.Dormant {
		if dm.Partnership.ID == 11 {
			t.Error("Saint Petersburg dormant after its April conference")
		}
		if dm.Partnership.ID == 10 && dm.LastHeld == nil {
			t.Error("Vladivostok dormant")
		}
	}
	if dm := MakePlan(src, []*Activity{visit}, d("2023-01-01"), PlanOptions{DormantYears: 3}).Dormant; !containsDormant(dm, 10, visit) {
		t.Errorf("Vladivostok in 2023 with its last visit in 2019: %+v", dm)
	}
}

func containsDormant(list []Dormant, id int64, last *Activity) bool {
	for _, d := range list {
		if d.Partnership.ID == id && d.LastHeld == last {
			return true
		}
	}
	return false
}
