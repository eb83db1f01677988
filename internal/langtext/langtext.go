// Package langtext is a value someone typed, kept per language: the place where an agreement
// was signed, a signatory's name, the reason for a change of status. A page shows the text in
// its own language and, when there is none, a fallback whose language it can name. It is a
// leaf: no database, no HTTP.
package langtext

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"golang.org/x/text/language"
)

// Und is the tag of a text whose language nobody stated: the values typed before texts had a
// language keep it, and a page marks them by the script they are written in.
const Und = "und"

// Texts is one value in each language it was given in, by BCP 47 tag. A nil or empty Texts is
// no value.
type Texts map[string]string

// Of is a Texts with the one text s in lang (or none when s is blank).
func Of(lang, s string) Texts {
	t := Texts{}
	t.Set(lang, s)
	return t
}

// Set sets the text in lang, trimmed; a blank text removes the language.
func (t Texts) Set(lang, s string) {
	s = strings.TrimSpace(s)
	if s == "" {
		delete(t, lang)
		return
	}
	t[lang] = s
}

// Empty tells whether there is no text in any language.
func (t Texts) Empty() bool {
	for _, s := range t {
		if s != "" {
			return false
		}
	}
	return true
}

// Langs lists the languages with a text, sorted.
func (t Texts) Langs() []string {
	return slices.Sorted(maps.Keys(t))
}

// Pick returns the text in lang and lang; without one, the fallback and its language: a text
// in the same base language (ru-RU for ru), then English, then the text of no stated language,
// then the first by tag. It returns "", lang when there is no text at all.
func (t Texts) Pick(lang string) (text, textLang string) {
	if s := t[lang]; s != "" {
		return s, lang
	}
	base := baseOf(lang)
	for _, l := range t.Langs() {
		if t[l] != "" && base != "" && baseOf(l) == base {
			return t[l], l
		}
	}
	for _, l := range []string{"en", Und} {
		if s := t[l]; s != "" {
			return s, l
		}
	}
	for _, l := range t.Langs() {
		if t[l] != "" {
			return t[l], l
		}
	}
	return "", lang
}

// In returns the text Pick chooses for lang, without its language: for exports, feeds and
// calendars, which carry one text.
func (t Texts) In(lang string) string {
	s, _ := t.Pick(lang)
	return s
}

// Equal tells whether two Texts hold the same texts.
func Equal(a, b Texts) bool {
	return maps.Equal(a.clean(), b.clean())
}

func (t Texts) clean() Texts {
	out := Texts{}
	for l, s := range t {
		if s != "" {
			out[l] = s
		}
	}
	return out
}

// Clone returns a copy of t.
func (t Texts) Clone() Texts { return maps.Clone(t) }

// CheckLangs returns the tags of t that are not well-formed BCP 47 (Und is one).
func (t Texts) CheckLangs() []string {
	var bad []string
	for _, l := range t.Langs() {
		if !ValidTag(l) {
			bad = append(bad, l)
		}
	}
	return bad
}

// ValidTag tells whether tag is a well-formed BCP 47 tag in its canonical form.
func ValidTag(tag string) bool {
	if tag == Und {
		return true
	}
	t, err := language.Parse(tag)
	return err == nil && tag != "" && t.String() == tag
}

// UnmarshalJSON reads an object of texts by language or, as files written before texts had a
// language hold, a plain string: the text in no stated language.
func (t *Texts) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err == nil {
		*t = Of(Und, s)
		return nil
	}
	var m map[string]string
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	*t = Texts{}
	for l, s := range m {
		t.Set(l, s)
	}
	return nil
}

func baseOf(lang string) string {
	if lang == Und {
		return ""
	}
	b, conf := language.Make(lang).Base()
	if conf == language.No {
		return ""
	}
	return b.String()
}
