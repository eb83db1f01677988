package main

import (
	"io"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"sistercity/internal/polltest"
)

// The script-mismatch check of issue 13 item 2: on a Korean or Russian page, running text in
// Latin script is English shown to a reader who did not ask for it, unless the element says
// so with its lang attribute (a fallback, marked) or the word is a name or code every language
// writes in Latin (COVID-19, RSS, iCalendar).

// latinWordRe finds a word in Latin script: letters, with digits, hyphens and apostrophes inside.
var latinWordRe = regexp.MustCompile(`\p{Latin}[\p{Latin}\p{N}'’-]*`)

// codeRe is a code written the same in every language: capitals and digits (HLS, COVID-19, MP4).
var codeRe = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]*[A-Z0-9]$`)

// latinNames are the proper nouns and unit symbols a Korean or Russian text writes in Latin.
var latinNames = []string{"iCalendar", "ActivityPub", "Fediverse", "Mastodon", "PeerTube", "WebVTT", "Atom", "JSON", "Wikidata", "km²"}

// latinPhrases are names of more than one word written in Latin in every language.
var latinPhrases = []string{"JSON Feed"}

// addressRe finds a web address or a domain name (www.busan.go.kr): a code, not a word.
var addressRe = regexp.MustCompile(`(?:https?://)?[\pL\pN-]+(?:\.[\pL\pN-]+)+(?:/\S*)?|\S+@\S+`)

// skippedElements hold no running text, or text that is not in any human language.
var skippedElements = []atom.Atom{atom.Script, atom.Style, atom.Code, atom.Kbd, atom.Samp, atom.Pre, atom.Template, atom.Svg, atom.Math}

// scriptMismatch is a piece of running text in Latin script on a page in another script.
type scriptMismatch struct {
	Words  []string
	Text   string
	Parent string // the element holding the text, to find it
}

// latinInRunningText returns the text nodes of page (whose <html lang> is Korean or Russian)
// that hold Latin words not allowed, and not inside an element marked with another language.
func latinInRunningText(page string) ([]scriptMismatch, error) {
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		return nil, err
	}
	var out []scriptMismatch
	var walk func(n *html.Node, lang string)
	walk = func(n *html.Node, lang string) {
		if n.Type == html.ElementNode {
			if slices.Contains(skippedElements, n.DataAtom) {
				return
			}
			for _, a := range n.Attr {
				if a.Key == "lang" && a.Namespace == "" {
					lang = a.Val
				}
				if a.Key == "translate" && a.Val == "no" {
					return // marked as code or names, not to be translated
				}
			}
		}
		if n.Type == html.TextNode && (lang == "ko" || lang == "ru") {
			var words []string
			text := addressRe.ReplaceAllString(n.Data, " ")
			for _, p := range latinPhrases {
				text = strings.ReplaceAll(text, p, " ")
			}
			for _, w := range latinWordRe.FindAllString(text, -1) {
				if !allowedLatin(w) {
					words = append(words, w)
				}
			}
			if len(words) > 0 {
				m := scriptMismatch{Words: words, Text: strings.TrimSpace(n.Data)}
				if p := n.Parent; p != nil {
					var b strings.Builder
					b.WriteString("<" + p.Data)
					for _, a := range p.Attr {
						b.WriteString(" " + a.Key + `="` + a.Val + `"`)
					}
					m.Parent = b.String() + ">"
				}
				out = append(out, m)
			}
		}
		for c := range n.ChildNodes() {
			walk(c, lang)
		}
	}
	walk(doc, "")
	return out, nil
}

func allowedLatin(w string) bool {
	w = strings.TrimRight(w, "-'’")
	if codeRe.MatchString(w) || slices.Contains(latinNames, w) {
		return true
	}
	// A single letter is a label or a unit's symbol in a figure (×, p), not a word.
	return len([]rune(w)) == 1 && unicode.IsLetter([]rune(w)[0])
}

