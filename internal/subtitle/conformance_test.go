package subtitle

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"sistercity/internal/sharedtest"
)

// mustConformanceDir fails the test, rather than skipping it, when the data is not there: a
// missing checkout must not pass as "conformant".
func mustConformanceDir(tb testing.TB, sub string) string {
	tb.Helper()
	dir := sharedtest.Dir(tb, filepath.Join("conformance/webvtt", sub))
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		tb.Fatalf("conformance data missing: %s (%v)", dir, err)
	}
	return dir
}

// fileCase is one cases/NAME.json.
type fileCase struct {
	Title string           `json:"title"`
	Valid bool             `json:"valid"`
	Cues  []map[string]any `json:"cues"`
}

func TestWebVTTFileParsingConformance(t *testing.T) {
	dir := mustConformanceDir(t, "cases")
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no cases in %s: %v", dir, err)
	}
	passed := 0
	for _, jsonPath := range names {
		name := strings.TrimSuffix(filepath.Base(jsonPath), ".json")
		ok := t.Run(name, func(t *testing.T) {
			var c fileCase
			raw, err := os.ReadFile(jsonPath)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &c); err != nil {
				t.Fatalf("%s: %v", jsonPath, err)
			}
			input, err := os.ReadFile(filepath.Join(dir, name+".vtt"))
			if err != nil {
				t.Fatal(err)
			}
			track, err := ParseWebVTT(bytes.NewReader(input))
			if !c.Valid {
				var e *Error
				if !errors.As(err, &e) || e.Code != CodeBadSignature {
					t.Fatalf("want the file rejected with %s, got %v", CodeBadSignature, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("want the file to load, got %v", err)
			}
			if len(track.Cues) != len(c.Cues) {
				t.Fatalf("got %d cues, want %d", len(track.Cues), len(c.Cues))
			}
			regionByLabel := map[string]*Region{}
			labelByRegion := map[*Region]string{}
			for i, want := range c.Cues {
				checkCue(t, i, track.Cues[i], want, regionByLabel, labelByRegion)
			}
		})
		if ok {
			passed++
		}
	}
	t.Logf("WebVTT file-parsing conformance: %d/%d cases passed", passed, len(names))
}

// checkCue compares a parsed cue with the fields a case asserts, under the README's rules: times
// within 1 ms, other numbers exactly (telling -0 from +0), strings and booleans exactly.
func checkCue(t *testing.T, i int, cue *Cue, want map[string]any, regionByLabel map[string]*Region, labelByRegion map[*Region]string) {
	t.Helper()
	fail := func(field string, got, want any) {
		t.Errorf("cue %d (line %d): %s = %#v, want %#v", i, cue.SourceLine, field, got, want)
	}
	for field, w := range want {
		switch field {
		case "id":
			if cue.ID != w {
				fail(field, cue.ID, w)
			}
		case "text":
			if cue.Text != w {
				fail(field, cue.Text, w)
			}
		case "startTime":
			if got := cue.Start.Seconds(); math.Abs(got-w.(float64)) > 0.001 {
				fail(field, got, w)
			}
		case "endTime":
			if got := cue.End.Seconds(); math.Abs(got-w.(float64)) > 0.001 {
				fail(field, got, w)
			}
		case "vertical":
			if string(cue.Vertical) != w {
				fail(field, cue.Vertical, w)
			}
		case "snapToLines":
			if cue.SnapToLines != w {
				fail(field, cue.SnapToLines, w)
			}
		case "line":
			if !autoNumberEqual(cue.Line, w) {
				fail(field, cue.Line, w)
			}
		case "lineAlign":
			if string(cue.LineAlign) != w {
				fail(field, cue.LineAlign, w)
			}
		case "position":
			if !autoNumberEqual(cue.Position, w) {
				fail(field, cue.Position, w)
			}
		case "positionAlign":
			if string(cue.PositionAlign) != w {
				fail(field, cue.PositionAlign, w)
			}
		case "size":
			if !numberEqual(cue.Size, w) {
				fail(field, cue.Size, w)
			}
		case "align":
			if string(cue.Align) != w {
				fail(field, cue.Align, w)
			}
		case "region":
			if w == nil {
				if cue.Region != nil {
					fail(field, cue.Region, nil)
				}
				continue
			}
			if cue.Region == nil {
				fail(field, nil, w)
				continue
			}
			checkRegion(t, i, cue.Region, w.(map[string]any))
		case "regionRef":
			label := w.(string)
			if cue.Region == nil {
				fail(field, nil, label)
				continue
			}
			if r, seen := regionByLabel[label]; seen && r != cue.Region {
				t.Errorf("cue %d: region %q is not the same region object as before", i, label)
			}
			if l, seen := labelByRegion[cue.Region]; seen && l != label {
				t.Errorf("cue %d: region %q is the same object as region %q", i, label, l)
			}
			regionByLabel[label], labelByRegion[cue.Region] = cue.Region, label
		default:
			t.Errorf("cue %d: unknown field %q in the case", i, field)
		}
	}
}

