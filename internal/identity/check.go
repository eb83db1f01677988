package identity

import (
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"sistercity/internal/i18n"
	"sistercity/internal/problem"
)

// Limits of the texts.
const (
	MaxNameRunes    = 120
	MaxFooterRunes  = 600
	MaxSummaryRunes = 500
	MaxContacts     = 10
	maxContactLen   = 300
)

var telRe = regexp.MustCompile(`^\+?[0-9][0-9 ()./-]{2,30}$`)

// Check validates the texts, colours and contacts of id for a site in langs, and normalises
// the colours to #rrggbb. Each problem is on the form field it concerns: name_LANG, footer_LANG, summary_LANG,
// accent, accent_dark, contacts.
func Check(id *Identity, langs []string) problem.Fields {
	var f problem.Fields
	checkTexts(&f, "name_", id.Names, langs, MaxNameRunes, false)
	checkTexts(&f, "footer_", id.Footers, langs, MaxFooterRunes, true)
	checkTexts(&f, "summary_", id.Summaries, langs, MaxSummaryRunes, true)
	checkAccent(&f, "accent", &id.Accent, LightBackgrounds)
	checkAccent(&f, "accent_dark", &id.AccentDark, DarkBackgrounds)
	if len(id.Contacts) > MaxContacts {
		n := MaxContacts
		f = append(f, problem.FieldError{Field: "contacts", Msg: i18n.Msg{Key: "identity.error.too_many_contacts", Count: &n}})
	}
	for i, c := range id.Contacts {
		if !ValidContact(c) {
			f.Add("contacts", "identity.error.contact", "line", i+1, "value", c)
		}
	}
	return f
}

func checkTexts(f *problem.Fields, prefix string, texts map[string]string, langs []string, maxRunes int, multiline bool) {
	keys := make([]string, 0, len(texts))
	for k := range texts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, lang := range keys {
		t := texts[lang]
		field := prefix + lang
		switch {
		case !slices.Contains(langs, lang):
			f.Add(strings.TrimSuffix(prefix, "_"), "identity.error.unknown_lang", "lang", lang)
		case !utf8.ValidString(t) || strings.ContainsFunc(t, func(r rune) bool {
			return unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t'))
		}):
			f.Add(field, "identity.error.control")
		case utf8.RuneCountInString(t) > maxRunes:
			*f = append(*f, problem.FieldError{Field: field, Msg: i18n.Msg{Key: "identity.error.too_long", Count: &maxRunes}})
		}
	}
}

func checkAccent(f *problem.Fields, field string, v *string, bgs []Background) {
	if *v == "" {
		return
	}
	c, ok := ParseHex(*v)
	if !ok {
		f.Add(field, "identity.error.colour", "value", *v)
		return
	}
	*v = c.Hex()
	if bg, r := weakest(c, bgs); r < MinContrast {
		f.Add(field, "identity.error.contrast", "ratio", RoundRatio(r),
			"background", bg.Hex, "where", i18n.M("identity.background."+bg.Name))
	}
}

// ValidContact tells whether s is a contact link the public pages may show: an http(s) URL
// with a host, a mailto: with one address, or a tel: with a phone number.
func ValidContact(s string) bool {
	if len(s) > maxContactLen || strings.ContainsFunc(s, unicode.IsSpace) && !strings.HasPrefix(strings.ToLower(s), "tel:") {
		return false
	}
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		return u.Host != "" && u.User == nil
	case "mailto":
		a, err := mail.ParseAddress(u.Opaque)
		return err == nil && a.Address == u.Opaque && u.RawQuery == ""
	case "tel":
		return telRe.MatchString(u.Opaque)
	}
	return false
}

// ContactText is what a contact link shows: the address, the number, or the host and path of a
// web address, all of which read the same in every language.
func ContactText(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	switch strings.ToLower(u.Scheme) {
	case "mailto", "tel":
		return u.Opaque
	}
	return strings.TrimSuffix(u.Host+u.EscapedPath(), "/")
}

// ContactKind is "email", "phone" or "web".
func ContactKind(s string) string {
	switch {
	case strings.HasPrefix(strings.ToLower(s), "mailto:"):
		return "email"
	case strings.HasPrefix(strings.ToLower(s), "tel:"):
		return "phone"
	}
	return "web"
}