func TestLatinInRunningText(t *testing.T) {
	t.Parallel()
	page := `<!doctype html><html lang="ru"><head><title>Видео</title><style>a{}</style></head><body>
<p>Сообщения COVID-19 в формате iCalendar, RSS и JSON Feed на www.busan.go.kr, 326 km².</p>
<textarea translate="no">&lt;iframe src="/embed"&gt;</textarea>
<p>Untranslated title</p>
<p lang="en">A fallback, marked</p>
<nav><a lang="ko" href="/ko/">한국어</a><a lang="en" href="/en/">English</a></nav>
<p><code>sistercity serve</code> <span>x</span></p>
</body></html>`
	got, err := latinInRunningText(page)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !slices.Equal(got[0].Words, []string{"Untranslated", "title"}) {
		t.Errorf("found %+v, want only the unmarked English title", got)
	}
}

// TestDemoPagesInTheirScript crawls the demo's Korean and Russian public pages, following their
// links within the language, and finds no running text in Latin script that is not marked with
// its language or an allowed name or code.
func TestDemoPagesInTheirScript(t *testing.T) {
	t.Parallel()
	base, _, stop := startServe(t, append(dbArgs(t), "--demo")...)
	defer stop()
	// The demo video is processed in the background; its pages are part of the site.
	polltest.Until(t, "the demo video on the home page", func() (bool, string) {
		return strings.Contains(get(t, base+"/en/"), `id="front-videos"`), ""
	})
	for _, lang := range []string{"ko", "ru"} {
		pages := crawlLang(t, base, lang, 200)
		if len(pages) < 10 {
			t.Errorf("/%s/: only %d pages crawled", lang, len(pages))
		}
		for _, path := range slices.Sorted(maps.Keys(pages)) {
			found, err := latinInRunningText(pages[path])
			if err != nil {
				t.Errorf("%s: %v", path, err)
				continue
			}
			for _, m := range found {
				t.Errorf("%s: Latin %q in %q, in %s", path, m.Words, m.Text, m.Parent)
			}
		}
	}
}

// crawlLang fetches /lang/ and the pages its links lead to within /lang/ (HTML only, at most
// limit), one per path; plus an empty search and a missing page. It returns the pages by path.
func crawlLang(t *testing.T, base, lang string, limit int) map[string]string {
	t.Helper()
	prefix := "/" + lang + "/"
	pages := map[string]string{}
	// An empty search, with a query in the page's own script, and a missing page.
	query := map[string]string{"ko": "없는검색어", "ru": "несуществующее"}[lang]
	queue := []string{prefix, prefix + "videos?q=" + url.QueryEscape(query), prefix + "no-such-page"}
	seen := map[string]bool{}
	for len(queue) > 0 && len(pages) < limit {
		target := queue[0]
		queue = queue[1:]
		resp, err := http.Get(base + target)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			continue
		}
		if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d", target, resp.StatusCode)
			continue
		}
		pages[target] = string(body)
		for _, m := range hrefRe.FindAllStringSubmatch(string(body), -1) {
			u, err := url.Parse(html.UnescapeString(m[1]))
			if err != nil || u.Host != "" || !strings.HasPrefix(u.Path, prefix) || skipCrawl(u.Path) || seen[u.Path] {
				continue
			}
			seen[u.Path] = true
			queue = append(queue, u.Path)
		}
	}
	return pages
}

var hrefRe = regexp.MustCompile(`<a [^>]*href="([^"]+)"`)

// skipCrawl leaves out what is not an HTML page of the site: feeds, calendars, embeds, files.
func skipCrawl(path string) bool {
	for _, suffix := range []string{".rss", ".atom", ".json", ".ics", ".xml", ".vtt", ".srt", ".csv", ".mp4", ".jpg", ".png", ".m3u8"} {
		if strings.HasSuffix(path, suffix) {
			return true
		}
	}
	return strings.Contains(path, "/embed/") || strings.Contains(path, "/media/")
}
