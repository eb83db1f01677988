package subtitle

import (
	"bufio"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// maxXMLDepth bounds element nesting: TTML needs about eight levels (tt, body, div, p, spans);
// the bound keeps hostile files from growing the parser's stack without end.
const maxXMLDepth = 64

const xmlNamespace = "http://www.w3.org/XML/1998/namespace"

// ttmlStyle is what the parser reads of a style: the properties WebVTT can show.
type ttmlStyle struct {
	italic, bold, underline bool
	color                   string // a WebVTT colour class, or ""
	textAlign               string
	// Region placement, in percent of the picture; hasOrigin and hasExtent say whether they
	// were given as percentages.
	originX, originY, extentW, extentH float64
	hasOrigin, hasExtent               bool
	displayAlign                       string
}

// ttmlElement is the parser's state for one open element.
type ttmlElement struct {
	local    string
	begin    time.Duration // absolute
	end      time.Duration // absolute; meaningful when hasEnd
	hasEnd   bool
	timed    bool // it or an ancestor has a begin, end or dur
	lang     string
	preserve bool
	style    ttmlStyle
	region   string
	skip     bool // inside head, metadata and the like: no subtitle text
	pushed   int  // spans this element opened in the cue builder
}

// ttmlTiming holds the ttp: parameters that turn frames and ticks into time.
type ttmlTiming struct {
	frameRate, subFrameRate, tickRate float64
}

type ttmlParser struct {
	dec     *xml.Decoder
	notes   *notes
	timing  ttmlTiming
	styles  map[string]*xmlStyleDef
	regions map[string]*xmlStyleDef
	stack   []*ttmlElement

	// the paragraph being read
	cue      *Cue
	builder  *treeBuilder
	cueLang  string
	collapse bool

	rootLanguage string
	title        string
	skippedLine  int // the first <p> skipped for its timing
	tracks       []*Track
	trackByTag   map[string]*Track
}

// xmlStyleDef is a <style> or <region> of the head: its own attributes and the styles it
// references, resolved when used.
type xmlStyleDef struct {
	attrs []xml.Attr
	refs  []string
}

// parseTTML reads a TTML file — W3C Timed Text, and its DFXP and IMSC profiles (.ttml, .dfxp,
// .xml). Timing follows TTML's rules: begin, end and dur on body, div, p (and span, whose times
// are not kept) in clock time ("00:00:01.500", "00:00:01:12" frames at ttp:frameRate) or offset
// time ("1.5s", "1500ms", "2.5h", "36f", "900000t" ticks at ttp:tickRate), each relative to its
// parent's begin. <br/> breaks lines, whitespace collapses unless xml:space="preserve", italic,
// bold, underline and WebVTT's colours become WebVTT markup (inline or through style
// references), span xml:lang becomes a <lang> span, percentage region origins place the cue.
// Cues are grouped by their xml:lang into one Track each, in order of first appearance. A file
// with a DTD is refused (CodeDoctype), as is XML nesting deeper than maxXMLDepth (CodeTooDeep),
// XML that is not well-formed (CodeMalformed) and a root that is not <tt> (CodeBadSignature).
// A <p> with no timing on it or above it is skipped with CodeBadTiming, and a file whose every
// paragraph is is refused with CodeNoCues naming the first one's line.
// It works on decoded, LF-only text: ParseFormat(FormatTTML, …) decodes a file and calls it.
func parseTTML(text string, n *notes) ([]*Track, error) {
	dec := xml.NewDecoder(strings.NewReader(text))
	dec.Strict = true
	dec.Entity = xml.HTMLEntity // &nbsp; and friends appear in hand-made files
	dec.CharsetReader = func(_ string, input io.Reader) (io.Reader, error) {
		return input, nil // Decode has already turned the text into UTF-8
	}
	p := &ttmlParser{
		dec:        dec,
		notes:      n,
		styles:     map[string]*xmlStyleDef{},
		regions:    map[string]*xmlStyleDef{},
		trackByTag: map[string]*Track{},
	}
	if err := p.run(); err != nil {
		return nil, err
	}
	if len(p.tracks) == 0 && p.skippedLine > 0 {
		return nil, &Error{Code: CodeNoCues, Line: p.skippedLine}
	}
	if len(p.tracks) == 0 {
		p.tracks = append(p.tracks, &Track{Language: p.rootLang()})
	}
	if title := strings.Join(strings.Fields(p.title), " "); title != "" {
		for _, t := range p.tracks {
			t.Label = title
		}
	}
	return p.tracks, nil
}

func (p *ttmlParser) run() error {
	sawRoot := false
	for {
		line, _ := p.dec.InputPos()
		tok, err := p.dec.Token()
		if err == io.EOF {
			if !sawRoot {
				return &Error{Code: CodeBadSignature, Line: 1}
			}
			return nil
		}
		if err != nil {
			var syn *xml.SyntaxError
			if errors.As(err, &syn) {
				return &Error{Code: CodeMalformed, Line: syn.Line, Err: err}
			}
			return &Error{Code: CodeMalformed, Line: line, Err: err}
		}
		switch t := tok.(type) {
		case xml.Directive:
			// <!DOCTYPE …> or <!ENTITY …>: refused rather than ignored, so no entity is ever
			// expanded, by this parser or by any tool the file is later handed to.
			return &Error{Code: CodeDoctype, Line: line}
		case xml.StartElement:
			if !sawRoot {
				if t.Name.Local != "tt" {
					return &Error{Code: CodeBadSignature, Line: line}
				}
				sawRoot = true
				p.readParameters(t)
			}
			if len(p.stack) >= maxXMLDepth {
				return &Error{Code: CodeTooDeep, Line: line}
			}
			p.start(t, line)
			if len(p.stack) == 1 {
				p.rootLanguage = p.stack[0].lang
			}
		case xml.EndElement:
			p.end()
		case xml.CharData:
			p.charData(string(t))
		}
	}
}

// rootLang is the canonical xml:lang of <tt>, for a file without cues.
func (p *ttmlParser) rootLang() string {
	tag, _ := CanonicalLanguage(p.rootLanguage)
	return tag
}

// readParameters reads the ttp: attributes of <tt>.
func (p *ttmlParser) readParameters(t xml.StartElement) {
	frameRate, hasFrameRate := 30.0, false
	subFrameRate, multiplier := 1.0, 1.0
	tickRate, hasTickRate := 0.0, false
	for _, a := range t.Attr {
		v := strings.TrimSpace(a.Value)
		switch a.Name.Local {
		case "frameRate":
			if f, err := strconv.ParseFloat(v, 64); err == nil && f > 0 && f < 1e6 {
				frameRate, hasFrameRate = f, true
			}
		case "subFrameRate":
			if f, err := strconv.ParseFloat(v, 64); err == nil && f > 0 && f < 1e6 {
				subFrameRate = f
			}
		case "frameRateMultiplier":
			if num, den, ok := strings.Cut(v, " "); ok {
				fn, err1 := strconv.ParseFloat(num, 64)
				fd, err2 := strconv.ParseFloat(strings.TrimSpace(den), 64)
				if err1 == nil && err2 == nil && fn > 0 && fd > 0 && fn/fd < 1e6 {
					multiplier = fn / fd
				}
			}
		case "tickRate":
			if f, err := strconv.ParseFloat(v, 64); err == nil && f > 0 && f < 1e12 {
				tickRate, hasTickRate = f, true
			}
		}
	}
	p.timing.frameRate = frameRate * multiplier
	p.timing.subFrameRate = subFrameRate
	switch {
	case hasTickRate:
		p.timing.tickRate = tickRate
	case hasFrameRate:
		p.timing.tickRate = frameRate * subFrameRate // TTML's default when a frame rate is given
	default:
		p.timing.tickRate = 1
	}
}

func (p *ttmlParser) start(t xml.StartElement, line int) {
	parent := &ttmlElement{}
	if len(p.stack) > 0 {
		parent = p.stack[len(p.stack)-1]
	}
	el := &ttmlElement{
		local:    t.Name.Local,
		begin:    parent.begin,
		end:      parent.end,
		hasEnd:   parent.hasEnd,
		timed:    parent.timed,
		lang:     parent.lang,
		preserve: parent.preserve,
		style:    parent.style,
		region:   parent.region,
		skip:     parent.skip,
	}
	p.stack = append(p.stack, el)

	switch el.local {
	case "head", "metadata", "set", "animate", "layout", "styling", "script", "style", "region",
		"image", "audio", "font", "chunk", "source", "data", "resources":
		el.skip = true
	}
	var id string
	var styleRefs []string
	for _, a := range t.Attr {
		switch {
		case a.Name.Space == xmlNamespace && a.Name.Local == "lang":
			el.lang = strings.TrimSpace(a.Value)
		case a.Name.Space == xmlNamespace && a.Name.Local == "space":
			el.preserve = a.Value == "preserve"
		case a.Name.Space == xmlNamespace && a.Name.Local == "id":
			id = a.Value
		case a.Name.Space == "" && a.Name.Local == "style":
			styleRefs = strings.Fields(a.Value)
		case a.Name.Space == "" && a.Name.Local == "region":
			el.region = strings.TrimSpace(a.Value)
		}
	}
	// Definitions in the head, resolved when a paragraph uses them.
	if (el.local == "style" || el.local == "region") && id != "" && len(p.stack) > 1 &&
		(p.stack[len(p.stack)-2].local == "styling" || p.stack[len(p.stack)-2].local == "layout") {
		def := &xmlStyleDef{attrs: t.Attr, refs: styleRefs}
		if el.local == "style" {
			p.styles[id] = def
		} else {
			p.regions[id] = def
		}
		return
	}
	if el.skip {
		return
	}

	// Styles: those referenced, then the element's own attributes.
	for _, ref := range styleRefs {
		p.applyStyleDef(&el.style, ref, 0)
	}
	applyStyleAttrs(&el.style, t.Attr)

	// Timing, relative to the parent's begin. Spans' times are not kept: WebVTT cue text has
	// only points in time.
	if el.local != "span" && el.local != "br" {
		timingOK := p.applyTiming(el, parent, t.Attr)
		if !timingOK {
			p.notes.add(CodeBadTiming, line)
		}
		// A paragraph with no timing at all, on itself or above, would be a cue at 0 that
		// never shows (what an untimed document means — shown the whole time — is no
		// subtitle): it is skipped, and a file of only such paragraphs refused.
		if el.local == "p" && (!timingOK || !el.timed && p.cue == nil) {
			if timingOK {
				p.notes.add(CodeBadTiming, line)
			}
			if p.skippedLine == 0 {
				p.skippedLine = line
			}
			el.skip = true
			return
		}
	}

	switch el.local {
	case "p":
		if p.cue != nil {
			return // a p inside a p is not TTML; its text joins the outer one
		}
		p.cue = NewCue()
		p.cue.Start, p.cue.SourceLine = el.begin, line
		if el.hasEnd {
			p.cue.End = el.end
		} else {
			p.cue.End = el.begin
			p.notes.add(CodeBadTiming, line) // no end anywhere: the cue gets no duration
		}
		p.cueLang = el.lang
		p.collapse = !el.preserve
		p.builder = newTreeBuilder()
		p.placeCue(el)
		el.pushed = p.pushStyle(ttmlStyle{}, el.style)
	case "span":
		if p.cue == nil {
			return
		}
		parentStyle := parent.style
		if el.lang != "" && el.lang != parent.lang {
			if p.builder.push(&CueNode{Kind: NodeLanguage, Annotation: el.lang}) {
				el.pushed++
			}
		}
		el.pushed += p.pushStyle(parentStyle, el.style)
	case "br":
		if p.cue != nil {
			p.builder.text("\n")
		}
	}
}

// applyTiming sets el's absolute begin and end from its begin, end and dur attributes. It
// reports false when one of them cannot be read.
func (p *ttmlParser) applyTiming(el, parent *ttmlElement, attrs []xml.Attr) bool {
	ok := true
	var begin, end, dur time.Duration
	var hasBegin, hasEnd, hasDur bool
	for _, a := range attrs {
		if a.Name.Space != "" {
			continue
		}
		var target *time.Duration
		var flag *bool
		switch a.Name.Local {
		case "begin":
			target, flag = &begin, &hasBegin
		case "end":
			target, flag = &end, &hasEnd
		case "dur":
			target, flag = &dur, &hasDur
		default:
			continue
		}
		v, good := p.timing.parse(a.Value)
		if !good {
			ok = false
			continue
		}
		*target, *flag = v, true
	}
	if hasBegin || hasEnd || hasDur {
		el.timed = true
	}
	if hasBegin {
		el.begin = addTimes(parent.begin, begin)
	}
	switch {
	case hasEnd:
		el.end, el.hasEnd = addTimes(parent.begin, end), true
	case hasDur:
		el.end, el.hasEnd = addTimes(el.begin, dur), true
	}
	if parent.hasEnd && el.hasEnd && el.end > parent.end {
		el.end = parent.end // a child ends with its parent at the latest
	}
	return ok
}

// addTimes adds two non-negative times, saturating at the largest writable time.
func addTimes(a, b time.Duration) time.Duration {
	if b > maxWritableTime-a {
		return maxWritableTime
	}
	return a + b
}

// parse reads a TTML time expression: clock time or offset time.
func (tm ttmlTiming) parse(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	var seconds float64
	if strings.Contains(s, ":") {
		parts := strings.Split(s, ":")
		if len(parts) != 3 && len(parts) != 4 {
			return 0, false
		}
		h, okH := parseDigits(parts[0], 10)
		m, okM := parseDigits(parts[1], 2)
		if !okH || !okM {
			return 0, false
		}
		sec, err := strconv.ParseFloat(parts[2], 64)
		if err != nil || !isDecimal(parts[2]) || (len(parts) == 4 && !allDigits(parts[2])) {
			return 0, false
		}
		seconds = float64(h)*3600 + float64(m)*60 + sec
		if len(parts) == 4 {
			frames, sub, hasSub := strings.Cut(parts[3], ".")
			f, okF := parseDigits(frames, 10)
			if !okF {
				return 0, false
			}
			seconds += float64(f) / tm.frameRate
			if hasSub {
				sf, okS := parseDigits(sub, 10)
				if !okS {
					return 0, false
				}
				seconds += float64(sf) / tm.subFrameRate / tm.frameRate
			}
		}
	} else {
		end := 0
		for end < len(s) && (isASCIIDigit(s[end]) || s[end] == '.') {
			end++
		}
		num, metric := s[:end], s[end:]
		if !isDecimal(num) {
			return 0, false
		}
		v, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return 0, false
		}
		switch metric {
		case "h":
			seconds = v * 3600
		case "m":
			seconds = v * 60
		case "s":
			seconds = v
		case "ms":
			seconds = v / 1000
		case "f":
			seconds = v / tm.frameRate
		case "t":
			seconds = v / tm.tickRate
		default:
			return 0, false
		}
	}
	if math.IsNaN(seconds) || seconds < 0 || seconds > maxWritableTime.Seconds()-1 {
		return 0, false
	}
	// Rounded to the millisecond, the precision of every text format this package writes.
	return time.Duration(math.Round(seconds*1000)) * time.Millisecond, true
}

