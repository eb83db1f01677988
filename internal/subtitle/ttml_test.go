package subtitle

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseTTMLFixture(t *testing.T) {
	tracks, info, err := ParseFormat(FormatTTML, readTestdata(t, "sample.ttml"), EncodingAuto)
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Warnings) != 0 {
		t.Errorf("warnings %v", info.Warnings)
	}
	if len(tracks) != 2 || tracks[0].Language != "ko" || tracks[1].Language != "en" {
		t.Fatalf("tracks %+v, want ko and en", tracks)
	}
	checkCues(t, tracks[0], []wantCue{
		// The div begins at 1s; times inside it are relative to that.
		{1000 * ms, 4000 * ms, "안녕하세요, 블라디보스토크\n시민 여러분", 19},
		{4480 * ms, 6480 * ms, "<i>부산에서</i>", 21},   // 3 s + 12 frames at 25 fps
		{7000 * ms, 10000 * ms, "부산 <b>시청</b>", 22}, // ticks at 10 MHz
		{11000 * ms, 13000 * ms, "<lang ru>Привет</lang> <i><c.yellow>노랑</c></i>", 23},
		{2500 * ms, 19000 * ms, "two  spaces", 24},
		{13000 * ms, 15000 * ms, "&lt;script&gt;alert(1)&lt;/script&gt;", 25},
	})
	checkCues(t, tracks[1], []wantCue{{20000 * ms, 22000 * ms, "English in the same file", 28}})

	bottom, top := tracks[0].Cues[0], tracks[0].Cues[2]
	if bottom.SnapToLines || bottom.Line != Number(95) || bottom.LineAlign != LineAlignEnd ||
		bottom.Position != Number(10) || bottom.Size != 80 {
		t.Errorf("bottom region: %+v", bottom)
	}
	if top.Line != Number(5) || top.LineAlign != LineAlignStart {
		t.Errorf("top region: line %+v %s", top.Line, top.LineAlign)
	}
}

func TestParseDFXPFixture(t *testing.T) {
	tracks := parseFixture(t, "sample.dfxp")
	if len(tracks) != 1 || tracks[0].Language != "ru-RU" {
		t.Fatalf("tracks %+v", tracks)
	}
	// 29.97 fps (30 × 1000/1001), two sub-frames a frame: 3 s + 15.5 frames = 3.517 s.
	checkCues(t, tracks[0], []wantCue{
		{1000 * ms, 3517 * ms, "Дорогие жители Пусана,", 7},
		{4000 * ms, 6000 * ms, "<u>спасибо</u> за поддержку!", 8},
	})
	if tracks[0].Cues[0].Align != AlignLeft {
		t.Errorf("textAlign left: align %s", tracks[0].Cues[0].Align)
	}
}

