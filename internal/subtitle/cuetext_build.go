package subtitle

import "strings"

// The parsers of the other formats build a CueNode tree from their own markup and store its
// serialisation (SerializeCueText) as the cue text, so every cue reaches the Track already in
// sanitised WebVTT cue text, whatever the file held. This file has what they share.

// treeBuilder appends to a cue text tree, keeping the path of open spans.
type treeBuilder struct {
	root *CueNode
	open []*CueNode // the open spans, innermost last; open[0] is root
}

func newTreeBuilder() *treeBuilder {
	root := &CueNode{Kind: NodeRoot}
	return &treeBuilder{root: root, open: []*CueNode{root}}
}

func (b *treeBuilder) current() *CueNode { return b.open[len(b.open)-1] }

// text appends text, merging it into a text node just before it.
func (b *treeBuilder) text(s string) {
	if s == "" {
		return
	}
	cur := b.current()
	if n := len(cur.Children); n > 0 && cur.Children[n-1].Kind == NodeText {
		cur.Children[n-1].Text += s
		return
	}
	cur.Children = append(cur.Children, &CueNode{Kind: NodeText, Text: s})
}

// push opens a span. Spans past maxCueTextDepth are not opened (the serialiser would flatten
// them anyway); push reports whether it opened one, so the caller can pair its pop.
func (b *treeBuilder) push(n *CueNode) bool {
	if len(b.open) > maxCueTextDepth {
		return false
	}
	cur := b.current()
	cur.Children = append(cur.Children, n)
	b.open = append(b.open, n)
	return true
}

// innermost returns the index in b.open of the innermost open span of the kind, or -1.
func (b *treeBuilder) innermost(kind NodeKind) int {
	for k := len(b.open) - 1; k > 0; k-- {
		if b.open[k].Kind == kind {
			return k
		}
	}
	return -1
}

// pop closes the innermost span.
func (b *treeBuilder) pop() {
	if len(b.open) > 1 {
		b.open = b.open[:len(b.open)-1]
	}
}

// finish tidies the tree and returns its serialisation: sanitised WebVTT cue text.
func (b *treeBuilder) finish(collapse bool) string {
	tidyCueTree(b.root, collapse)
	return SerializeCueText(b.root)
}

// tidyCueTree removes the whitespace a subtitle line should not have: spaces and tabs at the
// start and end of each line, empty lines, and line breaks at the start and end of the cue. With
// collapse (the HTML and XML whitespace rules of SAMI and TTML), every run of whitespace inside a
// line also becomes one space; callers have already turned source line breaks into spaces and
// kept only the explicit ones (<br>) as "\n". Spans left with no text are removed.
func tidyCueTree(root *CueNode, collapse bool) {
	var nodes []*CueNode
	var collect func(n *CueNode)
	collect = func(n *CueNode) {
		for _, c := range n.Children {
			if c.Kind == NodeText {
				nodes = append(nodes, c)
			} else {
				collect(c)
			}
		}
	}
	collect(root)
	if len(nodes) == 0 {
		return
	}

	// Decide byte by byte over the text of all nodes, as one string, what to keep.
	var full strings.Builder
	for _, n := range nodes {
		full.WriteString(n.Text)
	}
	s := full.String()
	keep := make([]bool, len(s))
	pendingNewline := -1 // the line break after the last line with content, kept if more follows
	lineHasContent := false
	var spaces []int // whitespace since the last content on this line
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\n':
			spaces = spaces[:0]
			if lineHasContent {
				pendingNewline = i
			}
			lineHasContent = false
		case c == ' ' || c == '\t':
			if lineHasContent {
				spaces = append(spaces, i)
			}
		default:
			if !lineHasContent && pendingNewline >= 0 {
				keep[pendingNewline] = true
				pendingNewline = -1
			}
			for k, j := range spaces {
				if !collapse || k == 0 {
					keep[j] = true
				}
			}
			spaces = spaces[:0]
			keep[i] = true
			lineHasContent = true
		}
	}

	pos := 0
	for _, n := range nodes {
		end := pos + len(n.Text)
		var b strings.Builder
		for i := pos; i < end; i++ {
			if keep[i] {
				b.WriteByte(s[i])
			}
		}
		n.Text = b.String()
		pos = end
	}
	pruneEmpty(root)
}

// pruneEmpty removes empty text nodes and spans that hold no text or timestamp, and reports
// whether n itself is left empty.
func pruneEmpty(n *CueNode) bool {
	kept := n.Children[:0]
	for _, c := range n.Children {
		switch c.Kind {
		case NodeText:
			if c.Text != "" {
				kept = append(kept, c)
			}
		case NodeTimestamp:
			kept = append(kept, c)
		default:
			if !pruneEmpty(c) {
				kept = append(kept, c)
			}
		}
	}
	clear(n.Children[len(kept):])
	n.Children = kept
	return len(kept) == 0
}

// collapseSpaces turns each whitespace character of source text into a space, as HTML and XML
// do with text outside <pre> and xml:space="preserve"; tidyCueTree then collapses the runs.
func collapseSpaces(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '\t', '\n', '\r', '\f', '\u00A0':
			return ' '
		}
		return r
	}, s)
}

// PlainText returns the text of a cue text tree without its markup: what a viewer reads, with
// "\n" between lines. Ruby text follows its base in parentheses.
func (n *CueNode) PlainText() string {
	var b strings.Builder
	walkCueTree(n, func(n *CueNode) {
		switch n.Kind {
		case NodeText:
			b.WriteString(n.Text)
		case NodeRubyText:
			b.WriteString("(")
		}
	}, func(n *CueNode) {
		if n.Kind == NodeRubyText {
			b.WriteString(")")
		}
	})
	return b.String()
}

// The eight colours WebVTT defines default classes for (WebVTT §7.3, "::cue(.yellow)" and so
// on); a colour in another format that is exactly one of them becomes that class.
var colorClasses = map[string]string{
	"white": "white", "#ffffff": "white", "#fff": "white",
	"lime": "lime", "#00ff00": "lime", "#0f0": "lime",
	"cyan": "cyan", "#00ffff": "cyan", "#0ff": "cyan", "aqua": "cyan",
	"red": "red", "#ff0000": "red", "#f00": "red",
	"yellow": "yellow", "#ffff00": "yellow", "#ff0": "yellow",
	"magenta": "magenta", "#ff00ff": "magenta", "#f0f": "magenta", "fuchsia": "magenta",
	"blue": "blue", "#0000ff": "blue", "#00f": "blue",
	"black": "black", "#000000": "black", "#000": "black",
}

// colorClass returns the WebVTT colour class for a CSS-style colour, or "".
func colorClass(color string) string {
	return colorClasses[strings.ToLower(strings.TrimSpace(color))]
}
