package subtitle

import (
	"html"
	"unicode/utf8"
)

// consumeCharRef is the HTML "consume a character reference" that the WebVTT cue text tokenizer
// runs after an "&" (not in an attribute). pos is the index just after the "&". It returns the
// characters the reference stands for and the index after it, or ok=false when there is no
// reference, in which case nothing is consumed and the caller keeps the "&" as text.
// additional is the tokenizer's "additional allowed character" (0 for none).
func consumeCharRef(s string, pos int, additional byte) (text string, next int, ok bool) {
	if pos >= len(s) {
		return "", pos, false
	}
	switch c := s[pos]; {
	case c == '\t' || c == '\n' || c == '\f' || c == ' ' || c == '<' || c == '&':
		return "", pos, false
	case additional != 0 && c == additional:
		return "", pos, false
	case c == '#':
		return consumeNumericCharRef(s, pos+1)
	default:
		return consumeNamedCharRef(s, pos)
	}
}

// consumeNumericCharRef handles "&#" followed by decimal digits, or by "x"/"X" and hex digits,
// and an optional ";". pos is the index after the "#".
func consumeNumericCharRef(s string, pos int) (string, int, bool) {
	hex := false
	if pos < len(s) && (s[pos] == 'x' || s[pos] == 'X') {
		hex = true
		pos++
	}
	start := pos
	var value int64
	for pos < len(s) {
		d, isDigit := digitValue(s[pos], hex)
		if !isDigit {
			break
		}
		if value <= utf8.MaxRune { // past that, the value no longer matters: it maps to U+FFFD
			if hex {
				value = value*16 + d
			} else {
				value = value*10 + d
			}
		}
		pos++
	}
	if pos == start {
		return "", 0, false // no digits: "&#" and "&#x" are not references
	}
	if pos < len(s) && s[pos] == ';' {
		pos++
	}
	return string(numericCharRefRune(value)), pos, true
}

func digitValue(c byte, hex bool) (int64, bool) {
	switch {
	case '0' <= c && c <= '9':
		return int64(c - '0'), true
	case hex && 'a' <= c && c <= 'f':
		return int64(c-'a') + 10, true
	case hex && 'A' <= c && c <= 'F':
		return int64(c-'A') + 10, true
	}
	return 0, false
}

// numericCharRefRune maps the number of a numeric reference to the character HTML gives it:
// U+FFFD for NUL, surrogates and values beyond Unicode, the Windows-1252 character for the C1
// range that legacy pages meant by it, and the code point itself otherwise.
func numericCharRefRune(v int64) rune {
	switch {
	case v == 0, v > utf8.MaxRune, 0xD800 <= v && v <= 0xDFFF:
		return utf8.RuneError
	case 0x80 <= v && v <= 0x9F:
		if r := windows1252C1[v-0x80]; r != 0 {
			return r
		}
	}
	return rune(v)
}

// windows1252C1 is HTML's replacement table for numeric references 0x80–0x9F; 0 means the code
// point stands for itself.
var windows1252C1 = [32]rune{
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
}

// Limits of the HTML named character reference table.
const (
	// maxEntityNameLen is the length of the longest name, "CounterClockwiseContourIntegral",
	// without its ";".
	maxEntityNameLen = 31
	// maxLegacyEntityNameLen is the length of the longest name that may omit its ";" (such as
	// "middot" or "frac34"); only the old HTML 4 names may.
	maxLegacyEntityNameLen = 6
)

// consumeNamedCharRef consumes the longest name from the HTML named character reference table
// at pos: a name with its ";", or one of the legacy names that are also valid without it.
// ("&notit;" is "¬it;": "notit;" is not a name, but "not" is, without a semicolon.)
func consumeNamedCharRef(s string, pos int) (string, int, bool) {
	end := pos
	for end < len(s) && end-pos <= maxEntityNameLen && isASCIIAlphanumeric(s[end]) {
		end++
	}
	name := s[pos:end]
	if name == "" {
		return "", 0, false
	}
	if len(name) <= maxEntityNameLen && end < len(s) && s[end] == ';' {
		if text, ok := lookupEntity(name + ";"); ok {
			return text, end + 1, true
		}
	}
	for n := min(len(name), maxLegacyEntityNameLen); n > 0; n-- {
		if text, ok := lookupEntity(name[:n]); ok {
			return text, pos + n, true
		}
	}
	return "", 0, false
}

// lookupEntity looks name up in the HTML named character reference table, exactly as written
// (with or without its ";"). The standard library has the full table but exposes it only through
// html.UnescapeString, which, when the name is not in the table, falls back to the longest
// legacy prefix and keeps the rest ("&notit;" → "¬it;"). An exact match always yields one or two
// characters, while that fallback yields the prefix's character plus at least two more for a
// name ending in ";" and at least one more otherwise; the rune counts tell them apart.
func lookupEntity(name string) (string, bool) {
	ref := "&" + name
	text := html.UnescapeString(ref)
	if text == ref {
		return "", false
	}
	n := utf8.RuneCountInString(text)
	if name[len(name)-1] == ';' {
		return text, n <= 2
	}
	return text, n == 1
}

func isASCIIAlphanumeric(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}
