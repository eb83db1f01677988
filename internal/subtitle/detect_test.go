package subtitle

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/korean"
	xunicode "golang.org/x/text/encoding/unicode"
)

func TestDetect(t *testing.T) {
	srt := "1\n00:00:01,000 --> 00:00:02,000\nx\n"
	tests := []struct {
		name string
		head string
		want Format
	}{
		{"a.vtt", "WEBVTT\n\n00:00.000 --> 00:01.000\nx\n", FormatWebVTT},
		{"WebVTT saved as .srt", "\uFEFFWEBVTT - title\n", FormatWebVTT},
		{"a.srt", srt, FormatSRT},
		{"SRT saved as .txt", srt, FormatSRT},
		{"SRT with dots and no number.vtt", "00:00:01.000 --> 00:00:02.000\nx\n", FormatSRT},
		{"a.smi", "<SAMI>\n<HEAD>", FormatSAMI},
		{"SAMI without SAMI tag.txt", "<BODY>\n<SYNC Start=0><P>x", FormatSAMI},
		{"a.xml", `<?xml version="1.0"?><!-- c --><tt xmlns="http://www.w3.org/ns/ttml">`, FormatTTML},
		{"prefixed.dfxp", `<tt:tt xmlns:tt="http://www.w3.org/ns/ttml">`, FormatTTML},
		{"a.ass", "[Script Info]\nTitle: x\n", FormatASS},
		{"events only.txt", "[Events]\nFormat: Layer, Start, End, Style, Text\n", FormatASS},
		{"a.sbv", "0:00:01.000,0:00:02.000\nx\n", FormatSBV},
		{"empty.srt", "", FormatSRT},
		{"empty.SMI", "", FormatSAMI},
		{"C:\\Users\\x\\empty.Ttml", "", FormatTTML},
		{"unknown.txt", "just text", FormatUnknown},
		{"html.xml", "<html><body>", FormatTTML}, // the extension decides; parsing then refuses it
		{"WEBVTTX.txt", "WEBVTTX\n", FormatUnknown},
	}
	for _, tt := range tests {
		if got := Detect(tt.name, []byte(tt.head)); got != tt.want {
			t.Errorf("Detect(%q, %q) = %q, want %q", tt.name, tt.head, got, tt.want)
		}
	}
	utf16 := mustEncode(t, xunicode.UTF16(xunicode.LittleEndian, xunicode.UseBOM), "<SAMI><BODY><SYNC Start=0>x")
	if got := Detect("x.txt", utf16); got != FormatSAMI {
		t.Errorf("UTF-16 SAMI: %q", got)
	}
	cp949 := mustEncode(t, korean.EUCKR, "<SAMI><BODY><SYNC Start=0><P Class=KRCC>"+koreanGreeting)
	if got := Detect("x.txt", cp949); got != FormatSAMI {
		t.Errorf("CP949 SAMI: %q", got)
	}
}

func TestParse(t *testing.T) {
	// Language from the file name when the file does not say; the file's own wins.
	tracks, info, err := Parse("message.ko-kr.srt", []byte("1\n00:00:01,000 --> 00:00:02,000\n안녕\n"), EncodingAuto)
	if err != nil || tracks[0].Language != "ko-KR" || info.Format != FormatSRT || info.Encoding != UTF8 {
		t.Errorf("got %+v %+v %v", tracks, info, err)
	}
	tracks, _, err = Parse("message.en.vtt", []byte("WEBVTT\nKind: captions\nLanguage: ru\n\n00:00.000 --> 00:01.000\nx\n"), EncodingAuto)
	if err != nil || tracks[0].Language != "ru" || tracks[0].Kind != KindCaptions {
		t.Errorf("WebVTT header: %+v %v", tracks, err)
	}
	for _, name := range []string{"message.final.srt", "message.srt", "ko.srt", "message.eng.srt", "message.k1.srt"} {
		tracks, _, err := Parse(name, []byte("00:00:01,000 --> 00:00:02,000\nx\n"), EncodingAuto)
		if err != nil || tracks[0].Language != "" {
			t.Errorf("%s: language %q, %v; want none", name, tracks[0].Language, err)
		}
	}

	// The user overrides a wrong guess.
	data := mustEncode(t, charmap.KOI8R, "1\n00:00:01,000 --> 00:00:02,000\n"+russianGreeting+"\n")
	tracks, info, err = Parse("x.srt", data, KOI8R)
	if err != nil || info.Encoding != KOI8R || tracks[0].Cues[0].Text != russianGreeting {
		t.Errorf("override: %+v %v", info, err)
	}

	if _, _, err := Parse("notes.txt", []byte("hello"), EncodingAuto); !errors.Is(err, &Error{Code: CodeUnknownFormat}) {
		t.Errorf("unknown format: %v", err)
	}
	if _, _, err := Parse("x.srt", []byte("x"), Encoding("utf-7")); !errors.Is(err, &Error{Code: CodeUnknownEncoding}) {
		t.Errorf("unknown encoding: %v", err)
	}
	if _, _, err := ParseFormat(Format("stl"), []byte("x"), EncodingAuto); !errors.Is(err, &Error{Code: CodeUnknownFormat}) {
		t.Errorf("unknown format: %v", err)
	}
	if _, _, err := Parse("x.vtt", []byte("not webvtt"), EncodingAuto); !errors.Is(err, ErrBadSignature) {
		t.Errorf("bad WebVTT: %v", err)
	}
}

func TestParseTooLarge(t *testing.T) {
	big := make([]byte, DefaultMaxInputSize+1)
	copy(big, "WEBVTT\n\n")
	if _, _, err := Parse("big.vtt", big, EncodingAuto); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Parse: %v", err)
	}
	if _, _, err := ParseFormat(FormatSRT, big, EncodingAuto); !errors.Is(err, ErrTooLarge) {
		t.Errorf("ParseFormat: %v", err)
	}
	// The readers stop one byte past the limit. All of them read through parseReader, so one
	// endless reader covers them.
	r := &countingReader{r: untouchedReader{}}
	if _, err := ParseSAMI(r); !errors.Is(err, ErrTooLarge) || r.n > DefaultMaxInputSize+1 {
		t.Errorf("ParseSAMI: %v after %d bytes", err, r.n)
	}
}

func TestKindAndLanguage(t *testing.T) {
	var tr Track
	if err := tr.SetLanguage("ko-kr"); err != nil || tr.Language != "ko-KR" {
		t.Errorf("SetLanguage(ko-kr): %q %v", tr.Language, err)
	}
	if err := tr.SetLanguage("not a tag"); !errors.Is(err, &Error{Code: CodeInvalidLanguage}) || tr.Language != "ko-KR" {
		t.Errorf("SetLanguage(bad): %q %v", tr.Language, err)
	}
	if err := tr.SetLanguage(""); err != nil || tr.Language != "" {
		t.Errorf("SetLanguage(\"\"): %q %v", tr.Language, err)
	}
	for _, k := range []Kind{"", KindSubtitles, KindCaptions, KindDescriptions, KindChapters} {
		if !k.Valid() {
			t.Errorf("%q not valid", k)
		}
	}
	if Kind("metadata").Valid() || Kind("Subtitles").Valid() {
		t.Error("unknown kinds are valid")
	}
	if !strings.EqualFold(string(KindCaptions), "captions") {
		t.Error("kind keywords must be those of <track>")
	}
}

// untouchedReader is an endless reader that leaves the buffer as it is (io.ReadAll hands it
// fresh, zeroed memory), which keeps a 100 MiB read fast under the race detector.
type untouchedReader struct{}

func (untouchedReader) Read(p []byte) (int, error) { return len(p), nil }
