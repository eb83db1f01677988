package subtitle

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/korean"
	xunicode "golang.org/x/text/encoding/unicode"
)

// The texts of the story, in the files real partners send: a Korean SAMI file from Busan saved
// by a Korean Windows tool (CP949), Russian SRT files from Vladivostok in Windows-1251 and in the
// older KOI8-R.
const (
	koreanGreeting  = "안녕하세요, 블라디보스토크 시민 여러분"
	russianGreeting = "Дорогие жители Пусана"
)

func koreanSAMI() string {
	return "<SAMI>\r\n<HEAD>\r\n<STYLE TYPE=\"text/css\">\r\n<!--\r\n" +
		".KRCC { Name:한국어; lang:ko-KR; SAMIType:CC; }\r\n-->\r\n</STYLE>\r\n</HEAD>\r\n<BODY>\r\n" +
		"<SYNC Start=1000><P Class=KRCC>" + koreanGreeting + "\r\n" +
		"<SYNC Start=4000><P Class=KRCC>&nbsp;\r\n" +
		"<SYNC Start=4500><P Class=KRCC>부산에서 응원합니다<br>힘내세요!\r\n" +
		"<SYNC Start=8000><P Class=KRCC>&nbsp;\r\n</BODY>\r\n</SAMI>\r\n"
}

func russianSRT() string {
	return "1\r\n00:00:01,000 --> 00:00:04,000\r\n" + russianGreeting + "!\r\n\r\n" +
		"2\r\n00:00:04,500 --> 00:00:07,000\r\nМы вместе с вами.\r\nСпасибо врачам и медсёстрам.\r\n\r\n"
}

func mustEncode(t testing.TB, enc encoding.Encoding, s string) []byte {
	t.Helper()
	out, err := enc.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encoding test text: %v", err)
	}
	return out
}

func TestDetectAndDecode(t *testing.T) {
	utf16le := xunicode.UTF16(xunicode.LittleEndian, xunicode.IgnoreBOM)
	utf16be := xunicode.UTF16(xunicode.BigEndian, xunicode.IgnoreBOM)
	french := "1\n00:00:01,000 --> 00:00:02,000\nChers habitants de Busan, à bientôt à l'été !\n"
	tests := []struct {
		name string
		data []byte
		want Encoding
		text string
	}{
		{"CP949 SAMI", mustEncode(t, korean.EUCKR, koreanSAMI()), CP949, koreanSAMI()},
		{"Windows-1251 SRT", mustEncode(t, charmap.Windows1251, russianSRT()), Windows1251, russianSRT()},
		{"KOI8-R SRT", mustEncode(t, charmap.KOI8R, russianSRT()), KOI8R, russianSRT()},
		{"Windows-1252 French", mustEncode(t, charmap.Windows1252, french), Windows1252, french},
		{"UTF-8", []byte(russianSRT()), UTF8, russianSRT()},
		{"UTF-8 with BOM", append([]byte("\xEF\xBB\xBF"), koreanSAMI()...), UTF8, koreanSAMI()},
		{"ASCII", []byte("1\n00:00:01,000 --> 00:00:02,000\nhi\n"), UTF8, "1\n00:00:01,000 --> 00:00:02,000\nhi\n"},
		{"UTF-16LE with BOM", append([]byte{0xFF, 0xFE}, mustEncode(t, utf16le, koreanSAMI())...), UTF16LE, koreanSAMI()},
		{"UTF-16BE with BOM", append([]byte{0xFE, 0xFF}, mustEncode(t, utf16be, russianSRT())...), UTF16BE, russianSRT()},
		{"UTF-16LE without BOM", mustEncode(t, utf16le, koreanSAMI()), UTF16LE, koreanSAMI()},
		{"UTF-16BE without BOM", mustEncode(t, utf16be, russianSRT()), UTF16BE, russianSRT()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DetectEncoding(tt.data); got != tt.want {
				t.Errorf("DetectEncoding = %q, want %q", got, tt.want)
			}
			got, err := Decode(tt.data, EncodingAuto)
			if err != nil {
				t.Fatal(err)
			}
			// Decode turns CRLF into LF.
			if want := strings.ReplaceAll(tt.text, "\r\n", "\n"); got != want {
				t.Errorf("Decode =\n%q\nwant\n%q", got, want)
			}
		})
	}
}

