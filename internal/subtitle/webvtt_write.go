package subtitle

import (
	"bufio"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// WriteWebVTT writes t as a normalised WebVTT file: the header, the STYLE and REGION blocks, then
// the cues with their non-default settings and their text passed through SerializeCueText.
// Comments are not kept. Parsing the output gives back the same Track (cue text in its
// sanitised form). A Track holding something WebVTT cannot express — a cue identifier with a
// line break or "-->", a negative time, a percentage outside 0–100, a cue in a region that is
// not the last one in t.Regions with its identifier — is refused with an *Error naming it, and
// nothing is written.
func WriteWebVTT(w io.Writer, t *Track) error {
	if t == nil {
		t = &Track{}
	}
	if err := checkWritable(t); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	bw.WriteString("WEBVTT")
	if t.Header != "" {
		bw.WriteString(" " + t.Header)
	}
	bw.WriteString("\n")
	for _, l := range t.HeaderLines {
		bw.WriteString(l + "\n")
	}
	for _, s := range t.Styles {
		if s.CSS == "" {
			continue // "STYLE" followed by a blank line is no style block
		}
		bw.WriteString("\nSTYLE\n" + s.CSS + "\n")
	}
	for _, r := range t.Regions {
		bw.WriteString("\nREGION\n" + regionSettings(r) + "\n")
	}
	for _, c := range t.Cues {
		bw.WriteString("\n")
		if c.ID != "" {
			bw.WriteString(c.ID + "\n")
		}
		bw.WriteString(formatTimestamp(c.Start) + " --> " + formatTimestamp(c.End))
		bw.WriteString(cueSettings(c))
		bw.WriteString("\n")
		if text := SanitizeCueText(c.Text); text != "" {
			bw.WriteString(text + "\n")
		}
	}
	if err := bw.Flush(); err != nil {
		return &Error{Code: CodeWriteFailed, Err: err}
	}
	return nil
}

// regionSettings writes every setting of a region, so the block always has a settings line.
func regionSettings(r *Region) string {
	var parts []string
	if r.ID != "" {
		parts = append(parts, "id:"+r.ID)
	}
	parts = append(parts,
		"width:"+formatPercentage(r.Width),
		"lines:"+formatNumber(r.Lines),
		"regionanchor:"+formatPercentage(r.RegionAnchorX)+","+formatPercentage(r.RegionAnchorY),
		"viewportanchor:"+formatPercentage(r.ViewportAnchorX)+","+formatPercentage(r.ViewportAnchorY),
	)
	if r.Scroll == ScrollUp {
		parts = append(parts, "scroll:up")
	}
	return strings.Join(parts, " ")
}

// cueSettings writes the settings that differ from the defaults, each preceded by a space. The
// region comes last: the parser drops a cue's region when a later vertical, line or size setting
// moves the cue out of it, so any other order could lose it.
func cueSettings(c *Cue) string {
	var b strings.Builder
	if c.Vertical != Horizontal {
		b.WriteString(" vertical:" + string(c.Vertical))
	}
	if !c.Line.Auto {
		b.WriteString(" line:")
		if c.SnapToLines {
			b.WriteString(formatNumber(c.Line.Value))
		} else {
			b.WriteString(formatPercentage(c.Line.Value))
		}
		if c.LineAlign != LineAlignStart {
			b.WriteString("," + string(c.LineAlign))
		}
	}
	if !c.Position.Auto {
		b.WriteString(" position:" + formatPercentage(c.Position.Value))
		if c.PositionAlign != PositionAlignAuto {
			b.WriteString("," + string(c.PositionAlign))
		}
	}
	if c.Size != 100 {
		b.WriteString(" size:" + formatPercentage(c.Size))
	}
	if c.Align != AlignCenter {
		b.WriteString(" align:" + string(c.Align))
	}
	if c.Region != nil {
		b.WriteString(" region:" + c.Region.ID)
	}
	return b.String()
}

// formatNumber writes v in plain decimal notation (the WebVTT settings have no exponents) with
// the fewest digits that read back as exactly v.
func formatNumber(v float64) string {
	if v == 0 {
		return "0" // also for -0, which the settings syntax cannot express
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func formatPercentage(v float64) string { return formatNumber(v) + "%" }

// checkWritable reports the first thing in t that a WebVTT file cannot hold.
func checkWritable(t *Track) error {
	if !isWritableLine(t.Header) {
		return &Error{Code: CodeInvalidHeader}
	}
	for i, l := range t.HeaderLines {
		// A header line must not be blank (it would end the header) nor hold "-->" (it would
		// start a cue).
		if l == "" || !isWritableLine(l) || strings.Contains(l, "-->") {
			return &Error{Code: CodeInvalidHeader, Index: i + 1}
		}
	}
	for i, s := range t.Styles {
		if s == nil || !isWritableBlockText(s.CSS) {
			return &Error{Code: CodeInvalidStyle, Index: i + 1}
		}
	}
	lastRegion := map[string]*Region{}
	for i, r := range t.Regions {
		if r == nil || !isWritableRegion(r) {
			return &Error{Code: CodeInvalidRegion, Index: i + 1}
		}
		lastRegion[r.ID] = r
	}
	for i, c := range t.Cues {
		if c == nil || !isWritableCue(c) {
			return &Error{Code: CodeInvalidCue, Index: i + 1}
		}
		// The file refers to a region by identifier, which finds the last region with it.
		if c.Region != nil && (c.Region.ID == "" || lastRegion[c.Region.ID] != c.Region) {
			return &Error{Code: CodeInvalidCue, Index: i + 1}
		}
	}
	return nil
}

func isWritableCue(c *Cue) bool {
	if c.Start < 0 || c.End < 0 || c.Start > maxWritableTime || c.End > maxWritableTime {
		return false
	}
	if !isWritableLine(c.ID) || strings.Contains(c.ID, "-->") {
		return false
	}
	switch c.Vertical {
	case Horizontal, VerticalGrowingLeft, VerticalGrowingRight:
	default:
		return false
	}
	switch c.LineAlign {
	case LineAlignStart, LineAlignCenter, LineAlignEnd:
	default:
		return false
	}
	switch c.PositionAlign {
	case PositionAlignAuto, PositionAlignLineLeft, PositionAlignCenter, PositionAlignLineRight:
	default:
		return false
	}
	switch c.Align {
	case AlignStart, AlignCenter, AlignEnd, AlignLeft, AlignRight:
	default:
		return false
	}
	if !c.Line.Auto {
		if math.IsNaN(c.Line.Value) || math.IsInf(c.Line.Value, 0) ||
			!c.SnapToLines && !isPercentage(c.Line.Value) {
			return false
		}
	} else if !c.SnapToLines || c.LineAlign != LineAlignStart {
		return false // only a line position can carry these
	}
	if !c.Position.Auto && !isPercentage(c.Position.Value) || c.Position.Auto && c.PositionAlign != PositionAlignAuto {
		return false
	}
	return isPercentage(c.Size)
}

// maxWritableTime is the largest time whose WebVTT timestamp the parser reads back.
const maxWritableTime = time.Duration(maxTimestampHours) * time.Hour

func isWritableRegion(r *Region) bool {
	if !isWritableLine(r.ID) || strings.Contains(r.ID, "-->") || strings.ContainsAny(r.ID, " \t\n\f\r") {
		return false
	}
	if r.Lines < 0 || r.Lines != math.Trunc(r.Lines) || math.IsInf(r.Lines, 0) {
		return false
	}
	if r.Scroll != ScrollNone && r.Scroll != ScrollUp {
		return false
	}
	for _, v := range []float64{r.Width, r.RegionAnchorX, r.RegionAnchorY, r.ViewportAnchorX, r.ViewportAnchorY} {
		if !isPercentage(v) {
			return false
		}
	}
	return true
}

func isPercentage(v float64) bool { return v >= 0 && v <= 100 } // false for NaN too

// isWritableLine reports whether s can be written on one line and read back unchanged.
func isWritableLine(s string) bool { return !strings.ContainsAny(s, "\n\r\x00") }

// isWritableBlockText reports whether s can be the body of a STYLE block: lines that are not
// blank and hold no "-->".
func isWritableBlockText(s string) bool {
	if s == "" {
		return true // skipped when writing
	}
	for _, l := range strings.Split(s, "\n") {
		if l == "" || !isWritableLine(l) || strings.Contains(l, "-->") {
			return false
		}
	}
	return true
}
