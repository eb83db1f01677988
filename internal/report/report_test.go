package report_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"sistercity/internal/auth"
	"sistercity/internal/civil"
	"sistercity/internal/db"
	"sistercity/internal/db/dbtest"
	"sistercity/internal/problem"
	"sistercity/internal/register"
	"sistercity/internal/report"
)

var today = civil.MustParse("2020-07-10")

// world is Busan with two partners, Saint Petersburg and Vladivostok, and a city in no
// partnership.
type world struct {
	d                       *db.DB
	covid                   *report.Situation
	busan, spb, vlad, loner int64
	pSPB, pVlad             int64
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{d: dbtest.Open(t)}
	err := w.d.InTx(ctx, func(tx *sql.Tx) error {
		ids := map[string]int64{}
		for _, c := range []struct{ name, country string }{{"Busan", "KR"}, {"Saint Petersburg", "RU"}, {"Vladivostok", "RU"}, {"Lonely", "JP"}} {
			city := &register.City{Country: c.country, Kind: register.KindCity, Texts: []register.Text{{Lang: "en", Name: c.name}}}
			if err := register.CreateCity(ctx, tx, city); err != nil {
				return err
			}
			ids[c.name] = city.ID
		}
		w.busan, w.spb, w.vlad, w.loner = ids["Busan"], ids["Saint Petersburg"], ids["Vladivostok"], ids["Lonely"]
		for _, partner := range []int64{w.spb, w.vlad} {
			p := &register.Partnership{HomeCityID: w.busan, PartnerCityID: partner, Type: register.TypeSister, Status: register.StatusActive}
			if err := register.CreatePartnership(ctx, tx, p, 0); err != nil {
				return err
			}
			if partner == w.spb {
				w.pSPB = p.ID
			} else {
				w.pVlad = p.ID
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if w.covid, err = report.SituationByKey(ctx, w.d.R, "covid-19"); err != nil || w.covid.Name("ko") != "코로나19" {
		t.Fatalf("covid-19 situation: %+v %v", w.covid, err)
	}
	return w
}

func (w *world) validReport(city int64) *report.Report {
	return &report.Report{SituationID: w.covid.ID, CityID: city, AsOf: civil.MustParse("2020-04-30"),
		PeriodStart: civil.MustParse("2020-04-01"), PeriodEnd: civil.MustParse("2020-04-30"), SourceOrg: "Busan Metropolitan City",
		Texts: []report.Text{{Lang: "en", Measures: "Drive-through testing", FollowUp: "Daily calls"}},
		Values: []report.Value{{Day: civil.MustParse("2020-04-30"), Metric: "total_cases", Value: 137},
			{Day: civil.MustParse("2020-04-30"), Metric: "positive_rate", Value: 0.01}},
		Beds: []report.Bed{{Type: "NegativeFlowIsolation", Unit: report.UnitRooms, Baseline: 50, Available: 20, Occupied: 30, Add24h: 2, Add72h: 6, Status: report.CapacityAvailable},
			{Type: "AdultICU", Unit: report.UnitBeds, Baseline: 100, Available: 40, Occupied: 50, Status: report.CapacityAvailable}}}
}

func (w *world) create(t *testing.T, r *report.Report) error {
	t.Helper()
	return w.d.InTx(context.Background(), func(tx *sql.Tx) error { return report.Create(context.Background(), tx, r, today, 0) })
}

func count(t *testing.T, d *db.DB, table string) int {
	t.Helper()
	var n int
	if err := d.R.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestReportValidation refuses each kind of bad input with a message about the right field,
// and leaves nothing behind.
func TestReportValidation(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	cases := []struct {
		name  string
		edit  func(r *report.Report)
		field string
		key   string
	}{
		{"negative count", func(r *report.Report) { r.Beds[1].Available = -1 }, "bed_1_available", "reports.error.negative_count"},
		{"occupied over baseline", func(r *report.Report) { r.Beds[1].Occupied = 101 }, "bed_1_occupied", "reports.error.occupied_over_baseline"},
		{"available plus occupied over baseline", func(r *report.Report) { r.Beds[1].Available = 60 }, "bed_1_available", "reports.error.sum_over_baseline"},
		{"as-of in the future", func(r *report.Report) { r.AsOf = civil.MustParse("2020-07-11") }, "as_of", "reports.error.future"},
		{"unit that does not fit", func(r *report.Report) { r.Beds[1].Unit = report.UnitRooms }, "bed_1_unit", "reports.error.unit"},
		{"operating rooms in beds", func(r *report.Report) {
			r.Beds[1] = report.Bed{Type: "OperatingRooms", Unit: report.UnitBeds, Baseline: 1, Status: report.CapacityAvailable}
		}, "bed_1_unit", "reports.error.unit"},
		{"unknown bed type", func(r *report.Report) { r.Beds[1].Type = "Hammocks" }, "bed_1_type", "validation.choice"},
		{"negative figure", func(r *report.Report) { r.Values[0].Value = -5 }, "values", "reports.error.negative"},
		{"rate over one", func(r *report.Report) { r.Values[1].Value = 3 }, "values", "reports.error.ratio"},
		{"value after as-of", func(r *report.Report) { r.Values[0].Day = civil.MustParse("2020-05-01") }, "values", "reports.error.value_day"},
		{"city outside any partnership", func(r *report.Report) { r.CityID = w.loner }, "city", "reports.error.no_partnership"},
	}
	for _, c := range cases {
		r := w.validReport(w.busan)
		c.edit(r)
		err := w.create(t, r)
		f, ok := problem.AsFields(err)
		if !ok || !f.Has(c.field) || f.For(c.field)[0].Key != c.key {
			t.Errorf("%s: %v, want %s on %s", c.name, err, c.key, c.field)
		}
	}
	for _, table := range []string{"reports", "report_values", "report_beds", "report_texts", "report_history"} {
		if n := count(t, w.d, table); n != 0 {
			t.Errorf("%s holds %d rows after refused reports", table, n)
		}
	}
}

// TestReportSharingAndLiaisons walks a report from draft to shared to withdrawn, and checks
// who reads it at each step: staff always, the liaison of the partnership it is shared with
// only while shared, another partner's liaison never.
func TestReportSharingAndLiaisons(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	r := w.validReport(w.busan)
	if err := w.create(t, r); err != nil {
		t.Fatal(err)
	}
	got, err := report.Get(ctx, w.d.R, report.Reader{Staff: true}, r.ID)
	if err != nil || len(got.Values) != 2 || len(got.Beds) != 2 || got.Beds[0].Type != "AdultICU" || got.Status != report.StatusDraft {
		t.Fatalf("get: %+v %v", got, err)
	}
	// The isolation rooms are also counted as other beds: totals leave them out.
	if base, avail, occ := got.BedTotals(); base != 100 || avail != 40 || occ != 50 {
		t.Errorf("totals %d %d %d, want 100 40 50", base, avail, occ)
	}
	var spbLiaison, vladLiaison int64
	err = w.d.InTx(ctx, func(tx *sql.Tx) error {
		for _, c := range []struct {
			name string
			city int64
			id   *int64
		}{{"spb", w.spb, &spbLiaison}, {"vlad", w.vlad, &vladLiaison}} {
			u, err := auth.CreateUser(ctx, tx, c.name, "", "correct horse battery", auth.RoleLiaison)
			if err != nil {
				return err
			}
			*c.id = u.ID
			if err := report.BindLiaison(ctx, tx, u.ID, c.city); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	reader := func(user int64) report.Reader {
		city, err := report.LiaisonCity(ctx, w.d.R, user)
		if err != nil {
			t.Fatal(err)
		}
		return report.Reader{CityID: city}
	}
	spb, vlad := reader(spbLiaison), reader(vladLiaison)
	canRead := func(rd report.Reader) bool {
		_, err := report.Get(ctx, w.d.R, rd, r.ID)
		if err != nil && !errors.Is(err, report.ErrNotFound) {
			t.Fatal(err)
		}
		list, lerr := report.List(ctx, w.d.R, rd)
		if lerr != nil {
			t.Fatal(lerr)
		}
		if (err == nil) != (len(list) == 1) {
			t.Errorf("list and get disagree for %+v", rd)
		}
		return err == nil && len(list) == 1
	}
	if canRead(spb) || canRead(vlad) || canRead(report.Reader{}) {
		t.Error("a draft is read by a liaison")
	}
	share := func(ps []int64) error {
		return w.d.InTx(ctx, func(tx *sql.Tx) error { return report.Share(ctx, tx, r.ID, ps, 0) })
	}
	if f, ok := problem.AsFields(share(nil)); !ok || !f.Has("partnerships") {
		t.Errorf("sharing with nobody: %v", f)
	}
	if err := share([]int64{w.pSPB}); err != nil {
		t.Fatal(err)
	}
	if !canRead(spb) || canRead(vlad) {
		t.Errorf("shared with Saint Petersburg: spb %v, vlad %v", canRead(spb), canRead(vlad))
	}
	if err := w.d.InTx(ctx, func(tx *sql.Tx) error { return report.Withdraw(ctx, tx, r.ID, 0) }); err != nil {
		t.Fatal(err)
	}
	if canRead(spb) {
		t.Error("a withdrawn report is still read by the liaison")
	}
	got, _ = report.Get(ctx, w.d.R, report.Reader{Staff: true}, r.ID)
	var steps []string
	for _, h := range got.History {
		steps = append(steps, h.Status)
	}
	if len(steps) != 3 || steps[0] != "draft" || steps[1] != "shared" || steps[2] != "withdrawn" {
		t.Errorf("history %v", steps)
	}
	// A liaison is bound to a partner city only.
	err = w.d.InTx(ctx, func(tx *sql.Tx) error { return report.BindLiaison(ctx, tx, spbLiaison, w.loner) })
	if f, ok := problem.AsFields(err); !ok || !f.Has("city") {
		t.Errorf("binding to a city of no partnership: %v", err)
	}
}

// TestReceivedWithdrawalHolds: a partner's report withdrawn at one moment is not brought back
// by a version from before it that arrives late (deliveries are retried out of order); a
// version shared again after the withdrawal is stored, and another actor's Delete of the same
// object neither removes it nor blocks it.
func TestReceivedWithdrawalHolds(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	const remote, actor = "https://spb.example/ap/reports/7", "https://spb.example/ap/actor"
	t0 := time.Date(2020, 5, 1, 9, 0, 0, 0, time.UTC)
	save := func(at time.Time) bool {
		t.Helper()
		r := w.validReport(w.busan)
		r.UpdatedAt = at
		var stored bool
		err := w.d.InTx(ctx, func(tx *sql.Tx) (err error) {
			stored, err = report.SaveReceived(ctx, tx, r, remote, actor, w.spb, today)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return stored
	}
	del := func(who string, at time.Time) {
		t.Helper()
		if err := w.d.InTx(ctx, func(tx *sql.Tx) error {
			_, err := report.DeleteReceived(ctx, tx, remote, who, at)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	if !save(t0) || count(t, w.d, "reports") != 1 {
		t.Fatal("the first version was not stored")
	}
	del(actor, t0.Add(time.Hour))
	if count(t, w.d, "reports") != 0 {
		t.Fatal("the Delete left the report")
	}
	if save(t0) || save(t0.Add(time.Hour)) || count(t, w.d, "reports") != 0 {
		t.Fatal("a version from before the withdrawal, arriving late, brought the report back")
	}
	if !save(t0.Add(2*time.Hour)) || count(t, w.d, "reports") != 1 || count(t, w.d, "received_report_deletions") != 0 {
		t.Fatal("the report shared again after its withdrawal was not stored, or the withdrawal's record stayed")
	}
	del("https://elsewhere.example/ap/actor", t0.Add(3*time.Hour))
	if count(t, w.d, "reports") != 1 || !save(t0.Add(4*time.Hour)) {
		t.Error("another actor's Delete removed or blocked the partner's report")
	}
}
