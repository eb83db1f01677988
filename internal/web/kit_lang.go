package web

import (
	"strings"
	"unicode"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"sistercity/internal/i18n"
	"sistercity/internal/langtext"
)

// langName names a language in the reader's language ("Korean", "корейский", "한국어").
func langName(l *i18n.Localizer, tag string) string {
	t, err := language.Parse(tag)
	if err != nil {
		return tag
	}
	if name := display.Tags(l.Tag()).Name(t); name != "" {
		return name
	}
	return tag
}

// selfLabel names a language in itself, as track menus do: "Русский", "한국어", "English".
func selfLabel(tag string) string {
	t, err := language.Parse(tag)
	if err != nil {
		return tag
	}
	name := display.Self.Name(t)
	if name == "" {
		return tag
	}
	r := []rune(name)
	return strings.ToUpper(string(r[0])) + string(r[1:])
}

// sameLanguage tells whether two tags have the same base language ("ru" and "ru-RU").
func sameLanguage(a, b string) bool {
	ta, err1 := language.Parse(a)
	tb, err2 := language.Parse(b)
	if err1 != nil || err2 != nil {
		return false
	}
	ba, _ := ta.Base()
	bb, _ := tb.Base()
	return ba == bb
}

// typedLang is the lang attribute a text someone typed, in no stated language, needs on a page
// in pageLang: "" when the text has a letter in the page's script (or no letter at all), else
// the undetermined language in the script it is written in ("und-Latn"), so that a Korean or
// Russian page says what it knows of an English-looking place name or reason, and no more.
func typedLang(text, pageLang string) string {
	scripts := []struct {
		tag   string
		table *unicode.RangeTable
	}{{"Latn", unicode.Latin}, {"Cyrl", unicode.Cyrillic}, {"Hang", unicode.Hangul}, {"Hani", unicode.Han}}
	own := map[string]string{"en": "Latn", "ru": "Cyrl", "ko": "Hang"}[pageLang]
	counts := map[string]int{}
	lower := false // a text in capitals alone is a code (COVID-19, KBS), the same in every language
	for _, r := range text {
		if !unicode.IsLetter(r) {
			continue
		}
		lower = lower || !unicode.IsUpper(r)
		for _, s := range scripts {
			if unicode.Is(s.table, r) {
				counts[s.tag]++
			}
		}
	}
	if own == "" || !lower || counts[own] > 0 || (own == "Hang" && counts["Hani"] > 0) {
		return ""
	}
	best := ""
	for _, s := range scripts {
		if counts[s.tag] > counts[best] {
			best = s.tag
		}
	}
	if best == "" {
		return ""
	}
	return "und-" + best
}

// typedPart is a sentence of the page's language around a text someone typed: Before and
// After are the sentence's, Typed is the typed text and Lang its typedLang, or the language
// of a per-language text's fallback, with Marker naming it (see typedText).
type typedPart struct{ Before, Typed, Lang, Marker, After string }

// Empty tells whether there is nothing to show.
func (t typedPart) Empty() bool { return t.Before == "" && t.Typed == "" && t.After == "" }

// typedText is what a page in l's language shows of a per-language text, as a typedPart.
func typedText(l *i18n.Localizer, t langtext.Texts) typedPart {
	st := pickText(l, t)
	return typedPart{Typed: st.Text, Lang: st.Lang, Marker: st.Marker}
}

// withTypedText is withTyped with a per-language text, its fallback marked (typedText).
func withTypedText(l *i18n.Localizer, key, param string, t langtext.Texts, args ...any) typedPart {
	st := pickText(l, t)
	part := withTyped(l, key, param, st.Text, args...)
	if part.Typed != "" {
		part.Lang, part.Marker = st.Lang, st.Marker
	}
	return part
}

// withTyped is the message key with its argument param set to typed, which is kept apart so
// that a template can mark its language (the partial "typed").
func withTyped(l *i18n.Localizer, key, param, text string, args ...any) typedPart {
	const mark = "\x00"
	before, after, ok := strings.Cut(l.T(key, append(args, param, mark)...), mark)
	if !ok {
		return typedPart{Before: before}
	}
	return typedPart{Before: before, Typed: text, Lang: typedLang(text, l.Lang), After: after}
}
