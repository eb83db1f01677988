package subtitle

import (
	"bufio"
	"io"
	"strconv"
	"strings"
	"time"
)

// parseSRT reads a SubRip (.srt) file. It reads files as they really are: the encoding is
// detected (see decodeText), the cue numbers may be missing or wrong, blank lines may be doubled or
// missing, times may use a comma or a dot, and loose timing lines other readers accept are read
// with a warning (see parseSRTTiming). <i>, <b>, <u> and <font color> become WebVTT markup,
// other tags SubRip files use are dropped with their text kept, anything else between "<" and ">"
// is text, and {\an8}-style codes place the cue. A cue whose timing line cannot be
// read is skipped; the file is refused (CodeNoCues) only when it has text but not one cue. Use
// ParseFormat to get the warnings.
// It works on decoded, LF-only text: ParseFormat(FormatSRT, …) decodes a file and calls it.
func parseSRT(text string, n *notes) (*Track, error) {
	lines := strings.Split(text, "\n")
	track := &Track{}
	// isCueStart reports whether a cue begins at line i: a timing line, or a cue number with a
	// timing line under it.
	isCueStart := func(i int) bool {
		if _, _, _, ok := parseSRTTiming(lines[i]); ok {
			return true
		}
		return i+1 < len(lines) && isCueNumber(lines[i]) && looksLikeTiming(lines[i+1])
	}
	sawText := false
	for i := 0; i < len(lines); {
		line := strings.TrimSpace(lines[i])
		if line == "" {
			i++
			continue
		}
		if isCueNumber(line) && i+1 < len(lines) && looksLikeTiming(lines[i+1]) {
			i++
			continue
		}
		start, end, loose, ok := parseSRTTiming(line)
		if !ok {
			sawText = true
			if strings.Contains(line, "-->") {
				n.add(CodeBadTiming, i+1)
			} else {
				n.add(CodeStrayText, i+1)
			}
			// Skip the rest of the block, up to a blank line or a cue that follows without one.
			i++
			for i < len(lines) && strings.TrimSpace(lines[i]) != "" && !isCueStart(i) {
				i++
			}
			continue
		}
		if loose {
			n.add(CodeLooseTiming, i+1)
		}
		cue := NewCue()
		cue.Start, cue.End, cue.SourceLine = start, end, i+1
		// The text runs to the next cue: blank lines inside it are tolerated, as real files
		// have them, and a broken timing line after a blank line also ends it.
		j := i + 1
		for j < len(lines) {
			if isCueStart(j) {
				break
			}
			if strings.TrimSpace(lines[j-1]) == "" && j > i+1 && hasTiming(lines[j]) {
				break
			}
			j++
		}
		text := lines[i+1 : j]
		for k, l := range text {
			// A text line WriteSRT kept from reading as a timing line.
			if rest, guarded := strings.CutPrefix(l, srtGuard); guarded && looksLikeTiming(rest) {
				text[k] = rest
			}
		}
		raw := strings.Join(text, "\n")
		raw, an := extractASSCodes(raw)
		var repaired bool
		cue.Text, repaired = htmlCueText(raw, true)
		if repaired {
			n.add(CodeBrokenMarkup, i+1)
		}
		applyNumpadAlignment(cue, an)
		track.Cues = append(track.Cues, cue)
		i = j
	}
	if len(track.Cues) == 0 && sawText {
		return nil, &Error{Code: CodeNoCues, Line: n.firstLine()}
	}
	return track, nil
}

// hasTiming reports a line that holds an SRT arrow, readable or not (but not one WriteSRT
// guarded as text).
func hasTiming(line string) bool {
	return strings.Contains(line, "-->") && !strings.HasPrefix(line, srtGuard)
}

// looksLikeTiming reports a line that holds an SRT arrow or reads as a timing line.
func looksLikeTiming(line string) bool {
	if hasTiming(line) {
		return true
	}
	_, _, _, ok := parseSRTTiming(line)
	return ok
}

// isCueNumber reports a line of digits only (surrounding spaces allowed).
func isCueNumber(line string) bool {
	line = strings.TrimSpace(line)
	if line == "" || len(line) > 10 {
		return false
	}
	for i := 0; i < len(line); i++ {
		if !isASCIIDigit(line[i]) {
			return false
		}
	}
	return true
}

