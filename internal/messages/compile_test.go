package messages

import (
	"strings"
	"testing"
	"time"

	"sistercity/internal/i18n"
)

// TestCardText: a message's name card names its sender and city once in each card language,
// "Anonymous" in that language when the sender gave no name.
func TestCardText(t *testing.T) {
	t.Parallel()
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	deps := CompileDeps{CardLangs: []string{"ko", "ru"},
		Text: func(lang, key string, args ...any) string { return cat.Localizer(lang).T(key, args...) }}
	got := cardText(deps, &Message{Name: "Мария", City: "Владивосток"})
	if want := "Мария, Владивосток의 메시지\nПослание: Мария, Владивосток"; got != want {
		t.Errorf("card %q, want %q", got, want)
	}
	lines := strings.Split(cardText(deps, &Message{}), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], cat.Localizer("ko").T("messages.anonymous")) ||
		!strings.Contains(lines[1], cat.Localizer("ru").T("messages.anonymous")) {
		t.Errorf("anonymous card %q", lines)
	}
}

// TestNormalizeArgs: each part is brought to the compilation's size, 25 fps and -16 LUFS,
// with its name card drawn from its file when it has one, silence added when it has no sound,
// and no metadata of the sender's file kept.
func TestNormalizeArgs(t *testing.T) {
	t.Parallel()
	with := strings.Join(NormalizeArgs("in.mp4", "/tmp/card.txt", "out.mp4", true, 2*time.Second, 1280, 720), " ")
	for _, part := range []string{"scale=1280:720:force_original_aspect_ratio=decrease", "pad=1280:720", "fps=25",
		"drawtext=", "textfile='/tmp/card.txt'", "[0:a:0]loudnorm=I=-16:TP=-1.5:LRA=11", "-map_metadata -1"} {
		if !strings.Contains(with, part) {
			t.Errorf("arguments lack %q:\n%s", part, with)
		}
	}
	without := strings.Join(NormalizeArgs("in.mp4", "", "out.mp4", false, 2*time.Second, 1280, 720), " ")
	if strings.Contains(without, "drawtext") || !strings.Contains(without, "-t 2.000 -i anullsrc") || !strings.Contains(without, "[1:a]loudnorm") {
		t.Errorf("arguments of a silent part without a card:\n%s", without)
	}
}
