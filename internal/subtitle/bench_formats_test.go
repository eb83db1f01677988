package subtitle

import (
	"bytes"
	"fmt"
	"io"
	"testing"
	"time"

	"golang.org/x/text/encoding/korean"
)

const benchCues = 20_000

// benchmarkSRT generates an SRT file of n cues with some markup, as a long film's subtitles.
func benchmarkSRT(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		start := time.Duration(i) * 2 * time.Second
		fmt.Fprintf(&b, "%d\r\n%s --> %s\r\n<i>Line one of cue %d</i> &amp; more\r\nДорогие жители Пусана, line two\r\n\r\n",
			i+1, formatSRTTime(start), formatSRTTime(start+1500*time.Millisecond), i)
	}
	return b.Bytes()
}

// benchmarkSAMI generates a two-language SAMI file of n SYNCs per language.
func benchmarkSAMI(n int) []byte {
	var b bytes.Buffer
	b.WriteString("<SAMI>\r\n<HEAD>\r\n<STYLE TYPE=\"text/css\">\r\n<!--\r\n" +
		".KRCC { Name:한국어; lang:ko-KR; }\r\n.ENCC { Name:English; lang:en-US; }\r\n-->\r\n</STYLE>\r\n</HEAD>\r\n<BODY>\r\n")
	for i := range n {
		ms := i * 2000
		fmt.Fprintf(&b, "<SYNC Start=%d><P Class=KRCC>%s <font color=yellow>%d</font><br>부산에서 응원합니다\r\n", ms, koreanGreeting, i)
		fmt.Fprintf(&b, "<SYNC Start=%d><P Class=ENCC>Greetings from <i>Busan</i>, cue %d\r\n", ms, i)
		fmt.Fprintf(&b, "<SYNC Start=%d><P Class=KRCC>&nbsp;\r\n<SYNC Start=%d><P Class=ENCC>&nbsp;\r\n", ms+1500, ms+1500)
	}
	b.WriteString("</BODY>\r\n</SAMI>\r\n")
	return b.Bytes()
}

func benchmarkParse(b *testing.B, f Format, data []byte, wantCues int) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		tracks, _, err := ParseFormat(f, data, EncodingAuto)
		if err != nil || len(tracks[0].Cues) != wantCues {
			b.Fatalf("%v, %d cues", err, len(tracks[0].Cues))
		}
	}
}

func BenchmarkParseSRT(b *testing.B) {
	benchmarkParse(b, FormatSRT, benchmarkSRT(benchCues), benchCues)
}

func BenchmarkParseSAMI(b *testing.B) {
	benchmarkParse(b, FormatSAMI, benchmarkSAMI(benchCues), benchCues)
}

// BenchmarkParseSAMICP949 adds encoding detection and CP949 decoding.
func BenchmarkParseSAMICP949(b *testing.B) {
	data, err := korean.EUCKR.NewEncoder().Bytes(benchmarkSAMI(benchCues))
	if err != nil {
		b.Fatal(err)
	}
	benchmarkParse(b, FormatSAMI, data, benchCues)
}

func BenchmarkParseTTML(b *testing.B) {
	track, _, err := ParseFormat(FormatSRT, benchmarkSRT(benchCues), EncodingAuto)
	if err != nil {
		b.Fatal(err)
	}
	var ttml bytes.Buffer
	if err := WriteTTML(&ttml, track[0]); err != nil {
		b.Fatal(err)
	}
	benchmarkParse(b, FormatTTML, ttml.Bytes(), benchCues)
}

func BenchmarkWriteSRT(b *testing.B) {
	tracks, _, err := ParseFormat(FormatSRT, benchmarkSRT(benchCues), EncodingAuto)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteSRT(io.Discard, tracks[0]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidate(b *testing.B) {
	tracks, _, err := ParseFormat(FormatSAMI, benchmarkSAMI(benchCues), EncodingAuto)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		Validate(tracks[0], ValidateOptions{VideoDuration: time.Hour})
	}
}
