// Package i18n holds the locale catalogs (one TOML file per language, embedded), picks a
// language for a request, and formats messages, CLDR plurals, dates and numbers per locale.
//
// It is built on golang.org/x/text rather than a message framework: x/text exposes the CLDR
// plural rules, so the completeness test can ask which forms each language needs, and messages
// use plain {name} placeholders that translators read without knowing Go templates.
package i18n

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

//go:embed locales
var localeFiles embed.FS

// DefaultLang is the language used when nothing better matches, and the fallback for a key a
// catalog lacks.
const DefaultLang = "en"

// Msg is a message not yet translated: a catalog key and its arguments. Feature packages return
// Msgs (in validation errors, for example) so that the web layer can render them in the
// reader's language.
type Msg struct {
	Key   string
	Args  []any // name, value pairs
	Count *int  // set for plural messages
}

// M makes a Msg.
func M(key string, args ...any) Msg { return Msg{Key: key, Args: args} }

// entry is one catalog entry: either Text, or plural Forms keyed by CLDR category.
type entry struct {
	Text  string
	Forms map[plural.Form]string
}

// Catalog holds every language's messages.
type Catalog struct {
	langs   []string // in the order offered to readers: default first, then alphabetical
	tags    []language.Tag
	matcher language.Matcher
	msgs    map[string]map[string]entry
}

var formNames = map[string]plural.Form{
	"zero": plural.Zero, "one": plural.One, "two": plural.Two,
	"few": plural.Few, "many": plural.Many, "other": plural.Other,
}

// Load reads the embedded catalogs.
func Load() (*Catalog, error) {
	return LoadFS(localeFiles, "locales")
}

// LoadFS reads the catalogs in dir of fsys: one directory per language (named by its BCP 47
// tag) holding any number of .toml files, one per part of the application, so that work on
// different features does not touch the same file.
func LoadFS(fsys fs.FS, dir string) (*Catalog, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("i18n: %w", err)
	}
	c := &Catalog{msgs: map[string]map[string]entry{}}
	for _, e := range entries {
		lang := e.Name()
		if !e.IsDir() {
			continue
		}
		if _, err := language.Parse(lang); err != nil {
			return nil, fmt.Errorf("i18n: %s: not a language tag", lang)
		}
		files, err := fs.Glob(fsys, path.Join(dir, lang, "*.toml"))
		if err != nil {
			return nil, fmt.Errorf("i18n: %w", err)
		}
		msgs := map[string]entry{}
		for _, file := range files {
			body, err := fs.ReadFile(fsys, file)
			if err != nil {
				return nil, fmt.Errorf("i18n: %w", err)
			}
			var tree map[string]any
			if err := toml.Unmarshal(body, &tree); err != nil {
				return nil, fmt.Errorf("i18n: %s: %w", file, err)
			}
			if err := flatten("", tree, msgs); err != nil {
				return nil, fmt.Errorf("i18n: %s: %w", file, err)
			}
		}
		c.msgs[lang] = msgs
		c.langs = append(c.langs, lang)
	}
	if _, ok := c.msgs[DefaultLang]; !ok {
		return nil, fmt.Errorf("i18n: no catalog for the default language %q", DefaultLang)
	}
	sort.Slice(c.langs, func(i, j int) bool {
		if (c.langs[i] == DefaultLang) != (c.langs[j] == DefaultLang) {
			return c.langs[i] == DefaultLang
		}
		return c.langs[i] < c.langs[j]
	})
	for _, l := range c.langs {
		c.tags = append(c.tags, language.MustParse(l))
	}
	c.matcher = language.NewMatcher(c.tags)
	return c, nil
}

// flatten turns nested TOML tables into dotted keys. A table whose keys are all CLDR plural
// categories is one plural message.
func flatten(prefix string, tree map[string]any, out map[string]entry) error {
	for k, v := range tree {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		if _, dup := out[key]; dup {
			return fmt.Errorf("key %s is defined twice", key)
		}
		switch v := v.(type) {
		case string:
			out[key] = entry{Text: v}
		case map[string]any:
			if forms, ok := pluralForms(v); ok {
				out[key] = entry{Forms: forms}
				continue
			}
			if err := flatten(key, v, out); err != nil {
				return err
			}
		default:
			return fmt.Errorf("key %s: want a string or a table, got %T", key, v)
		}
	}
	return nil
}

