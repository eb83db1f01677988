package milestone

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"sistercity/internal/civil"
	"sistercity/internal/db/dbtest"
	"sistercity/internal/register"
	"sistercity/internal/visibility"
)

func d(s string) civil.Date { return civil.MustParse(s) }

func TestIsRound(t *testing.T) {
	var round []int
	for n := 0; n <= 100; n++ {
		if IsRound(n) {
			round = append(round, n)
		}
	}
	want := []int{5, 10, 20, 25, 30, 40, 50, 60, 70, 75, 80, 90, 100}
	if len(round) != len(want) {
		t.Fatalf("round: %v, want %v", round, want)
	}
	for i := range want {
		if round[i] != want[i] {
			t.Fatalf("round: %v, want %v", round, want)
		}
	}
	if !IsRound(160) || IsRound(161) || IsRound(15) {
		t.Error("160 is round, 161 and 15 are not")
	}
}

func TestCityDay(t *testing.T) {
	tests := []struct {
		rule string
		year int
		want string
	}{
		{"first-sunday-07", 2020, "2020-07-05"}, // Vladivostok
		{"first-sunday-07", 2021, "2021-07-04"},
		{"first-sunday-07", 2018, "2018-07-01"}, // the 1st is a Sunday
		{"second-saturday-09", 2020, "2020-09-12"},
		{"last-saturday-09", 2020, "2020-09-26"},
		{"last-sunday-05", 2020, "2020-05-31"}, // the 31st is a Sunday
		{"05-27", 2020, "2020-05-27"},          // Saint Petersburg
		{"02-29", 2020, "2020-02-29"},
		{"02-29", 2021, "2021-02-28"},
	}
	for _, tt := range tests {
		got, ok := CityDay(tt.rule, tt.year)
		if !ok || got != d(tt.want) {
			t.Errorf("CityDay(%q, %d) = %v %v, want %s", tt.rule, tt.year, got, ok, tt.want)
		}
	}
	for _, bad := range []string{"", "sunday", "fifth-sunday-07", "04-31", "13-01"} {
		if _, ok := CityDay(bad, 2020); ok {
			t.Errorf("CityDay(%q) accepted", bad)
		}
	}
	for rule, want := range map[string]string{
		"first-sunday-07": "FREQ=YEARLY;BYMONTH=7;BYDAY=1SU",
		"last-friday-11":  "FREQ=YEARLY;BYMONTH=11;BYDAY=-1FR",
		"05-27":           "FREQ=YEARLY",
		"02-29":           "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1",
		"nonsense":        "",
	} {
		if got := CityDayRRule(rule); got != want {
			t.Errorf("CityDayRRule(%q) = %q, want %q", rule, got, want)
		}
	}
}

// story is the register of the press release: Busan with Vladivostok and Saint Petersburg, the
// relations between Korea and Russia, and a partnership signed on 29 February.
func story() *Sources {
	busan := &register.City{ID: 1, Country: "KR", Texts: []register.Text{{Lang: "en", Name: "Busan"}}}
	vlad := &register.City{ID: 2, Country: "RU", FoundedOn: d("1860-07-02"), CityDayRule: "first-sunday-07"}
	spb := &register.City{ID: 3, Country: "RU", FoundedOn: d("1703-05-27"), CityDayRule: "05-27"}
	leap := &register.City{ID: 4, Country: "JP"}
	gone := &register.City{ID: 5, Country: "US", FoundedOn: d("1800-01-01")}
	ps := []*register.Partnership{
		{ID: 10, HomeCityID: 1, PartnerCityID: 2, SignedOn: d("1992-06-30"), Status: register.StatusActive, HomeCity: busan, PartnerCity: vlad},
		{ID: 11, HomeCityID: 1, PartnerCityID: 3, SignedOn: d("2008-06-11"), Status: register.StatusActive, HomeCity: busan, PartnerCity: spb},
		{ID: 12, HomeCityID: 1, PartnerCityID: 4, SignedOn: d("1996-02-29"), Status: register.StatusDormant, HomeCity: busan, PartnerCity: leap},
		{ID: 13, HomeCityID: 1, PartnerCityID: 5, SignedOn: d("1990-01-01"), Status: register.StatusEnded, HomeCity: busan, PartnerCity: gone},
	}
	rels := []*Relation{{ID: 1, CountryA: "KR", CountryB: "RU", EstablishedOn: d("1990-09-30")}}
	ms := []*Milestone{
		{ID: 1, Texts: []Text{{Lang: "en", Title: "Busan office opens in Vladivostok"}}, On: d("2010-11-15"), Yearly: true, PartnershipID: 10},
		{ID: 2, Texts: []Text{{Lang: "en", Title: "Expo bid decision"}}, On: d("2020-11-28")},
	}
	return NewSources(busan, ps, rels, ms)
}

