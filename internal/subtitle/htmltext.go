package subtitle

import "strings"

// htmlCueText converts the HTML-flavoured cue text of SRT and SAMI files into sanitised WebVTT
// cue text. <i>, <b>, <u>, <ruby> and <rt> keep their meaning, <font color> becomes a WebVTT
// colour class when it names one, <br> a line break; every other tag is dropped with its text
// kept, except script, style and the like, whose content is dropped too; character references
// are decoded; a "<" that does not open a tag is text. With srt (SubRip), source line breaks and
// spaces are kept, and a "tag" that names no HTML or WebVTT element (<sigh>, <LAUGHING!>, the
// "<y and y>" of "x<y and y>z") is text, as subtitle authors mean it; without it (SAMI, which is
// HTML), whitespace runs become single spaces and unknown tags are dropped, as browsers do.
// repaired reports formatting tags that were unclosed, misnested or closed without being open,
// and content dropped as code (script, style and the like).
func htmlCueText(s string, srt bool) (text string, repaired bool) {
	collapse := !srt
	b := newTreeBuilder()
	type openTag struct {
		name   string
		pushed bool // a span was opened in b for it
	}
	var stack []openTag
	tags := tagScanner{s: s}
	var pending strings.Builder
	flush := func() {
		t := pending.String()
		pending.Reset()
		if collapse {
			t = collapseSpaces(t)
		}
		b.text(t)
	}
	for i := 0; i < len(s); {
		next := strings.IndexAny(s[i:], "<&")
		if next < 0 {
			pending.WriteString(s[i:])
			break
		}
		pending.WriteString(s[i : i+next])
		i += next
		if s[i] == '&' {
			if ref, after, ok := consumeCharRef(s, i+1, 0); ok {
				pending.WriteString(ref)
				i = after
			} else {
				pending.WriteByte('&')
				i = skipSRTGuard(s, i+1)
			}
			continue
		}
		tag, after, ok := tags.scan(i)
		if !ok || srt && !isSRTTag(tag, s[i:after]) {
			pending.WriteByte('<')
			i = skipSRTGuard(s, i+1)
			continue
		}
		i = after
		if tag.kind != htmlStartTag && tag.kind != htmlEndTag {
			continue // comment, doctype, processing instruction
		}
		flush()
		if tag.kind == htmlEndTag {
			k := len(stack) - 1
			for k >= 0 && stack[k].name != tag.name {
				k--
			}
			if k < 0 {
				if isFormattingTag(tag.name) {
					repaired = true
				}
				continue
			}
			if k < len(stack)-1 {
				repaired = true
			}
			for len(stack) > k {
				if stack[len(stack)-1].pushed {
					b.pop()
				}
				stack = stack[:len(stack)-1]
			}
			continue
		}
		switch tag.name {
		case "br":
			b.text("\n")
			continue
		case "script", "style", "title", "head", "rp", "object", "iframe", "template",
			"noscript", "textarea", "xmp", "svg", "math":
			// Their content is code or fallback, never subtitle text. Dropping it is a repair
			// worth a warning, except for ruby's fallback parentheses and a stray title.
			if tag.name != "rp" && tag.name != "title" && tag.name != "head" {
				repaired = true
			}
			i = skipElementContent(s, i, tag.name)
			continue
		}
		if tag.selfClosing || !isFormattingTag(tag.name) {
			continue
		}
		var node *CueNode
		switch tag.name {
		case "i", "em":
			node = &CueNode{Kind: NodeItalic}
		case "b", "strong":
			node = &CueNode{Kind: NodeBold}
		case "u", "ins":
			node = &CueNode{Kind: NodeUnderline}
		case "ruby":
			node = &CueNode{Kind: NodeRuby}
		case "rt":
			// WebVTT wants <rt> directly inside <ruby>; SAMI files often have a <font> around
			// base and annotation. Close the spans inside the ruby so the annotation stays one.
			if k := b.innermost(NodeRuby); k > 0 {
				closed := len(b.open) - 1 - k
				for range closed {
					b.pop()
				}
				for j := len(stack) - 1; j >= 0 && closed > 0; j-- {
					if stack[j].pushed {
						stack[j].pushed = false
						closed--
					}
				}
				node = &CueNode{Kind: NodeRubyText}
			}
		case "font":
			if class := colorClass(htmlAttr(tag.attrs, "color")); class != "" {
				node = &CueNode{Kind: NodeClass, Classes: []string{class}}
			}
		}
		pushed := node != nil && b.push(node)
		stack = append(stack, openTag{name: tag.name, pushed: pushed})
	}
	flush()
	for _, t := range stack {
		if t.name != "font" && t.name != "rt" {
			repaired = true // <font> is left open in most SAMI files; that is no news
		}
	}
	return b.finish(collapse), repaired
}

