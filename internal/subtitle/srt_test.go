package subtitle

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// wantCue is what the format tests compare: times, text, source line.
type wantCue struct {
	start, end time.Duration
	text       string
	line       int
}

func checkCues(t *testing.T, track *Track, want []wantCue) {
	t.Helper()
	if len(track.Cues) != len(want) {
		var got []string
		for _, c := range track.Cues {
			got = append(got, c.Start.String()+" "+c.Text)
		}
		t.Fatalf("got %d cues %q, want %d", len(track.Cues), got, len(want))
	}
	for i, w := range want {
		c := track.Cues[i]
		if c.Start != w.start || c.End != w.end || c.Text != w.text || w.line != 0 && c.SourceLine != w.line {
			t.Errorf("cue %d = {%v %v %q line %d}, want {%v %v %q line %d}", i+1,
				c.Start, c.End, c.Text, c.SourceLine, w.start, w.end, w.text, w.line)
		}
	}
}

const ms = time.Millisecond

func TestParseSRTFixture(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "busan.srt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	track, err := ParseSRT(f)
	if err != nil {
		t.Fatal(err)
	}
	checkCues(t, track, []wantCue{
		{1000 * ms, 4000 * ms, "Dear citizens of <i>Vladivostok</i>,", 2},
		{4500 * ms, 7250 * ms, "greetings from <b>Busan</b> &amp; its <c.yellow>people</c>.", 6},
		{8000 * ms, 10000 * ms, "BUSAN CITY HALL", 10},
		{10500 * ms, 13000 * ms, "Two lines,\nwith a blank line inside\nand more.", 14},
		{13000 * ms, 15000 * ms, "<i>Unclosed italic\na &lt; b</i>", 21},
		{15500 * ms, 17000 * ms, "Short millis", 26}, // ",5" is half a second
	})
	top := track.Cues[2]
	if top.Line != Number(0) || !top.SnapToLines {
		t.Errorf(`{\an8} cue: line %+v snap %v, want the top line`, top.Line, top.SnapToLines)
	}
}

func TestParseSRTLenient(t *testing.T) {
	tests := []struct {
		name     string
		input    string
		want     []wantCue
		warnings []Code
	}{
		{
			name:  "no cue numbers, no blank line between cues, CRLF",
			input: "00:00:01,000 --> 00:00:02,000\r\none\r\n00:00:03,000 --> 00:00:04,000\r\ntwo\r\n",
			want:  []wantCue{{1000 * ms, 2000 * ms, "one", 1}, {3000 * ms, 4000 * ms, "two", 3}},
		},
		{
			name:  "wrong numbers and extra blank lines before and after",
			input: "\n\n\n7\n00:00:01,000 --> 00:00:02,000\none\n\n\n\n\n3\n00:00:03,000-->00:00:04,000\ntwo\n\n\n",
			want:  []wantCue{{1000 * ms, 2000 * ms, "one", 5}, {3000 * ms, 4000 * ms, "two", 12}},
		},
		{
			name:  "a number as the last line of text",
			input: "1\n00:00:01,000 --> 00:00:02,000\nThe year\n2020\n\n2\n00:00:03,000 --> 00:00:04,000\nnext\n",
			want:  []wantCue{{1000 * ms, 2000 * ms, "The year\n2020", 2}, {3000 * ms, 4000 * ms, "next", 7}},
		},
		{
			name:  "dot, no hours, four decimals, spaces",
			input: "1\n  00:00:01.250   -->   01:02,5000  \nx\n",
			want:  []wantCue{{1250 * ms, 62500 * ms, "x", 2}},
		},
		{
			name:     "broken timing line skips its block",
			input:    "1\n00:00:01,000 --> 00:0x:02,000\nlost\n\n2\n00:00:03,000 --> 00:00:04,000\nkept\n",
			want:     []wantCue{{3000 * ms, 4000 * ms, "kept", 6}},
			warnings: []Code{CodeBadTiming},
		},
		{
			name:     "stray text before the first cue",
			input:    "Subtitles by someone\n\n1\n00:00:01,000 --> 00:00:02,000\nx\n",
			want:     []wantCue{{1000 * ms, 2000 * ms, "x", 4}},
			warnings: []Code{CodeStrayText},
		},
		{
			name:     "stray text right above a cue",
			input:    "Subtitles by someone\n1\n00:00:01,000 --> 00:00:02,000\nx\n",
			want:     []wantCue{{1000 * ms, 2000 * ms, "x", 3}},
			warnings: []Code{CodeStrayText},
		},
		{
			name:  "font, u, s tags and entities",
			input: "1\n00:00:01,000 --> 00:00:02,000\n<font face=\"Arial\" color=red>red</font> <u>u</u> <s>s</s> &amp; &lt;3 <FONT COLOR=\"#00FF00\">g</FONT>\n",
			want:  []wantCue{{1000 * ms, 2000 * ms, "<c.red>red</c> <u>u</u> s &amp; &lt;3 <c.lime>g</c>", 2}},
		},
		{
			name:  "ASS codes in SRT",
			input: "1\n00:00:01,000 --> 00:00:02,000\n{\\an7}{\\pos(10,10)}top left\n",
			want:  []wantCue{{1000 * ms, 2000 * ms, "top left", 2}},
		},
		{
			name:  "empty text",
			input: "1\n00:00:01,000 --> 00:00:02,000\n\n2\n00:00:03,000 --> 00:00:04,000\nx\n",
			want:  []wantCue{{1000 * ms, 2000 * ms, "", 2}, {3000 * ms, 4000 * ms, "x", 5}},
		},
		{
			name:  "empty file",
			input: "\n\n",
			want:  nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tracks, info, err := ParseFormat(FormatSRT, []byte(tt.input), EncodingAuto)
			if err != nil {
				t.Fatal(err)
			}
			checkCues(t, tracks[0], tt.want)
			var codes []Code
			for _, w := range info.Warnings {
				codes = append(codes, w.Code)
			}
			if strings.Join(codeStrings(codes), ",") != strings.Join(codeStrings(tt.warnings), ",") {
				t.Errorf("warnings %v, want %v", info.Warnings, tt.warnings)
			}
		})
	}
}

