package subtitle

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// samiFinalCueDuration is how long the last paragraph of a class shows when no later SYNC ends
// it: a file should clear it with an &nbsp; paragraph, and one that does not gets the few
// seconds a two-line subtitle needs.
const samiFinalCueDuration = 5 * time.Second

// samiClass is one class of the style block, or one a paragraph uses without declaring it.
type samiClass struct {
	name  string // as written
	label string // the Name property
	lang  string // the lang property, canonical BCP 47, or ""
}

// samiParagraph is the text one SYNC gives one class.
type samiParagraph struct {
	start time.Duration
	end   time.Duration // from an End attribute; 0 when there is none
	text  string        // sanitised cue text; "" for a paragraph that clears the class
	line  int
}

// parseSAMI reads a SAMI (.smi) file, the format of most Korean subtitles: a <STYLE> block
// declaring one class per language (".KRCC { Name:한국어; lang:ko-KR; }"), then <SYNC Start=ms>
// tags whose <P Class=…> paragraphs each set the text of one class from that time until the
// class's next SYNC; a paragraph of only &nbsp; clears it. It returns one Track per class that has
// cues, in the order the style block declares them, each with the Language and Label the block
// gives (or, without a lang property, the one a <P lang=…> gives, or the language the class name
// suggests: KRCC is Korean). SYNCs out of order are sorted, with CodeUnsortedTimes.
// Markup is read as browsers read tag soup (any case, unquoted attributes, unclosed tags); <br>
// breaks lines, other whitespace collapses; <i>, <b>, <u>, <ruby> and <font color> become WebVTT
// markup, scripts and styles are dropped. The encoding is detected (CP949 is common). A file with
// neither <SAMI> nor <SYNC> is refused with CodeBadSignature.
// It works on decoded, LF-only text: ParseFormat(FormatSAMI, …) decodes a file and calls it.
func parseSAMI(text string, n *notes) ([]*Track, error) {
	if indexFold(text, "<sami") < 0 && indexFold(text, "<sync") < 0 {
		return nil, &Error{Code: CodeBadSignature, Line: 1}
	}
	var classes []*samiClass
	classByKey := map[string]*samiClass{}
	addClass := func(c *samiClass) *samiClass {
		key := strings.ToLower(c.name)
		if existing, ok := classByKey[key]; ok {
			return existing
		}
		classByKey[key] = c
		classes = append(classes, c)
		return c
	}
	paragraphs := map[*samiClass][]samiParagraph{}
	var syncStarts []time.Duration // every SYNC's time, to end a class's last paragraph

	// Walk the tags. A SYNC's content runs to the next SYNC or to the end of the body.
	type syncTag struct {
		start, end    time.Duration
		hasStart      bool
		contentStart  int
		line          int
		contentLength int
	}
	var syncs []syncTag
	line, linePos := 1, 0
	lineAt := func(pos int) int {
		line += strings.Count(text[linePos:pos], "\n")
		linePos = pos
		return line
	}
	closeSync := func(end int) {
		if k := len(syncs) - 1; k >= 0 && syncs[k].contentLength < 0 {
			syncs[k].contentLength = end - syncs[k].contentStart
		}
	}
	tags := tagScanner{s: text}
	for i := 0; i < len(text); {
		lt := strings.IndexByte(text[i:], '<')
		if lt < 0 {
			break
		}
		pos := i + lt
		tag, next, ok := tags.scan(pos)
		if !ok {
			i = pos + 1
			continue
		}
		i = next
		switch {
		case tag.kind == htmlStartTag && tag.name == "style" && len(syncs) == 0:
			end := skipElementContent(text, next, "style")
			css := text[next:end]
			if k := indexFold(css, "</style"); k >= 0 {
				css = css[:k]
			}
			for _, c := range parseSAMIStyle(css) {
				addClass(c)
			}
			i = end
		case tag.kind == htmlStartTag && (tag.name == "script" || tag.name == "title"):
			i = skipElementContent(text, next, tag.name)
		case tag.kind == htmlStartTag && tag.name == "sync":
			closeSync(pos)
			st := syncTag{contentStart: next, line: lineAt(pos), contentLength: -1}
			st.start, st.hasStart = samiTime(htmlAttr(tag.attrs, "start"))
			if e, ok := samiTime(htmlAttr(tag.attrs, "end")); ok {
				st.end = e
			}
			syncs = append(syncs, st)
		case tag.kind == htmlEndTag && (tag.name == "body" || tag.name == "sami"):
			closeSync(pos)
		}
	}
	closeSync(len(text))

	unsorted := false
	for _, st := range syncs {
		if !st.hasStart {
			n.add(CodeBadTiming, st.line)
			continue
		}
		if k := len(syncStarts); k > 0 && st.start < syncStarts[k-1] && !unsorted {
			n.add(CodeUnsortedTimes, st.line) // sorted below; once is enough to say so
			unsorted = true
		}
		syncStarts = append(syncStarts, st.start)
		content := text[st.contentStart : st.contentStart+st.contentLength]
		for _, seg := range splitSAMIParagraphs(content) {
			class := classByKey[strings.ToLower(seg.class)]
			if class == nil {
				if seg.class == "" && len(classes) > 0 {
					class = classes[0] // a paragraph without a class belongs to the first one
				} else {
					class = addClass(&samiClass{name: seg.class})
				}
			}
			if class.lang == "" && seg.lang != "" {
				class.lang = samiLanguage(seg.lang) // <P lang="en-US">, when the style block says none
			}
			cueText, repaired := htmlCueText(seg.content, false)
			if repaired {
				n.add(CodeBrokenMarkup, st.line)
			}
			paragraphs[class] = append(paragraphs[class], samiParagraph{
				start: st.start, end: st.end, text: cueText, line: st.line,
			})
		}
	}
	slices.Sort(syncStarts)

	var tracks []*Track
	for _, class := range classes {
		cues := samiCues(paragraphs[class], syncStarts, n)
		if len(cues) == 0 {
			continue
		}
		lang := class.lang
		if lang == "" {
			lang = languageFromSAMIClass(class.name)
		}
		tracks = append(tracks, &Track{Language: lang, Label: class.label, Cues: cues})
	}
	if len(tracks) == 0 {
		t := &Track{}
		if len(classes) > 0 {
			t.Language, t.Label = classes[0].lang, classes[0].label
		}
		tracks = append(tracks, t)
	}
	return tracks, nil
}

