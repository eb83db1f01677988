// Package report holds the situation reports that partner cities share privately: a city's
// case figures (named as in Our World in Data's COVID-19 dataset) and its bed capacity (by
// EDXL-HAVE 1.0 bed type), with measures and follow-up processes per language. It knows the
// reports' rules, their SQL, who may read them, and their standard files (OWID CSV in and out,
// JSON, EDXL-HAVE XML); it knows nothing of HTTP.
package report

import (
	"slices"
	"time"

	"sistercity/internal/civil"
	"sistercity/internal/problem"
)

// Statuses of a report. Only a shared report reaches a partner's liaison.
const (
	StatusDraft     = "draft"
	StatusShared    = "shared"
	StatusWithdrawn = "withdrawn"
)

// Metric is a case figure as Our World in Data names it, with its unit.
type Metric struct {
	Name string // OWID's column name: total_cases
	Unit string // cases, deaths, patients, tests, doses, people, ratio
	// Ratio metrics lie between 0 and 1; the others are counts, never negative.
	Ratio bool
}

// Metrics are the figures a report may hold, in OWID's column order.
var Metrics = []Metric{
	{Name: "total_cases", Unit: "cases"},
	{Name: "new_cases", Unit: "cases"},
	{Name: "total_deaths", Unit: "deaths"},
	{Name: "new_deaths", Unit: "deaths"},
	{Name: "hosp_patients", Unit: "patients"},
	{Name: "icu_patients", Unit: "patients"},
	{Name: "total_tests", Unit: "tests"},
	{Name: "new_tests", Unit: "tests"},
	{Name: "positive_rate", Unit: "ratio", Ratio: true},
	{Name: "total_vaccinations", Unit: "doses"},
	{Name: "people_vaccinated", Unit: "people"},
}

// MetricByName returns the metric OWID calls name.
func MetricByName(name string) (Metric, bool) {
	i := slices.IndexFunc(Metrics, func(m Metric) bool { return m.Name == name })
	if i < 0 {
		return Metric{}, false
	}
	return Metrics[i], true
}

// Bed types of EDXL-HAVE 1.0, in the standard's order.
var BedTypes = []string{"AdultICU", "PediatricICU", "NeonatalICU", "EmergencyDepartment", "NurseryBeds",
	"MedicalSurgical", "RehabLongTermCare", "Burn", "Pediatrics", "AdultPsychiatric", "PediatricPsychiatric",
	"NegativeFlowIsolation", "OtherIsolation", "OperatingRooms"}

// Units a bed row counts in.
const (
	UnitBeds  = "beds"
	UnitRooms = "rooms"
)

// Capacity statuses of a bed row (EDXL-HAVE's Vacant/Available and NotAvailable).
const (
	CapacityAvailable    = "available"
	CapacityNotAvailable = "not_available"
)

// UnitsFor lists the units that fit a bed type: operating rooms are rooms; isolation is
// counted in rooms or in beds (a negative-pressure room may hold one bed or several); every
// other type counts beds.
func UnitsFor(bedType string) []string {
	switch bedType {
	case "OperatingRooms":
		return []string{UnitRooms}
	case "NegativeFlowIsolation", "OtherIsolation":
		return []string{UnitRooms, UnitBeds}
	}
	return []string{UnitBeds}
}

// IsIsolation tells whether beds of this type may also be counted in other types (the
// standard's note), so that totals must leave them out.
func IsIsolation(bedType string) bool {
	return bedType == "NegativeFlowIsolation" || bedType == "OtherIsolation"
}

// Bed is a bed-capacity row of a report.
type Bed struct {
	Type      string `json:"bed_type"`
	Unit      string `json:"unit"`
	Baseline  int64  `json:"baseline"`
	Available int64  `json:"available"`
	Occupied  int64  `json:"occupied"`
	Add24h    int64  `json:"additional_24h"`
	Add72h    int64  `json:"additional_72h"`
	Status    string `json:"capacity_status"`
}

