package web

import "testing"

func TestTypedLang(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ text, page, want string }{
		{"Saint Petersburg", "ko", "und-Latn"},
		{"Saint Petersburg", "ru", "und-Latn"},
		{"Saint Petersburg", "en", ""},
		{"Санкт-Петербург", "ko", "und-Cyrl"},
		{"Санкт-Петербург", "ru", ""},
		{"부산 (Busan)", "ko", ""},
		{"釜山", "ko", ""},
		{"COVID-19", "ru", ""},
		{"1992", "ru", ""},
		{"", "ru", ""},
		{"Vladivostok", "de", ""},
	} {
		if got := typedLang(c.text, c.page); got != c.want {
			t.Errorf("typedLang(%q, %q) = %q, want %q", c.text, c.page, got, c.want)
		}
	}
}