// samiCues turns the paragraphs of one class into cues: each paragraph with text shows until
// the class's next paragraph (or its own End attribute). Paragraphs are taken in time order, and
// paragraphs at the same time are one cue, their texts on separate lines — except text that a
// clearing paragraph later in the file, at that same time, takes away again: it would never
// show, and is left out with CodeInstantCue.
func samiCues(paras []samiParagraph, syncStarts []time.Duration, n *notes) []*Cue {
	slices.SortStableFunc(paras, func(a, b samiParagraph) int {
		switch {
		case a.start < b.start:
			return -1
		case a.start > b.start:
			return 1
		}
		return 0
	})
	var cues []*Cue
	for k := 0; k < len(paras); {
		group := paras[k]
		var texts []string
		j := k
		for ; j < len(paras) && paras[j].start == group.start; j++ {
			if paras[j].text == "" {
				if len(texts) > 0 {
					n.add(CodeInstantCue, group.line)
					texts, group.end = nil, 0
				}
				continue
			}
			if len(texts) == 0 {
				group.line = paras[j].line
			}
			texts = append(texts, paras[j].text)
			if paras[j].end > group.end {
				group.end = paras[j].end
			}
		}
		if len(texts) > 0 {
			c := NewCue()
			c.Start, c.SourceLine = group.start, group.line
			c.Text = strings.Join(texts, "\n")
			switch {
			case group.end > group.start:
				c.End = group.end
			case j < len(paras):
				c.End = paras[j].start
			default:
				c.End = nextSyncAfter(syncStarts, group.start)
			}
			cues = append(cues, c)
		}
		k = j
	}
	return cues
}

// nextSyncAfter returns the first SYNC time after t in the whole file, or t plus
// samiFinalCueDuration when there is none.
func nextSyncAfter(starts []time.Duration, t time.Duration) time.Duration {
	i, _ := slices.BinarySearch(starts, t+1)
	if i < len(starts) {
		return starts[i]
	}
	if t > maxWritableTime-samiFinalCueDuration {
		return maxWritableTime
	}
	return t + samiFinalCueDuration
}

