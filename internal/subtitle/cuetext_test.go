package subtitle

import (
	"strings"
	"testing"
	"time"
)

func TestSanitizeCueText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "Hello, world", "Hello, world"},
		{"allowed markup kept", "<i>a</i><b>b</b><u>c</u><c.x>d</c>", "<i>a</i><b>b</b><u>c</u><c.x>d</c>"},
		{"unclosed spans are closed", "<b>bold <i>both", "<b>bold <i>both</i></b>"},
		{"script tag dropped, text kept", "<script>alert(1)</script>", "alert(1)"},
		{"img with onerror dropped", `<img src=x onerror="alert(1)">`, ""},
		{"iframe and style dropped", "<iframe src=//evil></iframe><style>*{}</style>x", "*{}x"},
		{"entities that produce markup stay escaped", "&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;script&gt;alert(1)&lt;/script&gt;"},
		{"numeric references that produce markup", "&#60;img src=x onerror=alert(1)&#x3E;", "&lt;img src=x onerror=alert(1)&gt;"},
		{"bare ampersand and angle brackets", "a & b > c", "a &amp; b &gt; c"},
		{"voice annotation cannot carry attributes", `<v Bob onmouseover="alert(1)">hi`, "<v Bob onmouseover&equals;&quot;alert(1)&quot;>hi</v>"},
		{"slash in annotation", "<v a/b>x", "<v a&sol;b>x</v>"},
		{"single quotes in annotation", "<v O'Brien>hi</v>", "<v O&apos;Brien>hi</v>"},
		{"annotation whitespace collapsed", "<v \t Mary \n Ann >hi</v>", "<v Mary Ann>hi</v>"},
		{"annotation cannot end the block with an arrow", "<lang en-->x</lang>", "<lang en-&#45;>x</lang>"},
		{"class that would become an attribute is dropped", "<c.a/onclick=alert(1).ok>t</c>", "<c.ok>t</c>"},
		{"class ending in -- is dropped", "<c.a-->t</c>", "<c>t</c>"},
		{"non-ASCII class kept", "<c.노랑>t</c>", "<c.노랑>t</c>"},
		{"annotation on other tags dropped", "<b onclick=x>t</b>", "<b>t</b>"},
		{"end tag with attributes ignored", "<b>t</b onclick=x>u", "<b>tu</b>"},
		{"rt outside ruby dropped", "<rt>x</rt>", "x"},
		{"timestamp normalised", "a<00:01.5>b<01:02.500>c", "ab<00:01:02.500>c"},
		{"timestamp with hours", "<100:00:00.000>x", "<100:00:00.000>x"},
		{"NUL becomes U+FFFD", "a\x00b", "a\uFFFDb"},
		{"CR kept as a reference", "a\rb", "a&#13;b"},
		{"blank lines kept as references", "&#10;&#10;x&#10;", "&#10;\nx&#10;"},
		{"legacy entity without semicolon", "&copy 2020 &notit;", "© 2020 ¬it;"},
		{"unknown entity kept as text", "&bogus; &#; &#xZ;", "&amp;bogus; &amp;#; &amp;#xZ;"},
		{"C1 numeric reference", "&#x80;&#0;&#xD800;&#x110000;", "€\uFFFD\uFFFD\uFFFD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SanitizeCueText(tt.in)
			if got != tt.want {
				t.Errorf("SanitizeCueText(%q) = %q, want %q", tt.in, got, tt.want)
			}
			checkSafeCueText(t, got)
			if again := SanitizeCueText(got); again != got {
				t.Errorf("not stable: %q → %q", got, again)
			}
		})
	}
}

