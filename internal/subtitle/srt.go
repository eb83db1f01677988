package subtitle

import (
	"bufio"
	"io"
	"strconv"
	"strings"
	"time"
)

// ParseSRT reads a SubRip (.srt) file. It reads files as they really are: the encoding is
// detected (see Decode), the cue numbers may be missing or wrong, blank lines may be doubled or
// missing, times may use a comma or a dot. <i>, <b>, <u> and <font color> become WebVTT markup,
// other tags are dropped, and {\an8}-style codes place the cue. A cue whose timing line cannot be
// read is skipped; the file is refused (CodeNoCues) only when it has text but not one cue. Use
// ParseFormat to get the warnings.
func ParseSRT(r io.Reader) (*Track, error) {
	return parseOneTrack(r, FormatSRT)
}

// parseSRT parses decoded, LF-only text.
func parseSRT(text string, n *notes) (*Track, error) {
	lines := strings.Split(text, "\n")
	track := &Track{}
	// isCueStart reports whether a cue begins at line i: a timing line, or a cue number with a
	// timing line under it.
	isCueStart := func(i int) bool {
		if _, _, ok := parseSRTTiming(lines[i]); ok {
			return true
		}
		return i+1 < len(lines) && isCueNumber(lines[i]) && hasTiming(lines[i+1])
	}
	sawText := false
	for i := 0; i < len(lines); {
		line := strings.TrimSpace(lines[i])
		if line == "" {
			i++
			continue
		}
		if isCueNumber(line) && i+1 < len(lines) && hasTiming(lines[i+1]) {
			i++
			continue
		}
		start, end, ok := parseSRTTiming(line)
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
		raw := strings.Join(lines[i+1:j], "\n")
		raw, an := extractASSCodes(raw)
		var repaired bool
		cue.Text, repaired = htmlCueText(raw, false)
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

// hasTiming reports a line that holds an SRT arrow, readable or not.
func hasTiming(line string) bool { return strings.Contains(line, "-->") }

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
// (SubRip's X1:… Y2:… coordinates) ignored.
func parseSRTTiming(line string) (start, end time.Duration, ok bool) {
	left, right, found := strings.Cut(line, "-->")
	if !found {
		return 0, 0, false
	}
	start, ok = parseSRTTime(strings.TrimSpace(left))
	if !ok {
		return 0, 0, false
	}
	right = strings.TrimSpace(right)
	if sp := strings.IndexAny(right, " \t"); sp >= 0 {
		right = right[:sp]
	}
	end, ok = parseSRTTime(right)
	return start, end, ok
}

// parseSRTTime reads an SRT time: hours, minutes, seconds and milliseconds, "00:00:01,000". It
// also takes any number of hour digits, a dot before the milliseconds, no hours ("01:02,500"),
// no milliseconds, and fewer
// than three millisecond digits, which it reads as a number of milliseconds, as ffmpeg does
// ("00:00:01,5" is 1.005 s: tools that write it print the milliseconds without padding).
func parseSRTTime(s string) (time.Duration, bool) {
	main, frac, hasFrac := cutAny(s, ",.")
	parts := strings.Split(main, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, false
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
			return 0, false
		}
		nums[3-len(parts)+k] = v
	}
	var ms int64
	if hasFrac {
		if len(frac) > 3 {
			if !allDigits(frac) {
				return 0, false
			}
			frac = frac[:3] // digits past the third are below a millisecond
		}
		v, ok := parseDigits(frac, 3)
		if !ok {
			return 0, false
		}
		ms = v
	}
	return durationOf(nums[0], nums[1], nums[2], ms)
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

// cutAny is strings.Cut at the first of several separators.
func cutAny(s, seps string) (before, after string, found bool) {
	if i := strings.IndexAny(s, seps); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}

// WriteSRT writes t as a SubRip file: numbered cues, "00:00:01,000 --> 00:00:04,000" times, and
// the text with <i>, <b>, <u> and <font color> for the WebVTT markup SubRip players know; other
// markup is dropped and its text kept. A cue placed at the top or middle of the picture gets an
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
			// An arrow in the text could start a cue when read back; the reference keeps it
			// text ("&gt;" is in every reader's small set of references).
			line = strings.ReplaceAll(line, "-->", "--&gt;")
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

// writeHTMLishText writes text for a format whose readers take HTML-ish tags and character
// references (SRT), escaping only what they would misread: a "<" that would open a tag and an
// "&" that would start a reference. "Fish & chips" stays as it is, which matters to the many
// players that show references raw.
func writeHTMLishText(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '<':
			// Escape every "<" a reader could take for the start of a tag, closed or not: a
			// later ">" from the markup written after it could close it.
			if i+1 < len(s) && (isASCIILetter(s[i+1]) || strings.IndexByte("/!?", s[i+1]) >= 0) {
				b.WriteString("&lt;")
				continue
			}
		case c == '&':
			if _, _, ok := consumeCharRef(s, i+1, 0); ok {
				b.WriteString("&amp;")
				continue
			}
		}
		b.WriteByte(c)
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
