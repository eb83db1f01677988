package subtitle

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestParseWebVTTRejectsBadSignature(t *testing.T) {
	for name, input := range map[string]string{
		"empty":              "",
		"partial":            "WEBVT",
		"lowercase":          "webvtt\n",
		"no separator":       "WEBVTTfoo\n",
		"form feed":          "WEBVTT\f\n",
		"two BOMs":           "\xEF\xBB\xBF\xEF\xBB\xBFWEBVTT\n",
		"NUL first":          "\x00WEBVTT\n",
		"SRT":                "1\n00:00:01,000 --> 00:00:02,000\nhello\n",
		"binary garbage":     "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe",
		"leading whitespace": " WEBVTT\n",
		"leading blank line": "\nWEBVTT\n",
	} {
		t.Run(name, func(t *testing.T) {
			track, err := ParseWebVTT(strings.NewReader(input))
			if track != nil {
				t.Errorf("got a track for a rejected file")
			}
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeBadSignature || e.Line != 1 {
				t.Fatalf("got %v, want %s at line 1", err, CodeBadSignature)
			}
			if !errors.Is(err, ErrBadSignature) {
				t.Errorf("errors.Is(err, ErrBadSignature) is false")
			}
		})
	}
}

func TestParseWebVTTAcceptsSignature(t *testing.T) {
	for name, input := range map[string]string{
		"alone":      "WEBVTT",
		"LF":         "WEBVTT\n",
		"CR":         "WEBVTT\r",
		"CRLF":       "WEBVTT\r\n",
		"space text": "WEBVTT - title\n",
		"tab":        "WEBVTT\ttitle\n",
		"BOM":        "\xEF\xBB\xBFWEBVTT\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseWebVTT(strings.NewReader(input)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestParseWebVTTSizeLimit(t *testing.T) {
	input := "WEBVTT\n\n00:00.000 --> 00:01.000\nhello\n"
	if _, err := ParseWebVTTLimit(strings.NewReader(input), int64(len(input))); err != nil {
		t.Fatalf("input of exactly the limit: %v", err)
	}
	_, err := ParseWebVTTLimit(strings.NewReader(input), int64(len(input)-1))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v, want %s", err, CodeTooLarge)
	}
	// An endless input is read no further than one byte past the limit.
	const limit = 1 << 20
	r := &countingReader{r: zeroReader{}}
	if _, err := ParseWebVTTLimit(r, limit); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v, want %s", err, CodeTooLarge)
	}
	if r.n > limit+1 {
		t.Errorf("read %d bytes, want at most %d", r.n, limit+1)
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func TestParseWebVTTReadError(t *testing.T) {
	cause := errors.New("disk on fire")
	_, err := ParseWebVTT(io.MultiReader(strings.NewReader("WEBVTT\n"), errReader{cause}))
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeReadFailed || !errors.Is(err, cause) {
		t.Fatalf("got %v, want %s wrapping the cause", err, CodeReadFailed)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// TestParseWebVTTHostileInput feeds input a subtitle upload might carry, by accident or not, and
// checks what the parser algorithm says comes out.
func TestParseWebVTTHostileInput(t *testing.T) {
	const head = "WEBVTT\n\n"
	tests := []struct {
		name  string
		input string
		want  []*Cue // only ID, Start, End and Text are compared
	}{
		{
			name:  "NUL in id, timing line and text",
			input: head + "a\x00b\n00:00.000 --> 00:01.000\x00align:end\nx\x00y\n\n00:00.000\x00 --> 00:01.000\ndropped\n",
			want:  []*Cue{{ID: "a\uFFFDb", End: time.Second, Text: "x\uFFFDy"}},
		},
		{
			name:  "BOM in the middle of a timing line drops the cue",
			input: head + "\uFEFF00:00.000 --> 00:01.000\ndropped\n\n00:00.000 --> 00:01.000\n\uFEFFkept\n",
			want:  []*Cue{{End: time.Second, Text: "\uFEFFkept"}},
		},
		{
			name: "hours beyond 24 are valid",
			input: head + "25:00:00.000 --> 100:00:00.000\na\n\n" +
				"2562047:00:00.000 --> 2562047:00:00.001\nb\n",
			want: []*Cue{
				{Start: 25 * time.Hour, End: 100 * time.Hour, Text: "a"},
				{Start: 2562047 * time.Hour, End: 2562047*time.Hour + time.Millisecond, Text: "b"},
			},
		},
		{
			name: "hours beyond time.Duration drop the cue",
			input: head + "2562048:00:00.000 --> 2562048:00:01.000\nc\n\n" +
				"99999999999999999999999999999:00:00.000 --> 00:01.000\nd\n",
			want: nil,
		},
		{
			name:  "minutes or seconds above 59 drop the cue",
			input: head + "00:60.000 --> 00:01.000\na\n\n00:00:60.000 --> 00:01.000\nb\n",
			want:  nil,
		},
		{
			name:  "unterminated cue at end of file",
			input: head + "id\n00:00.000 --> 00:01.000\nlast line",
			want:  []*Cue{{ID: "id", End: time.Second, Text: "last line"}},
		},
		{
			name:  "timing line cut at end of file",
			input: head + "00:00.000 -->",
			want:  nil,
		},
		{
			name:  "arrow inside cue text starts a new block",
			input: head + "00:00.000 --> 00:01.000\none\n00:02.000 --> 00:03.000\ntwo\n",
			want: []*Cue{
				{End: time.Second, Text: "one"},
				{Start: 2 * time.Second, End: 3 * time.Second, Text: "two"},
			},
		},
		{
			name:  "CR and CRLF line endings",
			input: "WEBVTT\r\n\r\nid\r00:00.000 --> 00:01.000\r\nline 1\rline 2\r\n\r\n",
			want:  []*Cue{{ID: "id", End: time.Second, Text: "line 1\nline 2"}},
		},
		{
			name:  "invalid UTF-8 becomes U+FFFD per maximal subpart",
			input: head + "00:00.000 --> 00:01.000\n\xE2\x82x\xC0\xAF\xF0\x9F\x98\n",
			want:  []*Cue{{End: time.Second, Text: "\uFFFDx\uFFFD\uFFFD\uFFFD"}},
		},
		{
			name:  "script in text is kept raw in Text",
			input: head + "00:00.000 --> 00:01.000\n<script>alert(1)</script>\n",
			want:  []*Cue{{End: time.Second, Text: "<script>alert(1)</script>"}},
		},
		{
			name:  "binary garbage after the signature",
			input: head + "\x00\x01\x02\xff\xfe-->\x1b[31m\n\n\x7f\x80-->\x00\n",
			want:  nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			track, err := ParseWebVTT(strings.NewReader(tt.input))
			if err != nil {
				t.Fatal(err)
			}
			if len(track.Cues) != len(tt.want) {
				t.Fatalf("got %d cues, want %d", len(track.Cues), len(tt.want))
			}
			for i, want := range tt.want {
				got := track.Cues[i]
				if got.ID != want.ID || got.Start != want.Start || got.End != want.End || got.Text != want.Text {
					t.Errorf("cue %d = {%q %v %v %q}, want {%q %v %v %q}", i,
						got.ID, got.Start, got.End, got.Text, want.ID, want.Start, want.End, want.Text)
				}
			}
		})
	}
}

func TestParseWebVTTSourceLines(t *testing.T) {
	input := "WEBVTT\r\nKind: captions\r\n\r\n" + // lines 1-3
		"STYLE\r\n::cue { color: red }\r\n\r\n" + // lines 4-6
		"REGION\nid:r\n\n" + // lines 7-9
		"NOTE a\rcomment\r\r" + // lines 10-12
		"00:00.000 --> 00:01.000\none\ntwo\n\n\n\n" + // lines 13-18
		"id\n00:01.000 --> 00:02.000 region:r\nthree\n" // lines 19-21
	track, err := ParseWebVTT(strings.NewReader(input))
	if err != nil {
		t.Fatal(err)
	}
	if len(track.Styles) != 1 || track.Styles[0].SourceLine != 4 {
		t.Errorf("style: %+v, want one at line 4", track.Styles)
	}
	if len(track.Regions) != 1 || track.Regions[0].SourceLine != 7 {
		t.Errorf("regions: %+v, want one at line 7", track.Regions)
	}
	if len(track.Cues) != 2 || track.Cues[0].SourceLine != 13 || track.Cues[1].SourceLine != 20 {
		t.Fatalf("cues at lines %v, want 13 and 20", cueLines(track))
	}
	if track.Cues[1].Region != track.Regions[0] {
		t.Errorf("cue 2 is not in region r")
	}
	if got := strings.Join(track.HeaderLines, "|"); got != "Kind: captions" {
		t.Errorf("header lines %q", got)
	}
}

func cueLines(t *Track) []int {
	var lines []int
	for _, c := range t.Cues {
		lines = append(lines, c.SourceLine)
	}
	return lines
}

func TestParseWebVTTHeader(t *testing.T) {
	track, err := ParseWebVTT(strings.NewReader("WEBVTT\t title\nKind: captions\nLanguage: ru\n00:00.000 --> 00:01.000\nx\n"))
	if err != nil {
		t.Fatal(err)
	}
	if track.Header != " title" {
		t.Errorf("Header = %q", track.Header)
	}
	if got := strings.Join(track.HeaderLines, "|"); got != "Kind: captions|Language: ru" {
		t.Errorf("HeaderLines = %q", got)
	}
	if len(track.Cues) != 1 {
		t.Errorf("a timing line ends the header and starts a cue; got %d cues", len(track.Cues))
	}
}

func TestWriteWebVTTGolden(t *testing.T) {
	input, err := os.ReadFile(filepath.Join("testdata", "sample.vtt"))
	if err != nil {
		t.Fatal(err)
	}
	track, err := ParseWebVTT(bytes.NewReader(input))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := WriteWebVTT(&out, track); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "sample.golden.vtt")
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
		t.Errorf("WriteWebVTT output differs from %s:\n%s", golden, out.String())
	}
}