// checkSafeCueText fails if s holds anything but text and the tags the serialiser writes: every
// "<" must open one of them, quotes and "=" may not appear inside a tag, and there is no blank
// line and no "-->".
func checkSafeCueText(t testing.TB, s string) {
	t.Helper()
	if strings.Contains(s, "-->") {
		t.Errorf("%q contains -->", s)
	}
	for _, line := range strings.Split(s, "\n") {
		if line == "" && s != "" {
			t.Errorf("%q contains a blank line or a leading or trailing line break", s)
		}
	}
	rest := s
	for {
		i := strings.IndexByte(rest, '<')
		if i < 0 {
			break
		}
		end := strings.IndexByte(rest[i:], '>')
		if end < 0 {
			t.Errorf("%q: unclosed tag", s)
			return
		}
		tag := rest[i+1 : i+end]
		rest = rest[i+end+1:]
		if strings.ContainsAny(tag, "<\"'=\n\r\t\f/") && !isEndTag(tag) {
			t.Errorf("%q: unsafe tag <%s>", s, tag)
			continue
		}
		if isEndTag(tag) || isTimestampTag(tag) {
			continue
		}
		name, _, _ := strings.Cut(tag, " ")
		name, _, _ = strings.Cut(name, ".")
		if _, known := spanKinds[name]; !known {
			t.Errorf("%q: unknown tag <%s>", s, tag)
		}
	}
	if strings.ContainsRune(rest, '>') {
		t.Errorf("%q: stray >", s)
	}
}

func isEndTag(tag string) bool {
	name, ok := strings.CutPrefix(tag, "/")
	_, known := spanKinds[name]
	return ok && known
}

func isTimestampTag(tag string) bool {
	_, end, ok := collectTimestamp(tag, 0)
	return ok && end == len(tag)
}

func TestParseCueTextTree(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"<lang ko>가<lang en><b>b</b></lang>나</lang>", "#document-fragment\n" +
			"| <span>\n|   lang=\"ko\"\n|   \"가\"\n" +
			"|   <span>\n|     lang=\"en\"\n|     <b>\n|       \"b\"\n" +
			"|   \"나\""},
		{"<v.loud.x Mayor Oh>hi", "#document-fragment\n| <span>\n|   class=\"loud x\"\n|   title=\"Mayor Oh\"\n|   \"hi\""},
		{"a<00:00:01.000>b<bogus>c", "#document-fragment\n| \"a\"\n| <?timestamp 00:00:01.000>\n| \"b\"\n| \"c\""},
		{"<c..a.>x", "#document-fragment\n| <span>\n|   class=\"a\"\n|   \"x\""},
		{"<ruby>漢<rt>かん</ruby>字", "#document-fragment\n| <ruby>\n|   \"漢\"\n|   <rt>\n|     \"かん\"\n| \"字\""},
	}
	for _, tt := range tests {
		if got := ParseCueText(tt.in).Dump(); got != tt.want {
			t.Errorf("ParseCueText(%q):\n%s\nwant:\n%s", tt.in, got, tt.want)
		}
	}
	root := ParseCueText("<lang ko><b>x</b></lang>")
	if b := root.Children[0].Children[0]; b.Kind != NodeBold || b.Lang != "ko" {
		t.Errorf("bold inside <lang ko>: kind %v lang %q", b.Kind, b.Lang)
	}
	if ts := ParseCueText("<12:34.567>").Children[0]; ts.Time != 12*time.Minute+34567*time.Millisecond {
		t.Errorf("timestamp %v", ts.Time)
	}
}

func TestParseCueTextLimits(t *testing.T) {
	deep := strings.Repeat("<b>", 100_000) + "x" + strings.Repeat("</b>", 100_000)
	root := ParseCueText(deep)
	depth := 0
	for n := root; len(n.Children) > 0 && n.Children[0].Kind == NodeBold; n = n.Children[0] {
		depth++
	}
	if depth != maxCueTextDepth {
		t.Errorf("nesting depth %d, want %d", depth, maxCueTextDepth)
	}
	out := SanitizeCueText(deep)
	if SanitizeCueText(out) != out {
		t.Errorf("sanitising a deep tree is not stable")
	}
	_ = root.Dump()

	many := ParseCueText("<c" + strings.Repeat(".", 1000) + strings.Repeat(".x", 1000) + ">t")
	if got := len(many.Children[0].Classes); got != maxCueTagClasses {
		t.Errorf("%d classes kept, want %d", got, maxCueTagClasses)
	}
}