// isDecimal reports digits with at most one dot, with digits on both sides of it if any.
func isDecimal(s string) bool {
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || !allDigits(whole) {
		return false
	}
	return !hasDot || frac != "" && allDigits(frac)
}

// applyStyleDef applies a referenced <style>, after the styles it references in turn. depth
// stops reference cycles.
func (p *ttmlParser) applyStyleDef(st *ttmlStyle, id string, depth int) {
	def, ok := p.styles[id]
	if !ok || depth > 8 {
		return
	}
	for _, ref := range def.refs {
		p.applyStyleDef(st, ref, depth+1)
	}
	applyStyleAttrs(st, def.attrs)
}

// applyStyleAttrs applies tts: style attributes.
func applyStyleAttrs(st *ttmlStyle, attrs []xml.Attr) {
	for _, a := range attrs {
		if a.Name.Space == "" || a.Name.Space == xmlNamespace {
			continue // styling attributes are always in a tts: namespace
		}
		v := strings.TrimSpace(a.Value)
		switch a.Name.Local {
		case "fontStyle":
			st.italic = v == "italic" || v == "oblique"
		case "fontWeight":
			st.bold = v == "bold"
		case "textDecoration":
			for _, d := range strings.Fields(v) {
				switch d {
				case "underline":
					st.underline = true
				case "noUnderline", "none":
					st.underline = false
				}
			}
		case "color":
			st.color = colorClass(ttmlColor(v))
		case "textAlign":
			st.textAlign = v
		case "displayAlign":
			st.displayAlign = v
		case "origin":
			st.originX, st.originY, st.hasOrigin = percentPair(v)
		case "extent":
			st.extentW, st.extentH, st.hasExtent = percentPair(v)
		}
	}
}

