package subtitle

import (
	"io"
	"strings"
	"time"
)

// ParseWebVTTLimit reads a WebVTT file with the W3C "WebVTT parser algorithm" and returns its
// Track. Like a browser, it rejects only a file without the "WEBVTT" signature
// (CodeBadSignature); anything else that is malformed is skipped the way the algorithm says (a
// cue with bad timings is dropped, an unknown setting is ignored). Input longer than maxBytes
// (DefaultMaxInputSize unless the caller knows better) is refused with CodeTooLarge.
func ParseWebVTTLimit(r io.Reader, maxBytes int64) (*Track, error) {
	data, err := readLimited(r, maxBytes)
	if err != nil {
		return nil, err
	}
	return parseWebVTT(decodeWebVTTInput(data))
}

// webvttParser holds the variables the parser algorithm shares with "collect a WebVTT block".
type webvttParser struct {
	input   string // decoded, NUL-free, LF-only
	pos     int    // the algorithm's position pointer; len(input) means past the end
	line    int    // 1-based line number of the character at pos, for SourceLine and errors
	seenCue bool

	track *Track
	// regionByID maps an identifier to the last region defined with it, which is the one a
	// cue's "region:" setting picks; a map keeps that lookup cheap however many regions there are.
	regionByID map[string]*Region
}

// parseWebVTT runs the WebVTT parser algorithm on the decoded input.
func parseWebVTT(input string) (*Track, error) {
	// Signature check: "WEBVTT" alone, or followed by a space, a tab or a line feed.
	if !strings.HasPrefix(input, "WEBVTT") {
		return nil, &Error{Code: CodeBadSignature, Line: 1}
	}
	if len(input) > 6 && input[6] != ' ' && input[6] != '\t' && input[6] != '\n' {
		return nil, &Error{Code: CodeBadSignature, Line: 1}
	}

	p := &webvttParser{input: input, line: 1, track: &Track{}, regionByID: map[string]*Region{}}

	// The rest of the first line is free text.
	first, eof := p.collectLine()
	if len(first.text) > 6 {
		p.track.Header = first.text[7:] // drop "WEBVTT" and the space or tab after it
	}
	if eof || p.pos >= len(p.input) {
		return p.track, nil // no useful data
	}

	// Header: lines up to the first blank line (or a line with "-->") belong to the header.
	if p.input[p.pos] != '\n' {
		b := p.collectBlock(true)
		if b.text != "" {
			p.track.HeaderLines = strings.Split(b.text, "\n")
		}
	} else {
		p.advanceLF()
	}
	p.skipLFs()

	// Block loop.
	for p.pos < len(p.input) {
		b := p.collectBlock(false)
		switch {
		case b.cue != nil:
			p.track.Cues = append(p.track.Cues, b.cue)
		case b.style != nil:
			p.track.Styles = append(p.track.Styles, b.style)
		case b.region != nil:
			p.track.Regions = append(p.track.Regions, b.region)
			if b.region.ID != "" {
				p.regionByID[b.region.ID] = b.region
			}
		}
		p.skipLFs()
	}
	return p.track, nil
}

// sourceLine is one line of the input and where it is.
type sourceLine struct {
	text       string
	start, end int // byte offsets in input, end exclusive (the LF is not included)
	number     int // 1-based line number
}

// collectLine collects the characters up to the next LF, then steps over the LF. eof reports that
// the line ended at the end of the input instead ("seen EOF").
func (p *webvttParser) collectLine() (l sourceLine, eof bool) {
	l.start, l.number = p.pos, p.line
	n := strings.IndexByte(p.input[p.pos:], '\n')
	if n < 0 {
		p.pos = len(p.input)
		l.end = p.pos
		l.text = p.input[l.start:l.end]
		return l, true
	}
	l.end = p.pos + n
	l.text = p.input[l.start:l.end]
	p.pos = l.end + 1
	p.line++
	return l, false
}

func (p *webvttParser) advanceLF() {
	p.pos++
	p.line++
}

// skipLFs collects a sequence of LF characters.
func (p *webvttParser) skipLFs() {
	for p.pos < len(p.input) && p.input[p.pos] == '\n' {
		p.advanceLF()
	}
}