// isSRTTag reports a tag an SRT file means as markup: one of HTML's elements (subtitle files
// use a few, and a stray <img> or <div> from a web page is markup too) or of WebVTT's. Anything
// else between "<" and ">" in an SRT file is text: <sigh>, <LAUGHING!>.
func isSRTTag(tag htmlTag, raw string) bool {
	if tag.kind == htmlComment {
		return strings.HasSuffix(raw, ">") // not a "<!--" that runs to the end of the cue
	}
	return htmlElements[tag.name]
}

// htmlElements are the names of HTML's elements, current and obsolete, and WebVTT's c, v and lang.
var htmlElements = func() map[string]bool {
	m := map[string]bool{}
	for _, name := range strings.Fields(`a abbr acronym address area article aside audio b base
		basefont bdi bdo big blink blockquote body br button canvas caption center cite code col
		colgroup data datalist dd del details dfn dialog dir div dl dt em embed fieldset
		figcaption figure font footer form frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr
		html i iframe img input ins kbd label legend li link main map mark marquee menu meta meter
		nav nobr noembed noframes noscript object ol optgroup option output p param picture
		plaintext pre progress q rb rp rt rtc ruby s samp script search section select slot small
		source span strike strong style sub summary sup svg math table tbody td template textarea
		tfoot th thead time title tr track tt u ul var video wbr xmp c v lang`) {
		m[name] = true
	}
	return m
}()

// skipSRTGuard steps over the invisible guard WriteSRT puts after a "<" or "&" that a reader
// would otherwise take for markup (see srtGuard), so that the text reads back as it was.
func skipSRTGuard(s string, i int) int {
	if strings.HasPrefix(s[i:], srtGuard) {
		return i + len(srtGuard)
	}
	return i
}

// isFormattingTag reports the HTML tags htmlCueText maps to a span, and so tracks open and closed.
func isFormattingTag(name string) bool {
	switch name {
	case "i", "em", "b", "strong", "u", "ins", "ruby", "rt", "font":
		return true
	}
	return false
}

type htmlTagKind int

const (
	htmlStartTag htmlTagKind = iota
	htmlEndTag
	htmlComment // also <!DOCTYPE …> and <?…?>
)

// htmlTag is one tag as scanHTMLTag reads it.
type htmlTag struct {
	kind        htmlTagKind
	name        string // lower case
	attrs       string // the raw text between the name and the closing ">"
	selfClosing bool
}

// scanHTMLTag reads the tag that starts with the "<" at s[i], the lenient way browsers read
// tag soup: names in any case, attribute values quoted or not. It returns the index after the
// tag, or ok=false when the "<" opens no tag (as in "a < b" or "<3") and is text. A comment
// without its "-->" runs to the end of s.
func scanHTMLTag(s string, i int) (tag htmlTag, next int, ok bool) {
	j := i + 1
	if j >= len(s) {
		return tag, 0, false
	}
	switch {
	case strings.HasPrefix(s[j:], "!--"):
		end := strings.Index(s[j+3:], "-->")
		if end < 0 {
			return htmlTag{kind: htmlComment}, len(s), true
		}
		return htmlTag{kind: htmlComment}, j + 3 + end + 3, true
	case s[j] == '!' || s[j] == '?':
		end := strings.IndexByte(tagWindow(s, j), '>')
		if end < 0 {
			return tag, 0, false
		}
		return htmlTag{kind: htmlComment}, j + end + 1, true
	case s[j] == '/':
		tag.kind = htmlEndTag
		j++
		// "</ i>": readers of SRT and browsers alike take it for the end tag it means.
		for j < len(s) && j-i < maxTagLength && (s[j] == ' ' || s[j] == '\t') {
			j++
		}
	default:
		tag.kind = htmlStartTag
	}
	start := j
	if j >= len(s) || !isASCIILetter(s[j]) {
		return tag, 0, false
	}
	for j < len(s) && (isASCIIAlphanumeric(s[j]) || s[j] == '-' || s[j] == ':') {
		j++
	}
	if j-start > maxTagLength {
		return tag, 0, false
	}
	tag.name = strings.ToLower(s[start:j])
	end := tagEnd(s, j)
	if end < 0 {
		return tag, 0, false
	}
	tag.attrs = s[j:end]
	if strings.HasSuffix(strings.TrimSpace(tag.attrs), "/") {
		tag.selfClosing = true
	}
	return tag, end + 1, true
}