// Value is one metric's figure on one day.
type Value struct {
	Day    civil.Date `json:"date"`
	Metric string     `json:"metric"`
	Value  float64    `json:"value"`
}

// Text is what a report says in one language.
type Text struct {
	Lang     string `json:"lang"`
	Measures string `json:"measures,omitempty"`
	FollowUp string `json:"follow_up,omitempty"`
}

// StatusChange is one step of a report's history.
type StatusChange struct {
	Status string    `json:"status"`
	At     time.Time `json:"at"`
	UserID int64     `json:"-"`
}

// Situation is what reports are about (COVID-19), with its name per language and the metrics
// its reports carry.
type Situation struct {
	ID      int64
	Key     string
	Names   map[string]string
	Metrics []string
}

// Name returns the situation's name in lang, or in English, or its key.
func (s *Situation) Name(lang string) string {
	if n := s.Names[lang]; n != "" {
		return n
	}
	if n := s.Names["en"]; n != "" {
		return n
	}
	return s.Key
}

// Report is a city's situation report.
type Report struct {
	ID          int64          `json:"id"`
	SituationID int64          `json:"-"`
	CityID      int64          `json:"-"`
	AsOf        civil.Date     `json:"as_of"`
	PeriodStart civil.Date     `json:"period_start"`
	PeriodEnd   civil.Date     `json:"period_end"`
	SourceOrg   string         `json:"source_organisation"`
	Status      string         `json:"status"`
	Demo        bool           `json:"demonstration_figures"`
	Texts       []Text         `json:"texts,omitempty"`
	Values      []Value        `json:"values,omitempty"`
	Beds        []Bed          `json:"beds,omitempty"`
	Activities  []int64        `json:"activities,omitempty"`
	SharedWith  []int64        `json:"shared_with_partnerships,omitempty"`
	History     []StatusChange `json:"history,omitempty"`
	UpdatedAt   time.Time      `json:"updated_at"`
	// RemoteID is the partner's object id of a report received from a partner city's own
	// instance, RemoteActor the actor that sent it; both "" for the office's own reports.
	RemoteID    string `json:"-"`
	RemoteActor string `json:"-"`
}

// Received tells whether the report came from a partner's instance: staff read it, nobody
// here edits or shares it.
func (r *Report) Received() bool { return r.RemoteID != "" }

// Text returns the report's text in lang, and whether it has one.
func (r *Report) Text(lang string) (Text, bool) {
	for _, t := range r.Texts {
		if t.Lang == lang {
			return t, true
		}
	}
	return Text{}, false
}

// Latest returns the last value of metric in the report, and whether it has one.
func (r *Report) Latest(metric string) (Value, bool) {
	var last Value
	found := false
	for _, v := range r.Values {
		if v.Metric == metric && (!found || !v.Day.Before(last.Day)) {
			last, found = v, true
		}
	}
	return last, found
}

// BedTotals sums the rows that are not isolation: isolation beds may be counted in other types
// as well, so adding them would count them twice.
func (r *Report) BedTotals() (baseline, available, occupied int64) {
	for _, b := range r.Beds {
		if IsIsolation(b.Type) {
			continue
		}
		baseline += b.Baseline
		available += b.Available
		occupied += b.Occupied
	}
	return baseline, available, occupied
}

// Limits of a report.
const (
	MaxSourceOrg = 200
	MaxText      = 20000
	MaxValues    = 20000
	maxCount     = 1 << 40
)