// block is what "collect a WebVTT block" returns: at most one of cue, style, region is set.
// text is the block's buffer, which the caller uses for the header.
type block struct {
	cue    *Cue
	style  *Style
	region *Region
	text   string
}

// blockBuffer is the algorithm's "buffer". The lines appended to it are always consecutive lines
// of the input, so it is kept as a span of the input rather than copied line by line. (The one
// case where a line is skipped — a line with "-->" whose timings fail to parse — leaves the cue
// null, and such a block is discarded whatever its buffer holds.)
type blockBuffer struct {
	input      string
	start, end int
	empty      bool
}

func (b *blockBuffer) reset() { b.empty, b.start, b.end = true, 0, 0 }

func (b *blockBuffer) appendLine(l sourceLine) {
	if b.empty {
		b.start = l.start
		b.empty = false
	}
	b.end = l.end
}

func (b *blockBuffer) String() string {
	if b.empty {
		return ""
	}
	return b.input[b.start:b.end]
}

// collectBlock is "collect a WebVTT block", optionally with the "in header" flag.
func (p *webvttParser) collectBlock(inHeader bool) block {
	lineCount := 0
	prevPos, prevLine := p.pos, p.line
	buf := blockBuffer{input: p.input, empty: true}
	seenArrow := false
	var (
		cue    *Cue
		style  *Style
		region *Region
	)
	for {
		l, eof := p.collectLine()
		lineCount++
		switch {
		case strings.Contains(l.text, "-->"):
			if inHeader || !(lineCount == 1 || lineCount == 2 && !seenArrow) {
				// A timing line that does not start this block starts the next one.
				p.pos, p.line = prevPos, prevLine
				return finishBlock(cue, style, region, &buf)
			}
			seenArrow = true
			prevPos, prevLine = p.pos, p.line
			cue = NewCue()
			cue.ID = buf.String()
			cue.SourceLine = l.number
			if p.collectTimingsAndSettings(l.text, cue) {
				buf.reset()
				p.seenCue = true
			} else {
				cue = nil
			}
		case l.text == "":
			return finishBlock(cue, style, region, &buf)
		default:
			if !inHeader && lineCount == 2 && !p.seenCue {
				// The first line named the block: STYLE and REGION blocks only come before cues.
				if isBlockKeyword(buf.String(), "STYLE") {
					style = &Style{SourceLine: l.number - 1}
					buf.reset()
				} else if isBlockKeyword(buf.String(), "REGION") {
					region = NewRegion()
					region.SourceLine = l.number - 1
					buf.reset()
				}
			}
			buf.appendLine(l)
			prevPos, prevLine = p.pos, p.line
		}
		if eof {
			return finishBlock(cue, style, region, &buf)
		}
	}
}

// finishBlock is the end of "collect a WebVTT block": it completes whichever of cue, style and
// region was started, from the buffer.
func finishBlock(cue *Cue, style *Style, region *Region, buf *blockBuffer) block {
	text := buf.String()
	switch {
	case cue != nil:
		cue.Text = text
		return block{cue: cue}
	case style != nil:
		style.CSS = text
		return block{style: style}
	case region != nil:
		parseRegionSettings(text, region)
		return block{region: region}
	}
	return block{text: text}
}

// isBlockKeyword reports whether line is keyword followed only by ASCII whitespace, if anything.
func isBlockKeyword(line, keyword string) bool {
	rest, ok := strings.CutPrefix(line, keyword)
	if !ok {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if !isASCIIWhitespace(rest[i]) {
			return false
		}
	}
	return true
}

// collectTimingsAndSettings is "collect WebVTT cue timings and settings" from a line.
func (p *webvttParser) collectTimingsAndSettings(line string, cue *Cue) bool {
	pos := skipASCIIWhitespace(line, 0)
	start, pos, ok := collectTimestamp(line, pos)
	if !ok {
		return false
	}
	pos = skipASCIIWhitespace(line, pos)
	for _, want := range []byte("-->") {
		if pos >= len(line) || line[pos] != want {
			return false
		}
		pos++
	}
	pos = skipASCIIWhitespace(line, pos)
	end, pos, ok := collectTimestamp(line, pos)
	if !ok {
		return false
	}
	cue.Start, cue.End = start, end
	p.parseCueSettings(line[pos:], cue)
	return true
}

