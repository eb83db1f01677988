package chart

import (
	"math"
	"strings"
	"testing"
)

// TestGroupedSVG: bars side by side with their own patterns, the page's texts printed on them,
// no bar where a figure is missing, a title and description for assistive technology.
func TestGroupedSVG(t *testing.T) {
	t.Parallel()
	g := &Grouped{ID: "c", Title: "Cases per 100,000", Description: "Busan and Saint Petersburg", Lang: "en",
		Categories: []string{"22 April 2020", "20 May 2020"},
		Series: []GroupedSeries{
			{Label: "Busan", Values: []float64{3.9, 4.2}, Texts: []string{"3.9", "4.2"}},
			{Label: "Санкт-Петербург", Lang: "ru", Values: []float64{74, math.NaN()}, Texts: []string{"74", "—"}},
		}}
	svg := g.SVG()
	for _, want := range []string{`role="img"`, `aria-labelledby="c-title c-desc"`, `<title id="c-title">Cases per 100,000</title>`,
		`id="c-p0"`, `id="c-p1"`, `>3.9</text>`, `>4.2</text>`, `>74</text>`, `lang="ru"`} {
		if !strings.Contains(svg, want) {
			t.Errorf("svg lacks %s", want)
		}
	}
	if n := strings.Count(svg, `fill="url(#c-p1)" stroke="#1b1f24" stroke-width="1"><title>`); n != 1 {
		t.Errorf("%d bars of the second series, want 1 (no bar for a missing figure)", n)
	}
	if niceStep(74) != 20 || niceStep(4.2) != 1 || niceStep(0) != 1 {
		t.Errorf("steps %v %v %v", niceStep(74), niceStep(4.2), niceStep(0))
	}
}
