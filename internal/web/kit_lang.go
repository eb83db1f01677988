package web

import (
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"sistercity/internal/i18n"
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