func TestTTMLTimeExpressions(t *testing.T) {
	timing := ttmlTiming{frameRate: 25, subFrameRate: 2, tickRate: 1000}
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"00:00:01.5", 1500 * ms, true},
		{"01:02:03.004", time.Hour + 2*time.Minute + 3004*ms, true},
		{"100:00:00", 100 * time.Hour, true},
		{"00:00:01:05", 1200 * ms, true},
		{"00:00:01:05.1", 1220 * ms, true},
		{"10s", 10 * time.Second, true},
		{"1.5s", 1500 * ms, true},
		{"1500ms", 1500 * ms, true},
		{"2.5h", 150 * time.Minute, true},
		{"3m", 3 * time.Minute, true},
		{"50f", 2 * time.Second, true},
		{"2500t", 2500 * ms, true},
		{" 2s ", 2 * time.Second, true},
		{"", 0, false},
		{"-1s", 0, false},
		{"1", 0, false},
		{"1.s", 0, false},
		{".5s", 0, false},
		{"1x", 0, false},
		{"00:01", 0, false},
		{"00:00:1.x", 0, false},
		{"99999999999999h", 0, false},
		{"NaNs", 0, false},
	}
	for _, tt := range tests {
		got, ok := timing.parse(tt.in)
		if ok != tt.ok || ok && got != tt.want {
			t.Errorf("parse(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// TestParseTTMLRefusesDTDs: no DTD is processed, so neither external entities (XXE) nor
// exponential ones (billion laughs) can do harm.
func TestParseTTMLRefusesDTDs(t *testing.T) {
	inputs := map[string]string{
		"XXE": `<?xml version="1.0"?>
<!DOCTYPE tt [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<tt xmlns="http://www.w3.org/ns/ttml"><body><div><p begin="0s" end="1s">&xxe;</p></div></body></tt>`,
		"billion laughs": `<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<tt xmlns="http://www.w3.org/ns/ttml"><body><div><p begin="0s" end="1s">&lol3;</p></div></body></tt>`,
	}
	for name, input := range inputs {
		t.Run(name, func(t *testing.T) {
			_, err := ParseTTML(strings.NewReader(input))
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeDoctype || e.Line != 2 {
				t.Fatalf("got %v, want %s at line 2", err, CodeDoctype)
			}
		})
	}
	// An undeclared entity is an XML error, not an expansion.
	_, err := ParseTTML(strings.NewReader(`<tt xmlns="http://www.w3.org/ns/ttml"><body><p begin="0s" end="1s">&xxe;</p></body></tt>`))
	if !errors.Is(err, ErrMalformed) {
		t.Errorf("undeclared entity: %v", err)
	}
}

func TestParseTTMLLimitsAndErrors(t *testing.T) {
	deep := `<tt xmlns="http://www.w3.org/ns/ttml"><body><div><p begin="0s" end="1s">` +
		strings.Repeat("<span>", 100) + "x" + strings.Repeat("</span>", 100) + "</p></div></body></tt>"
	tests := []struct {
		name  string
		input string
		code  Code
		line  int
	}{
		{"too deep", deep, CodeTooDeep, 1},
		{"not well-formed", "<tt xmlns=\"http://www.w3.org/ns/ttml\">\n<body>\n<p>unclosed\n</body></tt>", CodeMalformed, 4},
		{"not TTML", "<?xml version=\"1.0\"?>\n<html><body/></html>", CodeBadSignature, 2},
		{"empty", "", CodeBadSignature, 1},
		{"not XML", "WEBVTT\n\n00:00.000 --> 00:01.000\nx\n", CodeBadSignature, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseTTML(strings.NewReader(tt.input))
			var e *Error
			if !errors.As(err, &e) || e.Code != tt.code || e.Line != tt.line {
				t.Fatalf("got %v, want %s at line %d", err, tt.code, tt.line)
			}
		})
	}
}

func TestParseTTMLTiming(t *testing.T) {
	input := `<tt xmlns="http://www.w3.org/ns/ttml" xml:lang="en">
<body begin="10s" end="20s">
<div begin="1s">
<p begin="0s" end="30s">clipped to the body's end</p>
<p begin="2s">ends with the body</p>
<p begin="bad" end="1s">skipped</p>
</div>
</body>
<body><p begin="1s">no end anywhere</p></body>
</tt>`
	tracks, info, err := ParseFormat(FormatTTML, []byte(input), EncodingAuto)
	if err != nil {
		t.Fatal(err)
	}
	checkCues(t, tracks[0], []wantCue{
		{11000 * ms, 20000 * ms, "clipped to the body's end", 4},
		{13000 * ms, 20000 * ms, "ends with the body", 5},
		{1000 * ms, 1000 * ms, "no end anywhere", 9},
	})
	if !hasWarning(info, CodeBadTiming, 6) || !hasWarning(info, CodeBadTiming, 9) {
		t.Errorf("warnings %v, want %s at lines 6 and 9", info.Warnings, CodeBadTiming)
	}
}

func TestTTMLRoundTrip(t *testing.T) {
	for _, name := range []string{"sample.ttml", "sample.dfxp", "busan.srt", "sample.vtt", "vladivostok.smi", "sample.ass", "sample.sbv"} {
		t.Run(name, func(t *testing.T) {
			for _, track := range parseFixture(t, name) {
				var out bytes.Buffer
				if err := WriteTTML(&out, track); err != nil {
					t.Fatal(err)
				}
				back, err := ParseTTML(&out)
				if err != nil {
					t.Fatalf("%v\n%s", err, out.String())
				}
				if len(back) != 1 {
					t.Fatalf("got %d tracks back", len(back))
				}
				if back[0].Language != track.Language || back[0].Label != track.Label {
					t.Errorf("language and label %q %q, want %q %q", back[0].Language, back[0].Label, track.Language, track.Label)
				}
				compareExported(t, track, back[0], ttmlContent)
			}
		})
	}
}

func TestWriteTTMLGolden(t *testing.T) {
	checkGolden(t, "vladivostok-ko.golden.ttml", func(w *bytes.Buffer) error {
		return WriteTTML(w, parseFixture(t, "vladivostok.smi")[0])
	})
}