// maxTimestampHours keeps every timestamp within time.Duration. The spec puts no bound on hours;
// a timestamp beyond about 292 years is treated as malformed, which drops its cue.
const maxTimestampHours = int64(1<<63-1) / int64(time.Hour)

// collectTimestamp is "collect a WebVTT timestamp" starting at pos in s. It returns the time and
// the position after it.
func collectTimestamp(s string, pos int) (time.Duration, int, bool) {
	hoursFirst := false // "most significant units" is hours
	if pos >= len(s) || !isASCIIDigit(s[pos]) {
		return 0, pos, false
	}
	digits, pos := collectDigits(s, pos)
	v1 := digitsValue(digits)
	if len(digits) != 2 || v1 > 59 {
		hoursFirst = true
	}
	if pos >= len(s) || s[pos] != ':' {
		return 0, pos, false
	}
	pos++
	digits, pos = collectDigits(s, pos)
	if len(digits) != 2 {
		return 0, pos, false
	}
	v2 := digitsValue(digits)
	var v3 int64
	if hoursFirst || pos < len(s) && s[pos] == ':' {
		if pos >= len(s) || s[pos] != ':' {
			return 0, pos, false
		}
		pos++
		digits, pos = collectDigits(s, pos)
		if len(digits) != 2 {
			return 0, pos, false
		}
		v3 = digitsValue(digits)
	} else {
		v1, v2, v3 = 0, v1, v2
	}
	if pos >= len(s) || s[pos] != '.' {
		return 0, pos, false
	}
	pos++
	digits, pos = collectDigits(s, pos)
	if len(digits) != 3 {
		return 0, pos, false
	}
	v4 := digitsValue(digits)
	if v2 > 59 || v3 > 59 {
		return 0, pos, false
	}
	if v1 > maxTimestampHours {
		return 0, pos, false
	}
	d := time.Duration(v1)*time.Hour + time.Duration(v2)*time.Minute +
		time.Duration(v3)*time.Second + time.Duration(v4)*time.Millisecond
	return d, pos, true
}

func collectDigits(s string, pos int) (string, int) {
	start := pos
	for pos < len(s) && isASCIIDigit(s[pos]) {
		pos++
	}
	return s[start:pos], pos
}

// digitsValue interprets ASCII digits as a base-ten integer, saturating instead of overflowing:
// any value above maxTimestampHours is already out of range for its caller.
func digitsValue(digits string) int64 {
	var v int64
	for i := 0; i < len(digits); i++ {
		v = v*10 + int64(digits[i]-'0')
		if v > maxTimestampHours {
			return maxTimestampHours + 1
		}
	}
	return v
}

// parseCueSettings is "parse the WebVTT cue settings".
func (p *webvttParser) parseCueSettings(input string, cue *Cue) {
	forEachSetting(input, func(name, value string) {
		switch name {
		case "region":
			cue.Region = p.regionByID[value] // nil if there is none
		case "vertical":
			switch value {
			case "rl":
				cue.Vertical = VerticalGrowingLeft
			case "lr":
				cue.Vertical = VerticalGrowingRight
			}
			if cue.Vertical != Horizontal {
				cue.Region = nil // there are no vertical regions
			}
		case "line":
			parseLineSetting(value, cue)
		case "position":
			colpos, colalign, hasAlign := strings.Cut(value, ",")
			number, ok := parsePercentage(colpos)
			if !ok {
				return
			}
			if hasAlign {
				switch colalign {
				case "line-left":
					cue.PositionAlign = PositionAlignLineLeft
				case "center":
					cue.PositionAlign = PositionAlignCenter
				case "line-right":
					cue.PositionAlign = PositionAlignLineRight
				default:
					return
				}
			}
			cue.Position = Number(number)
		case "size":
			number, ok := parsePercentage(value)
			if !ok {
				return
			}
			cue.Size = number
			if cue.Size != 100 {
				cue.Region = nil // explicitly sized cues drop out of their region
			}
		case "align":
			switch value {
			case "start":
				cue.Align = AlignStart
			case "center":
				cue.Align = AlignCenter
			case "end":
				cue.Align = AlignEnd
			case "left":
				cue.Align = AlignLeft
			case "right":
				cue.Align = AlignRight
			}
		}
	})
}

