package subtitle

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestParseSBVFixture(t *testing.T) {
	track := parseFixture(t, "sample.sbv")[0]
	checkCues(t, track, []wantCue{
		{1000 * ms, 4000 * ms, "Dear citizens of Vladivostok,\ngreetings from Busan &amp; Co &lt;3", 1},
		{4500 * ms, 7250 * ms, "Together we will overcome COVID-19", 5},
		{8000 * ms, 10000 * ms, "&lt;i&gt;not markup in SBV&lt;/i&gt;", 9},
	})
}

func TestParseSBVLenient(t *testing.T) {
	tests := []struct {
		name     string
		input    string
		want     []wantCue
		warnings []Code
	}{
		{
			name:  "CRLF, two-digit hours, spaces around the comma",
			input: "00:00:01.000 , 00:00:02.5\r\none\r\n\r\n0:01:00.000,0:01:01.000\r\ntwo\r\n",
			want:  []wantCue{{1000 * ms, 2500 * ms, "one", 1}, {60000 * ms, 61000 * ms, "two", 4}},
		},
		{
			name:     "broken timing line",
			input:    "0:00:01.000,0:00:xx.000\nlost\n\n0:00:03.000,0:00:04.000\nkept\n",
			want:     []wantCue{{3000 * ms, 4000 * ms, "kept", 4}},
			warnings: []Code{CodeBadTiming},
		},
		{
			name:  "text that looks like a time after a space stays text",
			input: "0:00:01.000,0:00:02.000\n 0:00:05.000,0:00:06.000\n",
			want:  []wantCue{{1000 * ms, 2000 * ms, "0:00:05.000,0:00:06.000", 1}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tracks, info, err := ParseFormat(FormatSBV, []byte(tt.input), EncodingAuto)
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
	if _, err := ParseSBV(strings.NewReader("just some text\nover two lines\n")); !errors.Is(err, ErrNoCues) {
		t.Errorf("text without cues: %v", err)
	}
}

func TestSBVRoundTrip(t *testing.T) {
	for _, name := range []string{"sample.sbv", "busan.srt", "sample.vtt", "vladivostok.smi", "sample.ass", "sample.ttml"} {
		t.Run(name, func(t *testing.T) {
			for _, track := range parseFixture(t, name) {
				var out bytes.Buffer
				if err := WriteSBV(&out, track); err != nil {
					t.Fatal(err)
				}
				back, err := ParseSBV(&out)
				if err != nil {
					t.Fatalf("%v\n%s", err, out.String())
				}
				compareExported(t, track, back, (*CueNode).PlainText)
			}
		})
	}
}

func TestWriteSBVGolden(t *testing.T) {
	checkGolden(t, "busan.golden.sbv", func(w *bytes.Buffer) error {
		return WriteSBV(w, parseFixture(t, "busan.srt")[0])
	})
}

func TestWriteSBVProtectsTimingLikeText(t *testing.T) {
	c := NewCue()
	c.End = 1500 * ms
	c.Text = "0:00:05.000,0:00:06.000\nnext"
	var out bytes.Buffer
	if err := WriteSBV(&out, &Track{Cues: []*Cue{c}}); err != nil {
		t.Fatal(err)
	}
	if want := "0:00:00.000,0:00:01.500\n 0:00:05.000,0:00:06.000\nnext\n"; out.String() != want {
		t.Fatalf("got %q, want %q", out.String(), want)
	}
	back, err := ParseSBV(&out)
	if err != nil || len(back.Cues) != 1 {
		t.Fatalf("read back %d cues, %v", len(back.Cues), err)
	}
}
