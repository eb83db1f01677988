package subtitle

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func cue(start, end time.Duration, text string) *Cue {
	c := NewCue()
	c.Start, c.End, c.Text = start, end, text
	return c
}

// issueList renders a report compactly: "code@cue", with the other cue, value and limit
// where they are set.
func issueList(r Report) string {
	var parts []string
	for _, is := range r.Issues {
		s := fmt.Sprintf("%s@%d", is.Code, is.Cue)
		if is.Other > 0 {
			s += fmt.Sprintf("~%d", is.Other)
		}
		if is.Limit > 0 {
			s += fmt.Sprintf("(%g>%g)", is.Value, is.Limit)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func TestValidate(t *testing.T) {
	sec := time.Second
	tests := []struct {
		name     string
		track    *Track
		opts     ValidateOptions
		want     string
		blocking bool
	}{
		{
			name:  "clean Korean track",
			track: &Track{Language: "ko", Cues: []*Cue{cue(sec, 4*sec, "안녕하세요, 블라디보스토크\n시민 여러분")}},
			want:  "",
		},
		{
			name: "durations",
			track: &Track{Language: "en", Cues: []*Cue{
				cue(2*sec, sec, "ends before it starts"), cue(3*sec, 3*sec, "never shows"),
			}},
			want:     "end-before-start@1 zero-duration@2",
			blocking: true,
		},
		{
			name: "overlap and order",
			track: &Track{Language: "en", Cues: []*Cue{
				cue(0, 4*sec, "one"), cue(2*sec, 5*sec, "two"), cue(6*sec, 7*sec, "three"), cue(5*sec, 6*sec, "four"),
			}},
			want: "overlap@2~1 out-of-order@4~3",
		},
		{
			name: "video end",
			track: &Track{Language: "en", Cues: []*Cue{
				cue(0, 2*sec, "fine"), cue(9*sec, 11*sec, "cut short"), cue(11*sec, 12*sec, "after the end"), cue(25*time.Hour, 26*time.Hour, "a day later"),
			}},
			opts:     ValidateOptions{VideoDuration: 10 * sec},
			want:     "ends-after-video-end@2 starts-after-video-end@3 starts-after-video-end@4",
			blocking: true,
		},
		{
			name:  "empty cues",
			track: &Track{Language: "en", Cues: []*Cue{cue(0, sec, ""), cue(sec, 2*sec, "<i> </i>\n")}},
			want:  "empty-cue@1 empty-cue@2",
		},
		{
			name: "broken markup",
			track: &Track{Language: "en", Cues: []*Cue{
				cue(0, sec, "<i>unclosed"), cue(sec, 2*sec, "a < b"), cue(2*sec, 3*sec, "<font>x</font>"),
				cue(3*sec, 4*sec, "<b>x</i></b>"), cue(4*sec, 5*sec, "<v Bob>voice may stay open"),
				cue(5*sec, 6*sec, "<ruby>漢<rt>kan</ruby>"), cue(6*sec, 7*sec, "ok &amp; <c.yellow>fine</c>"),
			}},
			want: "broken-markup@1 broken-markup@2 broken-markup@3 broken-markup@4",
		},
		{
			name: "reading speed, English and Korean",
			track: &Track{Language: "en", Cues: []*Cue{
				cue(0, sec, "Twenty-one characters"), // 21 > 20
				cue(sec, 2*sec, "Twenty characters ok"),
			}},
			want: "reading-speed@1(21>20)",
		},
		{
			name: "Korean counts half-width characters as half",
			track: &Track{Language: "ko-KR", Cues: []*Cue{
				cue(0, sec, "부산 시민 여러분 안녕하세요"),   // 13 syllables + 3 spaces = 14.5 > 12
				cue(sec, 2*sec, "부산에서 123 ABC!"), // 4 + 9 × 0.5 = 8.5
			}},
			want: "reading-speed@1(13.5>12)",
		},
		{
			name: "line width: Hangul counts two columns",
			track: &Track{Language: "ko", Cues: []*Cue{
				cue(0, 10*sec, "부산광역시와 블라디보스토크시의 자매결연"), // 19 syllables × 2 + 2 spaces = 40 > 32
				cue(10*sec, 20*sec, "Vladivostok and Busan, sister cities since 1992"),
			}},
			want: "line-too-long@1(40>32) line-too-long@2(47>32)",
		},
		{
			name: "line width: Cyrillic counts one column",
			track: &Track{Language: "ru", Cues: []*Cue{
				cue(0, 10*sec, "Дорогие жители Пусана, здравствуйте!"), // 36 ≤ 39
				cue(10*sec, 20*sec, "Владивосток и Пусан — города-побратимы с 1992 года"),
			}},
			want: "line-too-long@2(50>39)",
		},
		{
			name:  "too many lines",
			track: &Track{Language: "en", Cues: []*Cue{cue(0, 10*sec, "one\ntwo\nthree")}},
			want:  "too-many-lines@1(3>2)",
		},
		{
			name:  "options override the limits",
			track: &Track{Language: "en", Cues: []*Cue{cue(0, 10*sec, "one\ntwo\nthree")}},
			opts:  ValidateOptions{Limits: &LanguageLimits{MaxLines: 3, MaxLineWidth: 4, MaxCharsPerSecond: 1}},
			want:  "line-too-long@1(5>4) reading-speed@1(1.1>1)",
		},
		{
			name:  "options choose the language",
			track: &Track{Cues: []*Cue{cue(0, sec, "부산 시민 여러분 안녕하세요")}},
			opts:  ValidateOptions{Language: "ko"},
			want:  "reading-speed@1(13.5>12)",
		},
		{
			name:     "track-level problems",
			track:    &Track{Language: "not a language", Kind: "karaoke"},
			want:     "invalid-language@0 invalid-kind@0 no-cues@0",
			blocking: true,
		},
		{
			name:  "missing language is a warning",
			track: &Track{Cues: []*Cue{cue(0, sec, "x")}},
			want:  "missing-language@0",
		},
		{
			name:     "nil and negative cues",
			track:    &Track{Language: "en", Cues: []*Cue{nil, cue(-sec, sec, "x")}},
			want:     "invalid-cue@1 invalid-cue@2",
			blocking: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Validate(tt.track, tt.opts)
			if got := issueList(r); got != tt.want {
				t.Errorf("issues\n%s\nwant\n%s", got, tt.want)
			}
			if r.Blocking() != tt.blocking {
				t.Errorf("Blocking() = %v, want %v", r.Blocking(), tt.blocking)
			}
			for _, is := range r.Issues {
				if want := severities[is.Code]; is.Severity != want || want == "" {
					t.Errorf("%s has severity %q, want %q", is.Code, is.Severity, want)
				}
			}
		})
	}
}

func TestValidateReportsSourceLines(t *testing.T) {
	tracks := parseFixture(t, "busan.srt")
	r := Validate(tracks[0], ValidateOptions{Language: "en", VideoDuration: 15 * time.Second})
	if got := issueList(r); got != "too-many-lines@4(3>2) starts-after-video-end@6" {
		t.Fatalf("issues %s", got)
	}
	if r.Issues[0].Line != 14 || r.Issues[1].Line != 26 {
		t.Errorf("lines %d and %d, want 14 and 26", r.Issues[0].Line, r.Issues[1].Line)
	}
	if r.Count(SeverityError) != 1 || r.Count(SeverityWarning) != 1 {
		t.Errorf("counts %d errors, %d warnings", r.Count(SeverityError), r.Count(SeverityWarning))
	}
}

func TestDefaultLimits(t *testing.T) {
	tests := map[string]LanguageLimits{
		"ko":    {MaxCharsPerSecond: 12, MaxLineWidth: 32, MaxLines: 2, HalfWidthCountsHalf: true},
		"ko-KR": {MaxCharsPerSecond: 12, MaxLineWidth: 32, MaxLines: 2, HalfWidthCountsHalf: true},
		"ru":    {MaxCharsPerSecond: 17, MaxLineWidth: 39, MaxLines: 2},
		"en-GB": {MaxCharsPerSecond: 20, MaxLineWidth: 42, MaxLines: 2},
		"zh-Hans": {
			MaxCharsPerSecond: 9, MaxLineWidth: 32, MaxLines: 2, HalfWidthCountsHalf: true,
		},
		"fr":      otherLanguageLimits,
		"":        otherLanguageLimits,
		"garbage": otherLanguageLimits,
	}
	for lang, want := range tests {
		if got := DefaultLimits(lang); got != want {
			t.Errorf("DefaultLimits(%q) = %+v, want %+v", lang, got, want)
		}
	}
}

func TestMeasureLine(t *testing.T) {
	tests := []struct {
		line    string
		half    bool
		columns int
		chars   float64
	}{
		{"Busan", false, 5, 5},
		{"부산", false, 4, 2},
		{"부산 Busan", true, 10, 5},
		{"Пусан", false, 5, 5},
		{"釜山ＢＵＳＡＮ", true, 14, 7},
		{"e\u0301\u200d", false, 1, 1}, // combining accent and zero-width joiner take no room
	}
	for _, tt := range tests {
		columns, chars := measureLine(tt.line, tt.half)
		if columns != tt.columns || chars != tt.chars {
			t.Errorf("measureLine(%q, %v) = %d, %g; want %d, %g", tt.line, tt.half, columns, chars, tt.columns, tt.chars)
		}
	}
}