func TestBetween(t *testing.T) {
	s := story()
	got := s.Between(d("2020-01-01"), d("2021-12-31"))
	find := func(kind, on string) *Occurrence {
		for i := range got {
			if got[i].Kind == kind && got[i].On == d(on) {
				return &got[i]
			}
		}
		return nil
	}
	if o := find(KindFounding, "2020-07-02"); o == nil || o.Years != 160 || !o.Round || o.City.ID != 2 || len(o.Partnerships) != 1 || o.Partnerships[0] != 10 {
		t.Errorf("Vladivostok's 160th: %+v", o)
	}
	if o := find(KindRelations, "2020-09-30"); o == nil || o.Years != 30 || !o.Round || len(o.Partnerships) != 2 {
		// Both Russian partnerships; the ended US one and the Japanese one are not concerned.
		t.Errorf("Korea–Russia 30th: %+v", o)
	} else if o.Partnerships[0] != 10 || o.Partnerships[1] != 11 {
		t.Errorf("Korea–Russia concerns %v", o.Partnerships)
	}
	if o := find(KindCityDay, "2020-07-05"); o == nil || o.Years != 0 || o.Round {
		t.Errorf("Vladivostok city day 2020: %+v", o)
	}
	if o := find(KindPartnership, "2020-06-30"); o == nil || o.Years != 28 || o.Round {
		t.Errorf("Busan–Vladivostok 28th: %+v", o)
	}
	if o := find(KindPartnership, "2021-06-11"); o == nil || o.Years != 13 {
		t.Errorf("Busan–Saint Petersburg 13th: %+v", o)
	}
	// 29 February: the 24th anniversary falls on 29 February 2020, the 25th — a round one — on
	// 28 February 2021.
	if o := find(KindPartnership, "2020-02-29"); o == nil || o.Years != 24 {
		t.Errorf("leap-day partnership in 2020: %+v", o)
	}
	if o := find(KindPartnership, "2021-02-28"); o == nil || o.Years != 25 || !o.Round {
		t.Errorf("leap-day partnership in 2021: %+v", o)
	}
	if o := find(KindCustom, "2020-11-15"); o == nil || o.Years != 10 || !o.Round {
		t.Errorf("a yearly milestone: %+v", o)
	}
	if o := find(KindCustom, "2020-11-28"); o == nil || o.Years != 0 {
		t.Errorf("a milestone kept once: %+v", o)
	}
	for _, o := range got {
		if o.Kind == KindPartnership && o.Partnership.ID == 13 || o.City != nil && o.City.ID == 5 {
			t.Errorf("an ended partnership has milestones: %+v", o)
		}
		if o.On.Before(d("2020-01-01")) || o.On.After(d("2021-12-31")) {
			t.Errorf("outside the range: %+v", o)
		}
	}
	for i := 1; i < len(got); i++ {
		if got[i].On.Before(got[i-1].On) {
			t.Fatalf("not in order at %d", i)
		}
	}
	// The day a partnership is signed is not its anniversary.
	if got := s.Between(d("1992-06-30"), d("1992-06-30")); len(got) != 0 {
		t.Errorf("signing day: %+v", got)
	}
}