// TestWebVTTRoundTrip parses, writes and parses again the sample and every conformance file that
// loads, and wants the same Track back.
func TestWebVTTRoundTrip(t *testing.T) {
	inputs := map[string][]byte{}
	sample, err := os.ReadFile(filepath.Join("testdata", "sample.vtt"))
	if err != nil {
		t.Fatal(err)
	}
	inputs["sample"] = sample
	vtts, _ := filepath.Glob(filepath.Join(mustConformanceDir(t, "cases"), "*.vtt"))
	for _, path := range vtts {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		inputs[filepath.Base(path)] = data
	}
	loaded := 0
	for name, data := range inputs {
		t.Run(name, func(t *testing.T) {
			if checkRoundTrip(t, data) {
				loaded++
			}
		})
	}
	if loaded < 40 {
		t.Errorf("only %d inputs loaded; the round trip covered too little", loaded)
	}
}

// checkRoundTrip checks parse → write → parse on one input and reports whether the input loaded.
// The second Track must equal the first, with cue text in its sanitised form, and writing it
// again must give the same bytes.
func checkRoundTrip(t *testing.T, data []byte) bool {
	t.Helper()
	first, err := ParseWebVTT(bytes.NewReader(data))
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("parse error is not an *Error: %v", err)
		}
		return false
	}
	var out1 bytes.Buffer
	if err := WriteWebVTT(&out1, first); err != nil {
		t.Fatalf("WriteWebVTT of a parsed track: %v", err)
	}
	second, err := ParseWebVTT(bytes.NewReader(out1.Bytes()))
	if err != nil {
		t.Fatalf("output does not parse: %v\n%s", err, out1.String())
	}
	if diff := diffTracks(first, second); diff != "" {
		t.Fatalf("track changed in the round trip: %s\noutput:\n%q", diff, out1.String())
	}
	var out2 bytes.Buffer
	if err := WriteWebVTT(&out2, second); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out1.Bytes(), out2.Bytes()) {
		t.Fatalf("writing is not stable:\n%q\n%q", out1.String(), out2.String())
	}
	return true
}