// Validate checks a report before it is saved: dates in order and not in the future, values of
// known metrics within the period, bed rows that add up. today is the reporting city's today.
func (r *Report) Validate(today civil.Date) problem.Fields {
	var f problem.Fields
	switch {
	case r.AsOf.IsZero():
		f.Add("as_of", "validation.required")
	case r.AsOf.After(today):
		f.Add("as_of", "reports.error.future")
	}
	if r.PeriodStart.IsZero() {
		r.PeriodStart = r.AsOf
	}
	if r.PeriodEnd.IsZero() {
		r.PeriodEnd = r.AsOf
	}
	if r.PeriodEnd.Before(r.PeriodStart) || r.PeriodEnd.After(r.AsOf) {
		f.Add("period_end", "reports.error.period")
	}
	if len([]rune(r.SourceOrg)) > MaxSourceOrg {
		f.Add("source_org", "validation.too_long", "count", MaxSourceOrg)
	}
	if r.SituationID == 0 {
		f.Add("situation", "validation.required")
	}
	if r.CityID == 0 {
		f.Add("city", "validation.required")
	}
	for _, t := range r.Texts {
		if len([]rune(t.Measures)) > MaxText || len([]rune(t.FollowUp)) > MaxText {
			f.Add("texts", "validation.too_long", "count", MaxText)
		}
	}
	if len(r.Values) > MaxValues {
		f.Add("values", "reports.error.too_many_values", "count", MaxValues)
	}
	for _, v := range r.Values {
		if field, key, args := checkValue(v, r.PeriodStart, r.AsOf); key != "" {
			f.Add(field, key, args...)
			break
		}
	}
	seen := map[string]bool{}
	for i, b := range r.Beds {
		if seen[b.Type] {
			f.Add(bedField(i, "type"), "reports.error.bed_twice", "name", b.Type)
		}
		seen[b.Type] = true
		f = append(f, b.Validate(i)...)
	}
	return f
}

// checkValue returns the field, message key and arguments of what is wrong with v, or "".
func checkValue(v Value, from, to civil.Date) (string, string, []any) {
	m, ok := MetricByName(v.Metric)
	switch {
	case !ok:
		return "values", "reports.error.metric", []any{"name", v.Metric}
	case v.Day.IsZero() || v.Day.Before(from) || v.Day.After(to):
		return "values", "reports.error.value_day", []any{"name", v.Metric, "date", v.Day.String()}
	case v.Value < 0:
		return "values", "reports.error.negative", []any{"name", v.Metric}
	case m.Ratio && v.Value > 1:
		return "values", "reports.error.ratio", []any{"name", v.Metric}
	case !m.Ratio && v.Value > maxCount:
		return "values", "reports.error.too_large", []any{"name", v.Metric}
	}
	return "", "", nil
}

func bedField(i int, name string) string { return "bed_" + itoa(i) + "_" + name }

// Validate checks one bed row; i numbers it in the messages' fields.
func (b *Bed) Validate(i int) problem.Fields {
	var f problem.Fields
	if !slices.Contains(BedTypes, b.Type) {
		f.Add(bedField(i, "type"), "validation.choice")
		return f
	}
	if !slices.Contains(UnitsFor(b.Type), b.Unit) {
		f.Add(bedField(i, "unit"), "reports.error.unit", "name", b.Type)
	}
	for _, c := range []struct {
		name string
		n    int64
	}{{"baseline", b.Baseline}, {"available", b.Available}, {"occupied", b.Occupied}, {"add24", b.Add24h}, {"add72", b.Add72h}} {
		if c.n < 0 {
			f.Add(bedField(i, c.name), "reports.error.negative_count")
		} else if c.n > maxCount {
			f.Add(bedField(i, c.name), "reports.error.too_large_count")
		}
	}
	switch {
	case b.Occupied > b.Baseline:
		f.Add(bedField(i, "occupied"), "reports.error.occupied_over_baseline")
	case b.Available+b.Occupied > b.Baseline:
		f.Add(bedField(i, "available"), "reports.error.sum_over_baseline")
	}
	if b.Add72h < b.Add24h && b.Add72h >= 0 {
		f.Add(bedField(i, "add72"), "reports.error.add72")
	}
	if b.Status != CapacityAvailable && b.Status != CapacityNotAvailable {
		f.Add(bedField(i, "status"), "validation.choice")
	}
	return f
}
