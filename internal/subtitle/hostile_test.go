package subtitle

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestHostileInput feeds every parser what an upload may carry, by accident or not: binary
// garbage, cut-off files, NULs, stray BOMs, absurd times, script tags. Nothing may panic, a
// refusal must be an *Error, and whatever loads must pass checkTracks (sanitised text, clean
// exports).
func TestHostileInput(t *testing.T) {
	garbage := make([]byte, 2048)
	x := uint32(88172645)
	for i := range garbage {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		garbage[i] = byte(x)
	}
	tests := []struct {
		name  string
		file  string
		input string
		code  Code // the refusal expected, or "" when the file must load
		check func(t *testing.T, tracks []*Track, info DetectedInfo)
	}{
		{name: "garbage as SRT", file: "x.srt", input: string(garbage), code: CodeBinary},
		{name: "garbage as SAMI", file: "x.smi", input: string(garbage), code: CodeBinary},
		{name: "garbage as ASS", file: "x.ass", input: string(garbage), code: CodeBinary},
		{name: "garbage as TTML", file: "x.ttml", input: string(garbage), code: CodeBinary},
		{name: "garbage as SBV", file: "x.sbv", input: string(garbage), code: CodeBinary},
		{name: "garbage as WebVTT", file: "x.vtt", input: string(garbage), code: CodeBinary},
		{name: "printable garbage as SRT", file: "x.srt", input: "}{%$#@!~`^&*()_+|\\';:\"/?.>,<\n=-0987654321", code: CodeNoCues},
		{
			name: "SRT cut off in a timing line", file: "x.srt",
			input: "1\n00:00:01,000 --> 00:00:02,000\nfirst\n\n2\n00:00:03,000 --> 00:0",
			check: func(t *testing.T, tracks []*Track, info DetectedInfo) {
				checkCues(t, tracks[0], []wantCue{{1000 * ms, 2000 * ms, "first", 2}})
				if !hasWarning(info, CodeBadTiming, 6) {
					t.Errorf("warnings %v", info.Warnings)
				}
			},
		},
		{
			name: "SAMI cut off in a tag", file: "x.smi",
			input: "<SAMI><BODY><SYNC Start=1000><P Class=KRCC>마지막<b",
			check: func(t *testing.T, tracks []*Track, info DetectedInfo) {
				checkCues(t, tracks[0], []wantCue{{1000 * ms, 1000*ms + samiFinalCueDuration, "마지막&lt;b", 1}})
			},
		},
		{
			name: "SAMI with an unterminated comment", file: "x.smi",
			input: "<SAMI><BODY><SYNC Start=0><P Class=KRCC>보임<!-- <SYNC Start=500><P Class=KRCC>숨김",
			check: func(t *testing.T, tracks []*Track, info DetectedInfo) {
				checkCues(t, tracks[0], []wantCue{{0, samiFinalCueDuration, "보임", 1}})
			},
		},
		{
			name: "ASS cut off in a Dialogue line", file: "x.ass",
			input: "[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\nDialogue: 0,0:00:01.00,0:00:0",
			check: func(t *testing.T, tracks []*Track, info DetectedInfo) {
				if len(tracks[0].Cues) != 0 || !hasWarning(info, CodeBadTiming, 3) {
					t.Errorf("cues %d, warnings %v", len(tracks[0].Cues), info.Warnings)
				}
			},
		},
		{name: "TTML cut off", file: "x.ttml", input: "<tt xmlns=\"http://www.w3.org/ns/ttml\">\n<body><div><p begin=\"0s\" end=\"1s\">cut", code: CodeMalformed},
		{
			name: "timestamps out of order and past a day", file: "x.srt",
			input: "1\n25:00:00,000 --> 25:00:01,000\nnext day\n\n2\n00:00:05,000 --> 00:00:06,000\nearlier\n\n" +
				"3\n9999999:00:00,000 --> 9999999:00:01,000\nbeyond time.Duration\n",
			check: func(t *testing.T, tracks []*Track, info DetectedInfo) {
				checkCues(t, tracks[0], []wantCue{
					{25 * time.Hour, 25*time.Hour + time.Second, "next day", 2},
					{5 * time.Second, 6 * time.Second, "earlier", 6},
				})
				if !hasWarning(info, CodeBadTiming, 10) {
					t.Errorf("warnings %v", info.Warnings)
				}
				r := Validate(tracks[0], ValidateOptions{Language: "en", VideoDuration: time.Minute})
				if got := issueList(r); got != "starts-after-video-end@1 out-of-order@2~1" || !r.Blocking() {
					t.Errorf("issues %s", got)
				}
			},
		},
		{
			name: "NUL bytes", file: "x.srt",
			input: "1\n00:00:01,000 --> 00:00:02,000\nN\x00UL\n",
			check: func(t *testing.T, tracks []*Track, info DetectedInfo) {
				checkCues(t, tracks[0], []wantCue{{1000 * ms, 2000 * ms, "N\uFFFDUL", 2}})
				if !hasWarning(info, CodeNULBytes, 3) {
					t.Errorf("warnings %v", info.Warnings)
				}
			},
		},
		{name: "mostly NUL bytes", file: "x.srt", input: "1\n00:00:01,000 --> 00:00:02,000\n" + strings.Repeat("\x00\x00x", 100) + "\n", code: CodeBinary},
		{
			name: "BOM in the middle of a timing line", file: "x.srt",
			input: "\uFEFF1\n\uFEFF00:00:01,000 --> 00:00:02,000\nte\uFEFFxt\n",
			check: func(t *testing.T, tracks []*Track, info DetectedInfo) {
				checkCues(t, tracks[0], []wantCue{{1000 * ms, 2000 * ms, "text", 2}})
				if !hasWarning(info, CodeBOMRemoved, 2) {
					t.Errorf("warnings %v", info.Warnings)
				}
			},
		},
		{
			name: "script in SAMI", file: "x.smi",
			input: "<SAMI><HEAD><SCRIPT>var x = '<SYNC Start=0>';</SCRIPT></HEAD><BODY>" +
				"<SYNC Start=0><P Class=KRCC><SCRIPT SRC=//evil></SCRIPT><iframe src=javascript:alert(1)></iframe>" +
				"<b onclick=alert(1)>굵게</b><SYNC Start=1000><P Class=KRCC>&nbsp;",
			check: func(t *testing.T, tracks []*Track, info DetectedInfo) {
				checkCues(t, tracks[0], []wantCue{{0, 1000 * ms, "<b>굵게</b>", 1}})
			},
		},
		{
			name: "script in TTML", file: "x.ttml",
			input: `<tt xmlns="http://www.w3.org/ns/ttml" xmlns:h="http://www.w3.org/1999/xhtml"><body><div>` +
				`<p begin="0s" end="1s"><h:script>alert(1)</h:script><span>&lt;img src=x onerror=alert(1)&gt;</span></p></div></body></tt>`,
			check: func(t *testing.T, tracks []*Track, info DetectedInfo) {
				checkCues(t, tracks[0], []wantCue{{0, time.Second, "&lt;img src=x onerror=alert(1)&gt;", 1}})
			},
		},
		{
			name: "markup in ASS and SBV is text", file: "x.sbv",
			input: "0:00:00.000,0:00:01.000\n<script>alert(1)</script>\n",
			check: func(t *testing.T, tracks []*Track, info DetectedInfo) {
				checkCues(t, tracks[0], []wantCue{{0, time.Second, "&lt;script&gt;alert(1)&lt;/script&gt;", 1}})
			},
		},
		{
			name: "markup in WebVTT is sanitised by Parse", file: "x.vtt",
			input: "WEBVTT\n\n00:00.000 --> 00:01.000\n<script>alert(1)</script><i>ok\n",
			check: func(t *testing.T, tracks []*Track, info DetectedInfo) {
				checkCues(t, tracks[0], []wantCue{{0, time.Second, "alert(1)<i>ok</i>", 3}})
				if !hasWarning(info, CodeBrokenMarkup, 3) {
					t.Errorf("warnings %v", info.Warnings)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tracks, info, err := Parse(tt.file, []byte(tt.input), EncodingAuto)
			if tt.code != "" {
				var e *Error
				if !errors.As(err, &e) || e.Code != tt.code {
					t.Fatalf("got %v, want %s", err, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkTracks(t, tracks)
			if tt.check != nil {
				tt.check(t, tracks, info)
			}
		})
	}
}

// TestWarningsAreBounded: a large broken file yields at most maxWarnings warnings.
func TestWarningsAreBounded(t *testing.T) {
	input := strings.Repeat("00:00:01,000 --> bad\ntext\n\n", 1000) + "00:00:01,000 --> 00:00:02,000\nok\n"
	tracks, info, err := Parse("x.srt", []byte(input), EncodingAuto)
	if err != nil || len(tracks[0].Cues) != 1 {
		t.Fatalf("%v", err)
	}
	if len(info.Warnings) != maxWarnings {
		t.Errorf("%d warnings, want %d", len(info.Warnings), maxWarnings)
	}
}

// TestPathologicalMarkup parses inputs built to make a naive scanner go back over the rest of
// the file at every "<", "{" or quote. They must load, and quickly (the test has no timing
// assertion; a quadratic scanner would make it run for minutes).
func TestPathologicalMarkup(t *testing.T) {
	const size = 1 << 20
	inputs := map[string]string{
		"x.smi": "<SAMI><SYNC Start=0><P Class=KRCC>" + strings.Repeat(`<a b="`, size/6),
		"y.smi": "<SAMI><SYNC Start=0><P Class=KRCC>" + strings.Repeat("<a", size/2),
		"z.smi": "<SAMI>" + strings.Repeat("<SYNC Start=1><!", size/16),
		"x.srt": "00:00:01,000 --> 00:00:02,000\n" + strings.Repeat("<i <b <u ", size/9),
		"x.ass": "[Events]\nDialogue: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,," + strings.Repeat(`{\i1{`, size/5),
	}
	for name, input := range inputs {
		tracks, _, err := Parse(name, []byte(input), EncodingAuto)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		for _, c := range tracks[0].Cues {
			checkSafeCueText(t, c.Text)
		}
	}
}