func TestSeries(t *testing.T) {
	rules := map[string]string{}
	starts := map[string]civil.Date{}
	for _, sr := range story().Series() {
		rules[sr.Key()] = sr.RRule
		starts[sr.Key()] = sr.On
	}
	for key, want := range map[string]string{
		"partnership-10": "FREQ=YEARLY",
		"partnership-12": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1",
		"founding-2":     "FREQ=YEARLY",
		"city-day-2":     "FREQ=YEARLY;BYMONTH=7;BYDAY=1SU",
		"city-day-3":     "FREQ=YEARLY",
		"relations-1":    "FREQ=YEARLY",
		"milestone-1":    "FREQ=YEARLY",
		"milestone-2":    "",
	} {
		if got, ok := rules[key]; !ok || got != want {
			t.Errorf("%s: rule %q (%v), want %q", key, got, ok, want)
		}
	}
	if starts["partnership-10"] != d("1992-06-30") || starts["city-day-2"] != d("1992-07-05") {
		t.Errorf("starts: %v", starts)
	}
	if _, ok := rules["partnership-13"]; ok {
		t.Error("an ended partnership has a series")
	}
}

func TestRelationValidate(t *testing.T) {
	today := d("2020-07-10")
	r := &Relation{CountryA: "ru", CountryB: "kr", EstablishedOn: d("1990-09-30")}
	r.Normalize()
	if r.CountryA != "KR" || r.CountryB != "RU" || len(r.Validate(today)) != 0 {
		t.Errorf("normalized: %+v %v", r, r.Validate(today))
	}
	for _, bad := range []*Relation{
		{CountryA: "KR", CountryB: "KR", EstablishedOn: d("1990-09-30")},
		{CountryA: "KR", CountryB: "XX", EstablishedOn: d("1990-09-30")},
		{CountryA: "KR", CountryB: "RU"},
		{CountryA: "KR", CountryB: "RU", EstablishedOn: d("2030-01-01")},
	} {
		if len(bad.Validate(today)) == 0 {
			t.Errorf("accepted %+v", bad)
		}
	}
	m := &Milestone{On: d("2020-01-01")}
	if errs := m.Validate(); !errs.Has("title") {
		t.Errorf("milestone without a title: %v", errs)
	}
}

