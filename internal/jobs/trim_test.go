package jobs

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTrimKeepsHeadAndTailWithinLimit(t *testing.T) {
	short := "부산 → 블라디보스토크"
	if got := trim(short, maxError); got != short {
		t.Errorf("short message changed: %q", got)
	}
	// Hangul and Cyrillic are 3 and 2 bytes a rune: a byte cut would split them.
	long := "ffmpeg: 부산" + strings.Repeat("가나다 Владивосток ", 400) + "конец"
	got := trim(long, maxError)
	if len(got) > maxError || !utf8.ValidString(got) {
		t.Errorf("trimmed to %d bytes, valid UTF-8 %v", len(got), utf8.ValidString(got))
	}
	if !strings.HasPrefix(got, "ffmpeg: 부산") || !strings.HasSuffix(got, "конец") || !strings.Contains(got, "\n…\n") {
		t.Errorf("trimmed = %.40q … %.40q", got, got[len(got)-40:])
	}
}
