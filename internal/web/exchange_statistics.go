package web

import (
	"bytes"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"sistercity/internal/chart"
	"sistercity/internal/csvsafe"
	"sistercity/internal/exchange"
	"sistercity/internal/i18n"
	"sistercity/internal/register"
	"sistercity/internal/video"
)

// statTables are the statistics' tables, by the name of their CSV file.
var statTables = []string{"by-partner", "by-kind", "by-mode", "videos-by-partner", "videos-by-language",
	"views-by-partner", "views-by-language"}

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
	// ChartNarrow is the same chart drawn for a phone's width, shown there instead of Chart
	// (face.css), so that its text stays legible rather than scaled down.
	ChartNarrow template.HTML
	CSV         string
	Empty       string // what the page says when there are no rows
	Note        string // what the table counts, when the page's introduction does not say
}

// statTables computes the statistics' tables: activities that took place per year by partner,
// by kind and by mode, and published videos per year by partner city (that of each partnership
// a video is linked to) and by language (those it has a title in).
func (s *Server) statTables(r *http.Request, l *i18n.Localizer) ([]statTable, error) {
	ctx := r.Context()
	// Public statistics count public activities only: an internal one would show through
	// its count.
	acts, err := s.activities(ctx)
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
	vids, _, err := video.List(ctx, s.db.R, video.Filter{States: []string{video.StatePublished}})
	if err != nil {
		return nil, err
	}
	cities := map[string]*register.City{}
	var cityOrder []string
	for _, p := range ps {
		if p.PartnerCity == nil {
			continue
		}
		id := strconv.FormatInt(p.PartnerCity.ID, 10)
		if cities[id] == nil {
			cities[id] = p.PartnerCity
			cityOrder = append(cityOrder, id)
		}
	}
	views, err := s.loadViewTallies(r, vids)
	if err != nil {
		return nil, err
	}
	var out []statTable
	for _, name := range statTables {
		var tally exchange.Tally
		var label func(key string) labelled
		t := statTable{ID: name, CSV: "/" + l.Lang + "/statistics/" + name + ".csv", Empty: l.T("statistics.empty")}
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
		case "videos-by-partner":
			tally = countVideos(vids, func(v *video.Video) []string {
				var keys []string
				for _, pid := range v.Partnerships {
					if p := byID[strconv.FormatInt(pid, 10)]; p != nil && p.PartnerCity != nil {
						keys = append(keys, strconv.FormatInt(p.PartnerCity.ID, 10))
					}
				}
				return keys
			}, cityOrder)
			t.Head, t.Empty = l.T("statistics.partner"), l.T("statistics.videos_empty")
			label = func(key string) labelled {
				if c := cities[key]; c != nil {
					return labelled{c.Name(l.Lang), c.NameLang(l.Lang)}
				}
				return labelled{key, l.Lang}
			}
		case "videos-by-language":
			tally = countVideos(vids, func(v *video.Video) []string {
				var keys []string
				for _, tx := range v.Texts {
					if strings.TrimSpace(tx.Title) != "" {
						keys = append(keys, tx.Lang)
					}
				}
				return keys
			}, nil)
			t.Head, t.Empty = l.T("statistics.language"), l.T("statistics.videos_empty")
			label = func(key string) labelled { return labelled{langName(l, key), l.Lang} }
		case "views-by-partner", "views-by-language":
			tally, label = views.table(l, name, &t, byID, cities, cityOrder)
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
		narrow := *bars
		narrow.ID, narrow.Width = bars.ID+"-narrow", chart.Narrow
		t.ChartNarrow = template.HTML(narrow.SVG())
		out = append(out, t)
	}
	return out, nil
}

// countVideos tallies published videos by the year they were published and the keys keysOf
// gives each (counted once per key); rows come in order, then the other keys sorted.
func countVideos(vids []*video.Video, keysOf func(*video.Video) []string, order []string) exchange.Tally {
	counts := map[string]map[int]int{}
	first, last := 0, 0
	for _, v := range vids {
		if v.PublishedAt.IsZero() {
			continue
		}
		y := v.PublishedAt.Year()
		seen := map[string]bool{}
		for _, k := range keysOf(v) {
			if seen[k] {
				continue
			}
			seen[k] = true
			if counts[k] == nil {
				counts[k] = map[int]int{}
			}
			counts[k][y]++
			if first == 0 || y < first {
				first = y
			}
			last = max(last, y)
		}
	}
	return tallyOf(counts, first, last, order)
}

// tallyOf makes the table of counts[key][year] for the years first to last (none when first is
// 0): the keys in order first, then the others sorted.
func tallyOf(counts map[string]map[int]int, first, last int, order []string) exchange.Tally {
	var t exchange.Tally
	if first == 0 {
		return t
	}
	for y := first; y <= last; y++ {
		t.Years = append(t.Years, y)
	}
	var keys []string
	for _, k := range order {
		if counts[k] != nil {
			keys = append(keys, k)
		}
	}
	var rest []string
	for k := range counts {
		if !slices.Contains(keys, k) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	for _, k := range append(keys, rest...) {
		row := exchange.TallyRow{Key: k}
		for _, y := range t.Years {
			row.Counts = append(row.Counts, counts[k][y])
			row.Total += counts[k][y]
		}
		t.Rows = append(t.Rows, row)
	}
	return t
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
		p.Description = p.L.T("face.meta.statistics")
		p.Title = p.L.T("statistics.title")
		p.Feeds = []feedLink{timelineFeedLink(p.L, "/"+lang+"/timeline.atom", p.L.T("feeds.timeline.title", "site", p.Site.Name))}
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
// machines, in UTF-8 with a byte order mark so that spreadsheets read Hangul and Cyrillic right,
// and with what a spreadsheet would take for a formula quoted (csvsafe).
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
		cw := csvsafe.NewWriter(&b) // a city or tag named "=…" is no formula in a spreadsheet
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
		file := "activities-" + name
		if strings.HasPrefix(name, "videos-") || strings.HasPrefix(name, "views-") {
			file = name
		}
		h.Set("Content-Disposition", `attachment; filename="`+file+`-`+lang+`.csv"`)
		h.Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(b.Bytes())
	}
}
