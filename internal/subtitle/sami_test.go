package subtitle

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseSAMIFixture(t *testing.T) {
	tracks := parseFixture(t, "vladivostok.smi")
	if len(tracks) != 3 {
		t.Fatalf("got %d tracks, want one each for KRCC, RUCC and ENCC", len(tracks))
	}
	want := []struct{ lang, label string }{{"ko-KR", "한국어"}, {"ru-RU", "Русский"}, {"en", "English"}}
	for i, w := range want {
		if tracks[i].Language != w.lang || tracks[i].Label != w.label {
			t.Errorf("track %d: %q %q, want %q %q", i, tracks[i].Language, tracks[i].Label, w.lang, w.label)
		}
	}
	checkCues(t, tracks[0], []wantCue{
		{1000 * ms, 4000 * ms, "안녕하세요, 블라디보스토크\n시민 여러분", 15},
		{4500 * ms, 7000 * ms, "<c.yellow>부산</c>에서 인사드립니다", 20},
		// The last paragraph has no SYNC after it: it shows for samiFinalCueDuration.
		{8000 * ms, 8000*ms + samiFinalCueDuration, "코로나19를 함께 이겨냅시다", 25},
	})
	checkCues(t, tracks[1], []wantCue{
		{1000 * ms, 4000 * ms, "Здравствуйте, жители\nВладивостока", 16},
		{4500 * ms, 7000 * ms, "Привет из <c.yellow>Пусана</c>", 20},
	})
	checkCues(t, tracks[2], []wantCue{{1000 * ms, 7000 * ms, "Hello, <i>Vladivostok</i>", 17}})
}

func TestParseSAMISloppy(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []wantCue // of the first track
		langs string
	}{
		{
			name: "lower case, quotes, no HEAD, no closing tags",
			input: `<sami><body><sync start="500"><p class='KRCC'>하나<SYNC START=1500>` +
				`<P CLASS=KRCC>둘<sync Start=2500><p class=krcc>&nbsp;`,
			want:  []wantCue{{500 * ms, 1500 * ms, "하나", 1}, {1500 * ms, 2500 * ms, "둘", 1}},
			langs: "ko",
		},
		{
			name:  "no P at all",
			input: "<SAMI><BODY>\n<SYNC Start=1000>plain text\n<SYNC Start=2000>&nbsp;\n</BODY></SAMI>",
			want:  []wantCue{{1000 * ms, 2000 * ms, "plain text", 2}},
			langs: "",
		},
		{
			name: "SYNCs out of order and a Start with junk",
			input: "<SAMI><BODY>\n<SYNC Start=3000ms><P Class=ENCC>third\n<SYNC Start=1000><P Class=ENCC>first\n" +
				"<SYNC Start=2000><P Class=ENCC>second\n<SYNC Start=4000><P Class=ENCC>&nbsp;\n",
			want: []wantCue{
				{1000 * ms, 2000 * ms, "first", 3}, {2000 * ms, 3000 * ms, "second", 4}, {3000 * ms, 4000 * ms, "third", 2},
			},
			langs: "en",
		},
		{
			name:  "two paragraphs of one class at one time are one cue",
			input: "<SAMI><BODY><SYNC Start=0><P Class=KRCC>위<SYNC Start=0><P Class=KRCC>아래<SYNC Start=900><P Class=KRCC>&nbsp;",
			want:  []wantCue{{0, 900 * ms, "위\n아래", 1}},
			langs: "ko",
		},
		{
			name: "kr in lang is Korean, not Kanuri; undeclared classes get tracks",
			input: "<SAMI><HEAD><STYLE>.KRCC {lang: kr-KR; name: Korean}</STYLE></HEAD><BODY>" +
				"<SYNC Start=0><P Class=KRCC>가<P Class=JPCC>あ<SYNC Start=1000><P Class=KRCC>&nbsp;<P Class=JPCC>&nbsp;",
			want:  []wantCue{{0, 1000 * ms, "가", 1}},
			langs: "ko-KR,ja",
		},
		{
			name: "scripts, styles, comments and unknown tags",
			input: "<SAMI><BODY><SYNC Start=0><P Class=KRCC><script>alert(1)</script><!-- <b>hidden</b> -->" +
				"<img src=x onerror=alert(1)><style>p{}</style><a href=\"javascript:alert(1)\">link</a> &lt;b&gt;<SYNC Start=1000><P Class=KRCC>&nbsp;",
			want:  []wantCue{{0, 1000 * ms, "link &lt;b&gt;", 1}},
			langs: "ko",
		},
		{
			name:  "End attribute",
			input: "<SAMI><BODY><SYNC Start=1000 End=1800><P Class=ENCC>x<SYNC Start=5000><P Class=ENCC>y<SYNC Start=6000><P Class=ENCC>&nbsp;",
			want:  []wantCue{{1000 * ms, 1800 * ms, "x", 1}, {5000 * ms, 6000 * ms, "y", 1}},
			langs: "en",
		},
		{
			name:  "SYNC without a usable Start is skipped",
			input: "<SAMI><BODY><SYNC Start=-5><P Class=ENCC>lost<SYNC><P Class=ENCC>lost too<SYNC Start=1><P Class=ENCC>kept",
			want:  []wantCue{{time.Millisecond, time.Millisecond + samiFinalCueDuration, "kept", 1}},
			langs: "en",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tracks, err := ParseSAMI(strings.NewReader(tt.input))
			if err != nil {
				t.Fatal(err)
			}
			checkCues(t, tracks[0], tt.want)
			var langs []string
			for _, tr := range tracks {
				langs = append(langs, tr.Language)
			}
			if got := strings.Join(langs, ","); got != tt.langs {
				t.Errorf("languages %q, want %q", got, tt.langs)
			}
		})
	}
}

func TestParseSAMIRefusesNonSAMI(t *testing.T) {
	_, err := ParseSAMI(strings.NewReader("<html><body>not subtitles</body></html>"))
	if !errors.Is(err, ErrBadSignature) {
		t.Fatalf("got %v, want %s", err, CodeBadSignature)
	}
	tracks, err := ParseSAMI(strings.NewReader("<SAMI><HEAD><STYLE>.RUCC { lang: ru-RU; }</STYLE></HEAD><BODY></BODY></SAMI>"))
	if err != nil || len(tracks) != 1 || len(tracks[0].Cues) != 0 || tracks[0].Language != "ru-RU" {
		t.Fatalf("SAMI without cues: %+v, %v; want one empty ru-RU track", tracks, err)
	}
}

func TestLanguageFromSAMIClass(t *testing.T) {
	for class, want := range map[string]string{
		"KRCC": "ko", "KOKRCC": "ko-KR", "ENUSCC": "en-US", "RUCC": "ru", "JPCC": "ja", "SUBTTL": "", "XXCC": "", "CC": "",
	} {
		if got := languageFromSAMIClass(class); got != want {
			t.Errorf("languageFromSAMIClass(%q) = %q, want %q", class, got, want)
		}
	}
}
