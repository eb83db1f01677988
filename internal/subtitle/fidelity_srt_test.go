package subtitle

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestSRTTextThatLooksLikeTags(t *testing.T) {
	tests := []struct {
		text, want string
		repaired   bool
	}{
		{"<LAUGHING & WHOOPS!>", "&lt;LAUGHING &amp; WHOOPS!&gt;", false},
		{"x<y and y>z", "x&lt;y and y&gt;z", false},
		{"<sigh>", "&lt;sigh&gt;", false},
		{"<sigh> I know.</sigh>", "&lt;sigh&gt; I know.&lt;/sigh&gt;", false},
		{"<i>known tags still work</i> <s>struck</s>", "<i>known tags still work</i> struck", false},
		{"<img src=x>a <DIV>picture</DIV>", "a picture", false},
		{"<b>unclosed", "<b>unclosed</b>", true},
		{"<i>a <b>b</i> c</b>", "<i>a <b>b</b></i> c", true},
	}
	for _, tt := range tests {
		track, info := parseSRTString(t, "1\n00:00:01,000 --> 00:00:02,000\n"+tt.text+"\n")
		if got := track.Cues[0].Text; got != tt.want {
			t.Errorf("%q: cue text %q, want %q", tt.text, got, tt.want)
		}
		if got := hasWarning(info, CodeBrokenMarkup, 2); got != tt.repaired {
			t.Errorf("%q: broken-markup warning %v, want %v (%v)", tt.text, got, tt.repaired, info.Warnings)
		}
	}
}

func TestSRTWhitespaceInTags(t *testing.T) {
	for _, text := range []string{"<i>italics</ i>", "<i >italics</i >", "<I>italics</  I>"} {
		track, info := parseSRTString(t, "1\n00:00:01,000 --> 00:00:02,000\n"+text+"\n")
		if got := track.Cues[0].Text; got != "<i>italics</i>" {
			t.Errorf("%q: cue text %q, want <i>italics</i>", text, got)
		}
		if len(info.Warnings) != 0 {
			t.Errorf("%q: warnings %v", text, info.Warnings)
		}
	}
}

func TestSRTLooseTimingLines(t *testing.T) {
	input := "1\n00:00:01,000 -> 00:00:02,000\none dash\n\n" +
		"2\n00:00:02,5   --> 00:00:03,  5\nspaces in the fraction\n\n" +
		"3\n00:00:03, 9 --> 00:00:04,000\na space after the comma\n\n" +
		"4\n00:00:05,000 --> 00:00:06,000\nwell-formed\n"
	track, info := parseSRTString(t, input)
	checkCues(t, track, []wantCue{
		{1000 * ms, 2000 * ms, "one dash", 2},
		{2500 * ms, 3500 * ms, "spaces in the fraction", 6},
		{3900 * ms, 4000 * ms, "a space after the comma", 10},
		{5000 * ms, 6000 * ms, "well-formed", 14},
	})
	for _, line := range []int{2, 6, 10} {
		if !hasWarning(info, CodeLooseTiming, line) {
			t.Errorf("no %s warning at line %d: %v", CodeLooseTiming, line, info.Warnings)
		}
	}
	if hasWarning(info, CodeLooseTiming, 14) || len(info.Warnings) != 3 {
		t.Errorf("warnings %v, want one per loose line", info.Warnings)
	}
}

func TestSRTShortFractions(t *testing.T) {
	tests := []struct {
		timing     string
		start, end time.Duration
		loose      bool
	}{
		{"00:00:01,5 --> 00:00:02,50", 1500 * ms, 2500 * ms, true},
		{"00:00:01,05 --> 00:00:02,005", 1050 * ms, 2005 * ms, true},
		{"00:00:01.1 --> 00:00:02.100", 1100 * ms, 2100 * ms, true},
		{"00:00:01,000 --> 00:00:02,000", 1000 * ms, 2000 * ms, false},
		{"00:00:01 --> 00:00:02", 1000 * ms, 2000 * ms, false},
	}
	for _, tt := range tests {
		track, info := parseSRTString(t, "1\n"+tt.timing+"\ntext\n")
		checkCues(t, track, []wantCue{{tt.start, tt.end, "text", 2}})
		if got := hasWarning(info, CodeLooseTiming, 2); got != tt.loose {
			t.Errorf("%q: %s warning %v, want %v", tt.timing, CodeLooseTiming, got, tt.loose)
		}
	}
}

// TestWriteSRTForFFmpeg checks that text which would read as markup or as a timing line is
// written without character references, which ffmpeg-based players show as they are, shows as
// it is (but for the invisible guard), and reads back unchanged.
func TestWriteSRTForFFmpeg(t *testing.T) {
	texts := []string{
		"&lt;b&gt;not bold&lt;/b&gt;",
		"x&lt;y and y&gt;z",
		"&lt;!-- not a comment",
		"a &lt;b<i>c</i>",
		"a &lt;<i>b</i> &amp;<b>c</b>",
		"a &lt; b &gt; c",
		"Tom &amp; Jerry &amp;amp; &lt;3",
		"an arrow --&gt; in a line",
		"2020\n00:00:01,000 --&gt; 00:00:02,000",
		"00:00:01,000 -&gt; 00:00:02,000",
	}
	for _, text := range texts {
		c := NewCue()
		c.Start, c.End, c.Text = time.Second, 2*time.Second, text
		var out bytes.Buffer
		if err := WriteSRT(&out, &Track{Cues: []*Cue{c}}); err != nil {
			t.Fatal(err)
		}
		body := strings.SplitN(out.String(), "\r\n", 3)[2]
		if strings.Contains(body, "&lt;") || strings.Contains(body, "&gt;") || strings.Contains(body, "&amp;") {
			t.Errorf("%q written with references a player shows as they are: %q", text, body)
		}
		want := strings.ReplaceAll(ParseCueText(text).PlainText(), "\n", "\r\n")
		if plain := strings.ReplaceAll(body, srtGuard, ""); !strings.Contains(text, "<") && !strings.HasPrefix(plain, want) {
			t.Errorf("%q written as %q", text, body)
		}
		back, info, err := ParseFormat(FormatSRT, out.Bytes(), EncodingAuto)
		if err != nil {
			t.Fatal(err)
		}
		if len(back[0].Cues) != 1 || back[0].Cues[0].Text != text {
			t.Errorf("%q read back as %d cues, first %q", text, len(back[0].Cues), back[0].Cues[0].Text)
		}
		if len(info.Warnings) != 0 {
			t.Errorf("%q read back with warnings %v", text, info.Warnings)
		}
	}
}

func TestDroppedContentWarns(t *testing.T) {
	track, info := parseSRTString(t, "1\n00:00:01,000 --> 00:00:02,000\nhello<script>alert(1)</script>\n")
	if track.Cues[0].Text != "hello" || !hasWarning(info, CodeBrokenMarkup, 2) {
		t.Errorf("cue %q, warnings %v; want hello and %s", track.Cues[0].Text, info.Warnings, CodeBrokenMarkup)
	}
	_, info = parseSRTString(t, "1\n00:00:01,000 --> 00:00:02,000\n<ruby>漢<rp>(</rp><rt>kan</rt><rp>)</rp></ruby>\n")
	if len(info.Warnings) != 0 {
		t.Errorf("ruby fallback: warnings %v", info.Warnings)
	}
}
