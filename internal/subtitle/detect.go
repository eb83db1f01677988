package subtitle

import (
	"bytes"
	"path"
	"strings"
)

// Format is a subtitle file format.
type Format string

// The formats this package reads. ASS covers SSA too, TTML covers DFXP and IMSC.
const (
	FormatUnknown Format = ""
	FormatWebVTT  Format = "webvtt"
	FormatSRT     Format = "srt"
	FormatSAMI    Format = "sami"
	FormatASS     Format = "ass"
	FormatTTML    Format = "ttml"
	FormatSBV     Format = "sbv"
)

// DetectedInfo says how Parse read a file: in which format and encoding, and what it had to
// repair or skip on the way (warnings with stable codes and line numbers, at most maxWarnings).
type DetectedInfo struct {
	Format   Format
	Encoding Encoding
	Warnings []*Error
}

// detectHeadSize is how much of a file Parse gives Detect: enough to get past an XML
// declaration and a licence comment to the root element, or past a long first SRT block.
const detectHeadSize = 8 << 10

// Detect tells a subtitle file's format, from its first bytes first — the WEBVTT signature,
// <SAMI, a <tt> root element, an ASS section header, an SRT or SBV timing line — and from the
// extension of name second, since uploads are often misnamed (SAMI saved as .txt, WebVTT as
// .srt). It returns FormatUnknown when neither says.
func Detect(name string, head []byte) Format {
	if f := detectContent(head); f != FormatUnknown {
		return f
	}
	switch strings.ToLower(path.Ext(strings.ReplaceAll(name, `\`, "/"))) {
	case ".vtt", ".webvtt":
		return FormatWebVTT
	case ".srt":
		return FormatSRT
	case ".smi", ".sami":
		return FormatSAMI
	case ".ass", ".ssa":
		return FormatASS
	case ".ttml", ".dfxp", ".xml", ".imsc":
		return FormatTTML
	case ".sbv":
		return FormatSBV
	}
	return FormatUnknown
}

func detectContent(head []byte) Format {
	// UTF-16 is decoded first; every other encoding keeps ASCII as ASCII, which is all the
	// signatures use.
	var s string
	if enc, ok := utf16Encoding(head); ok {
		s = string(decodeUTF16(head[:len(head)&^1], enc))
	} else {
		s = string(head)
	}
	s = strings.TrimPrefix(s, "\uFEFF")
	trimmed := strings.TrimLeft(s, " \t\r\n")
	if rest, ok := strings.CutPrefix(trimmed, "WEBVTT"); ok && (rest == "" || strings.ContainsRune(" \t\r\n", rune(rest[0]))) {
		return FormatWebVTT
	}
	if indexFold(s, "<sami") >= 0 || indexFold(s, "<sync ") >= 0 {
		return FormatSAMI
	}
	if strings.HasPrefix(trimmed, "<") && hasTTRoot(s) {
		return FormatTTML
	}
	for _, header := range []string{"[script info]", "[v4+ styles]", "[v4 styles]", "[events]"} {
		if indexFold(s, header) >= 0 {
			return FormatASS
		}
	}
	for line := range strings.Lines(s) {
		line = strings.TrimSpace(line)
		if _, _, _, ok := parseSRTTiming(line); ok {
			return FormatSRT
		}
		if _, _, ok := parseSBVTiming(line); ok {
			return FormatSBV
		}
	}
	return FormatUnknown
}

// utf16Encoding recognises UTF-16 by its BOM or its NULs.
func utf16Encoding(head []byte) (Encoding, bool) {
	switch {
	case bytes.HasPrefix(head, utf16LEBOM):
		return UTF16LE, true
	case bytes.HasPrefix(head, utf16BEBOM):
		return UTF16BE, true
	}
	return detectUTF16ByNULs(head)
}

// hasTTRoot looks for a <tt> start tag, with or without a namespace prefix ("<tt:tt").
func hasTTRoot(s string) bool {
	for i := 0; i < len(s); {
		lt := strings.IndexByte(s[i:], '<')
		if lt < 0 {
			return false
		}
		j := i + lt + 1
		k := j
		for k < len(s) && (isASCIIAlphanumeric(s[k]) || s[k] == '_' || s[k] == '-' || s[k] == '.') {
			k++
		}
		name := s[j:k]
		if k < len(s) && s[k] == ':' {
			k++
			start := k
			for k < len(s) && isASCIIAlphanumeric(s[k]) {
				k++
			}
			name = s[start:k]
		}
		if name == "tt" && k < len(s) && (isASCIIWhitespace(s[k]) || s[k] == '>' || s[k] == '/') {
			return true
		}
		i = j
	}
	return false
}

// Parse reads a subtitle file of any supported format: Detect picks the format from data and
// name, decodeText the text from data with enc (EncodingAuto to detect it, or an encoding the user
// chose), and the format's parser the tracks — one for most formats, one per language for SAMI
// and TTML. A track whose file does not name its language takes the one the file name gives
// ("message.ko.srt"). Cue text is always sanitised WebVTT cue text (see SanitizeCueText) —
// for WebVTT too, unlike ParseWebVTTLimit, which keeps the text as browsers read it — so nothing in an
// upload can put markup on a page; repaired markup is noted in the warnings. The error is an *Error: CodeTooLarge beyond DefaultMaxInputSize,
// CodeUnknownFormat, CodeUnknownEncoding, CodeBinary, or the parser's.
func Parse(name string, data []byte, enc Encoding) ([]*Track, DetectedInfo, error) {
	if len(data) > DefaultMaxInputSize {
		return nil, DetectedInfo{}, &Error{Code: CodeTooLarge}
	}
	f := Detect(name, data[:min(len(data), detectHeadSize)])
	if f == FormatUnknown {
		return nil, DetectedInfo{}, &Error{Code: CodeUnknownFormat}
	}
	tracks, info, err := ParseFormat(f, data, enc)
	if err != nil {
		return nil, info, err
	}
	if lang := languageFromFileName(name); lang != "" {
		for _, t := range tracks {
			if t.Language == "" {
				t.Language = lang
			}
		}
	}
	return tracks, info, nil
}

// ParseFormat is Parse for a format the caller already knows.
func ParseFormat(f Format, data []byte, enc Encoding) ([]*Track, DetectedInfo, error) {
	info := DetectedInfo{Format: f}
	if len(data) > DefaultMaxInputSize {
		return nil, info, &Error{Code: CodeTooLarge}
	}
	d, err := decodeText(data, enc)
	if err != nil {
		return nil, info, err
	}
	info.Encoding = d.encoding
	n := &notes{}
	for _, w := range d.warnings {
		n.addError(w)
	}
	var tracks []*Track
	switch f {
	case FormatWebVTT:
		var t *Track
		t, err = parseWebVTT(d.text)
		if t != nil {
			webvttMetadata(t)
			sanitizeCues(t, n)
			tracks = []*Track{t}
		}
	case FormatSRT:
		tracks, err = oneTrack(parseSRT(d.text, n))
	case FormatSBV:
		tracks, err = oneTrack(parseSBV(d.text, n))
	case FormatASS:
		tracks, err = oneTrack(parseASS(d.text, n))
	case FormatSAMI:
		tracks, err = parseSAMI(d.text, n)
	case FormatTTML:
		tracks, err = parseTTML(d.text, n)
	default:
		return nil, info, &Error{Code: CodeUnknownFormat}
	}
	info.Warnings = n.list
	if err != nil {
		return nil, info, err
	}
	return tracks, info, nil
}

func oneTrack(t *Track, err error) ([]*Track, error) {
	if err != nil {
		return nil, err
	}
	return []*Track{t}, nil
}

// sanitizeCues puts a WebVTT track's cue text in sanitised form, as the other formats' parsers
// build it, noting the cues whose markup needed repair.
func sanitizeCues(t *Track, n *notes) {
	for _, c := range t.Cues {
		if hasMarkupProblems(c.Text) {
			n.add(CodeBrokenMarkup, c.SourceLine)
		}
		c.Text = SanitizeCueText(c.Text)
	}
}

// webvttMetadata fills Language and Kind from the "Language:" and "Kind:" header lines that
// many WebVTT files carry (they come from an early draft of the format).
func webvttMetadata(t *Track) {
	for _, l := range t.HeaderLines {
		key, value, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		value = strings.TrimSpace(value)
		switch strings.ToLower(strings.TrimSpace(key)) {
		case "language":
			if tag, err := CanonicalLanguage(value); err == nil && t.Language == "" {
				t.Language = tag
			}
		case "kind":
			if k := Kind(strings.ToLower(value)); k.Valid() && t.Kind == "" {
				t.Kind = k
			}
		}
	}
}

// languageFromFileName reads the language code media players look for before the extension:
// "message.ko.srt", "message.ru-RU.vtt". Only two-letter codes, with an optional region, are
// taken: longer words ("final", "eng") are too often something else.
func languageFromFileName(name string) string {
	base := path.Base(strings.ReplaceAll(name, `\`, "/"))
	base = strings.TrimSuffix(base, path.Ext(base))
	dot := strings.LastIndexByte(base, '.')
	if dot < 0 {
		return ""
	}
	code := strings.ReplaceAll(base[dot+1:], "_", "-")
	lang, region, hasRegion := strings.Cut(code, "-")
	if len(lang) != 2 || !isASCIILetter(lang[0]) || !isASCIILetter(lang[1]) ||
		hasRegion && (len(region) != 2 || !isASCIILetter(region[0]) || !isASCIILetter(region[1])) {
		return ""
	}
	tag, err := CanonicalLanguage(code)
	if err != nil {
		return ""
	}
	return tag
}

// maxWarnings bounds the warnings of one parse: a binary file read as SRT would otherwise give
// one per line.
const maxWarnings = 100

// notes collects a parse's warnings.
type notes struct {
	list []*Error
}

func (n *notes) add(code Code, line int) {
	n.addError(&Error{Code: code, Line: line})
}

func (n *notes) addError(e *Error) {
	if len(n.list) < maxWarnings {
		n.list = append(n.list, e)
	}
}

// firstLine is the line of the first warning with a line, for an error about the whole file.
func (n *notes) firstLine() int {
	for _, e := range n.list {
		if e.Line > 0 {
			return e.Line
		}
	}
	return 1
}