func checkRegion(t *testing.T, i int, r *Region, want map[string]any) {
	t.Helper()
	numbers := map[string]float64{
		"width": r.Width, "lines": r.Lines,
		"regionAnchorX": r.RegionAnchorX, "regionAnchorY": r.RegionAnchorY,
		"viewportAnchorX": r.ViewportAnchorX, "viewportAnchorY": r.ViewportAnchorY,
	}
	for field, w := range want {
		switch field {
		case "id":
			if r.ID != w {
				t.Errorf("cue %d: region.id = %q, want %q", i, r.ID, w)
			}
		case "scroll":
			if string(r.Scroll) != w {
				t.Errorf("cue %d: region.scroll = %q, want %q", i, r.Scroll, w)
			}
		default:
			got, known := numbers[field]
			if !known {
				t.Errorf("cue %d: unknown region field %q in the case", i, field)
			} else if !numberEqual(got, w) {
				t.Errorf("cue %d: region.%s = %v, want %v", i, field, got, w)
			}
		}
	}
}

// numberEqual is exact float64 equality that also tells -0 from +0, as WPT's assert_equals does.
func numberEqual(got float64, want any) bool {
	w, ok := want.(float64)
	return ok && got == w && math.Signbit(got) == math.Signbit(w)
}

func autoNumberEqual(got AutoNumber, want any) bool {
	if want == "auto" {
		return got.Auto
	}
	return !got.Auto && numberEqual(got.Value, want)
}

// cueTextCase is one cue-text parsing case: the cue text and the expected tree dump.
type cueTextCase struct {
	Name     string `json:"name"`
	Input    string `json:"input"`
	Expected string `json:"expected"`
}

// loadCueTextCases reads every .dat file and every from-html/*.json file.
func loadCueTextCases(tb testing.TB) map[string][]cueTextCase {
	tb.Helper()
	dir := mustConformanceDir(tb, "cue-text")
	all := map[string][]cueTextCase{}
	dats, _ := filepath.Glob(filepath.Join(dir, "*.dat"))
	jsons, _ := filepath.Glob(filepath.Join(dir, "from-html", "*.json"))
	if len(dats) == 0 || len(jsons) == 0 {
		tb.Fatalf("cue-text conformance data missing in %s", dir)
	}
	for _, path := range dats {
		cases, err := readDatFile(path)
		if err != nil {
			tb.Fatalf("%s: %v", path, err)
		}
		all[filepath.Base(path)] = cases
	}
	for _, path := range jsons {
		raw, err := os.ReadFile(path)
		if err != nil {
			tb.Fatal(err)
		}
		var cases []cueTextCase
		if err := json.Unmarshal(raw, &cases); err != nil {
			tb.Fatalf("%s: %v", path, err)
		}
		all["from-html/"+filepath.Base(path)] = cases
	}
	return all
}

