package identity

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The accent colour is used as text (links) on the page and header backgrounds, and as the
// background of buttons and badges under their text. WCAG 2.2 AA asks 4.5:1 for that text, so
// an accent is accepted only with at least MinContrast against every background of its scheme.
// The backgrounds are those of static/style.css; the dark ones are the dark scheme's.

// MinContrast is WCAG 2.2 AA's contrast for normal text (1.4.3).
const MinContrast = 4.5

// Background is a colour the accent is used on, named for messages.
type Background struct {
	Name string // "page", "header"
	Hex  string
}

// LightBackgrounds and DarkBackgrounds are what the accent is checked against in each scheme.
// The light scheme's button text (#ffffff) is the page colour, so it is covered.
var (
	LightBackgrounds = []Background{{"page", "#ffffff"}, {"header", "#f3f5f8"}}
	DarkBackgrounds  = []Background{{"page", "#14171b"}, {"header", "#1e242b"}} // face.css's --paper, --wash
)

// RGB is a colour of the sRGB space, 0–255 per channel.
type RGB struct{ R, G, B uint8 }

// ParseHex reads #rgb or #rrggbb (case-insensitive).
func ParseHex(s string) (RGB, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "#")
	if len(s) == 3 {
		s = string([]byte{s[0], s[0], s[1], s[1], s[2], s[2]})
	}
	if len(s) != 6 {
		return RGB{}, false
	}
	v, err := strconv.ParseUint(s, 16, 32)
	if err != nil {
		return RGB{}, false
	}
	return RGB{uint8(v >> 16), uint8(v >> 8), uint8(v)}, true
}

// Hex is the colour as #rrggbb.
func (c RGB) Hex() string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

// Luminance is the relative luminance of WCAG 2.2 (its definition of the term).
func (c RGB) Luminance() float64 {
	lin := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c.R) + 0.7152*lin(c.G) + 0.0722*lin(c.B)
}

// Contrast is the WCAG contrast ratio of two colours, 1 to 21.
func Contrast(a, b RGB) float64 {
	la, lb := a.Luminance(), b.Luminance()
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// weakest returns the background of bgs against which c has the lowest contrast, and that
// contrast.
func weakest(c RGB, bgs []Background) (Background, float64) {
	var worst Background
	ratio := math.Inf(1)
	for _, bg := range bgs {
		b, _ := ParseHex(bg.Hex)
		if r := Contrast(c, b); r < ratio {
			worst, ratio = bg, r
		}
	}
	return worst, ratio
}

// DeriveDark makes a dark-scheme accent from a light one: the same hue mixed with white, in
// steps, until it has MinContrast against every dark background.
func DeriveDark(light RGB) RGB {
	for i := 0; i <= 20; i++ {
		t := float64(i) / 20
		mix := func(v uint8) uint8 { return uint8(math.Round(float64(v) + (255-float64(v))*t)) }
		c := RGB{mix(light.R), mix(light.G), mix(light.B)}
		if _, r := weakest(c, DarkBackgrounds); r >= MinContrast {
			return c
		}
	}
	return RGB{255, 255, 255}
}

// RoundRatio rounds a contrast ratio down to two decimals, as WCAG tools show it: a ratio
// shown as 4.50 must not be one that failed.
func RoundRatio(r float64) float64 { return math.Floor(r*100) / 100 }
