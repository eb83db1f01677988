package exchange

import (
	"context"
	"database/sql"
	"testing"

	"sistercity/internal/civil"
	"sistercity/internal/visibility"
)

// TestVisibility: a planned activity saved without a visibility is internal, any other is
// public; a change of status keeps the visibility; a stored one is kept when an update gives
// none; a bad value fails validation.
func TestVisibility(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	mk := func(status string) *Activity {
		return &Activity{Kind: KindCulturalEvent, Status: status, Mode: ModeInPerson, FirstMode: ModeInPerson,
			OrganiserKind: OrganiserCity, Partnerships: []int64{f.vladivostok.ID}, Texts: []Text{{Lang: "en", Title: "Busan Day"}},
			Planned: Span{Start: OnDate(civil.MustParse("2020-07-04"))}}
	}
	planned, held := mk(StatusPlanned), mk(StatusHeld)
	held.Actual = held.Planned
	err := f.d.InTx(ctx, func(tx *sql.Tx) error {
		for _, a := range []*Activity{planned, held} {
			if err := Create(ctx, tx, a, civil.MustParse("2020-01-10"), nil, 0); err != nil {
				return err
			}
		}
		planned.Status, planned.Visibility = StatusConfirmed, ""
		return Update(ctx, tx, planned, civil.MustParse("2020-06-01"), nil, 0)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id   int64
		want string
	}{{planned.ID, visibility.Internal}, {held.ID, visibility.Public}} {
		a, err := Get(ctx, f.d.R, c.id)
		if err != nil {
			t.Fatal(err)
		}
		if a.Visibility != c.want || a.Public() != (c.want == visibility.Public) {
			t.Errorf("activity %d (%s): %q, want %q", a.ID, a.Status, a.Visibility, c.want)
		}
	}
	bad := mk(StatusPlanned)
	bad.Visibility = "everyone"
	if errs := bad.Validate(now); !errs.Has("visibility") {
		t.Errorf("a bad visibility passes: %v", errs)
	}
}
