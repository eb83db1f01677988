package chart

import (
	"encoding/xml"
	"fmt"
	"math"
	"strings"
	"testing"
)

// TestLinesSVG: one line per series with its own dash and marker shape, broken where a figure
// is missing, a marker with the page's text per point, the series' language marked, and
// well-formed SVG with a title and description.
func TestLinesSVG(t *testing.T) {
	t.Parallel()
	c := &Lines{ID: "ts", Title: "new_cases: Busan", Description: "One line per city", Lang: "en",
		Categories: []string{"1 Apr", "2 Apr", "3 Apr", "4 Apr"},
		Series: []GroupedSeries{
			{Label: "Busan", Values: []float64{3, 5, math.NaN(), 8}, Texts: []string{"3", "5", "—", "8"}},
			{Label: "Санкт-Петербург", Lang: "ru", Values: []float64{10, 12, 20, 15}, Texts: []string{"10", "12", "20", "15"}},
		}}
	svg := c.SVG()
	if err := xml.Unmarshal([]byte(svg), new(struct{})); err != nil {
		t.Fatalf("not well-formed: %v\n%s", err, svg)
	}
	for _, want := range []string{`role="img"`, `aria-labelledby="ts-title ts-desc"`, `<title id="ts-title">new_cases: Busan</title>`,
		`<title>4 Apr: Busan — 8</title>`, `<title>3 Apr: Санкт-Петербург — 20</title>`, `lang="ru"`, `stroke-dasharray="8 4"`, `>1 Apr</text>`, `>4 Apr</text>`} {
		if !strings.Contains(svg, want) {
			t.Errorf("svg lacks %s", want)
		}
	}
	// The gap on 3 April starts the first line anew: two moves in its path.
	first := svg[strings.Index(svg, `<path d="M`):]
	first = first[:strings.Index(first, `"/>`)]
	if n := strings.Count(first, "M"); n != 2 {
		t.Errorf("first line has %d moves, want 2 (broken at the gap): %s", n, first)
	}
	if strings.Contains(svg, "Busan — —") {
		t.Error("a marker for a missing figure")
	}
}

// TestLinesManyDates: a year of daily figures names six dates on its axis and draws no
// markers; the table beside it has the figures.
func TestLinesManyDates(t *testing.T) {
	t.Parallel()
	c := &Lines{ID: "y", Title: "t", Description: "d", Lang: "en"}
	s := GroupedSeries{Label: "Busan"}
	for i := range 366 {
		c.Categories = append(c.Categories, fmt.Sprintf("day %d", i))
		s.Values = append(s.Values, float64(i%50))
		s.Texts = append(s.Texts, fmt.Sprint(i%50))
	}
	c.Series = []GroupedSeries{s}
	svg := c.SVG()
	if n := strings.Count(svg, ">day "); n != maxDateLabels {
		t.Errorf("%d dates named, want %d", n, maxDateLabels)
	}
	if !strings.Contains(svg, ">day 0</text>") || !strings.Contains(svg, ">day 365</text>") {
		t.Error("the first and last dates are not named")
	}
	if strings.Contains(svg, "<circle") && strings.Count(svg, "<circle") > 1 {
		t.Errorf("%d markers on 366 points (the legend has one)", strings.Count(svg, "<circle"))
	}
	if got := dateLabels(3); len(got) != 3 || got[2] != 2 {
		t.Errorf("dateLabels(3) = %v", got)
	}
}