// parseSRTTiming reads "00:00:01,000 --> 00:00:04,000", with whatever follows the end time
// (SubRip's X1:… Y2:… coordinates) ignored. It also reads what other readers of SRT accept —
// an arrow with one dash, spaces after the comma, fewer than three digits after it — and
// reports those lines as loose, for a warning.
func parseSRTTiming(line string) (start, end time.Duration, loose, ok bool) {
	if strings.HasPrefix(line, srtGuard) {
		return 0, 0, false, false // text WriteSRT kept from reading as a timing line
	}
	left, right, found := strings.Cut(line, "-->")
	if !found {
		if left, right, found = strings.Cut(line, "->"); !found {
			return 0, 0, false, false
		}
		loose = true
	}
	start, rest, looseStart, ok := scanSRTTime(strings.TrimSpace(left))
	if !ok || rest != "" {
		return 0, 0, false, false
	}
	end, rest, looseEnd, ok := scanSRTTime(strings.TrimSpace(right))
	if !ok || rest != "" && !isASCIIWhitespace(rest[0]) {
		return 0, 0, false, false
	}
	return start, end, loose || looseStart || looseEnd, true
}

// scanSRTTime reads an SRT time at the start of s and returns what follows it. The time is
// hours, minutes, seconds and milliseconds, "00:00:01,000"; scanSRTTime also takes any number
// of hour digits, a dot before the milliseconds, no hours ("01:02,500"), no milliseconds, and
// more than three digits after the comma (those past the third are below a millisecond). Fewer
// than three digits are a decimal fraction, as GStreamer and pysubs2 read them ("00:00:01,5" is
// 1.5 s; ffmpeg would read 1.005 s), and so are digits after spaces following the comma
// ("00:00:03,  5"); those two forms are loose, so the editor is told to check the time.
func scanSRTTime(s string) (d time.Duration, rest string, loose, ok bool) {
	i := 0
	for i < len(s) && (isASCIIDigit(s[i]) || s[i] == ':') {
		i++
	}
	main := s[:i]
	parts := strings.Split(main, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, "", false, false
	}
	var nums [3]int64
	for k, p := range parts {
		// Minutes and seconds have two digits in every real file; fewer is a file cut off.
		maxLen := 2
		if k == 0 && len(parts) == 3 {
			maxLen = 10
		}
		v, ok := parseDigits(p, maxLen)
		if !ok || maxLen == 2 && len(p) != 2 {
			return 0, "", false, false
		}
		nums[3-len(parts)+k] = v
	}
	var ms int64
	if i < len(s) && (s[i] == ',' || s[i] == '.') {
		i++
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
			loose = true
		}
		digits := i
		for i < len(s) && isASCIIDigit(s[i]) {
			i++
		}
		frac := s[digits:i]
		switch {
		case frac == "":
			return 0, "", false, false
		case len(frac) < 3:
			loose = true
			v, _ := parseDigits(frac, 2)
			if len(frac) == 1 {
				v *= 100
			} else {
				v *= 10
			}
			ms = v
		default:
			ms, _ = parseDigits(frac[:3], 3) // digits past the third are below a millisecond
		}
	}
	d, ok = durationOf(nums[0], nums[1], nums[2], ms)
	return d, s[i:], loose, ok
}

// durationOf adds up a time, refusing one beyond what WebVTT (and time.Duration) can hold.
func durationOf(hours, minutes, seconds, millis int64) (time.Duration, bool) {
	const limit = int64(maxWritableTime / time.Millisecond)
	if hours > limit/3_600_000 || minutes > limit/60_000 || seconds > limit/1000 || millis > limit {
		return 0, false
	}
	total := hours*3_600_000 + minutes*60_000 + seconds*1000 + millis // each term ≤ limit: no overflow
	if total > limit {
		return 0, false
	}
	return time.Duration(total) * time.Millisecond, true
}

// parseDigits reads 1 to maxLen ASCII digits.
func parseDigits(s string, maxLen int) (int64, bool) {
	if s == "" || len(s) > maxLen || !allDigits(s) {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isASCIIDigit(s[i]) {
			return false
		}
	}
	return true
}

