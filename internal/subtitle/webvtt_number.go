package subtitle

import (
	"math"
	"strconv"
)

// parsePercentage is "parse a percentage string": a WebVTT percentage (digits, optionally a dot
// and digits, then "%") whose value is between 0 and 100.
func parsePercentage(s string) (float64, bool) {
	if len(s) < 2 || s[len(s)-1] != '%' {
		return 0, false
	}
	num := s[:len(s)-1]
	i := digitRun(num, 0)
	if i == 0 {
		return 0, false
	}
	if i < len(num) {
		if num[i] != '.' {
			return 0, false
		}
		j := digitRun(num, i+1)
		if j == i+1 || j != len(num) {
			return 0, false
		}
	}
	v, ok := parseHTMLFloat(num)
	if !ok || v < 0 || v > 100 {
		return 0, false
	}
	return v, true
}

// digitRun returns the position after the ASCII digits starting at pos.
func digitRun(s string, pos int) int {
	for pos < len(s) && isASCIIDigit(s[pos]) {
		pos++
	}
	return pos
}

// parseHTMLFloat applies the HTML "rules for parsing floating-point number values" to a string
// its callers have already checked to be an optional "-", digits, and optionally "." and digits.
// The HTML rules round the exact decimal value to the nearest double, fail when that rounds past
// the largest finite double, and never return -0; strconv.ParseFloat rounds the same way.
func parseHTMLFloat(s string) (float64, bool) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, false
	}
	if v == 0 {
		v = 0 // -0 becomes +0
	}
	return v, true
}
