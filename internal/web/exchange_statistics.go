package web

import (
	"bytes"
	"encoding/csv"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"sistercity/internal/chart"
	"sistercity/internal/exchange"
	"sistercity/internal/i18n"
	"sistercity/internal/register"
)

// statTables are the statistics' tables, by the name of their CSV file.
var statTables = []string{"by-partner", "by-kind", "by-mode"}

// statRow is one line of a statistics table.
type statRow struct {
	Code   string // the key for machines: a partnership id, a kind, a mode
	Label  labelled
	Counts []int
	Total  int
}

// statTable is one statistics table with its chart.
type statTable struct {
	ID      string
	Title   string
	Caption string
	Head    string // the heading of the label column
	Years   []string
	Rows    []statRow
	Totals  []int
	Total   int
	Chart   template.HTML
	CSV     string
}

// statTables computes the statistics' tables: activities that took place per year by partner,
// by kind and by mode. Videos per partner and language join them when the video model exists:
// a fourth table built the same way, keyed by the videos' partnerships and subtitle languages,
// added to statTables (the names) and to the switch below.
func (s *Server) statTables(r *http.Request, l *i18n.Localizer) ([]statTable, error) {
	ctx := r.Context()
	acts, err := exchange.List(ctx, s.db.R)
	if err != nil {
		return nil, err
	}
	ps, err := register.Partnerships(ctx, s.db.R)
	if err != nil {
		return nil, err
	}
	today := s.today()
	byID := map[string]*register.Partnership{}
	var order []string
	for _, p := range ps {
		id := strconv.FormatInt(p.ID, 10)
		byID[id] = p
		order = append(order, id)
	}
	var out []statTable
	for _, name := range statTables {
		var tally exchange.Tally
		var label func(key string) labelled
		t := statTable{ID: name, CSV: "/" + l.Lang + "/statistics/" + name + ".csv"}
		switch name {
		case "by-partner":
			tally = exchange.Count(acts, today, exchange.ByPartnership, order)
			t.Head = l.T("statistics.partner")
			label = func(key string) labelled {
				if p := byID[key]; p != nil && p.PartnerCity != nil {
					return labelled{p.PartnerCity.Name(l.Lang), p.PartnerCity.NameLang(l.Lang)}
				}
				return labelled{key, l.Lang}
			}
		case "by-kind":
			tally = exchange.Count(acts, today, exchange.ByKind, exchange.Kinds)
			t.Head = l.T("statistics.kind")
			label = func(key string) labelled { return labelled{l.T("exchange.kind." + key), l.Lang} }
		case "by-mode":
			tally = exchange.Count(acts, today, exchange.ByMode, exchange.Modes)
			t.Head = l.T("statistics.mode")
			label = func(key string) labelled { return labelled{l.T("exchange.mode." + key), l.Lang} }
		}
		t.Title = l.T("statistics.title_" + strings.ReplaceAll(name, "-", "_"))
		if len(tally.Years) == 0 {
			out = append(out, t) // no chart and no rows: the page says there is nothing yet
			continue
		}
		t.Caption = l.T("statistics.caption", "title", t.Title, "from", strconv.Itoa(tally.Years[0]),
			"to", strconv.Itoa(tally.Years[len(tally.Years)-1]))
		for _, y := range tally.Years {
			t.Years = append(t.Years, strconv.Itoa(y))
		}
		bars := &chart.Bars{ID: "chart-" + name, Title: t.Caption, Categories: t.Years, Lang: l.Lang}
		for _, row := range tally.Rows {
			lab := label(row.Key)
			t.Rows = append(t.Rows, statRow{Code: row.Key, Label: lab, Counts: row.Counts, Total: row.Total})
			t.Total += row.Total
			bars.Series = append(bars.Series, chart.Series{Label: lab.Text, Lang: lab.Lang, Values: row.Counts})
		}
		t.Totals = tally.Totals()
		bars.Description = describe(l, t)
		t.Chart = template.HTML(bars.SVG()) // built from escaped text only
		out = append(out, t)
	}
	return out, nil
}

// describe tells a chart's figures in words, year by year, for its <desc>.
func describe(l *i18n.Localizer, t statTable) string {
	var years []string
	for i, y := range t.Years {
		var items []string
		for _, r := range t.Rows {
			if r.Counts[i] > 0 {
				items = append(items, l.T("statistics.desc_item", "label", r.Label.Text, "count", r.Counts[i]))
			}
		}
		if len(items) == 0 {
			items = []string{l.T("statistics.desc_none")}
		}
		years = append(years, l.T("statistics.desc_year", "year", y, "items", strings.Join(items, l.T("statistics.desc_sep"))))
	}
	return strings.Join(years, " ")
}

type statisticsData struct {
	Tables []statTable
}

// statisticsPage serves /{lang}/statistics: charts with their tables and CSV downloads.
func (s *Server) statisticsPage(lang string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := s.newPage(r, lang, "")
		p.Title = p.L.T("statistics.title")
		tables, err := s.statTables(r, p.L)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		p.Data = statisticsData{Tables: tables}
		s.render(w, r, http.StatusOK, "statistics", p)
	}
}

// statisticsCSV serves /{lang}/statistics/{name}.csv: one table, with a code column for
// machines, in UTF-8 with a byte order mark so that spreadsheets read Hangul and Cyrillic right.
func (s *Server) statisticsCSV(lang string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name, ok := strings.CutSuffix(r.PathValue("file"), ".csv")
		if !ok {
			s.notFound(w, r)
			return
		}
		l := s.cat.Localizer(lang)
		tables, err := s.statTables(r, l)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !slices.Contains(statTables, name) {
			s.notFound(w, r)
			return
		}
		var b bytes.Buffer
		b.WriteString("\ufeff")
		cw := csv.NewWriter(&b)
		for _, t := range tables {
			if t.ID != name {
				continue
			}
			_ = cw.Write(append(append([]string{l.T("statistics.code"), t.Head}, t.Years...), l.T("statistics.total")))
			for _, row := range t.Rows {
				rec := []string{row.Code, row.Label.Text}
				for _, n := range row.Counts {
					rec = append(rec, strconv.Itoa(n))
				}
				_ = cw.Write(append(rec, strconv.Itoa(row.Total)))
			}
		}
		cw.Flush()
		h := w.Header()
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Content-Disposition", `attachment; filename="activities-`+name+`-`+lang+`.csv"`)
		h.Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(b.Bytes())
	}
}
