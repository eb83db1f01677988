package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"time"

	"sistercity/internal/auth"
	"sistercity/internal/civil"
	"sistercity/internal/db"
	"sistercity/internal/exchange"
	"sistercity/internal/register"
	"sistercity/internal/report"
)

// The situation reports of the story: what Busan and Saint Petersburg told each other at their
// April and May 2020 video conferences — case figures and negative-pressure isolation wards —
// as reports linked to those conferences and shared with Saint Petersburg only. The figures are
// made up for the demonstration, and every report says so in every language (report.Demo).
// The comparison per 100,000 inhabitants divides by the register's populations: Busan's (the
// busan variable) and Saint Petersburg's (addDemoPopulations).

// demoPopulations are populations busan-partners.csv leaves empty, by English name, as of its
// date (figuresAsOf): Rosstat's estimate for Saint Petersburg on 2022-01-01. The file stays as
// the city published it; its row is completed once read, before every import, so that a second
// start finds nothing to change.
var demoPopulations = map[string]int64{"Saint Petersburg": 5384342}

func addDemoPopulations(f *register.File) {
	for _, r := range f.Rows {
		if n, ok := demoPopulations[r.Partner.Name("en")]; ok && r.Partner.Population == nil {
			r.Partner.Population = &n
		}
	}
}

// demoReport is one report of the story: a city, the conference it was discussed at, its
// figures and isolation capacity.
type demoReport struct {
	home           bool // Busan's report, else Saint Petersburg's
	conference     string
	asOf           string
	totalCases     float64
	newCases       float64
	hospitalised   float64
	negBase, negOc int64 // negative-pressure isolation rooms: baseline and occupied
	icuBase, icuOc int64
	measures       []report.Text
}

func demoReports() []demoReport {
	busanText := []report.Text{
		{Lang: "en", Measures: "Demonstration figures. Drive-through and walk-through testing stations; every contact of a confirmed case tested and placed in self-isolation for 14 days.",
			FollowUp: "Demonstration figures. Patients with mild symptoms moved to residential treatment centres so that negative-pressure rooms stay free for severe cases; daily calls to people in self-isolation."},
		{Lang: "ko", Measures: "시연용 수치입니다. 승차 검사(드라이브 스루)와 도보 이동형 선별 진료소를 운영하고, 확진자의 접촉자는 모두 검사한 뒤 14일간 자가 격리했습니다.",
			FollowUp: "시연용 수치입니다. 경증 환자는 생활 치료 센터로 옮겨 음압 병실을 중증 환자에게 남기고, 자가 격리자에게 매일 전화로 상태를 확인했습니다."},
		{Lang: "ru", Measures: "Демонстрационные данные. Пункты тестирования «из автомобиля» и пешеходные; все контакты заболевших проходят тест и 14 дней самоизоляции.",
			FollowUp: "Демонстрационные данные. Пациентов с лёгким течением переводят в центры амбулаторного наблюдения, чтобы палаты с отрицательным давлением оставались для тяжёлых больных; людям на самоизоляции звонят ежедневно."},
	}
	spbText := []report.Text{
		{Lang: "en", Measures: "Demonstration figures. Hospitals repurposed for COVID-19 patients; self-isolation for people over 65.",
			FollowUp: "Demonstration figures. Isolation capacity expanded in stages; discharged patients followed up by district clinics."},
		{Lang: "ko", Measures: "시연용 수치입니다. 일부 병원을 코로나19 전담 병원으로 바꾸고, 65세 이상 시민에게 자가 격리를 권고했습니다.",
			FollowUp: "시연용 수치입니다. 격리 병상을 단계적으로 늘리고, 퇴원 환자는 지역 진료소가 추적 관리했습니다."},
		{Lang: "ru", Measures: "Демонстрационные данные. Часть больниц перепрофилирована под COVID-19; режим самоизоляции для жителей старше 65 лет.",
			FollowUp: "Демонстрационные данные. Изоляционный коечный фонд расширяется поэтапно; выписанных пациентов наблюдают районные поликлиники."},
	}
	return []demoReport{
		{home: true, conference: "April", asOf: "2020-04-22", totalCases: 134, newCases: 0, hospitalised: 12, negBase: 54, negOc: 11, icuBase: 120, icuOc: 64, measures: busanText},
		{home: true, conference: "May", asOf: "2020-05-20", totalCases: 144, newCases: 1, hospitalised: 5, negBase: 54, negOc: 4, icuBase: 120, icuOc: 58, measures: busanText},
		{home: false, conference: "April", asOf: "2020-04-22", totalCases: 3985, newCases: 301, hospitalised: 2100, negBase: 160, negOc: 122, icuBase: 900, icuOc: 610, measures: spbText},
		{home: false, conference: "May", asOf: "2020-05-20", totalCases: 13051, newCases: 421, hospitalised: 6900, negBase: 400, negOc: 315, icuBase: 1100, icuOc: 790, measures: spbText},
	}
}

// demoLiaison is the account of Saint Petersburg's liaison in the demo.
const demoLiaison = "spb-liaison"