// tagScanner reads the tags of one string from start to end, remembering where the next ">" is,
// so that a long run of "<" with no ">" near costs one scan rather than one per "<".
type tagScanner struct {
	s      string
	nextGT int // index of the first ">" after the last "<" looked at; len(s) if none
}

// scan is scanHTMLTag for the "<" at s[i]; i must not decrease between calls.
func (z *tagScanner) scan(i int) (htmlTag, int, bool) {
	if z.nextGT <= i {
		if g := strings.IndexByte(z.s[i:], '>'); g >= 0 {
			z.nextGT = i + g
		} else {
			z.nextGT = len(z.s)
		}
	}
	// No tag reaches a ">" this far (a name and the attributes are each at most maxTagLength);
	// a comment needs none.
	if z.nextGT > i+2*maxTagLength+2 && !strings.HasPrefix(z.s[i:], "<!--") {
		return htmlTag{}, 0, false
	}
	return scanHTMLTag(z.s, i)
}

// maxTagLength bounds how far a tag may run: real ones are a few dozen bytes, and without a bound
// a file full of "<" and quotes that never close would be scanned to its end once for each.
const maxTagLength = 512

// tagWindow is the part of s, from j, that a tag starting just before j can reach.
func tagWindow(s string, j int) string {
	return s[j:min(len(s), j+maxTagLength)]
}

// tagEnd finds the ">" that closes a tag whose attributes start at j, stepping over quoted
// values; a quote left open falls back to the first ">" after j, as sloppy files need. It
// returns -1 when there is no ">" within maxTagLength.
func tagEnd(s string, j int) int {
	w := tagWindow(s, j)
	if strings.IndexByte(w, '>') < 0 {
		return -1 // the common failure, found without the byte loop below
	}
	for k := 0; k < len(w); k++ {
		switch w[k] {
		case '>':
			return j + k
		case '"', '\'':
			if prev := j + k - 1; prev >= 0 && s[prev] != '=' && !isASCIIWhitespace(s[prev]) {
				continue // a quote inside an unquoted value
			}
			closing := strings.IndexByte(w[k+1:], w[k])
			if closing < 0 {
				if gt := strings.IndexByte(w, '>'); gt >= 0 {
					return j + gt
				}
				return -1
			}
			k += closing + 1
		}
	}
	return -1
}

// htmlAttr returns the value of the attribute name (lower case) in the raw attributes of a
// tag, read the lenient way: names in any case, values quoted or not, a name without a value
// giving "". The first of repeated names wins, as in HTML.
func htmlAttr(raw, name string) string {
	i := 0
	for i < len(raw) {
		for i < len(raw) && (isASCIIWhitespace(raw[i]) || raw[i] == '/') {
			i++
		}
		start := i
		for i < len(raw) && !isASCIIWhitespace(raw[i]) && raw[i] != '=' && raw[i] != '/' {
			i++
		}
		attr := raw[start:i]
		for i < len(raw) && isASCIIWhitespace(raw[i]) {
			i++
		}
		value := ""
		if i < len(raw) && raw[i] == '=' {
			i++
			for i < len(raw) && isASCIIWhitespace(raw[i]) {
				i++
			}
			if i < len(raw) && (raw[i] == '"' || raw[i] == '\'') {
				quote := raw[i]
				end := strings.IndexByte(raw[i+1:], quote)
				if end < 0 {
					value, i = raw[i+1:], len(raw)
				} else {
					value, i = raw[i+1:i+1+end], i+1+end+1
				}
			} else {
				vs := i
				for i < len(raw) && !isASCIIWhitespace(raw[i]) {
					i++
				}
				value = raw[vs:i]
			}
		}
		if attr == "" {
			if i == start {
				i++ // a stray "=" or similar: step over it
			}
			continue
		}
		if strings.EqualFold(attr, name) {
			return value
		}
	}
	return ""
}

// skipElementContent returns the index after the end tag of the element name whose content
// starts at i, or len(s) when it is never closed.
func skipElementContent(s string, i int, name string) int {
	end := indexFold(s[i:], "</"+name)
	if end < 0 {
		return len(s)
	}
	gt := strings.IndexByte(s[i+end:], '>')
	if gt < 0 {
		return len(s)
	}
	return i + end + gt + 1
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// indexFold is strings.Index with ASCII case folding, for tag names in files of any case.
func indexFold(s, sub string) int {
	if sub == "" {
		return 0
	}
	first := sub[0]
	for i := 0; i+len(sub) <= len(s); i++ {
		if c := s[i]; c != first && c|0x20 != first|0x20 {
			continue
		}
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}