// diffTracks describes the first difference between a parsed track and the parse of its written
// form, or returns "". Source lines are not compared; cue text is compared sanitised.
func diffTracks(a, b *Track) string {
	if a.Header != b.Header {
		return "header " + quote(a.Header) + " vs " + quote(b.Header)
	}
	if strings.Join(a.HeaderLines, "\n") != strings.Join(b.HeaderLines, "\n") {
		return "header lines"
	}
	if len(a.Styles) != len(b.Styles) {
		return "style count"
	}
	for i := range a.Styles {
		if a.Styles[i].CSS != b.Styles[i].CSS {
			return "style css"
		}
	}
	if len(a.Regions) != len(b.Regions) {
		return "region count"
	}
	regionIndex := func(t *Track, r *Region) int {
		for i, x := range t.Regions {
			if x == r {
				return i
			}
		}
		return -1
	}
	for i := range a.Regions {
		ra, rb := *a.Regions[i], *b.Regions[i]
		ra.SourceLine, rb.SourceLine = 0, 0
		if ra != rb {
			return "region " + quote(ra.ID)
		}
	}
	if len(a.Cues) != len(b.Cues) {
		return "cue count"
	}
	for i := range a.Cues {
		ca, cb := *a.Cues[i], *b.Cues[i]
		if regionIndex(a, ca.Region) != regionIndex(b, cb.Region) {
			return "cue region"
		}
		if want := SanitizeCueText(ca.Text); cb.Text != want {
			return "cue text " + quote(cb.Text) + ", want " + quote(want)
		}
		ca.Region, cb.Region, ca.Text, cb.Text, ca.SourceLine, cb.SourceLine = nil, nil, "", "", 0, 0
		if ca != cb {
			return "cue " + quote(ca.ID) + " settings or times"
		}
	}
	return ""
}

