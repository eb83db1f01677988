package chart

import (
	"fmt"
	"math"
	"strings"
)

// Lines is a time series: one line per series across the dates of Categories, in order. Each
// line has a dash and a marker shape of its own as well as a colour, so that none is told
// apart by colour alone; a gap in the figures (NaN) breaks the line. With many dates (a year of
// daily figures) the date axis names at most maxDateLabels of them and the points carry no
// markers; the table beside the chart has every figure.
type Lines struct {
	ID          string
	Title       string
	Description string
	Categories  []string // the dates as the page writes them, oldest first
	Series      []GroupedSeries
	Lang        string
	Width       int
	// Format writes the value axis' numbers in the reader's locale; nil writes them plainly.
	Format func(float64) string
}

const (
	// maxDateLabels is how many dates the horizontal axis names at most.
	maxDateLabels = 6
	// maxMarkers is the number of dates up to which each point has a marker with its figure.
	maxMarkers = 60
)

// dashes are the lines' dash patterns, by series.
var dashes = []string{"", "8 4", "2 3", "10 3 2 3", "4 4", "1 5"}

// SVG returns the chart as an <svg> element to put in a page.
func (c *Lines) SVG() string {
	width := c.Width
	if width <= 0 {
		width = Wide
	}
	top, step := valueScale(c.Series)
	legendTop := plotTop + plotHeight + axisGap + 16
	height := legendTop + legendRow*len(c.Series) + 8
	id := c.ID
	var w strings.Builder
	writeHead(&w, id, c.Title, c.Description, width, height)
	scale := float64(plotHeight) / top
	writeValueAxis(&w, width, top, step, scale, c.Format)

	n := len(c.Categories)
	span := float64(width - plotLeft - plotRight)
	x := func(i int) float64 {
		if n <= 1 {
			return float64(plotLeft) + span/2
		}
		return float64(plotLeft) + span*float64(i)/float64(n-1)
	}
	y := func(v float64) float64 { return float64(plotTop+plotHeight) - v*scale }
	for si, s := range c.Series {
		colour := palette[si%len(palette)]
		var d strings.Builder
		pen := false
		for i, v := range s.Values {
			if i >= n || math.IsNaN(v) {
				pen = false
				continue
			}
			cmd := "L"
			if !pen {
				cmd = "M"
			}
			fmt.Fprintf(&d, "%s%.1f,%.1f ", cmd, x(i), y(v))
			pen = true
		}
		if d.Len() > 0 {
			fmt.Fprintf(&w, `<path d="%s" fill="none" stroke="%s" stroke-width="2"%s/>`, strings.TrimSpace(d.String()), colour, dashAttr(si))
		}
		if n > maxMarkers {
			continue
		}
		for i, v := range s.Values {
			if i >= n || math.IsNaN(v) {
				continue
			}
			text := ""
			if i < len(s.Texts) {
				text = s.Texts[i]
			}
			writeMarker(&w, si, x(i), y(v), esc(c.Categories[i]+": "+s.Label+" — "+text))
		}
	}
	for _, i := range dateLabels(n) {
		anchor := "middle"
		switch {
		case n > 1 && i == 0:
			anchor = "start"
		case n > 1 && i == n-1:
			anchor = "end"
		}
		fmt.Fprintf(&w, `<text x="%.1f" y="%d" text-anchor="%s" fill="#1b1f24">%s</text>`,
			x(i), plotTop+plotHeight+axisGap-4, anchor, esc(c.Categories[i]))
	}
	fmt.Fprintf(&w, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#1b1f24" stroke-width="1"/>`,
		plotLeft, plotTop+plotHeight, width-plotRight, plotTop+plotHeight)
	for si, s := range c.Series {
		ly := legendTop + legendRow*si
		fmt.Fprintf(&w, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"%s/>`,
			plotLeft, ly+swatch/2, plotLeft+2*swatch, ly+swatch/2, palette[si%len(palette)], dashAttr(si))
		writeMarker(&w, si, float64(plotLeft+swatch), float64(ly+swatch/2), "")
		writeLegendLabel(&w, plotLeft+2*swatch+8, ly+swatch/2, s.Label, s.Lang, c.Lang)
	}
	w.WriteString("</svg>")
	return w.String()
}

// dateLabels picks the indexes of the dates the axis names: all of a few, else the first, the
// last and evenly spaced ones between, maxDateLabels in all.
func dateLabels(n int) []int {
	if n <= maxDateLabels {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	out := make([]int, 0, maxDateLabels)
	for k := range maxDateLabels {
		out = append(out, int(math.Round(float64(k)*float64(n-1)/float64(maxDateLabels-1))))
	}
	return out
}

func dashAttr(series int) string {
	if d := dashes[series%len(dashes)]; d != "" {
		return ` stroke-dasharray="` + d + `"`
	}
	return ""
}

// writeMarker draws series' marker shape at (x, y): a circle, square, triangle or diamond, in
// its colour, with title as its tooltip when there is one.
func writeMarker(w *strings.Builder, series int, x, y float64, title string) {
	colour := palette[series%len(palette)]
	var tag, attrs string
	switch series % 4 {
	case 0:
		tag, attrs = "circle", fmt.Sprintf(`cx="%.1f" cy="%.1f" r="4"`, x, y)
	case 1:
		tag, attrs = "rect", fmt.Sprintf(`x="%.1f" y="%.1f" width="8" height="8"`, x-4, y-4)
	case 2:
		tag, attrs = "path", fmt.Sprintf(`d="M%.1f,%.1f l5,9 h-10 z"`, x, y-5)
	default:
		tag, attrs = "path", fmt.Sprintf(`d="M%.1f,%.1f l5,5 l-5,5 l-5,-5 z"`, x, y-5)
	}
	if title == "" {
		fmt.Fprintf(w, `<%s %s fill="%s"/>`, tag, attrs, colour)
		return
	}
	fmt.Fprintf(w, `<%s %s fill="%s"><title>%s</title></%s>`, tag, attrs, colour, title, tag)
}
