package web

import (
	"html/template"
	"math"
	"net/http"
	"slices"

	"sistercity/internal/chart"
	"sistercity/internal/civil"
	"sistercity/internal/i18n"
	"sistercity/internal/report"
)

// compareCity is one city's column of the comparison.
type compareCity struct {
	ID         int64
	Name, Lang string
	Population string
	AsOf       string // when the register counted the population
	perDay     map[string]float64
}

// compareRow is a date of the comparison's table, with each city's figure per 100,000.
type compareRow struct {
	Date    string
	ISODate string
	Cells   []string
}

type compareData struct {
	Metric    string
	Metrics   []option
	Cities    []compareCity
	Rows      []compareRow
	Chart     template.HTML // the chart package escapes every text it writes
	Missing   []string      // cities without a population in the register
	HasFigure bool
}

// adminReportsCompare sets the partners side by side: a metric per 100,000 inhabitants (the
// population from the register, with its date) for each as-of date, as an accessible chart
// with a table of the same numbers beside it. A liaison compares only what is shared with it.
func (s *Server) adminReportsCompare(w http.ResponseWriter, r *http.Request) {
	rd, err := s.reportReader(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	metric := r.URL.Query().Get("metric")
	m, ok := report.MetricByName(metric)
	if !ok || m.Ratio {
		metric, m = "total_cases", report.Metrics[0]
	}
	list, err := report.List(r.Context(), s.db.R, rd)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	names, err := s.loadReportNames(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.adminPage(w, r, "reports.compare.title")
	l := p.L
	data := compareData{Metric: metric}
	for _, mm := range report.Metrics {
		if !mm.Ratio {
			data.Metrics = append(data.Metrics, option{Value: mm.Name, Label: mm.Name})
		}
	}
	byCity := map[int64]*compareCity{}
	var order []int64
	days := map[string]bool{}
	for _, sum := range list {
		rep, err := report.Get(r.Context(), s.db.R, rd, sum.ID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		city := names.cities[rep.CityID]
		if city == nil {
			continue
		}
		if city.Population == nil || *city.Population <= 0 {
			if !slices.Contains(data.Missing, city.Name(p.Lang)) {
				data.Missing = append(data.Missing, city.Name(p.Lang))
			}
			continue
		}
		c := byCity[city.ID]
		if c == nil {
			c = &compareCity{ID: city.ID, Name: city.Name(p.Lang), Lang: city.NameLang(p.Lang), Population: l.Number(*city.Population),
				perDay: map[string]float64{}}
			if !city.StatsAsOf.IsZero() {
				c.AsOf = l.Date(city.StatsAsOf.Time())
			}
			byCity[city.ID] = c
			order = append(order, city.ID)
		}
		// A city's figure on a report's as-of date; the latest report wins a day both hold.
		if v, ok := rep.Latest(metric); ok {
			c.perDay[v.Day.String()] = v.Value * 100000 / float64(*city.Population)
			days[v.Day.String()] = true
		}
	}
	sortedDays := make([]string, 0, len(days))
	for d := range days {
		sortedDays = append(sortedDays, d)
	}
	slices.Sort(sortedDays)
	g := &chart.Grouped{ID: "compare", Lang: p.Lang, Title: l.T("reports.compare.chart_title", "name", metric),
		Format: func(v float64) string { return l.Number(v) }}
	for _, id := range order {
		data.Cities = append(data.Cities, *byCity[id])
	}
	series := make([]chart.GroupedSeries, len(data.Cities))
	for i, c := range data.Cities {
		series[i] = chart.GroupedSeries{Label: c.Name, Lang: c.Lang}
	}
	for _, d := range sortedDays {
		day, _ := civil.Parse(d)
		label := l.Date(day.Time())
		g.Categories = append(g.Categories, label)
		row := compareRow{Date: label, ISODate: d}
		for i, c := range data.Cities {
			v, ok := c.perDay[d]
			text := "—"
			if ok {
				text = per100k(l, v)
				data.HasFigure = true
			} else {
				v = math.NaN()
			}
			series[i].Values = append(series[i].Values, v)
			series[i].Texts = append(series[i].Texts, text)
			row.Cells = append(row.Cells, text)
		}
		data.Rows = append(data.Rows, row)
	}
	g.Series = series
	g.Description = l.T("reports.compare.chart_desc", "name", metric)
	if data.HasFigure {
		data.Chart = template.HTML(g.SVG()) // built from escaped text only
	}
	p.Data = data
	w.Header().Set("Cache-Control", "private, no-store")
	s.render(w, r, http.StatusOK, "admin/reports-compare", p)
}

// per100k writes a figure per 100,000 inhabitants with one decimal, in the reader's locale.
func per100k(l *i18n.Localizer, v float64) string { return l.Number(roundTo(v, 1)) }