func TestParseSRTPlacement(t *testing.T) {
	track, err := ParseSRT(strings.NewReader("1\n00:00:01,000 --> 00:00:02,000\n{\\an9}x\n\n2\n00:00:03,000 --> 00:00:04,000\n{\\an4}y\n\n3\n00:00:05,000 --> 00:00:06,000\n{\\a6}z\n"))
	if err != nil {
		t.Fatal(err)
	}
	c := track.Cues
	if c[0].Line != Number(0) || c[0].Align != AlignRight {
		t.Errorf(`{\an9}: line %+v align %s`, c[0].Line, c[0].Align)
	}
	if c[1].Line != Number(50) || c[1].SnapToLines || c[1].LineAlign != LineAlignCenter || c[1].Align != AlignLeft {
		t.Errorf(`{\an4}: %+v`, c[1])
	}
	if c[2].Line != Number(0) || c[2].Align != AlignCenter {
		t.Errorf(`{\a6} (SSA top centre): line %+v align %s`, c[2].Line, c[2].Align)
	}
}

func TestParseSRTRefusesNonSRT(t *testing.T) {
	_, err := ParseSRT(strings.NewReader("This is a letter, not a subtitle file.\nRegards\n"))
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeNoCues || e.Line != 1 {
		t.Fatalf("got %v, want %s at line 1", err, CodeNoCues)
	}
}

// TestSRTRoundTrip writes parsed tracks as SRT and parses them back.
func TestSRTRoundTrip(t *testing.T) {
	for _, name := range []string{"busan.srt", "sample.vtt", "vladivostok.smi", "sample.ass", "sample.ttml", "sample.sbv"} {
		t.Run(name, func(t *testing.T) {
			for _, track := range parseFixture(t, name) {
				var out bytes.Buffer
				if err := WriteSRT(&out, track); err != nil {
					t.Fatal(err)
				}
				back, err := ParseSRT(&out)
				if err != nil {
					t.Fatalf("%v\n%s", err, out.String())
				}
				compareExported(t, track, back, srtText)
			}
		})
	}
}

