package subtitle

import (
	"errors"
	"testing"
)

func TestSAMIInstantText(t *testing.T) {
	input := "<SAMI><BODY>\n<SYNC Start=1000><P Class=ENCC>flash\n<SYNC Start=1000><P Class=ENCC>&nbsp;\n" +
		"<SYNC Start=2000><P Class=ENCC>kept\n<SYNC Start=3000><P Class=ENCC>&nbsp;\n</BODY></SAMI>"
	tracks, info, err := ParseFormat(FormatSAMI, []byte(input), EncodingAuto)
	if err != nil {
		t.Fatal(err)
	}
	checkCues(t, tracks[0], []wantCue{{2000 * ms, 3000 * ms, "kept", 4}})
	if !hasWarning(info, CodeInstantCue, 2) {
		t.Errorf("warnings %v, want %s at line 2", info.Warnings, CodeInstantCue)
	}
	// Cleared first, then shown at the same time: the text shows.
	input = "<SAMI><BODY>\n<SYNC Start=1000><P Class=ENCC>&nbsp;\n<SYNC Start=1000><P Class=ENCC>shown\n" +
		"<SYNC Start=2000><P Class=ENCC>&nbsp;\n</BODY></SAMI>"
	tracks, info, err = ParseFormat(FormatSAMI, []byte(input), EncodingAuto)
	if err != nil {
		t.Fatal(err)
	}
	checkCues(t, tracks[0], []wantCue{{1000 * ms, 2000 * ms, "shown", 3}})
	if len(info.Warnings) != 0 {
		t.Errorf("warnings %v", info.Warnings)
	}
}

func TestSAMIOutOfOrderSyncsWarn(t *testing.T) {
	input := "<SAMI><BODY>\n<SYNC Start=3000><P Class=ENCC>third\n<SYNC Start=1000><P Class=ENCC>first\n" +
		"<SYNC Start=4000><P Class=ENCC>&nbsp;\n"
	tracks, info, err := ParseFormat(FormatSAMI, []byte(input), EncodingAuto)
	if err != nil {
		t.Fatal(err)
	}
	checkCues(t, tracks[0], []wantCue{{1000 * ms, 3000 * ms, "first", 3}, {3000 * ms, 4000 * ms, "third", 2}})
	if !hasWarning(info, CodeUnsortedTimes, 3) {
		t.Errorf("warnings %v, want %s at line 3", info.Warnings, CodeUnsortedTimes)
	}
}

func TestSAMIParagraphLanguage(t *testing.T) {
	input := "<SAMI><BODY>\n<SYNC Start=1000><P lang=\"en-US\">Hello\n<SYNC Start=2000><P>&nbsp;\n</BODY></SAMI>"
	tracks, _, err := ParseFormat(FormatSAMI, []byte(input), EncodingAuto)
	if err != nil {
		t.Fatal(err)
	}
	if tracks[0].Language != "en-US" {
		t.Errorf("language %q, want en-US", tracks[0].Language)
	}
}

func TestTTMLUntimedParagraph(t *testing.T) {
	untimed := `<tt xmlns="http://www.w3.org/ns/ttml" xml:lang="en">
<body><div>
<p>no timing at all</p>
</div></body></tt>`
	_, _, err := ParseFormat(FormatTTML, []byte(untimed), EncodingAuto)
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeNoCues || e.Line != 3 {
		t.Fatalf("got %v, want %s at line 3", err, CodeNoCues)
	}

	mixed := `<tt xmlns="http://www.w3.org/ns/ttml" xml:lang="en">
<body><div>
<p begin="1s" end="2s">timed</p>
<p>untimed</p>
</div></body></tt>`
	tracks, info, err := ParseFormat(FormatTTML, []byte(mixed), EncodingAuto)
	if err != nil {
		t.Fatal(err)
	}
	checkCues(t, tracks[0], []wantCue{{1000 * ms, 2000 * ms, "timed", 3}})
	if !hasWarning(info, CodeBadTiming, 4) {
		t.Errorf("warnings %v, want %s at line 4", info.Warnings, CodeBadTiming)
	}
}
