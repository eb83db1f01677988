package subtitle

import (
	"bufio"
	"io"
	"strings"
	"time"
)

// parseSBV reads a YouTube SubViewer (.sbv) file: blocks of a "0:00:01.000,0:00:03.000" timing
// line and the cue's lines of plain text (SBV has no markup, so "<" and "&" are text). The
// encoding is detected (see decodeText). A block whose timing line cannot be read is skipped; the
// file is refused (CodeNoCues) only when it has text but not one cue.
// It works on decoded, LF-only text: ParseFormat(FormatSBV, …) decodes a file and calls it.
func parseSBV(text string, n *notes) (*Track, error) {
	lines := strings.Split(text, "\n")
	track := &Track{}
	sawText := false
	for i := 0; i < len(lines); {
		line := lines[i]
		if strings.TrimSpace(line) == "" {
			i++
			continue
		}
		start, end, ok := parseSBVTiming(line)
		if !ok {
			sawText = true
			if looksLikeSBVTiming(line) {
				n.add(CodeBadTiming, i+1)
			} else {
				n.add(CodeStrayText, i+1)
			}
			// Skip the rest of the block, up to a blank line or a timing line.
			i++
			for i < len(lines) && strings.TrimSpace(lines[i]) != "" {
				if _, _, ok := parseSBVTiming(lines[i]); ok {
					break
				}
				i++
			}
			continue
		}
		cue := NewCue()
		cue.Start, cue.End, cue.SourceLine = start, end, i+1
		// Text runs to the next timing line, across stray blank lines.
		j := i + 1
		for j < len(lines) {
			if _, _, ok := parseSBVTiming(lines[j]); ok {
				break
			}
			j++
		}
		b := newTreeBuilder()
		b.text(strings.Join(lines[i+1:j], "\n"))
		cue.Text = b.finish(false)
		track.Cues = append(track.Cues, cue)
		i = j
	}
	if len(track.Cues) == 0 && sawText {
		return nil, &Error{Code: CodeNoCues, Line: n.firstLine()}
	}
	return track, nil
}

// parseSBVTiming reads "0:00:01.000,0:00:03.000". The line must start with the time: a text
// line that only looks like one after a space stays text, which is how WriteSBV protects it.
func parseSBVTiming(line string) (start, end time.Duration, ok bool) {
	line = strings.TrimRight(line, " \t")
	if line == "" || !isASCIIDigit(line[0]) {
		return 0, 0, false
	}
	left, right, found := strings.Cut(line, ",")
	if !found {
		return 0, 0, false
	}
	start, ok = parseSBVTime(strings.TrimSpace(left))
	if !ok {
		return 0, 0, false
	}
	end, ok = parseSBVTime(strings.TrimSpace(right))
	return start, end, ok
}

// parseSBVTime reads H:MM:SS.mmm (hours optional, one to three millisecond digits read as a
// decimal fraction, as YouTube writes exactly three).
func parseSBVTime(s string) (time.Duration, bool) {
	main, frac, hasFrac := strings.Cut(s, ".")
	parts := strings.Split(main, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, false
	}
	var nums [3]int64
	for k, p := range parts {
		v, ok := parseDigits(p, 10)
		if !ok {
			return 0, false
		}
		nums[3-len(parts)+k] = v
	}
	var ms int64
	if hasFrac {
		v, ok := parseDigits(frac, 3)
		if !ok {
			return 0, false
		}
		for range 3 - len(frac) {
			v *= 10
		}
		ms = v
	}
	return durationOf(nums[0], nums[1], nums[2], ms)
}

// looksLikeSBVTiming reports a line that was probably meant as a timing line: it starts with a
// digit and has a colon and a comma, and is too short to be a sentence.
func looksLikeSBVTiming(line string) bool {
	line = strings.TrimSpace(line)
	return line != "" && isASCIIDigit(line[0]) && len(line) < 40 &&
		strings.Contains(line, ":") && strings.Count(line, ",") == 1
}

// WriteSBV writes t as a YouTube SubViewer file. SBV has no markup, so cues are written as plain
// text (see CueNode.PlainText); blank lines, which would end a cue, are left out, and a text line
// that would read as a timing line gets a leading space. A cue with a negative time is refused
// with CodeInvalidCue.
func WriteSBV(w io.Writer, t *Track) error {
	if err := checkCueTimes(t); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	for i, c := range trackCues(t) {
		if i > 0 {
			bw.WriteString("\n")
		}
		bw.WriteString(formatSBVTime(c.Start) + "," + formatSBVTime(c.End) + "\n")
		for _, line := range strings.Split(ParseCueText(c.Text).PlainText(), "\n") {
			if strings.TrimSpace(line) == "" {
				continue
			}
			if _, _, ok := parseSBVTiming(line); ok {
				line = " " + line
			}
			bw.WriteString(line + "\n")
		}
	}
	if err := bw.Flush(); err != nil {
		return &Error{Code: CodeWriteFailed, Err: err}
	}
	return nil
}

// formatSBVTime writes H:MM:SS.mmm, as YouTube does.
func formatSBVTime(d time.Duration) string {
	s := formatTimestamp(d)
	if s[0] == '0' && s[1] != ':' {
		s = s[1:] // YouTube writes one digit of hours
	}
	return s
}