func quote(s string) string { return `"` + s + `"` }

func TestWriteWebVTTRefusesUnwritableTracks(t *testing.T) {
	region := &Region{ID: "r", Width: 100, Lines: 3, RegionAnchorY: 100, ViewportAnchorY: 100}
	cue := func(edit func(*Cue)) *Track {
		c := NewCue()
		c.End = time.Second
		edit(c)
		return &Track{Regions: []*Region{region}, Cues: []*Cue{c}}
	}
	tests := []struct {
		name  string
		track *Track
		code  Code
	}{
		{"header with line break", &Track{Header: "a\nb"}, CodeInvalidHeader},
		{"blank header line", &Track{HeaderLines: []string{""}}, CodeInvalidHeader},
		{"header line with arrow", &Track{HeaderLines: []string{"a --> b"}}, CodeInvalidHeader},
		{"style with blank line", &Track{Styles: []*Style{{CSS: "a{}\n\nb{}"}}}, CodeInvalidStyle},
		{"region id with space", &Track{Regions: []*Region{{ID: "a b", Width: 100}}}, CodeInvalidRegion},
		{"region width over 100", &Track{Regions: []*Region{{Width: 101}}}, CodeInvalidRegion},
		{"region with fractional lines", &Track{Regions: []*Region{{Width: 100, Lines: 1.5}}}, CodeInvalidRegion},
		{"cue id with arrow", cue(func(c *Cue) { c.ID = "a-->b" }), CodeInvalidCue},
		{"cue id with CR", cue(func(c *Cue) { c.ID = "a\rb" }), CodeInvalidCue},
		{"negative start", cue(func(c *Cue) { c.Start = -time.Millisecond }), CodeInvalidCue},
		{"size over 100", cue(func(c *Cue) { c.Size = 150 }), CodeInvalidCue},
		{"unknown alignment", cue(func(c *Cue) { c.Align = "middle" }), CodeInvalidCue},
		{"percentage line out of range", cue(func(c *Cue) { c.Line, c.SnapToLines = Number(-5), false }), CodeInvalidCue},
		{"region not in the track", cue(func(c *Cue) { c.Region = &Region{ID: "r", Width: 100} }), CodeInvalidCue},
		{"nil cue", &Track{Cues: []*Cue{nil}}, CodeInvalidCue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := WriteWebVTT(&out, tt.track)
			var e *Error
			if !errors.As(err, &e) || e.Code != tt.code {
				t.Fatalf("got %v, want %s", err, tt.code)
			}
			if out.Len() != 0 {
				t.Errorf("wrote %q before failing", out.String())
			}
		})
	}
	if err := WriteWebVTT(io.Discard, cue(func(c *Cue) { c.Region = region })); err != nil {
		t.Errorf("cue in the track's region: %v", err)
	}
}

