package i18n

import (
	"slices"
	"testing"
	"testing/fstest"
	"time"
)

func mustLoad(t *testing.T) *Catalog {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCatalogsComplete fails when any locale lacks a key another has, or a plural message lacks
// a form its language needs under CLDR (Russian: one, few, many).
func TestCatalogsComplete(t *testing.T) {
	c := mustLoad(t)
	for _, want := range []string{"en", "ko", "ru"} {
		if !c.Has(want) {
			t.Fatalf("no catalog for %s", want)
		}
	}
	if problems := c.Check(); len(problems) > 0 {
		for _, p := range problems {
			t.Error(p)
		}
	}
}

// TestCheckFindsGaps proves the completeness check fails on a missing key and a missing form.
func TestCheckFindsGaps(t *testing.T) {
	fsys := fstest.MapFS{
		"l/en/a.toml": {Data: []byte("greeting = \"Hi\"\n[years]\none = \"{count} year\"\nother = \"{count} years\"\n")},
		"l/ru/a.toml": {Data: []byte("[years]\none = \"{count} год\"\nother = \"{count} года\"\n")},
	}
	c, err := LoadFS(fsys, "l")
	if err != nil {
		t.Fatal(err)
	}
	problems := c.Check()
	if len(problems) != 3 {
		t.Fatalf("Check found %d problems, want 3 (a missing key, missing few and many): %q", len(problems), problems)
	}
}

func TestPlurals(t *testing.T) {
	c := mustLoad(t)
	tests := []struct {
		lang string
		n    int
		want string
	}{
		{"en", 1, "1 year"}, {"en", 28, "28 years"},
		{"ru", 1, "1 год"}, {"ru", 2, "2 года"}, {"ru", 5, "5 лет"}, {"ru", 21, "21 год"}, {"ru", 28, "28 лет"}, {"ru", 11, "11 лет"},
		{"ko", 1, "1년"}, {"ko", 28, "28년"},
	}
	for _, tt := range tests {
		if got := c.Localizer(tt.lang).N("partner.age", tt.n); got != tt.want {
			t.Errorf("%s %d: %q, want %q", tt.lang, tt.n, got, tt.want)
		}
	}
}

func TestDatesAndNumbers(t *testing.T) {
	c := mustLoad(t)
	d := time.Date(1992, 6, 30, 0, 0, 0, 0, time.UTC)
	for lang, want := range map[string]string{"en": "30 June 1992", "ru": "30 июня 1992 г.", "ko": "1992년 6월 30일"} {
		if got := c.Localizer(lang).Date(d); got != want {
			t.Errorf("%s date: %q, want %q", lang, got, want)
		}
	}
	for lang, want := range map[string]string{"en": "3,910,000", "ru": "3\u00a0910\u00a0000", "ko": "3,910,000"} {
		if got := c.Localizer(lang).Number(3910000); got != want {
			t.Errorf("%s number: %q, want %q", lang, got, want)
		}
	}
	pop, area := int64(606000), 331.5
	if got := c.Localizer("ru").Number(&pop); got != "606\u00a0000" {
		t.Errorf("ru number of a pointer: %q", got)
	}
	if got := c.Localizer("en").Number(&area); got != "331.5" {
		t.Errorf("en number of a float pointer: %q", got)
	}
	if got := c.Localizer("en").Number((*int64)(nil)); got != "" {
		t.Errorf("nil pointer: %q", got)
	}
	if got := c.Localizer("ru").Region("KR"); got != "Республика Корея" {
		t.Errorf("ru region KR: %q", got)
	}
}

func TestMatch(t *testing.T) {
	c := mustLoad(t)
	for header, want := range map[string]string{
		"ko":                         "ko",
		"ko-KR,ko;q=0.9,en;q=0.8":    "ko",
		"ru-RU;q=0.9, en;q=0.5":      "ru",
		"fr-FR":                      "en",
		"":                           "en",
		"garbage;;;q=x":              "en",
		"de;q=0.9,ru;q=0.8,ko;q=0.7": "ru",
	} {
		if got := c.Match(header); got != want {
			t.Errorf("Match(%q) = %q, want %q", header, got, want)
		}
	}
	if !slices.Equal(c.Languages()[:1], []string{"en"}) {
		t.Errorf("default language not first: %v", c.Languages())
	}
}
