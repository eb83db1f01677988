// Package chart draws accessible SVG charts on the server: a stacked bar chart whose series are
// told apart by pattern as well as colour, with text labels, a legend, and a title and
// description for assistive technology. It is a leaf library without I/O; pages put a table of
// the same figures next to each chart.
package chart

import (
	"fmt"
	"html"
	"strconv"
	"strings"
)

// Series is one stacked part of every bar: a partner, a kind, a mode.
type Series struct {
	Label  string
	Lang   string // the language of Label, when it differs from the page's
	Values []int  // one per category, in the order of Bars.Categories
}

// Bars is a stacked bar chart: one bar per category (a year), one segment per series.
type Bars struct {
	ID          string // unique on the page; prefixes the ids inside the SVG
	Title       string
	Description string // a summary in words of what the chart shows
	Categories  []string
	Series      []Series
	Lang        string // the page's language
	// Width is the chart's width in SVG units, Wide when zero. Its text is 13 units high, so
	// a chart drawn Narrow and shown on a phone 390 px wide keeps its text above 12 CSS px,
	// where the wide one, scaled down, would not.
	Width int
}

// Widths of the two layouts a page offers: one for wide screens, one for phones.
const (
	Wide   = 640
	Narrow = 340
)

// palette holds colours with at least 3:1 contrast against white (WCAG 1.4.11), used with the
// patterns below so that no series is told apart by colour alone.
var palette = []string{"#0b5394", "#a11a1a", "#1e6b34", "#6b3fa0", "#8a5a00", "#00607a", "#4a5563", "#9c2f6b"}

// Geometry, in SVG user units.
const (
	plotTop    = 28
	plotHeight = 220
	plotLeft   = 44
	plotRight  = 16
	axisGap    = 22
	legendRow  = 24
	swatch     = 16
)