// WriteSRT writes t as a SubRip file: numbered cues, "00:00:01,000 --> 00:00:04,000" times, and
// the text with <i>, <b>, <u> and <font color> for the WebVTT markup SubRip players know; other
// markup is dropped and its text kept. Text that would read as markup or as a timing line is
// guarded with an invisible srtGuard rather than character references. A cue placed at the top or middle of the picture gets an
// {\an8}-style code. Line breaks are "\r\n", as Windows players expect. A cue with a negative
// time is refused with CodeInvalidCue.
func WriteSRT(w io.Writer, t *Track) error {
	if err := checkCueTimes(t); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	for i, c := range trackCues(t) {
		bw.WriteString(strconv.Itoa(i+1) + "\r\n")
		bw.WriteString(formatSRTTime(c.Start) + " --> " + formatSRTTime(c.End) + "\r\n")
		text := srtText(ParseCueText(c.Text))
		if an := numpadAlignment(c); an != 2 {
			text = `{\an` + strconv.Itoa(an) + "}" + text
		}
		for _, line := range strings.Split(text, "\n") {
			if strings.TrimSpace(line) == "" {
				continue // a blank line would end the cue
			}
			if looksLikeTiming(line) {
				// It could start a cue when read back. Players built on ffmpeg show character
				// references as they are ("--&gt;"), so the guard is an invisible character.
				line = srtGuard + line
			}
			bw.WriteString(line + "\r\n")
		}
		bw.WriteString("\r\n")
	}
	if err := bw.Flush(); err != nil {
		return &Error{Code: CodeWriteFailed, Err: err}
	}
	return nil
}

func formatSRTTime(d time.Duration) string {
	return strings.Replace(formatTimestamp(d), ".", ",", 1)
}

// srtText writes a cue text tree in SubRip's HTML-flavoured markup.
func srtText(root *CueNode) string {
	var b strings.Builder
	tags := func(n *CueNode) (open, closing string) {
		switch n.Kind {
		case NodeItalic:
			return "<i>", "</i>"
		case NodeBold:
			return "<b>", "</b>"
		case NodeUnderline:
			return "<u>", "</u>"
		case NodeRubyText:
			return "(", ")"
		case NodeClass:
			for _, class := range n.Classes {
				if colorClasses[class] == class {
					return `<font color="` + class + `">`, "</font>"
				}
			}
		}
		return "", ""
	}
	walkCueTree(root, func(n *CueNode) {
		if n.Kind == NodeText {
			writeHTMLishText(&b, n.Text)
			return
		}
		open, _ := tags(n)
		b.WriteString(open)
	}, func(n *CueNode) {
		_, closing := tags(n)
		b.WriteString(closing)
	})
	return b.String()
}

// srtGuard is what WriteSRT puts after a "<" or "&" of the text that readers would take for
// markup, and before a text line that would read as a timing line: a zero-width space. Character
// references ("&lt;") would do for browsers, but players built on ffmpeg (mpv, VLC's SRT
// reader is similar) decode none and would show them as they are; a zero-width space breaks the
// tag, the reference or the timing for every reader and shows nothing. parseSRT removes it
// where WriteSRT puts it, so the text reads back as it was.
const srtGuard = "\u200B"

// writeHTMLishText writes text for a format whose readers take HTML-ish tags and character
// references (SRT), guarding only what they would misread: a "<" that a ">" after it would
// close into a tag or that could start one, and an "&" that starts a reference. "Fish & chips"
// and "a < b" stay as they are.
func writeHTMLishText(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		b.WriteByte(c)
		switch c {
		case '<':
			// ffmpeg takes "<" up to the next ">" for a tag when no "<" comes between; a
			// later ">" from the markup written after this text could close it too.
			rest := s[i+1:]
			if lt := strings.IndexByte(rest, '<'); lt >= 0 {
				rest = rest[:lt]
			}
			// This reader takes a "<" before a letter, "/", "!" or "?" for the start of a tag
			// even when its ">" comes only after the next "<".
			if strings.ContainsRune(rest, '>') || i+1 == len(s) ||
				isASCIILetter(s[i+1]) || strings.IndexByte("/!?", s[i+1]) >= 0 {
				b.WriteString(srtGuard)
			}
		case '&':
			if _, _, ok := consumeCharRef(s, i+1, 0); ok {
				b.WriteString(srtGuard)
			}
		}
	}
}

// checkCueTimes refuses a track with a nil cue or a time outside what the text formats can
// write.
func checkCueTimes(t *Track) error {
	for i, c := range trackCues(t) {
		if c == nil || c.Start < 0 || c.End < 0 || c.Start > maxWritableTime || c.End > maxWritableTime {
			return &Error{Code: CodeInvalidCue, Index: i + 1}
		}
	}
	return nil
}

func trackCues(t *Track) []*Cue {
	if t == nil {
		return nil
	}
	return t.Cues
}