func pluralForms(t map[string]any) (map[plural.Form]string, bool) {
	if len(t) == 0 {
		return nil, false
	}
	forms := map[plural.Form]string{}
	for k, v := range t {
		f, ok := formNames[k]
		s, isString := v.(string)
		if !ok || !isString {
			return nil, false
		}
		forms[f] = s
	}
	return forms, true
}

// Languages returns the catalog languages, the default first.
func (c *Catalog) Languages() []string { return c.langs }

// Has tells whether lang has a catalog.
func (c *Catalog) Has(lang string) bool {
	_, ok := c.msgs[lang]
	return ok
}

// Match picks the best catalog language for an Accept-Language header value.
func (c *Catalog) Match(acceptLanguage string) string {
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return DefaultLang
	}
	_, i, conf := c.matcher.Match(tags...)
	if conf == language.No {
		return DefaultLang
	}
	return c.langs[i]
}

// Keys returns the keys of one language's catalog, sorted.
func (c *Catalog) Keys(lang string) []string {
	keys := make([]string, 0, len(c.msgs[lang]))
	for k := range c.msgs[lang] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// PluralForms returns the plural categories of key in lang, or nil when the message is not a
// plural one.
func (c *Catalog) PluralForms(lang, key string) []string {
	m, ok := c.msgs[lang][key]
	if !ok || m.Forms == nil {
		return nil
	}
	var names []string
	for name, f := range formNames {
		if _, ok := m.Forms[f]; ok {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// RequiredPluralForms returns the CLDR cardinal categories that integers take in lang, found by
// asking the CLDR rules about a range of numbers.
func RequiredPluralForms(lang string) []string {
	tag := language.MustParse(lang)
	seen := map[string]bool{}
	for n := 0; n <= 1000; n++ {
		f := plural.Cardinal.MatchPlural(tag, n, 0, 0, 0, 0)
		for name, form := range formNames {
			if form == f {
				seen[name] = true
			}
		}
	}
	var names []string
	for name := range seen {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// lookup finds key in lang, falling back to the default language.
func (c *Catalog) lookup(lang, key string) (entry, bool) {
	if m, ok := c.msgs[lang][key]; ok {
		return m, true
	}
	m, ok := c.msgs[DefaultLang][key]
	return m, ok
}

// interpolate replaces {name} placeholders with the values of args (name, value pairs).
func interpolate(text string, args []any, format func(any) string) string {
	if !strings.Contains(text, "{") {
		return text
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(text, '{')
		if i < 0 {
			b.WriteString(text)
			break
		}
		j := strings.IndexByte(text[i:], '}')
		if j < 0 {
			b.WriteString(text)
			break
		}
		name := text[i+1 : i+j]
		b.WriteString(text[:i])
		if v, ok := arg(args, name); ok {
			b.WriteString(format(v))
		} else {
			b.WriteString(text[i : i+j+1])
		}
		text = text[i+j+1:]
	}
	return b.String()
}

func arg(args []any, name string) (any, bool) {
	for i := 0; i+1 < len(args); i += 2 {
		if k, ok := args[i].(string); ok && k == name {
			return args[i+1], true
		}
	}
	return nil, false
}

func itoa(n int) string { return strconv.Itoa(n) }

// Check compares every catalog with every other and returns what is missing: keys one language
// has and another lacks, and plural messages without a form their language needs.
func (c *Catalog) Check() []string {
	var problems []string
	all := map[string]bool{}
	for _, lang := range c.langs {
		for k := range c.msgs[lang] {
			all[k] = true
		}
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, lang := range c.langs {
		required := RequiredPluralForms(lang)
		for _, k := range keys {
			m, ok := c.msgs[lang][k]
			if !ok {
				problems = append(problems, fmt.Sprintf("%s: missing key %s", lang, k))
				continue
			}
			if m.Forms == nil {
				continue
			}
			for _, name := range required {
				if _, ok := m.Forms[formNames[name]]; !ok {
					problems = append(problems, fmt.Sprintf("%s: %s lacks plural form %q", lang, k, name))
				}
			}
		}
	}
	return problems
}
