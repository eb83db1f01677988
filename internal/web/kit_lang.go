package web

import (
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