// TestParseLegacyEncodedFiles parses the story's files end to end, with the encoding detected.
func TestParseLegacyEncodedFiles(t *testing.T) {
	tracks, info, err := Parse("busan.smi", mustEncode(t, korean.EUCKR, koreanSAMI()), EncodingAuto)
	if err != nil {
		t.Fatal(err)
	}
	if info.Format != FormatSAMI || info.Encoding != CP949 || len(info.Warnings) != 0 {
		t.Errorf("info = %+v, want SAMI in CP949 without warnings", info)
	}
	if len(tracks) != 1 || tracks[0].Language != "ko-KR" || tracks[0].Label != "한국어" {
		t.Fatalf("tracks = %+v, want one ko-KR track labelled 한국어", tracks)
	}
	if got := cueTexts(tracks[0]); got != koreanGreeting+"|부산에서 응원합니다\n힘내세요!" {
		t.Errorf("cue texts %q", got)
	}

	for _, enc := range []struct {
		name string
		enc  encoding.Encoding
		want Encoding
	}{{"cp1251", charmap.Windows1251, Windows1251}, {"koi8-r", charmap.KOI8R, KOI8R}} {
		tracks, info, err := Parse("pusan.ru.srt", mustEncode(t, enc.enc, russianSRT()), EncodingAuto)
		if err != nil {
			t.Fatal(err)
		}
		if info.Encoding != enc.want {
			t.Errorf("%s: detected %q", enc.name, info.Encoding)
		}
		if got := cueTexts(tracks[0]); got != russianGreeting+"!|Мы вместе с вами.\nСпасибо врачам и медсёстрам." {
			t.Errorf("%s: cue texts %q", enc.name, got)
		}
		if tracks[0].Language != "ru" {
			t.Errorf("%s: language %q, want ru from the file name", enc.name, tracks[0].Language)
		}
	}
}

func cueTexts(t *Track) string {
	var texts []string
	for _, c := range t.Cues {
		texts = append(texts, c.Text)
	}
	return strings.Join(texts, "|")
}