func TestStore(t *testing.T) {
	dbh := dbtest.Open(t)
	ctx := context.Background()
	busan := &register.City{Country: "KR", Kind: register.KindCity, Texts: []register.Text{{Lang: "en", Name: "Busan"}}}
	vlad := &register.City{Country: "RU", Kind: register.KindCity, FoundedOn: d("1860-07-02"), CityDayRule: "first-sunday-07",
		Texts: []register.Text{{Lang: "en", Name: "Vladivostok"}}}
	var p register.Partnership
	err := dbh.InTx(ctx, func(tx *sql.Tx) error {
		for _, c := range []*register.City{busan, vlad} {
			if err := register.CreateCity(ctx, tx, c); err != nil {
				return err
			}
		}
		if err := register.SetHomeCity(ctx, tx, busan.ID); err != nil {
			return err
		}
		p = register.Partnership{HomeCityID: busan.ID, PartnerCityID: vlad.ID, Type: register.TypeSister,
			SignedOn: d("1992-06-30"), Status: register.StatusActive}
		if err := register.CreatePartnership(ctx, tx, &p, 0); err != nil {
			return err
		}
		if err := CreateRelation(ctx, tx, &Relation{CountryA: "KR", CountryB: "RU", EstablishedOn: d("1990-09-30"), Note: "USSR"}); err != nil {
			return err
		}
		return Create(ctx, tx, &Milestone{Texts: []Text{{Lang: "en", Title: "Office opens"}, {Lang: "ko", Title: "사무소 개소"}},
			On: d("2010-11-15"), Yearly: true, PartnershipID: p.ID})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = dbh.InTx(ctx, func(tx *sql.Tx) error {
		return CreateRelation(ctx, tx, &Relation{CountryA: "KR", CountryB: "RU", EstablishedOn: d("1991-01-01")})
	})
	if !errors.Is(err, ErrDuplicate) {
		t.Errorf("a second KR–RU relation: %v", err)
	}
	sources, err := Load(ctx, dbh.R)
	if err != nil {
		t.Fatal(err)
	}
	got := sources.Between(d("2020-01-01"), d("2020-12-31"))
	kinds := map[string]int{}
	for _, o := range got {
		kinds[o.Kind]++
	}
	if kinds[KindPartnership] != 1 || kinds[KindFounding] != 1 || kinds[KindCityDay] != 1 || kinds[KindRelations] != 1 || kinds[KindCustom] != 1 {
		t.Errorf("2020: %v", kinds)
	}
	r, err := FindRelation(ctx, dbh.R, "ru", "kr")
	if err != nil || r.Note != "USSR" {
		t.Fatalf("find relation: %v %+v", err, r)
	}
	r.Note = "Established with the USSR"
	if err := dbh.InTx(ctx, func(tx *sql.Tx) error { return UpdateRelation(ctx, tx, r) }); err != nil {
		t.Fatal(err)
	}
	stale := *r
	stale.Version = 1
	if err := dbh.InTx(ctx, func(tx *sql.Tx) error { return UpdateRelation(ctx, tx, &stale) }); !errors.Is(err, ErrStale) {
		t.Errorf("stale relation: %v", err)
	}
	ms, _ := Milestones(ctx, dbh.R)
	if len(ms) != 1 || !ms[0].Yearly || ms[0].Title("ko") != "사무소 개소" || ms[0].TitleLang("ru") != "en" {
		t.Fatalf("milestones: %+v", ms)
	}
	m := ms[0]
	m.Yearly = false
	if err := dbh.InTx(ctx, func(tx *sql.Tx) error { return Update(ctx, tx, m) }); err != nil {
		t.Fatal(err)
	}
	m.Version = 1
	if err := dbh.InTx(ctx, func(tx *sql.Tx) error { return Update(ctx, tx, m) }); !errors.Is(err, ErrStale) {
		t.Errorf("stale milestone: %v", err)
	}
	if got, _ := Get(ctx, dbh.R, m.ID); got.Yearly || len(got.Texts) != 2 {
		t.Errorf("after update: %+v", got)
	}
	last, err := LastChange(ctx, dbh.R)
	if err != nil || last.IsZero() {
		t.Errorf("last change: %v %v", last, err)
	}
	if err := dbh.InTx(ctx, func(tx *sql.Tx) error { return Delete(ctx, tx, m.ID) }); err != nil {
		t.Fatal(err)
	}
	if err := dbh.InTx(ctx, func(tx *sql.Tx) error { return DeleteRelation(ctx, tx, r.ID) }); err != nil {
		t.Fatal(err)
	}
}

// TestVisibility: a milestone kept by hand is public unless made internal, an update without a
// visibility keeps it, and PublicOnly drops the internal ones and nothing derived.
func TestVisibility(t *testing.T) {
	dbh := dbtest.Open(t)
	ctx := context.Background()
	shown := &Milestone{Texts: []Text{{Lang: "en", Title: "Office opens"}}, On: d("2010-11-15"), Yearly: true}
	hidden := &Milestone{Texts: []Text{{Lang: "en", Title: "Budget day"}}, On: d("2010-12-01"), Yearly: true, Visibility: visibility.Internal}
	err := dbh.InTx(ctx, func(tx *sql.Tx) error {
		for _, m := range []*Milestone{shown, hidden} {
			if err := Create(ctx, tx, m); err != nil {
				return err
			}
		}
		hidden.Visibility = ""
		return Update(ctx, tx, hidden)
	})
	if err != nil {
		t.Fatal(err)
	}
	src, err := Load(ctx, dbh.R)
	if err != nil {
		t.Fatal(err)
	}
	if len(src.Milestones) != 2 {
		t.Fatalf("stored: %d", len(src.Milestones))
	}
	pub := src.PublicOnly()
	if len(pub.Milestones) != 1 || pub.Milestones[0].ID != shown.ID || len(src.Milestones) != 2 {
		t.Errorf("public: %+v", pub.Milestones)
	}
	if m, _ := Get(ctx, dbh.R, hidden.ID); m.Visibility != visibility.Internal {
		t.Errorf("an update without a visibility changed it to %q", m.Visibility)
	}
	if errs := (&Milestone{Texts: []Text{{Lang: "en", Title: "x"}}, On: d("2010-12-01"), Visibility: "secret"}).Validate(); !errs.Has("visibility") {
		t.Errorf("a bad visibility passes")
	}
}
