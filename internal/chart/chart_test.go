package chart

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

func TestBarsSVG(t *testing.T) {
	b := &Bars{ID: "by-mode", Title: "Activities by mode", Description: "2019: 1 in person. 2020: 4 online.", Lang: "en",
		Categories: []string{"2019", "2020"},
		Series: []Series{
			{Label: "In person", Values: []int{1, 0}},
			{Label: "Online", Values: []int{0, 4}},
			{Label: "Гибрид <&>", Lang: "ru", Values: []int{0, 1}},
		}}
	svg := b.SVG()
	// Well-formed XML, so that it is the same in any page and any parser.
	dec := xml.NewDecoder(strings.NewReader(svg))
	for {
		_, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, svg)
		}
	}
	for _, want := range []string{
		`role="img"`, `aria-labelledby="by-mode-title by-mode-desc"`,
		`<title id="by-mode-title">Activities by mode</title>`, `<desc id="by-mode-desc">2019: 1 in person. 2020: 4 online.</desc>`,
		`>2019</text>`, `>2020</text>`, `font-weight="700">5</text>`, // the 2020 total
		`lang="ru">Гибрид &lt;&amp;&gt;</text>`,
		`fill="url(#by-mode-p1)"`, `<pattern id="by-mode-p2"`,
	} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	if strings.Contains(svg, "style=") {
		t.Error("inline styles would be blocked by the site's Content-Security-Policy")
	}
}

func TestTickStep(t *testing.T) {
	for max, want := range map[int]int{0: 1, 4: 1, 5: 1, 6: 2, 10: 2, 11: 5, 25: 5, 26: 10, 120: 50} {
		if got := tickStep(max); got != want {
			t.Errorf("tickStep(%d) = %d, want %d", max, got, want)
		}
	}
	empty := &Bars{ID: "x", Title: "Nothing"}
	if svg := empty.SVG(); !strings.HasPrefix(svg, "<svg") {
		t.Error("an empty chart")
	}
}