// TestDecodeOverride: the user can correct a wrong guess by naming the encoding.
func TestDecodeOverride(t *testing.T) {
	data := mustEncode(t, charmap.Windows1251, russianGreeting)
	asKOI8, err := Decode(data, KOI8R)
	if err != nil {
		t.Fatal(err)
	}
	if asKOI8 == russianGreeting {
		t.Fatal("decoding as KOI8-R gave the Windows-1251 text")
	}
	for _, name := range []string{"windows-1251", "CP1251", " cp1251 ", "x-cp1251"} {
		enc, err := ParseEncoding(name)
		if err != nil {
			t.Fatalf("ParseEncoding(%q): %v", name, err)
		}
		got, err := Decode(data, enc)
		if err != nil || got != russianGreeting {
			t.Errorf("Decode(%q) = %q, %v", name, got, err)
		}
	}
	names := map[string]Encoding{
		"cp949": CP949, "EUC-KR": CP949, "ks_c_5601-1987": CP949, "koi8-r": KOI8R, "utf-8": UTF8,
		"UTF8": UTF8, "utf-16le": UTF16LE, "utf-16be": UTF16BE, "latin1": Windows1252, "": EncodingAuto, "auto": EncodingAuto,
	}
	for name, want := range names {
		if got, err := ParseEncoding(name); err != nil || got != want {
			t.Errorf("ParseEncoding(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
	if _, err := ParseEncoding("shift_jis"); !errors.Is(err, &Error{Code: CodeUnknownEncoding}) {
		t.Errorf("unknown name: %v", err)
	}
	if _, err := Decode(data, Encoding("ebcdic")); !errors.Is(err, &Error{Code: CodeUnknownEncoding}) {
		t.Errorf("Decode with an unknown encoding: %v", err)
	}
	// Forcing UTF-16LE on a big-endian file with a BOM: the BOM wins, as in browsers.
	be := append([]byte{0xFE, 0xFF}, mustEncode(t, xunicode.UTF16(xunicode.BigEndian, xunicode.IgnoreBOM), "가나")...)
	if got, _ := Decode(be, UTF16LE); got != "가나" {
		t.Errorf("BOM did not win: %q", got)
	}
}

// TestDecodeMixedEncodings: a CP949 file with UTF-8 lines pasted in (and the other way round)
// is decoded line by line, with a warning naming the first odd line.
func TestDecodeMixedEncodings(t *testing.T) {
	cp949Part := mustEncode(t, korean.EUCKR, "1\n00:00:01,000 --> 00:00:02,000\n"+koreanGreeting+"\n\n")
	utf8Part := []byte("2\n00:00:03,000 --> 00:00:04,000\n부산에서 응원합니다\n")
	data := append(append([]byte{}, cp949Part...), utf8Part...)
	tracks, info, err := Parse("mixed.srt", data, EncodingAuto)
	if err != nil {
		t.Fatal(err)
	}
	if info.Encoding != CP949 {
		t.Errorf("encoding %q, want the majority, cp949", info.Encoding)
	}
	if !hasWarning(info, CodeMixedEncoding, 7) {
		t.Errorf("warnings %v, want %s at line 7", info.Warnings, CodeMixedEncoding)
	}
	if got := cueTexts(tracks[0]); got != koreanGreeting+"|부산에서 응원합니다" {
		t.Errorf("cue texts %q", got)
	}

	// Mostly UTF-8 with one Windows-1251 line.
	data = []byte("1\n00:00:01,000 --> 00:00:02,000\nПривет\n\n2\n00:00:03,000 --> 00:00:04,000\nЕщё раз привет\n\n3\n00:00:05,000 --> 00:00:06,000\n")
	data = append(data, mustEncode(t, charmap.Windows1251, "Дорогие жители\n")...)
	tracks, info, err = Parse("mixed.srt", data, EncodingAuto)
	if err != nil {
		t.Fatal(err)
	}
	if info.Encoding != UTF8 || !hasWarning(info, CodeMixedEncoding, 11) {
		t.Errorf("info %+v, want utf-8 with %s at line 11", info, CodeMixedEncoding)
	}
	if got := cueTexts(tracks[0]); got != "Привет|Ещё раз привет|Дорогие жители" {
		t.Errorf("cue texts %q", got)
	}
}

// TestDecodeCP949LinesThatLookLikeUTF8: about one Hangul syllable in ten in CP949 is also a
// valid two-byte UTF-8 sequence; a line of them must not be taken for UTF-8.
func TestDecodeCP949LinesThatLookLikeUTF8(t *testing.T) {
	// 호 is C8 A3 in CP949, which is also U+0223 in UTF-8.
	data := mustEncode(t, korean.EUCKR, "1\n00:00:01,000 --> 00:00:02,000\n"+koreanGreeting+"\n\n2\n00:00:03,000 --> 00:00:04,000\n호\n")
	if !strings.Contains(string(data), "\xC8\xA3") {
		t.Fatal("test premise: 호 should encode as C8 A3")
	}
	tracks, info, err := Parse("x.srt", data, EncodingAuto)
	if err != nil {
		t.Fatal(err)
	}
	if info.Encoding != CP949 || hasWarning(info, CodeMixedEncoding, 0) {
		t.Errorf("info %+v: want plain cp949", info)
	}
	if got := cueTexts(tracks[0]); got != koreanGreeting+"|호" {
		t.Errorf("cue texts %q", got)
	}
}

func hasWarning(info DetectedInfo, code Code, line int) bool {
	for _, w := range info.Warnings {
		if w.Code == code && (line == 0 || w.Line == line) {
			return true
		}
	}
	return false
}

func TestDecodeRepairs(t *testing.T) {
	tests := []struct {
		name     string
		data     string
		want     string
		warnings []Code
	}{
		{"BOM in the middle is removed", "a\n\xEF\xBB\xBFb\uFEFFc\n", "a\nbc\n", []Code{CodeBOMRemoved}},
		{"NUL becomes U+FFFD", "a\x00b\nc\n", "a\uFFFDb\nc\n", []Code{CodeNULBytes}},
		{"NUL padding at the end is dropped", "abc\n\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", "abc\n", []Code{CodeNULBytes}},
		{"CR and CRLF become LF", "a\r\nb\rc", "a\nb\nc", nil},
		{"invalid UTF-8 in a UTF-8 file", "\xEF\xBB\xBFa\xFFb", "a\uFFFDb", []Code{CodeInvalidUTF8}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := decodeText([]byte(tt.data), EncodingAuto)
			if err != nil {
				t.Fatal(err)
			}
			if d.text != tt.want {
				t.Errorf("text %q, want %q", d.text, tt.want)
			}
			var codes []Code
			for _, w := range d.warnings {
				codes = append(codes, w.Code)
			}
			if strings.Join(codeStrings(codes), ",") != strings.Join(codeStrings(tt.warnings), ",") {
				t.Errorf("warnings %v, want %v", codes, tt.warnings)
			}
		})
	}
}

func codeStrings(codes []Code) []string {
	var s []string
	for _, c := range codes {
		s = append(s, string(c))
	}
	return s
}

func TestDecodeRefusesBinary(t *testing.T) {
	garbage := make([]byte, 4096)
	x := uint32(2463534242)
	for i := range garbage {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		garbage[i] = byte(x)
	}
	for _, enc := range []Encoding{EncodingAuto, UTF8, CP949, Windows1251} {
		if _, err := Decode(garbage, enc); !errors.Is(err, ErrBinary) {
			t.Errorf("%q: got %v, want %s", enc, err, CodeBinary)
		}
	}
	// A few control characters in text are no reason to refuse it.
	if _, err := Decode([]byte("line\x01one\nline two with a bell\x07\n"+strings.Repeat("text ", 100)), EncodingAuto); err != nil {
		t.Errorf("text with two control characters: %v", err)
	}
}

// TestLegacyFixtures checks the encoded files in testdata, which -update writes from the texts
// above with the x/text encoders.
func TestLegacyFixtures(t *testing.T) {
	fixtures := []struct {
		file string
		enc  encoding.Encoding
		text string
		want Encoding
	}{
		{"busan-ko.cp949.smi", korean.EUCKR, koreanSAMI(), CP949},
		{"pusan-ru.cp1251.srt", charmap.Windows1251, russianSRT(), Windows1251},
		{"pusan-ru.koi8r.srt", charmap.KOI8R, russianSRT(), KOI8R},
		{"busan-ko.utf16le.srt", xunicode.UTF16(xunicode.LittleEndian, xunicode.UseBOM),
			"1\r\n00:00:01,000 --> 00:00:04,000\r\n" + koreanGreeting + "\r\n", UTF16LE},
	}
	for _, f := range fixtures {
		path := filepath.Join("testdata", f.file)
		if *update {
			if err := os.WriteFile(path, mustEncode(t, f.enc, f.text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if bytes.Contains(data, []byte(koreanGreeting[:3])) || bytes.Contains(data, []byte(russianGreeting[:2])) {
			t.Errorf("%s holds UTF-8 text: it must be in its legacy encoding", f.file)
		}
		if got := DetectEncoding(data); got != f.want {
			t.Errorf("%s: detected %q, want %q", f.file, got, f.want)
		}
		got, err := Decode(data, EncodingAuto)
		if err != nil || got != strings.ReplaceAll(f.text, "\r\n", "\n") {
			t.Errorf("%s: decoded %q, %v", f.file, got, err)
		}
		tracks, _, err := Parse(f.file, data, EncodingAuto)
		if err != nil || len(tracks) != 1 || len(tracks[0].Cues) == 0 {
			t.Errorf("%s: Parse gave %d tracks, %v", f.file, len(tracks), err)
		}
	}
}
