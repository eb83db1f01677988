package i18n

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/BurntSushi/toml"
	"golang.org/x/text/feature/plural"
)

// glossary is glossary.toml: the catalog rules a test can check mechanically.
type glossary struct {
	Placeholders struct {
		Counted   []string
		Uncounted []string
		Exempt    []struct {
			Keys  []string
			Names []string
			Why   string
		}
	}
	Term []glossaryTerm
}

// glossaryTerm is one concept and, per language, the word for it.
type glossaryTerm struct {
	Concept string
	Langs   map[string]termRule
}

type termRule struct {
	Use    string
	Avoid  []string
	Within []string
}

func loadGlossary(t *testing.T, path string) glossary {
	t.Helper()
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// A term's languages are tables beside its "concept", so terms are decoded key by key.
	var raw struct {
		Placeholders toml.Primitive
		Term         []map[string]toml.Primitive
	}
	md, err := toml.Decode(string(body), &raw)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var g glossary
	if err := md.PrimitiveDecode(raw.Placeholders, &g.Placeholders); err != nil {
		t.Fatalf("%s: placeholders: %v", path, err)
	}
	for _, m := range raw.Term {
		term := glossaryTerm{Langs: map[string]termRule{}}
		for k, p := range m {
			var err error
			if k == "concept" {
				err = md.PrimitiveDecode(p, &term.Concept)
			} else {
				var r termRule
				err = md.PrimitiveDecode(p, &r)
				term.Langs[k] = r
			}
			if err != nil {
				t.Fatalf("%s: term %s: %v", path, k, err)
			}
		}
		g.Term = append(g.Term, term)
	}
	return g
}

var placeholderRe = regexp.MustCompile(`\{(\w+)\}`)

