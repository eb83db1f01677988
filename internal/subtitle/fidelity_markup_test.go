package subtitle

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestRubyInsideFont(t *testing.T) {
	input := "<SAMI><BODY><SYNC Start=1000><P Class=KRCC>" +
		`<ruby><font color="#FFFF00">base<rt>note</rt></ruby></font>` +
		"<SYNC Start=2000><P Class=KRCC>&nbsp;</BODY></SAMI>"
	tracks, _, err := ParseFormat(FormatSAMI, []byte(input), EncodingAuto)
	if err != nil {
		t.Fatal(err)
	}
	text := tracks[0].Cues[0].Text
	if !strings.Contains(text, "<rt>note</rt>") {
		t.Errorf("cue text %q keeps no <rt>note</rt>", text)
	}
	if got := ParseCueText(text).PlainText(); got != "base(note)" {
		t.Errorf("plain text %q, want %q", got, "base(note)")
	}
}

// deepCueText nests n spans around a word.
func deepCueText(n int) string {
	return strings.Repeat("<b>", n) + "deep" + strings.Repeat("</b>", n)
}

func TestDeepNestingKeepsText(t *testing.T) {
	for _, depth := range []int{maxCueTextDepth - 1, maxCueTextDepth, maxCueTextDepth + 1, 2 * maxCueTextDepth} {
		c := NewCue()
		c.Start, c.End = time.Second, 3*time.Second
		c.Text = deepCueText(depth)
		if got := ParseCueText(c.Text).PlainText(); got != "deep" {
			t.Errorf("depth %d: plain text %q", depth, got)
		}
		// Built by hand, deeper than any parser builds: the walkers still find the text.
		root := &CueNode{Kind: NodeRoot}
		n := root
		for range depth {
			child := &CueNode{Kind: NodeItalic}
			n.Children = append(n.Children, child)
			n = child
		}
		n.Children = append(n.Children, &CueNode{Kind: NodeText, Text: "deep"})
		if got := root.PlainText(); got != "deep" {
			t.Errorf("depth %d, built by hand: plain text %q", depth, got)
		}
		if got := ParseCueText(SerializeCueText(root)).PlainText(); got != "deep" {
			t.Errorf("depth %d, built by hand: serialised to %.100q", depth, SerializeCueText(root))
		}

		rep := Validate(&Track{Language: "en", Cues: []*Cue{c}}, ValidateOptions{})
		for _, is := range rep.Issues {
			if is.Code == CodeEmptyCue {
				t.Errorf("depth %d: Validate says the cue is empty", depth)
			}
		}
		track := &Track{Language: "en", Cues: []*Cue{c}}
		for name, write := range map[string]func(*bytes.Buffer) error{
			"srt":    func(b *bytes.Buffer) error { return WriteSRT(b, track) },
			"sbv":    func(b *bytes.Buffer) error { return WriteSBV(b, track) },
			"ttml":   func(b *bytes.Buffer) error { return WriteTTML(b, track) },
			"webvtt": func(b *bytes.Buffer) error { return WriteWebVTT(b, track) },
		} {
			var out bytes.Buffer
			if err := write(&out); err != nil {
				t.Fatalf("depth %d, %s: %v", depth, name, err)
			}
			if !strings.Contains(out.String(), "deep") {
				t.Errorf("depth %d: the %s export lost the text:\n%.300s", depth, name, out.String())
			}
		}
	}
}