// ttmlColor reduces "#rrggbbaa" and "rgb(…)"/"rgba(…)" colours to "#rrggbb", the form the colour
// classes are keyed by, and keeps the rest.
func ttmlColor(v string) string {
	v = strings.ToLower(v)
	if strings.HasPrefix(v, "#") && len(v) == 9 {
		return v[:7]
	}
	if inner, ok := strings.CutPrefix(v, "rgba("); ok {
		v = "rgb(" + inner
	}
	if inner, ok := strings.CutPrefix(v, "rgb("); ok {
		parts := strings.Split(strings.TrimSuffix(inner, ")"), ",")
		if len(parts) < 3 {
			return v
		}
		hex := "#"
		for _, part := range parts[:3] {
			n, err := strconv.Atoi(strings.TrimSpace(part))
			if err != nil || n < 0 || n > 255 {
				return v
			}
			hex += strconv.FormatInt(int64(n)|0x100, 16)[1:]
		}
		return hex
	}
	return v
}

// percentPair reads "10% 80%".
func percentPair(v string) (x, y float64, ok bool) {
	f := strings.Fields(v)
	if len(f) != 2 {
		return 0, 0, false
	}
	x, okX := parsePercentValue(f[0])
	y, okY := parsePercentValue(f[1])
	return x, y, okX && okY
}

