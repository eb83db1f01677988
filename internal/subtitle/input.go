package subtitle

import (
	"bytes"
	"io"
	"strings"
	"unicode/utf8"
)

// DefaultMaxInputSize bounds what the parsers read (Parse, ParseFormat, and ParseWebVTTLimit
// when given it): a subtitle file is text, and real ones stay far below this, so anything larger is
// refused rather than held in memory.
const DefaultMaxInputSize = 100 << 20 // 100 MiB

// readLimited reads all of r, failing with CodeTooLarge once more than limit bytes arrive.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	if limit < 0 {
		limit = 0
	}
	// Read one byte past the limit to tell "exactly limit bytes" from "more".
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, &Error{Code: CodeReadFailed, Err: err}
	}
	if int64(len(data)) > limit {
		return nil, &Error{Code: CodeTooLarge}
	}
	return data, nil
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// decodeWebVTTInput turns the bytes of a file into the string the WebVTT parser algorithm works
// on: UTF-8 decoded as the Encoding Standard's "UTF-8 decode" does (one leading BOM dropped, each
// maximal invalid subsequence replaced by U+FFFD), then NUL replaced by U+FFFD and CRLF and lone
// CR turned into LF (step 1 of the parser algorithm).
func decodeWebVTTInput(data []byte) string {
	data = bytes.TrimPrefix(data, utf8BOM)
	// Most files need none of the replacements; keep them to a single copy.
	if utf8.Valid(data) && bytes.IndexByte(data, 0) < 0 && bytes.IndexByte(data, '\r') < 0 {
		return string(data)
	}
	var b strings.Builder
	b.Grow(len(data))
	for i := 0; i < len(data); {
		c := data[i]
		if c < utf8.RuneSelf {
			switch c {
			case 0:
				b.WriteRune(utf8.RuneError)
			case '\r':
				b.WriteByte('\n')
				if i+1 < len(data) && data[i+1] == '\n' {
					i++
				}
			default:
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
			i += invalidUTF8Length(data[i:])
			continue
		}
		b.Write(data[i : i+size])
		i += size
	}
	return b.String()
}

// invalidUTF8Length returns how many bytes at the start of p, which does not begin with a valid
// UTF-8 sequence, form the "maximal subpart" that the Encoding Standard replaces with one U+FFFD:
// a valid lead byte and the continuation bytes that were still acceptable after it.
func invalidUTF8Length(p []byte) int {
	lead := p[0]
	var need int
	lo, hi := byte(0x80), byte(0xBF)
	switch {
	case lead >= 0xC2 && lead <= 0xDF:
		need = 1
	case lead >= 0xE0 && lead <= 0xEF:
		need = 2
		if lead == 0xE0 {
			lo = 0xA0
		} else if lead == 0xED {
			hi = 0x9F // no surrogates
		}
	case lead >= 0xF0 && lead <= 0xF4:
		need = 3
		if lead == 0xF0 {
			lo = 0x90
		} else if lead == 0xF4 {
			hi = 0x8F // nothing above U+10FFFF
		}
	default:
		return 1
	}
	n := 1
	for k := 0; k < need && n < len(p); k++ {
		if p[n] < lo || p[n] > hi {
			break
		}
		lo, hi = 0x80, 0xBF
		n++
	}
	return n
}
