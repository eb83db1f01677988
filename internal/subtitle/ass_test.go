package subtitle

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseASSFixture(t *testing.T) {
	tracks, info, err := ParseFormat(FormatASS, readTestdata(t, "sample.ass"), EncodingAuto)
	if err != nil {
		t.Fatal(err)
	}
	track := tracks[0]
	if track.Language != "ru" {
		t.Errorf("language %q, want ru from [Script Info]", track.Language)
	}
	if !hasWarning(info, CodeBadTiming, 24) {
		t.Errorf("warnings %v, want %s at line 24", info.Warnings, CodeBadTiming)
	}
	checkCues(t, track, []wantCue{
		{1000 * ms, 4000 * ms, "Дорогие жители Пусана,\nздравствуйте!", 18},
		{4500 * ms, 7250 * ms, "<b>ДЕНЬ ПУСАНА</b>", 19},
		{8000 * ms, 10000 * ms, "<v Мэр><i>Вместе</i> мы <b>победим</b>, soft break</v>", 21},
		{10000 * ms, 12000 * ms, "<i>наверху</i>", 22},
		{12000 * ms, 14000 * ms, "<00:00:12.000>Ка<00:00:12.500>ра<00:00:13.000>оке", 23},
	})
	sign := track.Cues[1]
	if sign.Layer != 1 || sign.StyleName != "Sign" || sign.Line != Number(0) {
		t.Errorf("sign: layer %d style %q line %+v; want layer 1, style Sign, on the top line (style alignment 8)",
			sign.Layer, sign.StyleName, sign.Line)
	}
	pos := track.Cues[3]
	if pos.SnapToLines || pos.Line != Number(9.259) || pos.Position != Number(50) ||
		pos.LineAlign != LineAlignStart || pos.PositionAlign != PositionAlignCenter {
		t.Errorf(`\an8\pos(960,100) on 1920×1080: line %+v %s, position %+v %s`,
			pos.Line, pos.LineAlign, pos.Position, pos.PositionAlign)
	}
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestASSOverrideTags(t *testing.T) {
	tests := []struct {
		name, wrapStyle, text, want string
	}{
		{"italic toggles", "0", `a{\i1}b{\i0}c`, "a<i>b</i>c"},
		{"bold weight", "0", `{\b700}heavy{\b0} light`, "<b>heavy</b> light"},
		{"overlapping toggles reopen", "0", `{\i1}i{\b1}ib{\i0}b{\b0}`, "<i>i<b>ib</b></i><b>b</b>"},
		{"reset", "0", `{\i1\u1}both{\r}none`, "<i><u>both</u></i>none"},
		{"hard break and non-breaking space", "0", `one\Ntwo\hthree`, "one\ntwo\u00A0three"},
		{"soft break is a space", "0", `one\ntwo`, "one two"},
		{"soft break with WrapStyle 2", "2", `one\ntwo`, "one\ntwo"},
		{"comments and unknown tags", "0", `{note to self}a{\fnArial\fs20\c&H00FFFF&\bord2\blur3\be1}b`, "ab"},
		{"animated tags are ignored", "0", `{\t(0,500,\i1)}x`, "x"},
		{"drawing is dropped", "0", `{\p1}m 0 0 l 10 10{\p0}text`, "text"},
		{"unclosed brace is text", "0", `a{b`, "a{b"},
		{"markup characters are text", "0", `<i>&amp;</i>`, "&lt;i&gt;&amp;amp;&lt;/i&gt;"},
		{"backslash before other letters stays", "0", `C:\path`, `C:\path`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := "[Script Info]\nWrapStyle: " + tt.wrapStyle + "\n\n[Events]\n" +
				"Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n" +
				"Dialogue: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,," + tt.text + "\n"
			track, err := ParseASS(strings.NewReader(file))
			if err != nil {
				t.Fatal(err)
			}
			if len(track.Cues) != 1 || track.Cues[0].Text != tt.want {
				t.Fatalf("got %q, want %q", cueTexts(track), tt.want)
			}
		})
	}
}

// TestParseSSA reads an old SubStation Alpha v4 file: no Format line in [Events], the "Marked"
// column, and the legacy alignment numbers.
func TestParseSSA(t *testing.T) {
	file := "[Script Info]\nScriptType: v4.00\n\n[V4 Styles]\n" +
		"Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, TertiaryColour, BackColour, Bold, Italic, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, AlphaLevel, Encoding\n" +
		"Style: Top,Arial,20,16777215,65535,65535,-2147483640,-1,0,1,1,2,6,30,30,10,0,0\n\n" +
		"[Events]\n" +
		"Dialogue: Marked=0,0:00:01.00,0:00:02.50,Top,Narrator,0000,0000,0000,,Hello, Busan, again\n"
	track, err := ParseASS(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	checkCues(t, track, []wantCue{{1000 * ms, 2500 * ms, "<v Narrator><b>Hello, Busan, again</b></v>", 9}})
	if c := track.Cues[0]; c.Line != Number(0) || c.Align != AlignCenter || c.StyleName != "Top" {
		t.Errorf("legacy alignment 6 is top centre: line %+v align %s style %q", c.Line, c.Align, c.StyleName)
	}
}

func TestParseASSRefusesNonASS(t *testing.T) {
	_, err := ParseASS(strings.NewReader("Dialogue: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,no sections\n"))
	if !errors.Is(err, ErrBadSignature) {
		t.Fatalf("got %v, want %s", err, CodeBadSignature)
	}
}
