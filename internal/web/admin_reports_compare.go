package web

import (
	"html/template"
	"math"
	"net/http"
	"slices"
	"strconv"

	"sistercity/internal/chart"
	"sistercity/internal/civil"
	"sistercity/internal/i18n"
	"sistercity/internal/register"
	"sistercity/internal/report"
)

// compareCity is one city's column of a comparison.
type compareCity struct {
	ID         int64
	Name, Lang string
	Population string
	AsOf       string // when the register counted the population
	perDay     map[string]float64
}

// compareRow is a date of a comparison's table, with each city's figure.
type compareRow struct {
	Date    string
	ISODate string
	Cells   []string
}

// comparison is a chart with the table of the same figures beside it.
type comparison struct {
	Caption   string
	Cities    []compareCity
	Rows      []compareRow
	Chart     template.HTML // the chart package escapes every text it writes
	HasFigure bool
}

type compareData struct {
	Metric    string
	Metrics   []option
	PerCapita comparison
	Isolation comparison
	Series    []comparison // each city's figures of the metric over time, as reported
	Missing   []string     // cities without a population in the register
}

// cityColumns collects the cities of a comparison in the order they first appear.
type cityColumns struct {
	byID  map[int64]*compareCity
	order []int64
}

func (cc *cityColumns) get(l *i18n.Localizer, c *register.City) *compareCity {
	if cc.byID == nil {
		cc.byID = map[int64]*compareCity{}
	}
	col := cc.byID[c.ID]
	if col == nil {
		col = &compareCity{ID: c.ID, Name: c.Name(l.Lang), Lang: c.NameLang(l.Lang), perDay: map[string]float64{}}
		if c.Population != nil {
			col.Population = l.Number(*c.Population)
		}
		if !c.StatsAsOf.IsZero() {
			col.AsOf = l.Date(c.StatsAsOf.Time())
		}
		cc.byID[c.ID] = col
		cc.order = append(cc.order, c.ID)
	}
	return col
}

// build turns the columns into a chart and its table, every figure written by text; draw makes
// the chart of the dates (as the page writes them) and the cities' series.
func (cc *cityColumns) build(l *i18n.Localizer, caption string, text func(float64) string,
	draw func(dates []string, series []chart.GroupedSeries) string) comparison {
	cmp := comparison{Caption: caption}
	days := map[string]bool{}
	for _, id := range cc.order {
		cmp.Cities = append(cmp.Cities, *cc.byID[id])
		for d := range cc.byID[id].perDay {
			days[d] = true
		}
	}
	sorted := make([]string, 0, len(days))
	for d := range days {
		sorted = append(sorted, d)
	}
	slices.Sort(sorted)
	series := make([]chart.GroupedSeries, len(cmp.Cities))
	for i, c := range cmp.Cities {
		series[i] = chart.GroupedSeries{Label: c.Name, Lang: c.Lang}
	}
	var dates []string
	for _, d := range sorted {
		day, _ := civil.Parse(d)
		label := l.Date(day.Time())
		dates = append(dates, label)
		row := compareRow{Date: label, ISODate: d}
		for i, c := range cmp.Cities {
			v, ok := c.perDay[d]
			cell := "—"
			if ok {
				cell = text(v)
				cmp.HasFigure = true
			} else {
				v = math.NaN()
			}
			series[i].Values = append(series[i].Values, v)
			series[i].Texts = append(series[i].Texts, cell)
			row.Cells = append(row.Cells, cell)
		}
		cmp.Rows = append(cmp.Rows, row)
	}
	if cmp.HasFigure {
		cmp.Chart = template.HTML(draw(dates, series)) // the chart package escapes every text
	}
	return cmp
}

// grouped draws bars side by side with g's titles and format.
func grouped(g chart.Grouped) func([]string, []chart.GroupedSeries) string {
	return func(dates []string, series []chart.GroupedSeries) string {
		g.Categories, g.Series = dates, series
		return g.SVG()
	}
}

