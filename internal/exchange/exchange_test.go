package exchange

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"sistercity/internal/civil"
	"sistercity/internal/db"
	"sistercity/internal/db/dbtest"
	"sistercity/internal/i18n"
	"sistercity/internal/langtext"
	"sistercity/internal/register"
)

// now is the day of the press release the project comes from.
var now = time.Date(2020, 7, 10, 12, 0, 0, 0, time.UTC)

type fixture struct {
	d                *db.DB
	l                *i18n.Localizer
	busan            *register.City
	vladivostok, spb *register.Partnership
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{d: dbtest.Open(t)}
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	f.l = cat.Localizer("en")
	f.busan = &register.City{Country: "KR", Kind: register.KindCity, Timezone: "Asia/Seoul",
		Texts: []register.Text{{Lang: "en", Name: "Busan"}, {Lang: "ko", Name: "부산"}}}
	vlad := &register.City{Country: "RU", Kind: register.KindCity, Timezone: "Asia/Vladivostok",
		Texts: []register.Text{{Lang: "en", Name: "Vladivostok"}, {Lang: "ru", Name: "Владивосток"}}}
	spb := &register.City{Country: "RU", Kind: register.KindCity, Timezone: "Europe/Moscow",
		Texts: []register.Text{{Lang: "en", Name: "Saint Petersburg"}}}
	err = f.d.InTx(ctx, func(tx *sql.Tx) error {
		for _, c := range []*register.City{f.busan, vlad, spb} {
			if err := register.CreateCity(ctx, tx, c); err != nil {
				return err
			}
		}
		if err := register.SetHomeCity(ctx, tx, f.busan.ID); err != nil {
			return err
		}
		f.vladivostok = &register.Partnership{HomeCityID: f.busan.ID, PartnerCityID: vlad.ID, Type: register.TypeSister,
			SignedOn: civil.MustParse("1992-06-30"), Status: register.StatusActive}
		f.spb = &register.Partnership{HomeCityID: f.busan.ID, PartnerCityID: spb.ID, Type: register.TypeSister,
			SignedOn: civil.MustParse("2008-06-11"), Status: register.StatusActive}
		if err := register.CreatePartnership(ctx, tx, f.vladivostok, 0); err != nil {
			return err
		}
		return register.CreatePartnership(ctx, tx, f.spb, 0)
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func mustMoment(t *testing.T, date string, h, m int, zone string) Moment {
	t.Helper()
	mo, err := MomentAt(civil.MustParse(date), h, m, zone)
	if err != nil {
		t.Fatal(err)
	}
	return mo
}

// conference is the April 2020 video conference with Saint Petersburg.
func (f *fixture) conference(t *testing.T) *Activity {
	return &Activity{
		Kind:          KindVideoConference,
		Texts:         []Text{{Lang: "en", Title: "Video conference on the COVID-19 response"}, {Lang: "ru", Title: "Видеоконференция", Summary: "Изоляторы"}},
		Partnerships:  []int64{f.spb.ID},
		OrganiserKind: OrganiserCity,
		Participants:  []Participant{{Name: "Health policy officer", Organisation: "Busan"}},
		Planned:       Span{Start: mustMoment(t, "2020-04-22", 16, 0, "Asia/Seoul"), End: mustMoment(t, "2020-04-22", 17, 30, "Asia/Seoul")},
		Mode:          ModeOnline,
		FirstMode:     ModeOnline,
		Status:        StatusPlanned,
		Topics:        []string{"isolation wards", "data sharing", "follow-up processes"},
	}
}

func (f *fixture) create(t *testing.T, a *Activity, on string) {
	t.Helper()
	if errs := a.Validate(now); len(errs) > 0 {
		t.Fatalf("validate: %v", errs)
	}
	ctx := context.Background()
	err := f.d.InTx(ctx, func(tx *sql.Tx) error {
		errs, err := CheckLinks(ctx, tx, a, f.l)
		if err != nil {
			return err
		}
		if len(errs) > 0 {
			return errs
		}
		return Create(ctx, tx, a, civil.MustParse(on), nil, 0)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestActivityRoundTrip(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := f.conference(t)
	f.create(t, a, "2020-04-01")
	got, err := Get(ctx, f.d.R, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Planned.Start.At.Equal(time.Date(2020, 4, 22, 7, 0, 0, 0, time.UTC)) || got.Planned.Start.Zone != "Asia/Seoul" ||
		got.Planned.Start.Date != civil.MustParse("2020-04-22") {
		t.Errorf("planned start: %+v", got.Planned.Start)
	}
	if got.Planned.Start.Local().Format("15:04 MST") != "16:00 KST" {
		t.Errorf("local start: %s", got.Planned.Start.Local())
	}
	if !got.Actual.IsZero() || got.Planned.AllDay() {
		t.Errorf("actual %+v, all day %v", got.Actual, got.Planned.AllDay())
	}
	if !slices.Equal(got.Topics, a.Topics) || len(got.Texts) != 2 || len(got.Participants) != 1 || !slices.Equal(got.Partnerships, []int64{f.spb.ID}) {
		t.Errorf("lists: %+v", got)
	}
	if len(got.History) != 1 || got.History[0].Status != StatusPlanned || got.History[0].ChangedOn != civil.MustParse("2020-04-01") {
		t.Errorf("history: %+v", got.History)
	}
	if got.Title("ru") != "Видеоконференция" || got.TitleLang("ko") != "en" || got.Summary("ru") != "Изоляторы" {
		t.Errorf("texts by language: %q %q", got.Title("ru"), got.TitleLang("ko"))
	}

	// Held, with the actual end half an hour late: the history grows by one entry.
	got.Status = StatusHeld
	got.Actual = Span{Start: got.Planned.Start, End: mustMoment(t, "2020-04-22", 18, 0, "Asia/Seoul")}
	if errs := got.Validate(now); len(errs) > 0 {
		t.Fatal(errs)
	}
	err = f.d.InTx(ctx, func(tx *sql.Tx) error {
		return Update(ctx, tx, got, civil.MustParse("2020-04-22"), nil, 0)
	})
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Get(ctx, f.d.R, a.ID)
	if len(again.History) != 2 || again.Status != StatusHeld || again.Version != 2 || !again.Actual.End.At.Equal(time.Date(2020, 4, 22, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("after update: %+v", again)
	}

	// A second editor still holding version 1 is refused and changes nothing.
	stale := f.conference(t)
	stale.ID, stale.Version, stale.Venue = a.ID, 1, langtext.Of("en", "Somewhere")
	err = f.d.InTx(ctx, func(tx *sql.Tx) error { return Update(ctx, tx, stale, civil.MustParse("2020-04-22"), nil, 0) })
	if !errors.Is(err, ErrStale) {
		t.Fatalf("stale update: %v", err)
	}
	if again, _ := Get(ctx, f.d.R, a.ID); !again.Venue.Empty() || again.Version != 2 {
		t.Errorf("stale update saved something: %+v", again)
	}
	list, err := List(ctx, f.d.R)
	if err != nil || len(list) != 1 || len(list[0].Topics) != 3 {
		t.Fatalf("list: %v %+v", err, list)
	}
}

func TestValidate(t *testing.T) {
	f := newFixture(t)
	seoul := func(date string, h int) Moment { return mustMoment(t, date, h, 0, "Asia/Seoul") }
	tests := []struct {
		name  string
		edit  func(a *Activity)
		field string
		key   string
	}{
		{"end before start", func(a *Activity) { a.Planned.End = seoul("2020-04-22", 15) }, "planned_end", "exchange.validation.end_before_start"},
		{"all-day end before start", func(a *Activity) {
			a.Planned = Span{Start: OnDate(civil.MustParse("2020-07-04")), End: OnDate(civil.MustParse("2020-07-03"))}
		}, "planned_end", "exchange.validation.end_before_start"},
		{"time without zone", func(a *Activity) { a.Planned.Start.Zone = "" }, "planned_start", "exchange.validation.zone_required"},
		{"unknown zone", func(a *Activity) { a.Planned.Start.Zone = "Mars/Olympus" }, "planned_start", "tz.error"},
		{"mixed", func(a *Activity) { a.Planned.End = OnDate(civil.MustParse("2020-04-23")) }, "planned_end", "exchange.validation.all_day_mixed"},
		{"no start", func(a *Activity) { a.Planned = Span{} }, "planned_start", "exchange.validation.start_required"},
		{"actual in the future", func(a *Activity) { a.Actual.Start = seoul("2020-08-01", 10) }, "actual_start", "exchange.validation.actual_future"},
		{"no title", func(a *Activity) { a.Texts = []Text{{Lang: "en", Summary: "x"}} }, "title", "exchange.validation.title_required"},
		{"bad language", func(a *Activity) { a.Texts = append(a.Texts, Text{Lang: "not a tag", Title: "x"}) }, "title_not a tag", "validation.language_tag"},
		{"no partnership", func(a *Activity) { a.Partnerships = nil }, "partnerships", "exchange.validation.partnership_required"},
		{"switched online in person", func(a *Activity) { a.Status, a.Mode = StatusSwitchedOnline, ModeInPerson }, "mode", "exchange.validation.switched_in_person"},
		{"other organiser without a name", func(a *Activity) { a.OrganiserKind = OrganiserOther }, "organiser_name", "exchange.validation.organiser_name"},
		{"participant without a name", func(a *Activity) { a.Participants = []Participant{{Role: "Mayor"}} }, "participant_0", "exchange.validation.participant_name"},
		{"unknown kind", func(a *Activity) { a.Kind = "party" }, "kind", "validation.choice"},
		{"year 1850", func(a *Activity) { a.Planned = Span{Start: OnDate(civil.MustParse("1850-01-01"))} }, "planned_start", "validation.date_too_early"},
	}
	for _, tt := range tests {
		a := f.conference(t)
		tt.edit(a)
		errs := a.Validate(now)
		found := false
		for _, e := range errs {
			if e.Field == tt.field && e.Msg.Key == tt.key {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: want %s on %s, got %v", tt.name, tt.key, tt.field, errs)
		}
	}
	if errs := f.conference(t).Validate(now); len(errs) > 0 {
		t.Errorf("a valid activity: %v", errs)
	}
}

// TestEndedPartnership: an activity after a partnership ended is refused with the date it
// ended; one from before stays allowed, so history can still be recorded.
func TestEndedPartnership(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	p, _ := register.GetPartnership(ctx, f.d.R, f.spb.ID)
	p.Status = register.StatusEnded
	err := f.d.InTx(ctx, func(tx *sql.Tx) error {
		return register.UpdatePartnership(ctx, tx, p, civil.MustParse("2015-01-01"), nil, 0)
	})
	if err != nil {
		t.Fatal(err)
	}
	a := f.conference(t)
	errs, err := CheckLinks(ctx, f.d.R, a, f.l)
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) != 1 || errs[0].Msg.Key != "exchange.validation.partnership_ended" {
		t.Fatalf("link to an ended partnership: %v", errs)
	}
	if msg := f.l.Msg(errs[0].Msg); !strings.Contains(msg, "Saint Petersburg") || !strings.Contains(msg, "1 January 2015") {
		t.Errorf("message: %q", msg)
	}
	a.Planned = Span{Start: OnDate(civil.MustParse("2010-05-01"))}
	if errs, _ := CheckLinks(ctx, f.d.R, a, f.l); len(errs) != 0 {
		t.Errorf("an activity from before the end: %v", errs)
	}
}

func TestCampaignLinks(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	campaign := &Activity{Kind: KindCampaign, Texts: []Text{{Lang: "en", Title: "Eurasian campaign"}},
		Partnerships: []int64{f.vladivostok.ID, f.spb.ID}, OrganiserKind: OrganiserCity, Mode: ModeHybrid, FirstMode: ModeHybrid,
		Status: StatusConfirmed, Planned: Span{Start: OnDate(civil.MustParse("2020-01-01")), End: OnDate(civil.MustParse("2020-12-31"))}}
	f.create(t, campaign, "2020-01-01")
	day := &Activity{Kind: KindCulturalEvent, ParentID: campaign.ID, Texts: []Text{{Lang: "en", Title: "Busan Day"}},
		Partnerships: []int64{f.vladivostok.ID}, OrganiserKind: OrganiserCity, Mode: ModeInPerson, FirstMode: ModeInPerson,
		Status: StatusPlanned, Planned: Span{Start: OnDate(civil.MustParse("2020-07-04"))}}
	f.create(t, day, "2020-01-20")

	// The campaign cannot become a child of its own activity, nor stop being a campaign.
	campaign.ParentID = day.ID
	errs, err := CheckLinks(ctx, f.d.R, campaign, f.l)
	if err != nil {
		t.Fatal(err)
	}
	if !errs.Has("parent_id") {
		t.Errorf("a campaign under its own activity: %v", errs)
	}
	campaign.ParentID, campaign.Kind = 0, KindCulturalEvent
	if errs, _ := CheckLinks(ctx, f.d.R, campaign, f.l); !errs.Has("kind") {
		t.Errorf("a campaign with activities turned into an event: %v", errs)
	}
	// A parent must be a campaign.
	other := f.conference(t)
	other.ParentID = day.ID
	if errs, _ := CheckLinks(ctx, f.d.R, other, f.l); !errs.Has("parent_id") {
		t.Errorf("a parent that is no campaign: %v", errs)
	}
	// Deleting the campaign keeps its activity, without a parent.
	err = f.d.InTx(ctx, func(tx *sql.Tx) error {
		_, err := Delete(ctx, tx, campaign.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Get(ctx, f.d.R, day.ID)
	if err != nil || got.ParentID != 0 {
		t.Fatalf("activity of a deleted campaign: %v %+v", err, got)
	}
}

func TestChecklist(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := f.conference(t)
	f.create(t, a, "2020-04-01")
	var added []*ChecklistItem
	err := f.d.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		added, err = AddStandardItems(ctx, tx, a.ID)
		return err
	})
	if err != nil || len(added) != len(StandardItems) {
		t.Fatalf("standard items: %v %d", err, len(added))
	}
	// Adding them again adds nothing.
	err = f.d.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		added, err = AddStandardItems(ctx, tx, a.ID)
		return err
	})
	if err != nil || len(added) != 0 {
		t.Fatalf("standard items again: %v %d", err, len(added))
	}
	items, _ := Checklist(ctx, f.d.R, a.ID)
	gifts := items[2]
	gifts.Done, gifts.AssigneeName, gifts.DueOn = true, "Protocol team", civil.MustParse("2020-04-15")
	if errs := gifts.Validate(); len(errs) > 0 {
		t.Fatal(errs)
	}
	if err := f.d.InTx(ctx, func(tx *sql.Tx) error { return UpdateItem(ctx, tx, gifts) }); err != nil {
		t.Fatal(err)
	}
	stale := *gifts
	stale.Version = 1
	if err := f.d.InTx(ctx, func(tx *sql.Tx) error { return UpdateItem(ctx, tx, &stale) }); !errors.Is(err, ErrStale) {
		t.Fatalf("stale item: %v", err)
	}
	items, _ = Checklist(ctx, f.d.R, a.ID)
	last := items[len(items)-1]
	if !last.Done || last.AssigneeName != "Protocol team" || last.Item != ItemGifts {
		t.Errorf("done items go last: %+v", last)
	}
	custom := &ChecklistItem{ActivityID: a.ID, Item: ItemCustom}
	if errs := custom.Validate(); !errs.Has("label") {
		t.Errorf("custom item without a label: %v", errs)
	}
}
