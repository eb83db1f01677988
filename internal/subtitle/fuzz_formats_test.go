package subtitle

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// The fuzz tests of the other formats check that no input makes a parser panic, that every
// refusal is an *Error, and that whatever loads is safe and exportable: every cue text is
// sanitised WebVTT cue text, WriteWebVTT writes it and ParseWebVTT reads back the same cues, the
// SRT, SBV and TTML writers produce files their parsers read back with as many cues, and Validate
// takes it.

func FuzzSRT(f *testing.F) {
	addSeeds(f, "busan.srt", "busan.golden.srt", "pusan-ru.cp1251.srt", "pusan-ru.koi8r.srt", "busan-ko.utf16le.srt", "sample.sbv")
	addConformanceSeeds(f)
	for _, s := range hostileSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkFormat(t, FormatSRT, data) })
}

func FuzzSAMI(f *testing.F) {
	addSeeds(f, "vladivostok.smi", "busan-ko.cp949.smi")
	for _, s := range hostileSeeds {
		f.Add([]byte("<SAMI><BODY><SYNC Start=0><P Class=KRCC>" + s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkFormat(t, FormatSAMI, data) })
}

func FuzzASS(f *testing.F) {
	addSeeds(f, "sample.ass")
	f.Add([]byte("[Script Info]\nWrapStyle: 2\n[Events]\nDialogue: Marked=0,0:00:01.00,0:00:02.50,Top,Narrator,0000,0000,0000,,{\\k20\\t(\\i1)\\pos(1,2)}Hello\\n{\\p1}m 0 0{\\p0}\\N{\\r\\an7}x\n"))
	f.Fuzz(func(t *testing.T, data []byte) { checkFormat(t, FormatASS, data) })
}

func FuzzTTML(f *testing.F) {
	addSeeds(f, "sample.ttml", "sample.dfxp", "vladivostok-ko.golden.ttml")
	f.Add([]byte(`<!DOCTYPE tt [<!ENTITY a "b">]><tt/>`))
	f.Add([]byte(`<tt xmlns="http://www.w3.org/ns/ttml" ttp:tickRate="0"><body dur="1e999s"><p begin="00:00:00:99.9" end="99999999999h">x<span xml:lang="ru" style="s s">y</span></p></body></tt>`))
	f.Fuzz(func(t *testing.T, data []byte) { checkFormat(t, FormatTTML, data) })
}

func FuzzSBV(f *testing.F) {
	addSeeds(f, "sample.sbv", "busan.golden.sbv", "busan.srt")
	for _, s := range hostileSeeds {
		f.Add([]byte("0:00:01.000,0:00:02.000\n" + s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkFormat(t, FormatSBV, data) })
}

// FuzzDetectDecode checks that detection and decoding take any bytes: Decode either refuses with
// an *Error or returns valid UTF-8 without NUL, BOM or CR, the same as Decode with the encoding
// DetectEncoding names; Detect and Parse never panic.
func FuzzDetectDecode(f *testing.F) {
	for _, name := range []string{"busan.srt", "vladivostok.smi", "busan-ko.cp949.smi", "pusan-ru.cp1251.srt",
		"pusan-ru.koi8r.srt", "busan-ko.utf16le.srt", "sample.ass", "sample.ttml", "sample.dfxp", "sample.sbv", "sample.vtt"} {
		f.Add(readSeed(f, name))
	}
	addConformanceSeeds(f)
	f.Add([]byte("a\xEF\xBB\xBFb\x00c\r\nd\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		text, err := Decode(data, EncodingAuto)
		if err != nil {
			checkTypedError(t, err)
		} else {
			if !utf8.ValidString(text) || strings.ContainsAny(text, "\x00\r\uFEFF") {
				t.Fatalf("Decode gave %q", text)
			}
		}
		if guess := detectEncoding(data); guess.legacy == "" {
			again, err2 := Decode(data, DetectEncoding(data))
			if (err == nil) != (err2 == nil) || again != text {
				t.Fatalf("Decode(auto) and Decode(%q) differ: %q %v / %q %v", DetectEncoding(data), text, err, again, err2)
			}
		}
		Detect("upload", data)
		tracks, _, err := Parse("upload.srt", data, EncodingAuto)
		if err != nil {
			checkTypedError(t, err)
			return
		}
		checkTracks(t, tracks)
	})
}

// hostileSeeds are cue texts that try to get markup through.
var hostileSeeds = []string{
	"<script>alert(1)</script>",
	`<img src=x onerror="alert(1)">`,
	"<i><b>misnested</i></b>",
	"&lt;script&gt; &#60;b&#62; &amp;",
	"<font color=\"red\" onmouseover=\"x\">c</font>",
	"<!-- unterminated comment",
	"a\x00b\uFEFFc",
}

func addSeeds(f *testing.F, names ...string) {
	for _, name := range names {
		f.Add(readSeed(f, name))
	}
}

func readSeed(f *testing.F, name string) []byte {
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		f.Fatal(err)
	}
	return data
}

// addConformanceSeeds adds the WebVTT conformance inputs: timing lines with dots, settings,
// odd line endings and NULs make good SRT and decoding seeds.
func addConformanceSeeds(f *testing.F) {
	vtts, _ := filepath.Glob(filepath.Join(mustConformanceDir(f, "cases"), "*.vtt"))
	for _, path := range vtts {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

func checkTypedError(t *testing.T, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error is not an *Error: %v", err)
	}
}

// checkFormat parses data as format f and checks the result.
func checkFormat(t *testing.T, f Format, data []byte) {
	tracks, info, err := ParseFormat(f, data, EncodingAuto)
	if len(info.Warnings) > maxWarnings {
		t.Fatalf("%d warnings", len(info.Warnings))
	}
	if err != nil {
		checkTypedError(t, err)
		return
	}
	if len(tracks) == 0 {
		t.Fatal("no error and no track")
	}
	checkTracks(t, tracks)
}

// checkTracks checks parsed tracks: safe, stable cue text; a WebVTT export that reads back the
// same; SRT, SBV and TTML exports that read back with as many cues.
func checkTracks(t *testing.T, tracks []*Track) {
	t.Helper()
	for _, track := range tracks {
		for _, c := range track.Cues {
			checkSafeCueText(t, c.Text)
			if again := SanitizeCueText(c.Text); again != c.Text {
				t.Fatalf("cue text is not in sanitised form: %q → %q", c.Text, again)
			}
		}
		var vtt bytes.Buffer
		if err := WriteWebVTT(&vtt, track); err != nil {
			t.Fatalf("WriteWebVTT: %v", err)
		}
		back, err := ParseWebVTT(bytes.NewReader(vtt.Bytes()))
		if err != nil {
			t.Fatalf("WebVTT output does not parse: %v\n%s", err, vtt.String())
		}
		plain := &Track{Regions: track.Regions, Styles: track.Styles, Header: track.Header, HeaderLines: track.HeaderLines}
		for _, c := range track.Cues {
			cc := *c
			cc.Layer, cc.StyleName = 0, "" // WebVTT has no place for them
			plain.Cues = append(plain.Cues, &cc)
		}
		if diff := diffTracks(plain, back); diff != "" {
			t.Fatalf("WebVTT export changed the track: %s\n%q", diff, vtt.String())
		}
		for _, is := range Validate(track, ValidateOptions{VideoDuration: time.Minute}).Issues {
			if is.Severity == "" || is.Cue < 0 || is.Cue > len(track.Cues) {
				t.Fatalf("bad issue %+v", is)
			}
		}

		exports := []struct {
			name  string
			write func(*bytes.Buffer, *Track) error
			f     Format
		}{
			{"SRT", func(w *bytes.Buffer, t *Track) error { return WriteSRT(w, t) }, FormatSRT},
			{"SBV", func(w *bytes.Buffer, t *Track) error { return WriteSBV(w, t) }, FormatSBV},
			{"TTML", func(w *bytes.Buffer, t *Track) error { return WriteTTML(w, t) }, FormatTTML},
		}
		for _, ex := range exports {
			var out bytes.Buffer
			if err := ex.write(&out, track); err != nil {
				t.Fatalf("Write%s: %v", ex.name, err)
			}
			again, _, err := ParseFormat(ex.f, out.Bytes(), UTF8)
			if err != nil {
				if len(track.Cues) == 0 && errors.Is(err, ErrNoCues) {
					continue
				}
				t.Fatalf("%s export does not parse: %v\n%q", ex.name, err, out.String())
			}
			n := 0
			for _, tr := range again {
				n += len(tr.Cues)
			}
			if n != len(track.Cues) {
				t.Fatalf("%s export has %d cues, want %d:\n%q", ex.name, n, len(track.Cues), out.String())
			}
		}
	}
}