// loadReportsDemo adds the reports, the register's populations they are compared by, and the
// liaison account; running it again changes nothing.
func loadReportsDemo(ctx context.Context, d *db.DB, stdout io.Writer, log *slog.Logger) error {
	covid, err := report.SituationByKey(ctx, d.R, "covid-19")
	if err != nil {
		return err
	}
	existing, err := report.List(ctx, d.R, report.Reader{Staff: true})
	if err != nil {
		return err
	}
	created := 0
	err = d.InTx(ctx, func(tx *sql.Tx) error {
		ps, err := register.Partnerships(ctx, tx)
		if err != nil {
			return err
		}
		var spb *register.Partnership
		for _, p := range ps {
			if p.PartnerCity != nil && p.PartnerCity.Wikidata == wikidataSPb && p.Type == register.TypeSister {
				spb = p
			}
		}
		if spb == nil {
			return fmt.Errorf("demo: no sister partnership with Saint Petersburg")
		}
		for _, dr := range demoReports() {
			city := spb.PartnerCityID
			if dr.home {
				city = spb.HomeCityID
			}
			asOf := civil.MustParse(dr.asOf)
			if hasDemoReport(existing, city, asOf) {
				continue
			}
			conference, err := exchange.FindByTitle(ctx, tx, "en", "Video conference with Saint Petersburg on the COVID-19 response ("+dr.conference+")")
			if err != nil {
				return fmt.Errorf("demo: the %s conference: %w", dr.conference, err)
			}
			source := "Busan Metropolitan City, Citizen Safety Office"
			if !dr.home {
				source = "Saint Petersburg Health Committee"
			}
			r := &report.Report{SituationID: covid.ID, CityID: city, AsOf: asOf, PeriodStart: asOf, PeriodEnd: asOf,
				SourceOrg: source, Demo: true, Texts: dr.measures, Activities: []int64{conference},
				Values: []report.Value{{Day: asOf, Metric: "total_cases", Value: dr.totalCases}, {Day: asOf, Metric: "new_cases", Value: dr.newCases},
					{Day: asOf, Metric: "hosp_patients", Value: dr.hospitalised}},
				Beds: []report.Bed{
					{Type: "AdultICU", Unit: report.UnitBeds, Baseline: dr.icuBase, Available: dr.icuBase - dr.icuOc, Occupied: dr.icuOc, Status: report.CapacityAvailable},
					{Type: "NegativeFlowIsolation", Unit: report.UnitRooms, Baseline: dr.negBase, Available: dr.negBase - dr.negOc, Occupied: dr.negOc,
						Add24h: 2, Add72h: 10, Status: report.CapacityAvailable},
				}}
			if err := report.Create(ctx, tx, r, civil.Today(time.UTC), 0); err != nil {
				return fmt.Errorf("demo: report of %s: %w", dr.asOf, err)
			}
			if err := report.Share(ctx, tx, r.ID, []int64{spb.ID}, 0); err != nil {
				return err
			}
			if err := auth.Audit(ctx, tx, nil, auth.ActionCreate, auth.EntityReport, r.ID, nil, map[string]any{"city": city, "as_of": dr.asOf}); err != nil {
				return err
			}
			created++
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("demo: reports: %w", err)
	}
	log.Info("demo data", "reports_created", created)
	return ensureDemoLiaison(ctx, d, stdout, log)
}

func hasDemoReport(list []*report.Report, city int64, asOf civil.Date) bool {
	for _, r := range list {
		if r.Demo && r.CityID == city && r.AsOf == asOf {
			return true
		}
	}
	return false
}

// ensureDemoLiaison creates Saint Petersburg's liaison account when it is missing, and prints
// its password once.
func ensureDemoLiaison(ctx context.Context, d *db.DB, stdout io.Writer, log *slog.Logger) error {
	if _, err := auth.GetUserByName(ctx, d.R, demoLiaison); err == nil {
		return nil
	}
	password := auth.RandomPassword()
	err := d.InTx(ctx, func(tx *sql.Tx) error {
		ps, err := register.Partnerships(ctx, tx)
		if err != nil {
			return err
		}
		var city int64
		for _, p := range ps {
			if p.PartnerCity != nil && p.PartnerCity.Wikidata == wikidataSPb {
				city = p.PartnerCityID
			}
		}
		u, err := auth.CreateUser(ctx, tx, demoLiaison, "Saint Petersburg liaison", password, auth.RoleLiaison)
		if err != nil {
			return err
		}
		if err := report.BindLiaison(ctx, tx, u.ID, city); err != nil {
			return err
		}
		return auth.Audit(ctx, tx, nil, auth.ActionCreate, auth.EntityUser, u.ID, nil, map[string]string{"username": demoLiaison, "role": "liaison"})
	})
	if err != nil {
		return fmt.Errorf("demo: create the liaison: %w", err)
	}
	log.Info("created the demo liaison account", "username", demoLiaison)
	fmt.Fprintf(stdout, "\n  Saint Petersburg's liaison signs in as %s with the password: %s\n  (shown only this once)\n\n", demoLiaison, password)
	return nil
}