// parseFixture parses a file of testdata with Parse.
func parseFixture(t *testing.T, name string) []*Track {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	tracks, _, err := Parse(name, data, EncodingAuto)
	if err != nil {
		t.Fatal(err)
	}
	return tracks
}

// compareExported checks that a track read back from an export has the same cues: the same
// times and the same text as the format can hold it (render gives that form of a cue text
// tree).
func compareExported(t testing.TB, orig, back *Track, render func(*CueNode) string) {
	t.Helper()
	cues, backCues := orig.Cues, back.Cues
	if len(backCues) != len(cues) {
		t.Fatalf("got %d cues back, want %d", len(backCues), len(cues))
	}
	norm := func(text string) string {
		var lines []string
		for _, l := range strings.Split(render(ParseCueText(text)), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				lines = append(lines, l)
			}
		}
		return strings.Join(lines, "\n")
	}
	for i, c := range cues {
		b := backCues[i]
		if b.Start != c.Start.Round(ms) || b.End != c.End.Round(ms) {
			t.Errorf("cue %d times %v–%v, want %v–%v", i+1, b.Start, b.End, c.Start, c.End)
		}
		if got, want := norm(b.Text), norm(c.Text); got != want {
			t.Errorf("cue %d text\n%q, want\n%q", i+1, got, want)
		}
	}
}

func TestWriteSRTGolden(t *testing.T) {
	checkGolden(t, "busan.golden.srt", func(w *bytes.Buffer) error {
		return WriteSRT(w, parseFixture(t, "busan.srt")[0])
	})
}

// checkGolden compares generated output with a file in testdata; -update rewrites the file.
func checkGolden(t *testing.T, name string, write func(*bytes.Buffer) error) {
	t.Helper()
	var out bytes.Buffer
	if err := write(&out); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Errorf("output differs from %s:\n%s", golden, out.String())
	}
}

func TestWriteSRTEscaping(t *testing.T) {
	c := NewCue()
	c.Start, c.End = time.Second, 2*time.Second
	c.Text = "Tom &amp; Jerry &lt;3 &lt;b&gt;not bold&lt;/b&gt; &amp;amp;\n\n00:00:01,000 --&gt; 00:00:02,000"
	var out bytes.Buffer
	if err := WriteSRT(&out, &Track{Cues: []*Cue{c}}); err != nil {
		t.Fatal(err)
	}
	// No character references, which players built on ffmpeg show as they are: an invisible
	// guard (srtGuard) after what would read as markup, and before a line that would read as
	// a timing line.
	want := "1\r\n00:00:01,000 --> 00:00:02,000\r\nTom & Jerry <3 <\u200bb>not bold<\u200b/b> &\u200bamp;\r\n\u200b00:00:01,000 --> 00:00:02,000\r\n\r\n"
	if out.String() != want {
		t.Fatalf("got\n%q\nwant\n%q", out.String(), want)
	}
	back, err := ParseSRT(&out)
	if err != nil {
		t.Fatal(err)
	}
	if got := ParseCueText(back.Cues[0].Text).PlainText(); got != "Tom & Jerry <3 <b>not bold</b> &amp;\n00:00:01,000 --> 00:00:02,000" {
		t.Errorf("read back %q", got)
	}
}

func TestWriteSRTRefusesNegativeTimes(t *testing.T) {
	c := NewCue()
	c.Start = -time.Second
	for name, write := range map[string]func(*bytes.Buffer, *Track) error{
		"srt":  func(w *bytes.Buffer, t *Track) error { return WriteSRT(w, t) },
		"sbv":  func(w *bytes.Buffer, t *Track) error { return WriteSBV(w, t) },
		"ttml": func(w *bytes.Buffer, t *Track) error { return WriteTTML(w, t) },
	} {
		var out bytes.Buffer
		err := write(&out, &Track{Cues: []*Cue{NewCue(), c}})
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeInvalidCue || e.Index != 2 {
			t.Errorf("%s: got %v, want %s for item 2", name, err, CodeInvalidCue)
		}
		if out.Len() != 0 {
			t.Errorf("%s: wrote %q before refusing", name, out.String())
		}
	}
}
