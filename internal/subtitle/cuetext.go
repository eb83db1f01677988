package subtitle

import (
	"fmt"
	"strings"
	"time"
)

// NodeKind is the kind of a CueNode: the "WebVTT Node Objects" of the cue text parsing rules.
type NodeKind int

// Node kinds. Root is the "list of WebVTT Node Objects" at the top of every tree; Text and
// Timestamp are leaves; the others are spans that hold children.
const (
	NodeRoot      NodeKind = iota
	NodeText               // plain text
	NodeTimestamp          // <00:00:01.500>, a karaoke-style point in time
	NodeClass              // <c>
	NodeItalic             // <i>
	NodeBold               // <b>
	NodeUnderline          // <u>
	NodeRuby               // <ruby>
	NodeRubyText           // <rt>, only directly inside <ruby>
	NodeVoice              // <v Speaker>
	NodeLanguage           // <lang ko>
)

// CueNode is one node of parsed cue text.
type CueNode struct {
	Kind NodeKind
	Text string        // NodeText: the text, character references decoded
	Time time.Duration // NodeTimestamp: the time
	// Classes are the span's class names (<c.yellow.loud>), empty ones left out.
	Classes []string
	// Annotation is the voice's name for NodeVoice and the language tag for NodeLanguage.
	Annotation string
	// Lang is the span's applicable language: the annotation of the innermost open <lang> span
	// (the span itself, for NodeLanguage), or "" outside any.
	Lang     string
	Children []*CueNode
}

// maxCueTagClasses bounds how many class names one tag keeps. The spec sets no limit; the bound
// keeps a tag like "<c.a.a.a…" running for megabytes from becoming millions of strings. Classes
// past it are ignored.
const maxCueTagClasses = 64

// maxCueTextDepth bounds how deeply spans nest: the one limit, applied where trees are built.
// The spec has no limit; real cue text nests a handful of levels, and the bound keeps a hostile
// file from building a tree millions of spans deep. ParseCueText and the other formats' parsers
// (treeBuilder.push) ignore start tags that would go deeper, keeping the text inside them; the
// code that reads a tree (walkCueTree) treats a deeper span, which only a tree built by hand can
// hold, as its content alone. So no text is ever lost to the limit.
const maxCueTextDepth = 256

// walkCueTree visits the nodes under n in document order: enter before a node's children, leave
// after them (leave may be nil). A span nested deeper than maxCueTextDepth is not visited, but
// its children are, as if its tags were not there.
func walkCueTree(n *CueNode, enter, leave func(*CueNode)) {
	var walk func(n *CueNode, depth int)
	walk = func(n *CueNode, depth int) {
		isSpan := n.Kind != NodeRoot && n.Kind != NodeText && n.Kind != NodeTimestamp
		if isSpan {
			depth++
		}
		visited := !isSpan || depth <= maxCueTextDepth
		if visited {
			enter(n)
		}
		for _, c := range n.Children {
			walk(c, depth)
		}
		if visited && leave != nil {
			leave(n)
		}
	}
	walk(n, 0)
}

// ParseCueText parses cue text with the "WebVTT cue text parsing rules" and returns the root of
// its node tree. It accepts any string and never fails: unknown or misplaced tags are ignored,
// unclosed spans end with the text.
func ParseCueText(text string) *CueNode {
	root := &CueNode{Kind: NodeRoot}
	open := []*CueNode{root} // the path from root to the algorithm's "current" node
	var languages []string   // the "language stack"
	z := cueTokenizer{input: text}
	for z.pos < len(text) {
		tok := z.next()
		current := open[len(open)-1]
		switch tok.kind {
		case stringToken:
			current.Children = append(current.Children, &CueNode{Kind: NodeText, Text: tok.value})
		case startTagToken:
			kind, ok := spanKinds[tok.value]
			if !ok || kind == NodeRubyText && current.Kind != NodeRuby || len(open) > maxCueTextDepth {
				continue
			}
			node := &CueNode{Kind: kind, Classes: tok.classes}
			switch kind {
			case NodeVoice:
				node.Annotation = tok.annotation
			case NodeLanguage:
				node.Annotation = tok.annotation
				languages = append(languages, tok.annotation)
			}
			if len(languages) > 0 {
				node.Lang = languages[len(languages)-1]
			}
			current.Children = append(current.Children, node)
			open = append(open, node)
		case endTagToken:
			kind, ok := spanKinds[tok.value]
			switch {
			case !ok:
			case kind == current.Kind:
				open = open[:len(open)-1]
				if kind == NodeLanguage {
					languages = languages[:len(languages)-1]
				}
			case kind == NodeRuby && current.Kind == NodeRubyText:
				open = open[:len(open)-2] // a <rt> is always a child of a <ruby>
			}
		case timestampToken:
			if t, end, ok := collectTimestamp(tok.value, 0); ok && end == len(tok.value) {
				current.Children = append(current.Children, &CueNode{Kind: NodeTimestamp, Time: t})
			}
		}
	}
	return root
}

// spanKinds maps the tag names WebVTT defines to their node kinds.
var spanKinds = map[string]NodeKind{
	"c":    NodeClass,
	"i":    NodeItalic,
	"b":    NodeBold,
	"u":    NodeUnderline,
	"ruby": NodeRuby,
	"rt":   NodeRubyText,
	"v":    NodeVoice,
	"lang": NodeLanguage,
}

type cueTokenKind int

const (
	stringToken cueTokenKind = iota
	startTagToken
	endTagToken
	timestampToken
)

