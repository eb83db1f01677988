package subtitle

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// benchmarkFile generates a WebVTT file of n cues with ids, settings and some markup, about the
// shape of a feature film's subtitles times twenty.
func benchmarkFile(n int) []byte {
	var b bytes.Buffer
	b.WriteString("WEBVTT\nKind: subtitles\n\nREGION\nid:bottom width:80% lines:3\n\n")
	for i := range n {
		start := time.Duration(i) * 2 * time.Second
		fmt.Fprintf(&b, "%d\n%s --> %s", i+1, formatTimestamp(start), formatTimestamp(start+1500*time.Millisecond))
		switch i % 3 {
		case 0:
			b.WriteString(" region:bottom")
		case 1:
			b.WriteString(" line:-2 position:50%,center size:80% align:start")
		}
		fmt.Fprintf(&b, "\n<v Speaker %d>Line one of cue %d &amp; more</v>\n<i>second</i> line\n\n", i%7, i)
	}
	return b.Bytes()
}

func BenchmarkParseWebVTT(b *testing.B) {
	data := benchmarkFile(20_000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		track, err := ParseWebVTT(bytes.NewReader(data))
		if err != nil || len(track.Cues) != 20_000 {
			b.Fatalf("%v, %d cues", err, len(track.Cues))
		}
	}
}

func BenchmarkWriteWebVTT(b *testing.B) {
	data := benchmarkFile(20_000)
	track, err := ParseWebVTT(bytes.NewReader(data))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteWebVTT(io.Discard, track); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSanitizeCueText(b *testing.B) {
	text := strings.Repeat("<v Mayor>Hello &amp; welcome, <i>friends</i> from <lang ru>Владивосток</lang>!</v>\n", 4)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		SanitizeCueText(text)
	}
}