// samiTime reads a SYNC's Start or End: milliseconds, possibly followed by junk ("1000ms",
// "1000;") as sloppy files have.
func samiTime(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	end := 0
	for end < len(v) && isASCIIDigit(v[end]) {
		end++
	}
	if end == 0 || end > 15 {
		return 0, false
	}
	ms, err := strconv.ParseInt(v[:end], 10, 64)
	if err != nil {
		return 0, false
	}
	return durationOf(0, 0, 0, ms)
}

// samiSegment is the content of one <P> of a SYNC (or the content before the first <P>).
type samiSegment struct {
	class   string
	lang    string // the P's lang attribute
	content string
}

// splitSAMIParagraphs splits a SYNC's content at its <P> tags.
func splitSAMIParagraphs(content string) []samiSegment {
	var segs []samiSegment
	cur := samiSegment{}
	segStart := 0
	tags := tagScanner{s: content}
	for i := 0; i < len(content); {
		lt := strings.IndexByte(content[i:], '<')
		if lt < 0 {
			break
		}
		pos := i + lt
		tag, next, ok := tags.scan(pos)
		if !ok {
			i = pos + 1
			continue
		}
		i = next
		if tag.kind == htmlStartTag && tag.name == "p" {
			cur.content = content[segStart:pos]
			if strings.TrimSpace(cur.content) != "" || cur.class != "" {
				segs = append(segs, cur)
			}
			cur = samiSegment{class: strings.TrimSpace(htmlAttr(tag.attrs, "class")), lang: htmlAttr(tag.attrs, "lang")}
			segStart = next
		}
	}
	cur.content = content[segStart:]
	if strings.TrimSpace(cur.content) != "" || cur.class != "" {
		segs = append(segs, cur)
	}
	return segs
}

// parseSAMIStyle reads the class rules of a SAMI style block: ".KRCC { Name: 한국어; lang: ko-KR;
// SAMIType: CC; }". Rules for P, #ids and anything else are skipped.
func parseSAMIStyle(css string) []*samiClass {
	css = strings.NewReplacer("<!--", " ", "-->", " ").Replace(css)
	var classes []*samiClass
	for {
		open := strings.IndexByte(css, '{')
		if open < 0 {
			break
		}
		closing := strings.IndexByte(css[open:], '}')
		if closing < 0 {
			closing = len(css) - open
		}
		selector := strings.TrimSpace(css[:open])
		body := css[open+1 : open+closing]
		if closing+open < len(css) {
			css = css[open+closing+1:]
		} else {
			css = ""
		}
		name, ok := strings.CutPrefix(selector, ".")
		if !ok || name == "" {
			continue
		}
		c := &samiClass{name: name}
		for _, decl := range strings.Split(body, ";") {
			prop, value, ok := strings.Cut(decl, ":")
			if !ok {
				continue
			}
			value = strings.Trim(strings.TrimSpace(value), `"'`)
			switch strings.ToLower(strings.TrimSpace(prop)) {
			case "name":
				c.label = value
			case "lang":
				c.lang = samiLanguage(value)
			}
		}
		classes = append(classes, c)
	}
	return classes
}

// samiLanguage canonicalises a lang property. Korean files often write "kr" (the country code;
// as a language it would be Kanuri) and Japanese ones "jp"; they are read as ko and ja.
func samiLanguage(v string) string {
	base, region, _ := strings.Cut(strings.ReplaceAll(strings.TrimSpace(v), "_", "-"), "-")
	switch strings.ToLower(base) {
	case "kr":
		base = "ko"
	case "jp":
		base = "ja"
	}
	if region != "" {
		base += "-" + region
	}
	tag, err := CanonicalLanguage(base)
	if err != nil {
		return ""
	}
	return tag
}

// languageFromSAMIClass guesses a language from a class name the way SAMI authors name them:
// KRCC, KOKRCC, ENUSCC, RUCC — a language code, maybe a country, then "CC".
func languageFromSAMIClass(name string) string {
	code := strings.ToLower(name)
	code, ok := strings.CutSuffix(code, "cc")
	if !ok {
		return ""
	}
	switch len(code) {
	case 2:
		return samiLanguage(code)
	case 4:
		return samiLanguage(code[:2] + "-" + code[2:])
	}
	return ""
}