type cueToken struct {
	kind       cueTokenKind
	value      string // the text, the tag name, or the timestamp tag's value
	classes    []string
	annotation string
}

// cueTokenizer is the "WebVTT cue text tokenizer"; next returns one token per call.
type cueTokenizer struct {
	input string
	pos   int
}

type cueTokenizerState int

const (
	dataState cueTokenizerState = iota
	tagState
	startTagState
	startTagClassState
	startTagAnnotationState
	endTagState
	timestampTagState
)

func (z *cueTokenizer) next() cueToken {
	state := dataState
	var result, buffer strings.Builder
	var classes []string
	// addClass ends the class name in buffer. Empty names are left out here rather than when the
	// node is made, as the spec does, which comes to the same and keeps them out of the limit.
	addClass := func() {
		if buffer.Len() > 0 && len(classes) < maxCueTagClasses {
			classes = append(classes, buffer.String())
		}
		buffer.Reset()
	}
	startTag := func() cueToken {
		return cueToken{kind: startTagToken, value: result.String(), classes: classes}
	}
	for {
		eof := z.pos >= len(z.input)
		var c byte
		if !eof {
			c = z.input[z.pos]
		}
		switch state {
		case dataState:
			switch {
			case eof:
				return cueToken{kind: stringToken, value: result.String()}
			case c == '&':
				// "HTML character reference in data state". Scanning resumes right after the
				// reference, or after the "&" when there is none (the spec's wording would skip
				// one more character, which its own tests contradict: "a&lrm;b" keeps the "b").
				if text, next, ok := consumeCharRef(z.input, z.pos+1, 0); ok {
					result.WriteString(text)
					z.pos = next
				} else {
					result.WriteByte('&')
					z.pos++
				}
				continue
			case c == '<':
				if result.Len() > 0 {
					return cueToken{kind: stringToken, value: result.String()}
				}
				state = tagState
			default:
				result.WriteByte(c)
			}

		case tagState:
			switch {
			case eof:
				return startTag()
			case c == '\t' || c == '\n' || c == '\f' || c == ' ':
				state = startTagAnnotationState
			case c == '.':
				state = startTagClassState
			case c == '/':
				state = endTagState
			case isASCIIDigit(c):
				result.WriteByte(c)
				state = timestampTagState
			case c == '>':
				z.pos++
				return startTag()
			default:
				result.WriteByte(c)
				state = startTagState
			}

		case startTagState:
			switch {
			case eof:
				return startTag()
			case c == '\t' || c == '\f' || c == ' ':
				state = startTagAnnotationState
			case c == '\n':
				buffer.WriteByte(c)
				state = startTagAnnotationState
			case c == '.':
				state = startTagClassState
			case c == '>':
				z.pos++
				return startTag()
			default:
				result.WriteByte(c)
			}

		case startTagClassState:
			switch {
			case eof:
				addClass()
				return startTag()
			case c == '\t' || c == '\f' || c == ' ':
				addClass()
				state = startTagAnnotationState
			case c == '\n':
				addClass()
				buffer.WriteByte(c)
				state = startTagAnnotationState
			case c == '.':
				addClass()
			case c == '>':
				z.pos++
				addClass()
				return startTag()
			default:
				buffer.WriteByte(c)
			}

		case startTagAnnotationState:
			switch {
			case eof:
				tok := startTag()
				tok.annotation = collapseASCIIWhitespace(buffer.String())
				return tok
			case c == '&':
				// "HTML character reference in annotation state", where ">" ends the tag.
				if text, next, ok := consumeCharRef(z.input, z.pos+1, '>'); ok {
					buffer.WriteString(text)
					z.pos = next
				} else {
					buffer.WriteByte('&')
					z.pos++
				}
				continue
			case c == '>':
				z.pos++
				tok := startTag()
				tok.annotation = collapseASCIIWhitespace(buffer.String())
				return tok
			default:
				buffer.WriteByte(c)
			}

		case endTagState:
			switch {
			case eof:
				return cueToken{kind: endTagToken, value: result.String()}
			case c == '>':
				z.pos++
				return cueToken{kind: endTagToken, value: result.String()}
			default:
				result.WriteByte(c)
			}

		case timestampTagState:
			switch {
			case eof:
				return cueToken{kind: timestampToken, value: result.String()}
			case c == '>':
				z.pos++
				return cueToken{kind: timestampToken, value: result.String()}
			default:
				result.WriteByte(c)
			}
		}
		z.pos++ // "Next"
	}
}

// collapseASCIIWhitespace strips leading and trailing ASCII whitespace and turns each inner run
// of it into one space, as the tokenizer does with an annotation.
func collapseASCIIWhitespace(s string) string {
	var b strings.Builder
	pendingSpace := false
	for i := 0; i < len(s); i++ {
		if isASCIIWhitespace(s[i]) {
			pendingSpace = b.Len() > 0
			continue
		}
		if pendingSpace {
			b.WriteByte(' ')
			pendingSpace = false
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// formatTimestamp writes a time as a WebVTT timestamp with all its parts: at least two digits of
// hours, then minutes, seconds and milliseconds. It rounds to the millisecond.
func formatTimestamp(d time.Duration) string {
	ms := int64(d.Round(time.Millisecond) / time.Millisecond)
	return fmt.Sprintf("%02d:%02d:%02d.%03d", ms/3_600_000, ms/60_000%60, ms/1000%60, ms%1000)
}
