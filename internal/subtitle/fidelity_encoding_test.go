package subtitle

import (
	"strings"
	"testing"
)

// The fidelity tests come from real-world files that loaded wrongly: each input is the smallest
// one that showed the problem.

func parseSRTString(t *testing.T, input string) (*Track, DetectedInfo) {
	t.Helper()
	tracks, info, err := ParseFormat(FormatSRT, []byte(input), EncodingAuto)
	if err != nil {
		t.Fatal(err)
	}
	return tracks[0], info
}

func TestDecodeCutUTF8Sequence(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []string // the cue texts
		line  int      // where the warning points
	}{
		{
			name:  "Korean line cut in the middle of a syllable",
			input: "1\n00:00:01,000 --> 00:00:02,000\n괴물들을 타\xea\xb3\n",
			want:  []string{"괴물들을 타\uFFFD"},
			line:  3,
		},
		{
			name:  "French file with a valid line and a cut one",
			input: "1\n00:00:01,000 --> 00:00:02,000\nCafé\n\n2\n00:00:03,000 --> 00:00:04,000\nDéjà vu\xc3\n",
			want:  []string{"Café", "Déjà vu\uFFFD"},
			line:  7,
		},
		{
			// Windows-1252 reads it without an undecodable byte, but as "GrÃ¼ÃŸe".
			name:  "German line that Windows-1252 would read without U+FFFD",
			input: "1\n00:00:01,000 --> 00:00:02,000\nGrüße aus Düsseldorf, schön\xc3\n",
			want:  []string{"Grüße aus Düsseldorf, schön\uFFFD"},
			line:  3,
		},
		{
			name:  "Russian line cut at its end",
			input: "1\n00:00:01,000 --> 00:00:02,000\nВсё хорошо, спасибо\xd1\n",
			want:  []string{"Всё хорошо, спасибо\uFFFD"},
			line:  3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			track, info := parseSRTString(t, tt.input)
			if info.Encoding != UTF8 {
				t.Errorf("encoding %q, want %q", info.Encoding, UTF8)
			}
			var got []string
			for _, c := range track.Cues {
				got = append(got, c.Text)
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("cues %q, want %q", got, tt.want)
			}
			if !hasWarning(info, CodeInvalidUTF8, tt.line) {
				t.Errorf("warnings %v, want %s at line %d", info.Warnings, CodeInvalidUTF8, tt.line)
			}
		})
	}
}

// TestLegacyFilesStayLegacy checks that the cut-sequence rule leaves real legacy files alone,
// even short ones whose bytes happen to hold a valid UTF-8 sequence or two.
func TestLegacyFilesStayLegacy(t *testing.T) {
	for _, tt := range []struct {
		data string
		want Encoding
	}{
		{"1\n00:00:01,000 --> 00:00:02,000\nD\xe9j\xe0 vu, caf\xe9\n", Windows1252},
		{"1\n00:00:01,000 --> 00:00:02,000\n\xc7\xd1\xb1\xb9\xbe\xee\n", CP949},                     // 한국어
		{"1\n00:00:01,000 --> 00:00:02,000\n\xcf\xf0\xe8\xe2\xe5\xf2, \xec\xe8\xf0\n", Windows1251}, // Привет, мир
	} {
		if got := DetectEncoding([]byte(tt.data)); got != tt.want {
			t.Errorf("%q: detected %q, want %q", tt.data, got, tt.want)
		}
	}
}