// parseLineSetting handles the value of a "line" cue setting.
func parseLineSetting(value string, cue *Cue) {
	linepos, linealign, hasAlign := strings.Cut(value, ",")
	if !strings.ContainsAny(linepos, "0123456789") {
		return
	}
	percent := strings.HasSuffix(linepos, "%")
	var number float64
	if percent {
		n, ok := parsePercentage(linepos)
		if !ok {
			return
		}
		number = n
	} else {
		dot := -1
		for i := 0; i < len(linepos); i++ {
			switch c := linepos[i]; {
			case isASCIIDigit(c):
			case c == '-':
				if i != 0 {
					return
				}
			case c == '.':
				if dot >= 0 {
					return // more than one dot
				}
				dot = i
			default:
				return
			}
		}
		if dot >= 0 && (dot == 0 || dot == len(linepos)-1 ||
			!isASCIIDigit(linepos[dot-1]) || !isASCIIDigit(linepos[dot+1])) {
			return
		}
		n, ok := parseHTMLFloat(linepos)
		if !ok {
			return
		}
		number = n
	}
	if hasAlign {
		switch linealign {
		case "start":
			cue.LineAlign = LineAlignStart
		case "center":
			cue.LineAlign = LineAlignCenter
		case "end":
			cue.LineAlign = LineAlignEnd
		default:
			return
		}
	}
	cue.Line = Number(number)
	cue.SnapToLines = !percent
	cue.Region = nil // a cue placed on a line drops out of its region
}

// parseRegionSettings is "collect WebVTT region settings".
func parseRegionSettings(input string, region *Region) {
	forEachSetting(input, func(name, value string) {
		switch name {
		case "id":
			region.ID = value
		case "width":
			if n, ok := parsePercentage(value); ok {
				region.Width = n
			}
		case "lines":
			for i := 0; i < len(value); i++ {
				if !isASCIIDigit(value[i]) {
					return
				}
			}
			// Too many digits for a float64 give an error here; the spec is silent on it, and
			// keeping the previous value avoids an infinite region.
			if n, ok := parseHTMLFloat(value); ok {
				region.Lines = n
			}
		case "regionanchor", "viewportanchor":
			xs, ys, ok := strings.Cut(value, ",")
			if !ok {
				return
			}
			x, okX := parsePercentage(xs)
			y, okY := parsePercentage(ys)
			if !okX || !okY {
				return
			}
			if name == "regionanchor" {
				region.RegionAnchorX, region.RegionAnchorY = x, y
			} else {
				region.ViewportAnchorX, region.ViewportAnchorY = x, y
			}
		case "scroll":
			if value == "up" {
				region.Scroll = ScrollUp
			}
		}
	})
}

// forEachSetting splits input on ASCII whitespace and calls fn with the name and value of each
// token that has a colon which is neither its first nor its last character.
func forEachSetting(input string, fn func(name, value string)) {
	for i := 0; i < len(input); {
		for i < len(input) && isASCIIWhitespace(input[i]) {
			i++
		}
		start := i
		for i < len(input) && !isASCIIWhitespace(input[i]) {
			i++
		}
		setting := input[start:i]
		colon := strings.IndexByte(setting, ':')
		if colon <= 0 || colon == len(setting)-1 {
			continue
		}
		fn(setting[:colon], setting[colon+1:])
	}
}

func isASCIIDigit(c byte) bool { return '0' <= c && c <= '9' }

// isASCIIWhitespace is the Infra "ASCII whitespace": tab, LF, FF, CR, space. (Vertical tab is
// not one of them.)
func isASCIIWhitespace(c byte) bool {
	return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '
}

func skipASCIIWhitespace(s string, pos int) int {
	for pos < len(s) && isASCIIWhitespace(s[pos]) {
		pos++
	}
	return pos
}