// SVG returns the chart as an <svg> element to put in a page.
func (b *Bars) SVG() string {
	width := b.Width
	if width <= 0 {
		width = Wide
	}
	n := len(b.Categories)
	totals := make([]int, n)
	for _, s := range b.Series {
		for i := 0; i < n && i < len(s.Values); i++ {
			totals[i] += s.Values[i]
		}
	}
	maxTotal := 0
	for _, t := range totals {
		maxTotal = max(maxTotal, t)
	}
	step := tickStep(maxTotal)
	top := step * ((maxTotal + step - 1) / step)
	if top == 0 {
		top = step
	}
	// Category labels that do not fit their slot side by side are turned, and take more room
	// below the axis: about 0.6 em a character at 13 units.
	slot := float64(width-plotLeft-plotRight) / float64(max(n, 1))
	turned := false
	for _, cat := range b.Categories {
		if float64(len([]rune(cat)))*13*0.6 > slot-4 {
			turned = true
		}
	}
	labelRoom := 0
	if turned {
		labelRoom = 24
	}
	legendTop := plotTop + plotHeight + axisGap + 16 + labelRoom
	height := legendTop + legendRow*len(b.Series) + 8
	id := b.ID
	var w strings.Builder
	writeHead(&w, id, b.Title, b.Description, width, height)
	w.WriteString("<defs>")
	for i := range b.Series {
		writePattern(&w, id, i)
	}
	w.WriteString("</defs>")

	// The value axis: grid lines with their numbers.
	scale := float64(plotHeight) / float64(top)
	writeValueAxis(&w, width, float64(top), float64(step), scale, nil)
	// One bar per category, its segments stacked from the bottom, its total on top.
	if n > 0 {
		barW := min(slot*0.6, 72)
		for i, cat := range b.Categories {
			x := float64(plotLeft) + slot*float64(i) + (slot-barW)/2
			y := float64(plotTop + plotHeight)
			for si, s := range b.Series {
				if i >= len(s.Values) || s.Values[i] == 0 {
					continue
				}
				h := float64(s.Values[i]) * scale
				y -= h
				fmt.Fprintf(&w, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="url(#%s-p%d)" stroke="#ffffff" stroke-width="1">`+
					`<title>%s</title></rect>`, x, y, barW, h, id, si, esc(cat+": "+s.Label+" — "+strconv.Itoa(s.Values[i])))
			}
			fmt.Fprintf(&w, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#1b1f24" font-weight="700">%d</text>`,
				x+barW/2, y-6, totals[i])
			if turned {
				lx, ly := x+barW/2, plotTop+plotHeight+axisGap-8
				fmt.Fprintf(&w, `<text x="%.1f" y="%d" text-anchor="end" fill="#1b1f24" transform="rotate(-45 %.1f %d)">%s</text>`,
					lx, ly, lx, ly, esc(cat))
			} else {
				fmt.Fprintf(&w, `<text x="%.1f" y="%d" text-anchor="middle" fill="#1b1f24">%s</text>`,
					x+barW/2, plotTop+plotHeight+axisGap-4, esc(cat))
			}
		}
	}
	fmt.Fprintf(&w, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#1b1f24" stroke-width="1"/>`,
		plotLeft, plotTop+plotHeight, width-plotRight, plotTop+plotHeight)
	// The legend: a swatch with the series' pattern, and its name.
	for si, s := range b.Series {
		y := legendTop + legendRow*si
		fmt.Fprintf(&w, `<rect x="%d" y="%d" width="%d" height="%d" fill="url(#%s-p%d)" stroke="#1b1f24" stroke-width="1"/>`,
			plotLeft, y, swatch, swatch, id, si)
		writeLegendLabel(&w, plotLeft+swatch+8, y+swatch/2, s.Label, s.Lang, b.Lang)
	}
	w.WriteString("</svg>")
	return w.String()
}

// writePattern defines the fill of series i: its colour with a pattern of its own — solid,
// stripes, dots, cross-hatching, horizontal or vertical lines — that a reader without colour
// vision, or a print in grey, still tells apart.
func writePattern(w *strings.Builder, id string, i int) {
	c := palette[i%len(palette)]
	fmt.Fprintf(w, `<pattern id="%s-p%d" patternUnits="userSpaceOnUse" width="8" height="8">`, id, i)
	switch i % 6 {
	case 0:
		fmt.Fprintf(w, `<rect width="8" height="8" fill="%s"/>`, c)
	case 1:
		fmt.Fprintf(w, `<rect width="8" height="8" fill="#ffffff"/><path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" stroke="%s" stroke-width="3"/>`, c)
	case 2:
		fmt.Fprintf(w, `<rect width="8" height="8" fill="#ffffff"/><circle cx="4" cy="4" r="2.6" fill="%s"/>`, c)
	case 3:
		fmt.Fprintf(w, `<rect width="8" height="8" fill="#ffffff"/><path d="M0,0 L8,8 M8,0 L0,8" stroke="%s" stroke-width="2"/>`, c)
	case 4:
		fmt.Fprintf(w, `<rect width="8" height="8" fill="#ffffff"/><rect y="2" width="8" height="4" fill="%s"/>`, c)
	case 5:
		fmt.Fprintf(w, `<rect width="8" height="8" fill="#ffffff"/><rect x="2" width="4" height="8" fill="%s"/>`, c)
	}
	w.WriteString("</pattern>")
}

// tickStep picks a step for the value axis that gives at most six lines: 1, 2, 5, 10, 20, 50, ….
func tickStep(maxValue int) int {
	for _, base := range []int{1, 10, 100, 1000, 10000, 100000} {
		for _, m := range []int{1, 2, 5} {
			if step := base * m; maxValue <= step*5 {
				return step
			}
		}
	}
	return 1000000
}

func esc(s string) string { return html.EscapeString(s) }

// writeHead opens a chart's <svg> element with its accessible name and description.
func writeHead(w *strings.Builder, id, title, desc string, width, height int) {
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 %d %d" width="100%%" `+
		`aria-labelledby="%s-title %s-desc" font-family="inherit" font-size="13">`, width, height, id, id)
	fmt.Fprintf(w, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, id, esc(title), id, esc(desc))
}

// writeValueAxis draws the horizontal grid lines from 0 to top every step, each named by
// format (trimFloat when nil); scale is the SVG units of one unit of value.
func writeValueAxis(w *strings.Builder, width int, top, step, scale float64, format func(float64) string) {
	if format == nil {
		format = trimFloat
	}
	for v := 0.0; v <= top+step/2; v += step {
		y := float64(plotTop+plotHeight) - v*scale
		fmt.Fprintf(w, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#d0d6de" stroke-width="1"/>`, plotLeft, y, width-plotRight, y)
		fmt.Fprintf(w, `<text x="%d" y="%.1f" text-anchor="end" fill="#1b1f24" dominant-baseline="middle">%s</text>`,
			plotLeft-6, y, esc(format(v)))
	}
}

// writeLegendLabel writes a series' name in the legend, marked with its language when that is
// not the page's.
func writeLegendLabel(w *strings.Builder, x, y int, label, lang, pageLang string) {
	attr := ""
	if lang != "" && lang != pageLang {
		attr = ` lang="` + esc(lang) + `"`
	}
	fmt.Fprintf(w, `<text x="%d" y="%d" fill="#1b1f24" dominant-baseline="middle"%s>%s</text>`, x, y, attr, esc(label))
}