// readDatFile reads an html5lib-style .dat file the way WPT's buildtests.py does: "#data" lines
// and tree lines are unicode_escape-decoded, "#errors" is ignored, a blank line ends a case, and
// the final line break of the input and of the tree is dropped.
func readDatFile(path string) ([]cueTextCase, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var cases []cueTextCase
	var input, expected strings.Builder
	state := ""
	flush := func() {
		c := cueTextCase{
			Name:     fmt.Sprintf("%s#%d", filepath.Base(path), len(cases)+1),
			Input:    strings.TrimSuffix(input.String(), "\n"),
			Expected: strings.TrimSuffix(expected.String(), "\n"),
		}
		cases = append(cases, c)
		input.Reset()
		expected.Reset()
		state = ""
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#"):
			state = line
			if line == "#document-fragment" {
				expected.WriteString(line + "\n")
			}
		case state == "#data":
			s, err := decodeUnicodeEscape(line + "\n")
			if err != nil {
				return nil, err
			}
			input.WriteString(s)
		case state == "#errors":
		case state == "#document-fragment":
			if line == "" {
				flush()
				continue
			}
			s, err := decodeUnicodeEscape(line + "\n")
			if err != nil {
				return nil, err
			}
			expected.WriteString(s)
		default:
			return nil, fmt.Errorf("unexpected line %q in state %q", line, state)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if state != "" {
		flush()
	}
	return cases, nil
}

// decodeUnicodeEscape decodes Python's unicode_escape for the escapes the .dat files use:
// \n, \t, \r, \\, \', \", \xHH, \uHHHH, \UHHHHHHHH. Other bytes stand for themselves (the files
// are ASCII, where Python's Latin-1 reading changes nothing).
func decodeUnicodeEscape(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 >= len(s) {
			return "", fmt.Errorf("trailing backslash in %q", s)
		}
		i++
		var digits int
		switch s[i] {
		case 'n':
			b.WriteByte('\n')
			continue
		case 't':
			b.WriteByte('\t')
			continue
		case 'r':
			b.WriteByte('\r')
			continue
		case '\\', '\'', '"':
			b.WriteByte(s[i])
			continue
		case 'x':
			digits = 2
		case 'u':
			digits = 4
		case 'U':
			digits = 8
		default:
			return "", fmt.Errorf("unsupported escape \\%c in %q", s[i], s)
		}
		if i+digits >= len(s) {
			return "", fmt.Errorf("short escape in %q", s)
		}
		v, err := strconv.ParseUint(s[i+1:i+1+digits], 16, 32)
		if err != nil || !utf8.ValidRune(rune(v)) && v != 0 {
			return "", fmt.Errorf("bad escape in %q", s)
		}
		b.WriteRune(rune(v))
		i += digits
	}
	return b.String(), nil
}

// cueTextFile wraps cue text in a minimal WebVTT file, as the WPT harness does: the cases are
// run through the file parser first (so NUL becomes U+FFFD and a blank line ends the cue).
func cueTextFile(text string) string {
	return "WEBVTT\n\n00:00.000 --> 00:01.000\n" + text
}

func TestWebVTTCueTextConformance(t *testing.T) {
	all := loadCueTextCases(t)
	passed, total := 0, 0
	for file, cases := range all {
		for _, c := range cases {
			total++
			ok := t.Run(file+"/"+c.Name, func(t *testing.T) {
				track, err := ParseWebVTT(strings.NewReader(cueTextFile(c.Input)))
				if err != nil {
					t.Fatal(err)
				}
				if len(track.Cues) != 1 {
					t.Fatalf("got %d cues, want 1", len(track.Cues))
				}
				got := ParseCueText(track.Cues[0].Text).Dump()
				if got != c.Expected {
					t.Errorf("input %q:\ngot:\n%s\nwant:\n%s", c.Input, got, c.Expected)
				}
			})
			if ok {
				passed++
			}
		}
	}
	t.Logf("WebVTT cue-text conformance: %d/%d cases passed", passed, total)
}
