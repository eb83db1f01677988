package subtitle

// The one-call readers the tests use: each reads a file within DefaultMaxInputSize, detects
// its encoding and parses it as one format. The application reads through Parse and
// ParseFormat, which also report what they detected and repaired; Dump is the conformance
// tests' view of a cue's node tree.

import (
	"io"
	"strings"
)

// ParseSRT reads a SubRip file (see parseSRT).
func ParseSRT(r io.Reader) (*Track, error) { return parseOneTrack(r, FormatSRT) }

// ParseSBV reads a YouTube SubViewer file (see parseSBV).
func ParseSBV(r io.Reader) (*Track, error) { return parseOneTrack(r, FormatSBV) }

// ParseASS reads an ASS or SSA file (see parseASS).
func ParseASS(r io.Reader) (*Track, error) { return parseOneTrack(r, FormatASS) }

// ParseSAMI reads a SAMI file, one Track per language class (see parseSAMI).
func ParseSAMI(r io.Reader) ([]*Track, error) {
	tracks, _, err := parseReader(r, FormatSAMI)
	return tracks, err
}

// ParseTTML reads a TTML file, one Track per language (see parseTTML).
func ParseTTML(r io.Reader) ([]*Track, error) {
	tracks, _, err := parseReader(r, FormatTTML)
	return tracks, err
}

// ParseWebVTT reads a WebVTT file with the W3C "WebVTT parser algorithm" and returns its Track.
// Like a browser, it rejects only a file without the "WEBVTT" signature (CodeBadSignature);
// anything else that is malformed is skipped the way the algorithm says (a cue with bad timings
// is dropped, an unknown setting is ignored). Input longer than DefaultMaxInputSize is refused
// with CodeTooLarge.
func ParseWebVTT(r io.Reader) (*Track, error) {
	return ParseWebVTTLimit(r, DefaultMaxInputSize)
}

// parseReader reads r within DefaultMaxInputSize and parses it as format f, detecting the
// encoding.
func parseReader(r io.Reader, f Format) ([]*Track, DetectedInfo, error) {
	data, err := readLimited(r, DefaultMaxInputSize)
	if err != nil {
		return nil, DetectedInfo{Format: f}, err
	}
	return ParseFormat(f, data, EncodingAuto)
}

// parseOneTrack is parseReader for the formats that hold one track.
func parseOneTrack(r io.Reader, f Format) (*Track, error) {
	tracks, _, err := parseReader(r, f)
	if err != nil {
		return nil, err
	}
	return tracks[0], nil
}

// DetectEncoding guesses the encoding of a subtitle file: a byte order mark first, then UTF-16
// by the pattern of its NUL bytes, then UTF-8 if the bytes are valid UTF-8 (or if the lines that
// are not are UTF-8 with a character cut off, which no legacy encoding reads), then a charset an
// XML or HTML declaration names, and last the legacy encoding whose decoding looks most like
// Korean or Russian text, with Windows-1252 when none does.
func DetectEncoding(data []byte) Encoding {
	return detectEncoding(data).primary
}

// Decode turns the bytes of a subtitle file into UTF-8 text with "\n" line breaks. With
// EncodingAuto it uses DetectEncoding, and decodes a file that mixes UTF-8 lines with legacy ones
// line by line, each in its own encoding (ParseFormat reports it as CodeMixedEncoding); any other
// Encoding is used as given (a byte order mark still wins over the byte order of a UTF-16
// encoding, as in browsers). Byte order marks are
// removed wherever they are, invalid sequences become U+FFFD, and so do NUL bytes, except a run
// of them at the very end, which is padding and is dropped. Input that is mostly control bytes is
// refused with CodeBinary; an unknown Encoding with CodeUnknownEncoding.
func Decode(data []byte, enc Encoding) (string, error) {
	d, err := decodeText(data, enc)
	if err != nil {
		return "", err
	}
	return d.text, nil
}

// Dump renders the tree in the html5lib tree-construction test format that the WebVTT
// conformance data uses: the DOM that getCueAsHTML() would build, one node per line.
//
//	#document-fragment
//	| <span>
//	|   class="yellow"
//	|   "text"
func (n *CueNode) Dump() string {
	var b strings.Builder
	b.WriteString("#document-fragment")
	if n.Kind == NodeRoot {
		for _, child := range n.Children {
			dumpNode(&b, child, 0)
		}
	} else {
		dumpNode(&b, n, 0)
	}
	return b.String()
}

func dumpNode(b *strings.Builder, n *CueNode, depth int) {
	prefix := "\n| " + strings.Repeat("  ", depth)
	switch n.Kind {
	case NodeText:
		b.WriteString(prefix + `"` + n.Text + `"`)
		return
	case NodeTimestamp:
		b.WriteString(prefix + "<?timestamp " + formatTimestamp(n.Time) + ">")
		return
	case NodeRoot:
		for _, child := range n.Children {
			dumpNode(b, child, depth)
		}
		return
	}
	b.WriteString(prefix + "<" + htmlElementName(n.Kind) + ">")
	// Attributes in name order, as the format wants: class, lang, title.
	attrPrefix := "\n| " + strings.Repeat("  ", depth+1)
	if len(n.Classes) > 0 {
		b.WriteString(attrPrefix + `class="` + strings.Join(n.Classes, " ") + `"`)
	}
	if n.Kind == NodeLanguage {
		b.WriteString(attrPrefix + `lang="` + n.Annotation + `"`)
	}
	if n.Kind == NodeVoice {
		b.WriteString(attrPrefix + `title="` + n.Annotation + `"`)
	}
	for _, child := range n.Children {
		dumpNode(b, child, depth+1)
	}
}

// htmlElementName is the HTML element the "WebVTT cue text DOM construction rules" map a span to.
func htmlElementName(k NodeKind) string {
	switch k {
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
	default: // class, voice and language spans
		return "span"
	}
}