func parsePercentValue(s string) (float64, bool) {
	num, ok := strings.CutSuffix(s, "%")
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// pushStyle opens the spans for what style adds to parent, and returns how many it opened.
func (p *ttmlParser) pushStyle(parent, style ttmlStyle) int {
	pushed := 0
	push := func(n *CueNode) {
		if p.builder.push(n) {
			pushed++
		}
	}
	if style.italic && !parent.italic {
		push(&CueNode{Kind: NodeItalic})
	}
	if style.bold && !parent.bold {
		push(&CueNode{Kind: NodeBold})
	}
	if style.underline && !parent.underline {
		push(&CueNode{Kind: NodeUnderline})
	}
	if style.color != "" && style.color != parent.color {
		push(&CueNode{Kind: NodeClass, Classes: []string{style.color}})
	}
	return pushed
}

// placeCue sets a cue's position from its region (origin, extent and display alignment in
// percent) and its text alignment.
func (p *ttmlParser) placeCue(el *ttmlElement) {
	var st ttmlStyle
	if def, ok := p.regions[el.region]; ok {
		for _, ref := range def.refs {
			p.applyStyleDef(&st, ref, 0)
		}
		applyStyleAttrs(&st, def.attrs)
	}
	c := p.cue
	if st.hasOrigin {
		y, align := st.originY, LineAlignStart
		if st.hasExtent {
			switch st.displayAlign {
			case "after":
				y, align = st.originY+st.extentH, LineAlignEnd
			case "center":
				y, align = st.originY+st.extentH/2, LineAlignCenter
			}
		}
		c.Line, c.SnapToLines, c.LineAlign = Number(clampPercent(y)), false, align
		c.Position, c.PositionAlign = Number(clampPercent(st.originX)), PositionAlignLineLeft
		if st.hasExtent {
			c.Size = clampPercent(st.extentW)
		}
	} else if st.displayAlign == "before" {
		c.Line, c.SnapToLines, c.LineAlign = Number(0), true, LineAlignStart
	}
	align := el.style.textAlign
	if align == "" {
		align = st.textAlign
	}
	switch align {
	case "left":
		c.Align = AlignLeft
	case "right":
		c.Align = AlignRight
	case "start":
		c.Align = AlignStart
	case "end":
		c.Align = AlignEnd
	}
}

func (p *ttmlParser) end() {
	if len(p.stack) == 0 {
		return
	}
	el := p.stack[len(p.stack)-1]
	p.stack = p.stack[:len(p.stack)-1]
	if p.cue == nil || el.skip {
		return
	}
	for range el.pushed {
		p.builder.pop()
	}
	if el.local == "p" && (len(p.stack) == 0 || !p.insideP()) {
		p.cue.Text = p.builder.finish(p.collapse)
		p.addCue(p.cue, p.cueLang)
		p.cue, p.builder = nil, nil
	}
}

// insideP reports whether an outer <p> is still open.
func (p *ttmlParser) insideP() bool {
	for _, el := range p.stack {
		if el.local == "p" {
			return true
		}
	}
	return false
}

func (p *ttmlParser) charData(s string) {
	if n := len(p.stack); n >= 3 && p.stack[n-1].local == "title" &&
		p.stack[n-2].local == "metadata" && p.stack[n-3].local == "head" {
		p.title += s // the document's ttm:title, which WriteTTML writes from Track.Label
		return
	}
	if p.cue == nil || len(p.stack) == 0 {
		return
	}
	el := p.stack[len(p.stack)-1]
	if el.skip {
		return
	}
	if !el.preserve {
		s = collapseSpaces(s)
	}
	p.builder.text(s)
}

// addCue puts a cue in the track of its language.
func (p *ttmlParser) addCue(c *Cue, lang string) {
	key := lang
	canonical, err := CanonicalLanguage(lang)
	if err == nil {
		key = canonical
	}
	t, ok := p.trackByTag[key]
	if !ok {
		t = &Track{Language: canonical}
		p.trackByTag[key] = t
		p.tracks = append(p.tracks, t)
	}
	t.Cues = append(t.Cues, c)
}

// WriteTTML writes t as a TTML document in the IMSC 1 text profile's vocabulary: xml:lang from
// t.Language, the label as ttm:title, one <p> per cue with clock-time begin and end, <br/> for
// line breaks, and spans with tts:fontStyle, tts:fontWeight, tts:textDecoration, tts:color and
// xml:lang for WebVTT's italic, bold, underline, colour classes and language spans. Voices and
// cue positions other than text alignment are not written. A cue with a negative time is refused
// with CodeInvalidCue.
func WriteTTML(w io.Writer, t *Track) error {
	if err := checkCueTimes(t); err != nil {
		return err
	}
	if t == nil {
		t = &Track{}
	}
	lang := t.Language
	if canonical, err := CanonicalLanguage(lang); err == nil {
		lang = canonical
	} else {
		lang = "" // TTML requires xml:lang; "" is its "undetermined"
	}
	bw := bufio.NewWriter(w)
	bw.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	bw.WriteString(`<tt xmlns="http://www.w3.org/ns/ttml" xmlns:tts="http://www.w3.org/ns/ttml#styling"` +
		` xmlns:ttm="http://www.w3.org/ns/ttml#metadata" xmlns:ttp="http://www.w3.org/ns/ttml#parameter"` +
		` ttp:timeBase="media" xml:lang="` + xmlEscape(lang) + `">` + "\n")
	if t.Label != "" {
		bw.WriteString("  <head>\n    <metadata>\n      <ttm:title>" + xmlEscape(t.Label) +
			"</ttm:title>\n    </metadata>\n  </head>\n")
	}
	bw.WriteString("  <body>\n    <div>\n")
	for _, c := range trackCues(t) {
		root := ParseCueText(c.Text)
		content := ttmlContent(root)
		bw.WriteString(`      <p begin="` + formatTimestamp(c.Start) + `" end="` + formatTimestamp(c.End) + `"`)
		switch c.Align {
		case AlignLeft, AlignRight, AlignStart, AlignEnd:
			bw.WriteString(` tts:textAlign="` + string(c.Align) + `"`)
		}
		if needsPreserve(root.PlainText()) {
			bw.WriteString(` xml:space="preserve"`)
		}
		bw.WriteString(">" + content + "</p>\n")
	}
	bw.WriteString("    </div>\n  </body>\n</tt>\n")
	if err := bw.Flush(); err != nil {
		return &Error{Code: CodeWriteFailed, Err: err}
	}
	return nil
}

// needsPreserve reports text whose spaces the default whitespace handling would change.
func needsPreserve(s string) bool {
	for _, line := range strings.Split(s, "\n") {
		if strings.TrimSpace(line) != line || strings.Contains(line, "  ") || strings.ContainsAny(line, "\t\r\f\u00A0") {
			return true
		}
	}
	return false
}

// ttmlContent writes a cue text tree as the content of a <p>.
func ttmlContent(root *CueNode) string {
	var b strings.Builder
	open := func(n *CueNode) string {
		switch n.Kind {
		case NodeItalic:
			return `<span tts:fontStyle="italic">`
		case NodeBold:
			return `<span tts:fontWeight="bold">`
		case NodeUnderline:
			return `<span tts:textDecoration="underline">`
		case NodeClass:
			for _, class := range n.Classes {
				if colorClasses[class] == class {
					return `<span tts:color="` + class + `">`
				}
			}
		case NodeLanguage:
			if tag, err := CanonicalLanguage(n.Annotation); err == nil && tag != "" {
				return `<span xml:lang="` + xmlEscape(tag) + `">`
			}
		}
		return ""
	}
	walkCueTree(root, func(n *CueNode) {
		switch n.Kind {
		case NodeText:
			for i, part := range strings.Split(n.Text, "\n") {
				if i > 0 {
					b.WriteString("<br/>")
				}
				b.WriteString(xmlEscape(part))
			}
		case NodeRubyText:
			b.WriteString("(")
		default:
			b.WriteString(open(n))
		}
	}, func(n *CueNode) {
		switch {
		case n.Kind == NodeRubyText:
			b.WriteString(")")
		case open(n) != "":
			b.WriteString("</span>")
		}
	})
	return b.String()
}

// xmlEscape escapes text for XML content and attribute values; characters XML cannot hold
// become U+FFFD.
func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder does not fail
	return b.String()
}