// lines draws a time series with c's titles and format.
func lines(c chart.Lines) func([]string, []chart.GroupedSeries) string {
	return func(dates []string, series []chart.GroupedSeries) string {
		c.Categories, c.Series = dates, series
		return c.SVG()
	}
}

// adminReportsCompare sets the partners side by side: a metric per 100,000 inhabitants (the
// population from the register, with its date) and the occupancy of isolation capacity, for
// each as-of date, as accessible charts with tables of the same numbers beside them. A liaison
// compares only what is shared with it.
func (s *Server) adminReportsCompare(w http.ResponseWriter, r *http.Request) {
	rd, err := s.reportReader(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	metric := r.URL.Query().Get("metric")
	if m, ok := report.MetricByName(metric); !ok || m.Ratio {
		metric = "total_cases"
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
	for _, m := range report.Metrics {
		if !m.Ratio {
			data.Metrics = append(data.Metrics, option{Value: m.Name, Label: m.Name})
		}
	}
	var perCapita, isolation cityColumns
	// Each city's series of the metric, as reported, in its own chart.
	series := map[int64]*cityColumns{}
	var seriesOrder []int64
	// The list is newest first: going through it backwards, a later report wins a day that
	// two reports hold.
	for _, sum := range slices.Backward(list) {
		rep, err := report.Get(r.Context(), s.db.R, rd, sum.ID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		city := names.cities[rep.CityID]
		if city == nil {
			continue
		}
		var occupied, baseline int64
		for _, b := range rep.Beds {
			if report.IsIsolation(b.Type) {
				occupied += b.Occupied
				baseline += b.Baseline
			}
		}
		if baseline > 0 {
			isolation.get(l, city).perDay[rep.AsOf.String()] = float64(occupied) * 100 / float64(baseline)
		}
		for _, v := range rep.Values {
			if v.Metric != metric {
				continue
			}
			cc := series[city.ID]
			if cc == nil {
				cc = &cityColumns{}
				series[city.ID] = cc
				seriesOrder = append(seriesOrder, city.ID)
			}
			cc.get(l, city).perDay[v.Day.String()] = v.Value
		}
		v, ok := rep.Latest(metric)
		if !ok {
			continue
		}
		if city.Population == nil || *city.Population <= 0 {
			if !slices.Contains(data.Missing, city.Name(p.Lang)) {
				data.Missing = append(data.Missing, city.Name(p.Lang))
			}
			continue
		}
		perCapita.get(l, city).perDay[v.Day.String()] = v.Value * 100000 / float64(*city.Population)
	}
	number := func(v float64) string { return l.Number(v) }
	title := l.T("reports.compare.chart_title", "name", metric)
	data.PerCapita = perCapita.build(l, title, func(v float64) string { return l.Number(roundTo(v, 1)) },
		grouped(chart.Grouped{ID: "compare", Lang: p.Lang, Format: number, Title: title,
			Description: l.T("reports.compare.chart_desc", "name", metric)}))
	title = l.T("reports.compare.isolation_title")
	data.Isolation = isolation.build(l, title, func(v float64) string {
		return l.T("reports.percent", "percent", l.Number(math.Round(v)))
	}, grouped(chart.Grouped{ID: "isolation", Lang: p.Lang, Title: title,
		Format:      func(v float64) string { return l.T("reports.percent", "percent", l.Number(v)) },
		Description: l.T("reports.compare.isolation_desc")}))
	for _, id := range seriesOrder {
		name := names.cities[id].Name(p.Lang)
		title := l.T("reports.compare.series_title", "name", metric, "city", name)
		data.Series = append(data.Series, series[id].build(l, title, number,
			lines(chart.Lines{ID: "series-" + strconv.FormatInt(id, 10), Lang: p.Lang, Format: number, Title: title,
				Description: l.T("reports.compare.series_desc", "name", metric, "city", name)})))
	}
	p.Data = data
	w.Header().Set("Cache-Control", "private, no-store")
	s.render(w, r, http.StatusOK, "admin/reports-compare", p)
}
