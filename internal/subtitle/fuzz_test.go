package subtitle

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseWebVTT checks that no input makes the parser panic, that every rejection is an
// *Error, and that every track that loads writes out to a file that parses back to it.
func FuzzParseWebVTT(f *testing.F) {
	vtts, _ := filepath.Glob(filepath.Join(mustConformanceDir(f, "cases"), "*.vtt"))
	vtts = append(vtts, filepath.Join("testdata", "sample.vtt"))
	for _, path := range vtts {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, cases := range loadCueTextCases(f) {
		for _, c := range cases {
			f.Add([]byte(cueTextFile(c.Input)))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkRoundTrip(t, data)
	})
}

// FuzzCueText checks that the cue text parser takes any string, and that the sanitised text is
// safe, stable, and parses to the same text content.
func FuzzCueText(f *testing.F) {
	for _, cases := range loadCueTextCases(f) {
		for _, c := range cases {
			f.Add(c.Input)
		}
	}
	sample, err := os.ReadFile(filepath.Join("testdata", "sample.vtt"))
	if err != nil {
		f.Fatal(err)
	}
	for _, part := range bytes.Split(sample, []byte("\n\n")) {
		f.Add(string(part))
	}
	f.Fuzz(func(t *testing.T, text string) {
		root := ParseCueText(text)
		_ = root.Dump()
		clean := SerializeCueText(root)
		checkSafeCueText(t, clean)
		if again := SanitizeCueText(clean); again != clean {
			t.Fatalf("sanitising is not stable:\n%q\n%q", clean, again)
		}
		if got, want := plainText(ParseCueText(clean)), plainText(root); got != want {
			t.Fatalf("text content changed:\n%q\n%q", got, want)
		}
	})
}

// plainText concatenates the text of a tree, with NUL as the serialiser writes it.
func plainText(n *CueNode) string {
	if n.Kind == NodeText {
		return string(bytes.ReplaceAll([]byte(n.Text), []byte{0}, []byte("\uFFFD")))
	}
	var b bytes.Buffer
	for _, c := range n.Children {
		b.WriteString(plainText(c))
	}
	return b.String()
}
