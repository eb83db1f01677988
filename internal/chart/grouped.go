package chart

import (
	"fmt"
	"math"
	"strings"
)

// GroupedSeries is one group member of every category: a city.
type GroupedSeries struct {
	Label  string
	Lang   string    // the language of Label, when it differs from the page's
	Values []float64 // one per category; NaN where there is no figure
	// Texts are the values as the page writes them (in the reader's locale), one per category;
	// the chart prints them so that it and the table beside it show the same numbers.
	Texts []string
}

// Grouped is a bar chart of figures side by side: one group per category (a date), one bar
// per series (a city), each series with its own pattern. Values may be fractions (figures per
// 100,000 inhabitants).
type Grouped struct {
	ID          string
	Title       string
	Description string
	Categories  []string
	Series      []GroupedSeries
	Lang        string
	Width       int
	// Format writes the value axis' numbers in the reader's locale; nil writes them plainly.
	Format func(float64) string
}

// SVG returns the chart as an <svg> element to put in a page.
func (g *Grouped) SVG() string {
	width := g.Width
	if width <= 0 {
		width = Wide
	}
	n, k := len(g.Categories), max(len(g.Series), 1)
	top, step := valueScale(g.Series)
	legendTop := plotTop + plotHeight + axisGap + 16
	height := legendTop + legendRow*len(g.Series) + 8
	id := g.ID
	var w strings.Builder
	writeHead(&w, id, g.Title, g.Description, width, height)
	w.WriteString("<defs>")
	for i := range g.Series {
		writePattern(&w, id, i)
	}
	w.WriteString("</defs>")
	scale := float64(plotHeight) / top
	writeValueAxis(&w, width, top, step, scale, g.Format)
	slot := float64(width-plotLeft-plotRight) / float64(max(n, 1))
	barW := min(slot*0.8/float64(k), 48)
	for i, cat := range g.Categories {
		x0 := float64(plotLeft) + slot*float64(i) + (slot-barW*float64(k))/2
		for si, s := range g.Series {
			if i >= len(s.Values) || math.IsNaN(s.Values[i]) {
				continue
			}
			h := s.Values[i] * scale
			x, y := x0+barW*float64(si), float64(plotTop+plotHeight)-h
			text := ""
			if i < len(s.Texts) {
				text = s.Texts[i]
			}
			fmt.Fprintf(&w, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="url(#%s-p%d)" stroke="#1b1f24" stroke-width="1">`+
				`<title>%s</title></rect>`, x, y, barW, h, id, si, esc(cat+": "+s.Label+" — "+text))
			fmt.Fprintf(&w, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#1b1f24" font-size="11">%s</text>`, x+barW/2, y-4, esc(text))
		}
		fmt.Fprintf(&w, `<text x="%.1f" y="%d" text-anchor="middle" fill="#1b1f24">%s</text>`,
			float64(plotLeft)+slot*float64(i)+slot/2, plotTop+plotHeight+axisGap-4, esc(cat))
	}
	fmt.Fprintf(&w, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#1b1f24" stroke-width="1"/>`,
		plotLeft, plotTop+plotHeight, width-plotRight, plotTop+plotHeight)
	for si, s := range g.Series {
		y := legendTop + legendRow*si
		fmt.Fprintf(&w, `<rect x="%d" y="%d" width="%d" height="%d" fill="url(#%s-p%d)" stroke="#1b1f24" stroke-width="1"/>`,
			plotLeft, y, swatch, swatch, id, si)
		writeLegendLabel(&w, plotLeft+swatch+8, y+swatch/2, s.Label, s.Lang, g.Lang)
	}
	w.WriteString("</svg>")
	return w.String()
}

// valueScale is the top of the value axis — the largest figure of series (NaN aside) rounded up
// to a whole step — and its step.
func valueScale(series []GroupedSeries) (top, step float64) {
	for _, s := range series {
		for _, v := range s.Values {
			if !math.IsNaN(v) {
				top = math.Max(top, v)
			}
		}
	}
	step = niceStep(top)
	top = step * math.Ceil(top/step)
	if top == 0 {
		top = step
	}
	return top, step
}

// niceStep picks a step for a value axis of fractions or whole numbers: at most six lines,
// each 1, 2 or 5 times a power of ten.
func niceStep(maxValue float64) float64 {
	if maxValue <= 0 {
		return 1
	}
	base := math.Pow(10, math.Floor(math.Log10(maxValue/5)))
	for _, m := range []float64{1, 2, 5, 10} {
		if maxValue <= base*m*5 {
			return base * m
		}
	}
	return base * 10
}

// trimFloat writes an axis number without trailing zeros: 0.5, 2, 150.
func trimFloat(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}