// texts returns every text of a message: its one text, or each of its plural forms.
func (e entry) texts() []string {
	if e.Forms == nil {
		return []string{e.Text}
	}
	var out []string
	for _, s := range e.Forms {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// placeholderProblems checks rule (a): a placeholder that counts something sits only in plural
// messages, in every language; and every placeholder name is classified.
func placeholderProblems(c *Catalog, g glossary) []string {
	class := map[string]string{}
	for _, n := range g.Placeholders.Counted {
		class[n] = "counted"
	}
	for _, n := range g.Placeholders.Uncounted {
		if class[n] != "" {
			return []string{fmt.Sprintf("glossary: {%s} is both counted and uncounted", n)}
		}
		class[n] = "uncounted"
	}
	exempt := map[string]bool{}
	for _, e := range g.Placeholders.Exempt {
		for _, k := range e.Keys {
			for _, n := range e.Names {
				exempt[k+"{"+n+"}"] = true
			}
		}
	}
	var problems []string
	for _, lang := range c.langs {
		for _, key := range c.Keys(lang) {
			m := c.msgs[lang][key]
			seen := map[string]bool{}
			for _, text := range m.texts() {
				for _, sm := range placeholderRe.FindAllStringSubmatch(text, -1) {
					name := sm[1]
					if seen[name] {
						continue
					}
					seen[name] = true
					switch class[name] {
					case "":
						problems = append(problems, fmt.Sprintf("%s: %s: placeholder {%s} is not in glossary.toml: is it counted?", lang, key, name))
					case "counted":
						if m.Forms == nil && !exempt[key+"{"+name+"}"] {
							problems = append(problems, fmt.Sprintf("%s: %s: {%s} counts something, so the message must be a plural message (with {count})", lang, key, name))
						}
					}
				}
			}
		}
	}
	return problems
}

// termProblems checks rule (b): no catalog string uses a variant the glossary says to avoid, and
// the term to use is there.
func termProblems(c *Catalog, g glossary) []string {
	var problems []string
	for _, term := range g.Term {
		for lang, rule := range term.Langs {
			if !c.Has(lang) {
				continue
			}
			used := false
			for _, avoid := range rule.Avoid {
				re, err := regexp.Compile("(?i)" + avoid)
				if err != nil {
					problems = append(problems, fmt.Sprintf("glossary: %s: %v", term.Concept, err))
					continue
				}
				for _, key := range c.Keys(lang) {
					if len(rule.Within) > 0 && !slices.ContainsFunc(rule.Within, func(p string) bool { return strings.HasPrefix(key, p) }) {
						continue
					}
					for _, text := range c.msgs[lang][key].texts() {
						if re.MatchString(text) {
							problems = append(problems, fmt.Sprintf("%s: %s: %q uses %q; for %s write %q", lang, key, text, avoid, term.Concept, rule.Use))
						}
					}
				}
			}
			for _, key := range c.Keys(lang) {
				for _, text := range c.msgs[lang][key].texts() {
					if strings.Contains(strings.ToLower(text), strings.ToLower(rule.Use)) {
						used = true
					}
				}
			}
			if !used {
				problems = append(problems, fmt.Sprintf("%s: no message uses %q (%s)", lang, rule.Use, term.Concept))
			}
		}
	}
	sort.Strings(problems)
	return problems
}

// unitRe finds a number or a placeholder parted from a unit symbol by an ordinary space, which
// Russian typography forbids (the line may break between them): «12 МБ» must be «12\u00a0МБ».
// «с» (seconds) is also a preposition, so it counts only after a figure or a seconds placeholder.
var unitRe = regexp.MustCompile(`((\d|\})\x20(%|мс|мин|ч|Б|КБ|МБ|ГБ|ТБ|км²|кбит/с|кадр/с)|(\d|\{s\}|\{seconds\})\x20с)(\PL|$)`)

func unitProblems(c *Catalog, lang string) []string {
	var problems []string
	for _, key := range c.Keys(lang) {
		for _, text := range c.msgs[lang][key].texts() {
			if m := unitRe.FindString(text); m != "" {
				problems = append(problems, fmt.Sprintf("%s: %s: %q: put a no-break space (U+00A0) between the number and its unit", lang, key, m))
			}
		}
	}
	return problems
}

// TestCatalogRules runs the glossary's checks over the real catalogs.
func TestCatalogRules(t *testing.T) {
	c := mustLoad(t)
	g := loadGlossary(t, "glossary.toml")
	for _, tt := range []struct {
		name     string
		problems []string
	}{
		{"numeric placeholders in plural messages", placeholderProblems(c, g)},
		{"one term per concept", termProblems(c, g)},
		{"no-break space before Russian units", unitProblems(c, "ru")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, p := range tt.problems {
				t.Error(p)
			}
		})
	}
}

// TestCatalogRulesFind proves that each check fails on a catalog that breaks it.
func TestCatalogRulesFind(t *testing.T) {
	g := loadGlossary(t, "glossary.toml")
	for _, tt := range []struct {
		name, en, ru string
		check        func(*Catalog) []string
		want         string
	}{
		{"a count outside a plural message",
			`n = { one = "{count} city", other = "{count} cities" }` + "\nm = \"At most {max} characters.\"",
			`n = { one = "{count} город", few = "{count} города", many = "{count} городов", other = "{count} города" }` + "\nm = \"Не более {max} знаков.\"",
			func(c *Catalog) []string { return placeholderProblems(c, g) },
			"ru: m: {max} counts something"},
		{"an unclassified placeholder",
			`m = "{quotient}:1"`, `m = "{quotient}:1"`,
			func(c *Catalog) []string { return placeholderProblems(c, g) },
			"en: m: placeholder {quotient} is not in glossary.toml"},
		{"an avoided term",
			`m = "Friendship cities"`, `m = "Города дружбы"`,
			func(c *Catalog) []string { return termProblems(c, g) },
			`ru: m: "Города дружбы" uses`},
		{"an avoided term only within its keys",
			`video.m = "Tag"`, `video.m = "Метка"`,
			func(c *Catalog) []string { return termProblems(c, g) },
			`ru: video.m: "Метка" uses`},
		{"a unit after a plain space",
			`m = "{size} MB"`, `m = "{size} МБ"`,
			func(c *Catalog) []string { return unitProblems(c, "ru") },
			`ru: m: "} МБ"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadFS(fstest.MapFS{
				"l/en/a.toml": {Data: []byte(tt.en + "\n")},
				"l/ru/a.toml": {Data: []byte(tt.ru + "\n")},
			}, "l")
			if err != nil {
				t.Fatal(err)
			}
			problems := tt.check(c)
			if !slices.ContainsFunc(problems, func(p string) bool { return strings.HasPrefix(p, tt.want) }) {
				t.Errorf("no problem starting %q in %q", tt.want, problems)
			}
		})
	}
}

// TestPluralByCount: T picks a plural message's form from its {count}, whole or fractional, with
// the real values the review found wrong («45 знака», «21 символов»).
func TestPluralByCount(t *testing.T) {
	c := mustLoad(t)
	for _, tt := range []struct {
		lang, key string
		args      []any
		want      string
	}{
		{"ru", "subtitle.code.line-too-long", []any{"count", 45.0, "limit", 42.0}, "Длина строки — 45 знаков; допустимо не более 42."},
		{"ru", "subtitle.code.line-too-long", []any{"count", 41.0, "limit", 37.0}, "Длина строки — 41 знак; допустимо не более 37."},
		{"ru", "subtitle.code.line-too-long", []any{"count", 43.0, "limit", 42.0}, "Длина строки — 43 знака; допустимо не более 42."},
		{"ru", "subtitle.code.reading-speed", []any{"count", 25.0, "limit", 20.0}, "Скорость чтения — 25 знаков в секунду; допустимо не более 20."},
		{"ru", "subtitle.code.reading-speed", []any{"count", 18.3, "limit", 17.0}, "Скорость чтения — 18,3 знака в секунду; допустимо не более 17."},
		{"ru", "subtitle.code.reading-speed", []any{"count", 21.0, "limit", 20.0}, "Скорость чтения — 21 знак в секунду; допустимо не более 20."},
		{"ru", "translate.issue.reading-speed", []any{"count", 21.0, "limit", 20.0}, "21 символ в секунду — слишком быстро для чтения (предел — 20)."},
		{"ru", "translate.issue.reading-speed", []any{"count", 22.0, "limit", 20.0}, "22 символа в секунду — слишком быстро для чтения (предел — 20)."},
		{"ru", "translate.issue.line-too-long", []any{"count", 42.0, "limit", 40.0}, "Длина строки — 42 знака (предел — 40)."},
		{"ru", "validation.too_long", []any{"count", 200}, "Не более 200 знаков."},
		{"ru", "validation.too_long", []any{"count", 21}, "Не более 21 знака."},
		{"ru", "partner.count", []any{"count", 29}, "29 городов"},
		{"ru", "partner.count", []any{"count", 21}, "21 город"},
		{"en", "partner.count", []any{"count", 1}, "1 partner city"},
		{"en", "subtitle.code.line-too-long", []any{"count", 45.0, "limit", 42.0}, "A line is 45 columns wide; at most 42."},
		{"ko", "subtitle.code.line-too-long", []any{"count", 34.0, "limit", 32.0}, "한 줄의 너비가 34칸입니다(최대 32칸)."},
		{"ru", "admin.dashboard.unmarked_hint", []any{"count", 21}, "В пределах 21 дня от них не запланировано и не проведено ни одного мероприятия по соглашению."},
		// A count given as text (already formatted) falls back to the "other" form.
		{"ru", "partner.count", []any{"count", "много"}, "много города"},
	} {
		if got := c.Localizer(tt.lang).T(tt.key, tt.args...); got != tt.want {
			t.Errorf("%s %s %v: %q, want %q", tt.lang, tt.key, tt.args, got, tt.want)
		}
	}
	ru := c.Localizer("ru")
	stats := ru.T("home.stats", "sister", ru.N("home.stats_sister", 14), "friendship", ru.N("home.stats_friendship", 15), "countries", ru.N("home.stats_countries", 21))
	if want := "14 городов-побратимов и 15 городов-партнёров в 21 стране"; stats != want {
		t.Errorf("home.stats: %q, want %q", stats, want)
	}
	if f, _ := ru.form(1.5); f != plural.Other {
		t.Errorf("ru 1,5: form %v, want other", f)
	}
	if f, _ := ru.form(int64(-3)); f != plural.Few {
		t.Errorf("ru -3: form %v, want few", f)
	}
}

// TestScheduleHintsNameTheScheduledState: the hints about a scheduled time quote the label of the
// Scheduled state, not that of Planned (the review's functional error in Russian).
func TestScheduleHintsNameTheScheduledState(t *testing.T) {
	c := mustLoad(t)
	for _, lang := range c.Languages() {
		l := c.Localizer(lang)
		scheduled, planned := l.T("video.state.scheduled"), l.T("video.state.planned")
		for _, key := range []string{"video.edit.schedule_hint", "video.edit.schedule_state_hint"} {
			hint := l.T(key)
			if !strings.Contains(strings.ToLower(hint), strings.ToLower(scheduled)) {
				t.Errorf("%s %s: %q does not name the state %q", lang, key, hint, scheduled)
			}
			for _, q := range []string{"«" + planned + "»", "‘" + planned + "’", "'" + planned + "'", "“" + planned + "”"} {
				if strings.Contains(hint, q) {
					t.Errorf("%s %s: %q names the planned state %q", lang, key, hint, planned)
				}
			}
		}
	}
}