func TestWriteWebVTTWriteError(t *testing.T) {
	cause := errors.New("pipe closed")
	err := WriteWebVTT(failingWriter{cause}, &Track{Cues: []*Cue{NewCue()}})
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeWriteFailed || !errors.Is(err, cause) {
		t.Fatalf("got %v, want %s wrapping the cause", err, CodeWriteFailed)
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestWriteWebVTTBuiltTrack(t *testing.T) {
	// A track built in code, as a converter from another format would.
	c := NewCue()
	c.Start, c.End = 1500*time.Millisecond, 3*time.Second+250*time.Microsecond
	c.Text = "Fish & chips > 2\n\nsecond paragraph\n"
	var out bytes.Buffer
	if err := WriteWebVTT(&out, &Track{Cues: []*Cue{c}}); err != nil {
		t.Fatal(err)
	}
	want := "WEBVTT\n\n00:00:01.500 --> 00:00:03.000\nFish &amp; chips &gt; 2\n&#10;second paragraph&#10;\n"
	if out.String() != want {
		t.Fatalf("got\n%q\nwant\n%q", out.String(), want)
	}
	back, err := ParseWebVTT(&out)
	if err != nil {
		t.Fatal(err)
	}
	root := ParseCueText(back.Cues[0].Text)
	if len(root.Children) != 1 || root.Children[0].Text != "Fish & chips > 2\n\nsecond paragraph\n" {
		t.Errorf("text did not survive: %s", root.Dump())
	}
}

func TestParseWebVTTSettingOrder(t *testing.T) {
	input := "WEBVTT\n\nREGION\nid:r lines:" + strings.Repeat("9", 400) + "\n\n" +
		"00:00.000 --> 00:01.000 vertical:lr line:5 size:50% region:r\na\n\n" +
		"00:00.000 --> 00:01.000 region:r vertical:lr\nb\n\n" +
		"00:00.000 --> 00:01.000 region:r line:5\nc\n\n" +
		"00:00.000 --> 00:01.000 region:r size:50%\nd\n\n" +
		"00:00.000 --> 00:01.000 region:r size:100% line:auto vertical:xx\ne\n"
	track, err := ParseWebVTT(strings.NewReader(input))
	if err != nil {
		t.Fatal(err)
	}
	if len(track.Regions) != 1 || track.Regions[0].Lines != 3 {
		t.Fatalf("regions %+v: a lines value too large for a float64 must leave the default 3", track.Regions)
	}
	r := track.Regions[0]
	var got []bool
	for _, c := range track.Cues {
		got = append(got, c.Region == r)
	}
	want := []bool{true, false, false, false, true}
	if len(got) != len(want) {
		t.Fatalf("got %d cues", len(got))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("cue %d in region: %v, want %v (a later vertical, line or size setting takes the cue out)", i, got[i], want[i])
		}
	}
	var out bytes.Buffer
	if err := WriteWebVTT(&out, track); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "vertical:lr line:5 size:50% region:r\n") {
		t.Errorf("the region must be written last:\n%s", out.String())
	}
}
