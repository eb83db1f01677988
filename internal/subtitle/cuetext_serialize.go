package subtitle

import "strings"

// SanitizeCueText re-serialises cue text keeping only what WebVTT defines: the c, i, b, u, ruby,
// rt, v and lang spans, timestamps, and text. Unknown tags are dropped (their text stays), every
// <, > and & in text is escaped, and class names and annotations are reduced so that the result
// cannot open an HTML element or attribute even if it is pasted into a page as markup. The
// result parses to the same tree as text, and sanitising it again leaves it unchanged.
func SanitizeCueText(text string) string {
	return SerializeCueText(ParseCueText(text))
}

// SerializeCueText writes a cue text tree back as WebVTT cue text (see SanitizeCueText). Every
// span is closed explicitly. The result never contains an empty line or "-->", so it can be
// written as the text of a cue block.
func SerializeCueText(n *CueNode) string {
	w := cueTextWriter{}
	walkCueTree(n, w.enter, w.leave)
	// A line break at the very end would be dropped by the file parser; keep it as a reference.
	if len(w.out) > 0 && w.out[len(w.out)-1] == '\n' {
		w.out = append(w.out[:len(w.out)-1], "&#10;"...)
	}
	return string(w.out)
}

type cueTextWriter struct {
	out []byte
}

// enter writes a text node, a timestamp, or a span's start tag (nothing for a kind WebVTT does
// not know).
func (w *cueTextWriter) enter(n *CueNode) {
	switch n.Kind {
	case NodeRoot:
		return
	case NodeText:
		w.text(n.Text)
		return
	case NodeTimestamp:
		if n.Time >= 0 {
			w.out = append(w.out, '<')
			w.out = append(w.out, formatTimestamp(n.Time)...)
			w.out = append(w.out, '>')
		}
		return
	}
	tag := spanTagName(n.Kind)
	if tag == "" {
		return
	}
	w.out = append(w.out, '<')
	w.out = append(w.out, tag...)
	for _, class := range n.Classes {
		if isSafeClassName(class) {
			w.out = append(w.out, '.')
			w.out = append(w.out, class...)
		}
	}
	if n.Kind == NodeVoice || n.Kind == NodeLanguage {
		if a := collapseASCIIWhitespace(n.Annotation); a != "" {
			w.out = append(w.out, ' ')
			w.annotation(a)
		}
	}
	w.out = append(w.out, '>')
}

// leave writes a span's end tag.
func (w *cueTextWriter) leave(n *CueNode) {
	if tag := spanTagName(n.Kind); tag != "" {
		w.out = append(w.out, "</"...)
		w.out = append(w.out, tag...)
		w.out = append(w.out, '>')
	}
}

// text writes a text node. Besides <, > and &, it writes as references the characters a cue
// block cannot hold raw: CR (the file parser would turn it into a line break) and a line break
// that would leave an empty line, which would end the cue.
func (w *cueTextWriter) text(s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			w.out = append(w.out, "&amp;"...)
		case '<':
			w.out = append(w.out, "&lt;"...)
		case '>':
			w.out = append(w.out, "&gt;"...)
		case '\r':
			w.out = append(w.out, "&#13;"...)
		case 0:
			w.out = append(w.out, "\uFFFD"...) // what the file parser makes of NUL anyway
		case '\n':
			if len(w.out) == 0 || w.out[len(w.out)-1] == '\n' {
				w.out = append(w.out, "&#10;"...)
			} else {
				w.out = append(w.out, '\n')
			}
		default:
			w.out = append(w.out, c)
		}
	}
}

// annotation writes a voice name or language tag. On top of <, > and &, it escapes the quotes,
// "=" and "/", so that the annotation can never become an HTML attribute with a value
// (<v x onmouseover=alert(1)>) or close the tag, and a final "-", so that the tag cannot end in
// "-->".
func (w *cueTextWriter) annotation(s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			w.out = append(w.out, "&amp;"...)
		case '<':
			w.out = append(w.out, "&lt;"...)
		case '>':
			w.out = append(w.out, "&gt;"...)
		case '"':
			w.out = append(w.out, "&quot;"...)
		case '\'':
			w.out = append(w.out, "&apos;"...)
		case '=':
			w.out = append(w.out, "&equals;"...)
		case '/':
			w.out = append(w.out, "&sol;"...)
		case 0:
			w.out = append(w.out, "\uFFFD"...)
		case '-':
			if i == len(s)-1 {
				w.out = append(w.out, "&#45;"...)
			} else {
				w.out = append(w.out, c)
			}
		default:
			w.out = append(w.out, c)
		}
	}
}

// spanTagName is the WebVTT tag of a span kind, or "" for other kinds.
func spanTagName(k NodeKind) string {
	switch k {
	case NodeClass:
		return "c"
	case NodeItalic:
		return "i"
	case NodeBold:
		return "b"
	case NodeUnderline:
		return "u"
	case NodeRuby:
		return "ruby"
	case NodeRubyText:
		return "rt"
	case NodeVoice:
		return "v"
	case NodeLanguage:
		return "lang"
	}
	return ""
}

// isSafeClassName accepts class names made of ASCII letters, digits, "-", "_" and non-ASCII
// characters — what CSS identifiers use — and not ending in "--". WebVTT allows more (any
// character but whitespace, ".", "&", "<" and ">"), but a class like "a/onclick=x" would turn
// into an HTML attribute if the text were ever pasted into a page, and one ending in "--" would
// put "-->" in the tag, so such classes are dropped.
func isSafeClassName(class string) bool {
	if class == "" || strings.HasSuffix(class, "--") {
		return false
	}
	for i := 0; i < len(class); i++ {
		c := class[i]
		if c < 0x80 && !isASCIIAlphanumeric(c) && c != '-' && c != '_' {
			return false
		}
	}
	return true
}
