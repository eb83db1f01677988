package exchange

import (
	"slices"
	"testing"
)

func TestCount(t *testing.T) {
	today := d("2020-07-10")
	a := func(kind, status, mode, on string, ps ...int64) *Activity {
		x := allDay(kind, status, on, "", ps...)
		x.Mode = mode
		return x
	}
	acts := []*Activity{
		a(KindOutboundVisit, StatusHeld, ModeInPerson, "2019-09-04", 10),
		a(KindCampaign, StatusConfirmed, ModeHybrid, "2020-01-01", 10, 11),
		a(KindCulturalEvent, StatusSwitchedOnline, ModeOnline, "2020-07-04", 10),
		a(KindVideoConference, StatusHeld, ModeOnline, "2020-04-22", 11),
		a(KindVideoConference, StatusHeld, ModeOnline, "2020-05-20", 11),
		a(KindVideoMessage, StatusHeld, ModeOnline, "2020-07-10", 10),
		a(KindYouth, StatusPlanned, ModeInPerson, "2020-10-05", 10),    // not yet
		a(KindSports, StatusCancelled, ModeInPerson, "2017-05-01", 10), // never
		a(KindBusiness, StatusHeld, ModeHybrid, "2017-03-01", 10, 11),
	}
	modes := Count(acts, today, ByMode, Modes)
	if !slices.Equal(modes.Years, []int{2017, 2018, 2019, 2020}) {
		t.Fatalf("years: %v", modes.Years)
	}
	want := map[string][]int{ModeInPerson: {0, 0, 1, 0}, ModeOnline: {0, 0, 0, 4}, ModeHybrid: {1, 0, 0, 0}}
	if len(modes.Rows) != 3 {
		t.Fatalf("rows: %+v", modes.Rows)
	}
	for _, r := range modes.Rows {
		if !slices.Equal(r.Counts, want[r.Key]) {
			t.Errorf("%s: %v, want %v", r.Key, r.Counts, want[r.Key])
		}
	}
	if modes.Rows[0].Key != ModeInPerson || !slices.Equal(modes.Totals(), []int{1, 0, 1, 4}) {
		t.Errorf("order or totals: %+v %v", modes.Rows, modes.Totals())
	}
	partners := Count(acts, today, ByPartnership, []string{"11", "10"})
	if partners.Rows[0].Key != "11" || partners.Rows[0].Total != 3 || partners.Rows[1].Total != 4 {
		t.Errorf("by partnership: %+v", partners.Rows)
	}
	if kinds := Count(acts, today, ByKind, Kinds); len(kinds.Rows) != 5 {
		t.Errorf("by kind: %+v", kinds.Rows)
	}
	if empty := Count(nil, today, ByKind, Kinds); len(empty.Years) != 0 || len(empty.Rows) != 0 {
		t.Errorf("empty: %+v", empty)
	}
}
