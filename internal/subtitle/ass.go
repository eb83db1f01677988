package subtitle

import (
	"strconv"
	"strings"
	"time"
)

// assScript is what the parser keeps of the [Script Info] and styles sections.
type assScript struct {
	wrapStyle  int
	playResX   float64
	playResY   float64
	v4Plus     bool // [V4+ Styles] or ScriptType v4.00+: numpad alignment
	styles     map[string]*assStyle
	stylesFold map[string]*assStyle // by lower-cased name, for files that change the case
}

// assStyle is what a Style line says that WebVTT can show.
type assStyle struct {
	italic, bold, underline bool
	alignment               int // numpad (1 bottom left … 9 top right), 0 if unknown
}

// The default column orders of the two versions, for files whose Format line is missing.
var (
	assDefaultEventFormat = []string{"layer", "start", "end", "style", "name", "marginl", "marginr", "marginv", "effect", "text"}
	ssaDefaultEventFormat = []string{"marked", "start", "end", "style", "name", "marginl", "marginr", "marginv", "effect", "text"}
)

// parseASS reads an Advanced SubStation Alpha (.ass) or SubStation Alpha (.ssa) file: the
// Dialogue lines of its [Events] section, with columns in the order its Format line gives. Text
// overrides become WebVTT markup where WebVTT has an equivalent ({\i1}, {\b1}, {\u1}, karaoke
// {\k} as timestamps, {\an8} and {\pos} as cue position), the others are dropped; \N is a line
// break, and so is \n when the script's WrapStyle is 2 (otherwise it is a space, as in libass);
// vector drawings ({\p1}) are left out. The Name column becomes a voice span, Layer and Style go
// to Cue.Layer and Cue.StyleName, the styles' alignment and italic, bold and underline flags
// apply. A file without a section header is refused with CodeBadSignature.
// It works on decoded, LF-only text: ParseFormat(FormatASS, …) decodes a file and calls it.
func parseASS(text string, n *notes) (*Track, error) {
	script := &assScript{styles: map[string]*assStyle{}, stylesFold: map[string]*assStyle{}}
	track := &Track{}
	section := ""
	sawSection := false
	var styleFormat, eventFormat []string
	lineNo := 0
	for line := range strings.Lines(text) {
		lineNo++
		line = strings.TrimSpace(line)
		if line == "" || line[0] == ';' || strings.HasPrefix(line, "!:") {
			continue
		}
		if line[0] == '[' && line[len(line)-1] == ']' {
			section = strings.ToLower(strings.TrimSpace(line[1 : len(line)-1]))
			sawSection = true
			if section == "v4+ styles" {
				script.v4Plus = true
			}
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		key, value = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(value)
		switch section {
		case "script info":
			switch key {
			case "scripttype":
				if strings.Contains(strings.ToLower(value), "+") {
					script.v4Plus = true
				}
			case "wrapstyle":
				script.wrapStyle, _ = strconv.Atoi(value)
			case "playresx":
				script.playResX, _ = strconv.ParseFloat(value, 64)
			case "playresy":
				script.playResY, _ = strconv.ParseFloat(value, 64)
			case "language":
				if tag, err := CanonicalLanguage(value); err == nil {
					track.Language = tag
				}
			}
		case "v4+ styles", "v4 styles", "v4 styles+":
			switch key {
			case "format":
				styleFormat = splitFormat(value)
			case "style":
				script.addStyle(styleFormat, value)
			}
		case "events":
			switch key {
			case "format":
				eventFormat = splitFormat(value)
			case "dialogue":
				format := eventFormat
				if format == nil {
					format = assDefaultEventFormat
					if !script.v4Plus {
						format = ssaDefaultEventFormat
					}
				}
				if cue, ok := parseDialogue(format, value, script); ok {
					cue.SourceLine = lineNo
					track.Cues = append(track.Cues, cue)
				} else {
					n.add(CodeBadTiming, lineNo)
				}
			}
		}
	}
	if !sawSection {
		return nil, &Error{Code: CodeBadSignature, Line: 1}
	}
	return track, nil
}

// splitFormat reads a Format line's column names, lower-cased.
func splitFormat(value string) []string {
	cols := strings.Split(value, ",")
	for i, c := range cols {
		cols[i] = strings.ToLower(strings.TrimSpace(c))
	}
	return cols
}

func (s *assScript) addStyle(format []string, value string) {
	if format == nil {
		// Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour,
		// Bold, Italic, Underline, … Alignment is the 19th column in v4+, the 18th in v4.
		format = []string{"name", "fontname", "fontsize", "primarycolour", "secondarycolour",
			"outlinecolour", "backcolour", "bold", "italic", "underline", "strikeout", "scalex",
			"scaley", "spacing", "angle", "borderstyle", "outline", "shadow", "alignment"}
		if !s.v4Plus {
			format = []string{"name", "fontname", "fontsize", "primarycolour", "secondarycolour",
				"tertiarycolour", "backcolour", "bold", "italic", "borderstyle", "outline",
				"shadow", "alignment"}
		}
	}
	fields := strings.SplitN(value, ",", len(format))
	style := &assStyle{}
	name := ""
	for i, f := range fields {
		f = strings.TrimSpace(f)
		switch format[i] {
		case "name":
			name = strings.TrimPrefix(f, "*")
		case "bold":
			style.bold = assFlag(f)
		case "italic":
			style.italic = assFlag(f)
		case "underline":
			style.underline = assFlag(f)
		case "alignment":
			a, _ := strconv.Atoi(f)
			if !s.v4Plus {
				a = legacyToNumpad(a)
			}
			if a >= 1 && a <= 9 {
				style.alignment = a
			}
		}
	}
	s.styles[name] = style
	s.stylesFold[strings.ToLower(name)] = style
}

// style finds a style as libass does: by name, then ignoring case, then "Default".
func (s *assScript) style(name string) *assStyle {
	name = strings.TrimPrefix(strings.TrimSpace(name), "*")
	if st, ok := s.styles[name]; ok {
		return st
	}
	if st, ok := s.stylesFold[strings.ToLower(name)]; ok {
		return st
	}
	if st, ok := s.stylesFold["default"]; ok {
		return st
	}
	return &assStyle{}
}

// assFlag reads a style's boolean: -1 is true in the format, and some tools write 1.
func assFlag(f string) bool {
	v, err := strconv.Atoi(f)
	return err == nil && v != 0
}

// legacyToNumpad converts SSA's alignment (1–3 bottom, 5–7 top, 9–11 middle, left to right)
// to the numpad layout of ASS.
func legacyToNumpad(a int) int {
	switch {
	case a >= 1 && a <= 3:
		return a
	case a >= 5 && a <= 7:
		return a + 2
	case a >= 9 && a <= 11:
		return a - 5
	}
	return 0
}

// parseDialogue turns the value of a Dialogue line into a cue.
func parseDialogue(format []string, value string, script *assScript) (*Cue, bool) {
	fields := strings.SplitN(value, ",", len(format))
	if len(fields) < len(format) {
		return nil, false
	}
	cue := NewCue()
	var startOK, endOK bool
	var name, text string
	style := &assStyle{}
	for i, f := range fields {
		switch format[i] {
		case "start":
			cue.Start, startOK = parseSBVTime(strings.TrimSpace(f))
		case "end":
			cue.End, endOK = parseSBVTime(strings.TrimSpace(f))
		case "layer":
			cue.Layer, _ = strconv.Atoi(strings.TrimSpace(f))
		case "style":
			cue.StyleName = strings.TrimPrefix(strings.TrimSpace(f), "*")
			style = script.style(f)
		case "name", "actor":
			name = strings.TrimSpace(f)
		case "text":
			text = f
		}
	}
	if !startOK || !endOK {
		return nil, false
	}
	conv := assTextConverter{script: script, style: style, start: cue.Start}
	cue.Text = conv.convert(text, name)
	an := conv.alignment
	if an == 0 {
		an = style.alignment
	}
	if conv.hasPos {
		applyPosition(cue, an, conv.posX, conv.posY, script)
	} else {
		applyNumpadAlignment(cue, an)
	}
	return cue, true
}

// assTextConverter turns the text of a Dialogue line into sanitised WebVTT cue text.
type assTextConverter struct {
	script *assScript
	style  *assStyle
	start  time.Duration

	b          *treeBuilder
	spans      []NodeKind    // the italic, bold and underline spans open in b, innermost last
	drawing    bool          // inside {\p1}…{\p0}: vector drawing commands, not text
	karaoke    time.Duration // time from the cue's start to the next syllable; -1 past the limit
	alignment  int           // the first \an or \a, 0 if none
	hasPos     bool
	posX, posY float64
}

func (c *assTextConverter) convert(text, name string) string {
	c.b = newTreeBuilder()
	if name != "" {
		c.b.push(&CueNode{Kind: NodeVoice, Annotation: name})
	}
	c.reset(c.style)
	var pending strings.Builder
	flush := func() {
		if !c.drawing {
			c.b.text(pending.String())
		}
		pending.Reset()
	}
	for i := 0; i < len(text); {
		switch ch := text[i]; {
		case ch == '{':
			end := strings.IndexByte(text[i:], '}')
			if end < 0 {
				pending.WriteString(text[i:]) // an unclosed brace is text, as in libass
				i = len(text)
				continue
			}
			flush()
			c.overrides(text[i+1 : i+end])
			i += end + 1
		case ch == '\\' && i+1 < len(text):
			switch text[i+1] {
			case 'N':
				pending.WriteByte('\n')
			case 'n':
				if c.script.wrapStyle == 2 {
					pending.WriteByte('\n')
				} else {
					pending.WriteByte(' ')
				}
			case 'h':
				pending.WriteString("\u00A0")
			default:
				pending.WriteString(text[i : i+2])
			}
			i += 2
		default:
			pending.WriteByte(ch)
			i++
		}
	}
	flush()
	return c.b.finish(false)
}

// reset sets italic, bold and underline to a style's, as {\r} does.
func (c *assTextConverter) reset(st *assStyle) {
	c.set(NodeItalic, st.italic)
	c.set(NodeBold, st.bold)
	c.set(NodeUnderline, st.underline)
}

// set turns a span kind on or off. ASS toggles styles where WebVTT nests spans, so turning off a
// span that is not innermost closes the ones inside it and opens them again.
func (c *assTextConverter) set(kind NodeKind, on bool) {
	at := -1
	for i, k := range c.spans {
		if k == kind {
			at = i
		}
	}
	switch {
	case on && at < 0:
		if c.b.push(&CueNode{Kind: kind}) {
			c.spans = append(c.spans, kind)
		}
	case !on && at >= 0:
		reopen := append([]NodeKind(nil), c.spans[at+1:]...)
		for range len(c.spans) - at {
			c.b.pop()
		}
		c.spans = c.spans[:at]
		for _, k := range reopen {
			if c.b.push(&CueNode{Kind: k}) {
				c.spans = append(c.spans, k)
			}
		}
	}
}

// overrides applies one {…} block. A block without a backslash is a comment.
func (c *assTextConverter) overrides(block string) {
	for _, tag := range splitOverrideTags(block) {
		c.override(tag)
	}
}

// splitOverrideTags splits "\i1\pos(1,2)\t(\b1)" into "i1", "pos(1,2)", "t(\b1)": a backslash
// inside parentheses does not start a tag.
func splitOverrideTags(block string) []string {
	var tags []string
	depth, start := 0, -1
	for i := 0; i < len(block); i++ {
		switch block[i] {
		case '(':
			depth++
		case ')':
			if depth > 0 {
				depth--
			}
		case '\\':
			if depth == 0 {
				if start >= 0 {
					tags = append(tags, block[start:i])
				}
				start = i + 1
			}
		}
	}
	if start >= 0 {
		tags = append(tags, block[start:])
	}
	return tags
}

func (c *assTextConverter) override(tag string) {
	tag = strings.TrimSpace(tag)
	arg := func(prefix string) (string, bool) {
		rest, ok := strings.CutPrefix(tag, prefix)
		return strings.TrimSpace(rest), ok
	}
	switch {
	case strings.HasPrefix(tag, "pos(") || strings.HasPrefix(tag, "move("):
		if c.hasPos {
			return // the first one counts, as in libass
		}
		open := strings.IndexByte(tag, '(')
		args := strings.Split(strings.TrimSuffix(tag[open+1:], ")"), ",")
		if len(args) >= 2 {
			x, errX := strconv.ParseFloat(strings.TrimSpace(args[0]), 64)
			y, errY := strconv.ParseFloat(strings.TrimSpace(args[1]), 64)
			if errX == nil && errY == nil {
				c.hasPos, c.posX, c.posY = true, x, y
			}
		}
	case strings.HasPrefix(tag, "an"):
		if v, err := strconv.Atoi(tag[2:]); err == nil && c.alignment == 0 && v >= 1 && v <= 9 {
			c.alignment = v
		}
	case len(tag) > 1 && tag[0] == 'a' && isASCIIDigit(tag[1]):
		if v, err := strconv.Atoi(tag[1:]); err == nil && c.alignment == 0 {
			c.alignment = legacyToNumpad(v)
		}
	case tag == "r" || strings.HasPrefix(tag, "r") && !strings.HasPrefix(tag, "rnd"):
		st := c.style
		if name := tag[1:]; name != "" {
			st = c.script.style(name)
		}
		c.reset(st)
	case strings.HasPrefix(tag, "kf") || strings.HasPrefix(tag, "ko") || strings.HasPrefix(tag, "k") || strings.HasPrefix(tag, "K"):
		digits := strings.TrimLeft(tag, "kKfo")
		v, err := strconv.ParseFloat(digits, 64)
		// The syllable after the tag is sung from the time the syllables before it add up to;
		// past what WebVTT can write, the timestamps stop.
		if err != nil || !(v >= 0 && v < 1e7) || c.drawing || c.karaoke < 0 { // NaN too
			return
		}
		c.b.current().Children = append(c.b.current().Children,
			&CueNode{Kind: NodeTimestamp, Time: c.start + c.karaoke})
		inc := time.Duration(v * float64(10*time.Millisecond))
		if inc > maxWritableTime-c.start-c.karaoke {
			c.karaoke = -1 // no further timestamps
		} else {
			c.karaoke += inc
		}
	case strings.HasPrefix(tag, "p") && len(tag) > 1 && isASCIIDigit(tag[1]):
		v, _ := strconv.Atoi(tag[1:])
		c.drawing = v > 0
	default:
		for _, f := range []struct {
			name string
			kind NodeKind
			def  bool
		}{{"i", NodeItalic, c.style.italic}, {"b", NodeBold, c.style.bold}, {"u", NodeUnderline, c.style.underline}} {
			v, ok := arg(f.name)
			if !ok || v != "" && !isASCIIDigit(v[0]) {
				continue // \bord, \blur, \be… are other tags
			}
			if v == "" {
				c.set(f.kind, f.def)
			} else {
				n, _ := strconv.Atoi(v)
				c.set(f.kind, n != 0) // \b700 is bold too
			}
		}
	}
}

// extractASSCodes removes the {\…} override blocks some SRT files carry and returns the first
// alignment among them ({\an8}, or SSA's {\a6}), 0 if none. Other codes are dropped.
func extractASSCodes(s string) (string, int) {
	if !strings.Contains(s, `{\`) {
		return s, 0
	}
	var b strings.Builder
	an := 0
	for {
		i := strings.Index(s, `{\`)
		if i < 0 {
			break
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			break
		}
		b.WriteString(s[:i])
		for _, tag := range splitOverrideTags(s[i+1 : i+end]) {
			if an != 0 {
				break
			}
			switch {
			case strings.HasPrefix(tag, "an"):
				if v, err := strconv.Atoi(tag[2:]); err == nil && v >= 1 && v <= 9 {
					an = v
				}
			case len(tag) > 1 && tag[0] == 'a' && isASCIIDigit(tag[1]):
				if v, err := strconv.Atoi(tag[1:]); err == nil {
					an = legacyToNumpad(v)
				}
			}
		}
		s = s[i+end+1:]
	}
	b.WriteString(s)
	return b.String(), an
}

// applyNumpadAlignment places a cue the way the numpad alignments of ASS (and of {\an} codes in
// SRT) do: 7–9 on the top line, 4–6 in the middle, 1–3 at the bottom (WebVTT's default); the
// left column aligned left, the right one right.
func applyNumpadAlignment(c *Cue, an int) {
	if an < 1 || an > 9 {
		return
	}
	switch (an - 1) / 3 {
	case 1: // middle
		c.Line, c.SnapToLines, c.LineAlign = Number(50), false, LineAlignCenter
	case 2: // top
		c.Line, c.SnapToLines, c.LineAlign = Number(0), true, LineAlignStart
	}
	switch (an - 1) % 3 {
	case 0:
		c.Align = AlignLeft
	case 2:
		c.Align = AlignRight
	}
}

// applyPosition places a cue at an ASS \pos, given in script pixels, with the anchor its
// alignment names.
func applyPosition(c *Cue, an int, x, y float64, script *assScript) {
	resX, resY := script.playResX, script.playResY
	if resX <= 0 && resY <= 0 {
		resX, resY = 384, 288 // the defaults of libass and VSFilter
	} else if resX <= 0 {
		resX = resY * 4 / 3
	} else if resY <= 0 {
		resY = resX * 3 / 4
	}
	if an < 1 || an > 9 {
		an = 2
	}
	c.Line = Number(clampPercent(y / resY * 100))
	c.SnapToLines = false
	c.Position = Number(clampPercent(x / resX * 100))
	switch (an - 1) / 3 {
	case 0:
		c.LineAlign = LineAlignEnd
	case 1:
		c.LineAlign = LineAlignCenter
	default:
		c.LineAlign = LineAlignStart
	}
	switch (an - 1) % 3 {
	case 0:
		c.PositionAlign, c.Align = PositionAlignLineLeft, AlignLeft
	case 1:
		c.PositionAlign = PositionAlignCenter
	default:
		c.PositionAlign, c.Align = PositionAlignLineRight, AlignRight
	}
}

// clampPercent keeps a computed percentage within 0–100, which WebVTT requires.
func clampPercent(v float64) float64 {
	switch {
	case v != v || v < 0: // NaN too
		return 0
	case v > 100:
		return 100
	}
	return float64(int64(v*1000+0.5)) / 1000
}

// numpadAlignment is the inverse of applyNumpadAlignment, for writing a cue's place to a format
// that knows only the numpad (SRT's {\an} codes): 2, bottom centre, when nothing is set.
func numpadAlignment(c *Cue) int {
	row := 0 // bottom
	if !c.Line.Auto {
		switch {
		case c.SnapToLines && c.Line.Value >= 0:
			row = 2
		case c.SnapToLines:
		case c.Line.Value < 100.0/3:
			row = 2
		case c.Line.Value < 200.0/3:
			row = 1
		}
	}
	col := 1
	switch c.Align {
	case AlignLeft, AlignStart:
		col = 0
	case AlignRight, AlignEnd:
		col = 2
	}
	return row*3 + col + 1
}
