package web

import (
	"net/http"
	"slices"
	"strings"

	"sistercity/internal/i18n"
	"sistercity/internal/langtext"
)

// langField is one language's field of a text kept per language (langtext.Texts).
type langField struct {
	Name  string // the form name: signed_at.ko
	Lang  string
	Label string // the language, named in the reader's language
	Value string
}

// langFields lists the fields of the per-language text name: one per language the site has,
// then one per other language the text has (a text of no stated language among them, so an
// editor sees it and can move it to its language).
func (s *Server) langFields(l *i18n.Localizer, name string, t langtext.Texts) []langField {
	langs := slices.Clone(s.cat.Languages())
	for _, lang := range t.Langs() {
		if !slices.Contains(langs, lang) {
			langs = append(langs, lang)
		}
	}
	out := make([]langField, 0, len(langs))
	for _, lang := range langs {
		label := langName(l, lang)
		if lang == langtext.Und {
			label = l.T("vocab.lang_und")
		}
		out = append(out, langField{Name: name + "." + lang, Lang: lang, Label: label, Value: t[lang]})
	}
	return out
}

// textsFrom reads the per-language fields name.<lang> of a posted form. Tags are checked by
// the model, which refuses one that is not BCP 47.
func textsFrom(r *http.Request, name string) langtext.Texts {
	t := langtext.Texts{}
	for key := range r.PostForm {
		if lang, ok := strings.CutPrefix(key, name+"."); ok {
			t.Set(lang, formValue(r, key))
		}
	}
	return t
}

// shownText is a per-language text as a page in one language shows it: the text in the page's
// language, or a fallback with the lang attribute it needs and a discreet marker naming it.
type shownText struct {
	Text   string
	Lang   string // the lang attribute, "" when the text is in the page's language
	Marker string // "in English", beside a fallback
}

// pickText chooses what a page in l's language shows of t. A text of no stated language is
// marked by the script it is written in, and named only when that is not the page's.
func pickText(l *i18n.Localizer, t langtext.Texts) shownText {
	text, lang := t.Pick(l.Lang)
	switch {
	case text == "" || lang == l.Lang:
		return shownText{Text: text}
	case lang == langtext.Und:
		st := shownText{Text: text, Lang: typedLang(text, l.Lang)}
		if st.Lang != "" {
			st.Marker = l.T("vocab.marker_und")
		}
		return st
	case sameLanguage(lang, l.Lang):
		return shownText{Text: text, Lang: lang}
	}
	return shownText{Text: text, Lang: lang, Marker: langMarker(l, lang)}
}
