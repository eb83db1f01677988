package langtext

import (
	"encoding/json"
	"testing"
)

func TestPick(t *testing.T) {
	t.Parallel()
	texts := Texts{"ko": "블라디보스토크", "en": "Vladivostok", "ru-RU": "Владивосток"}
	cases := []struct{ lang, want, wantLang string }{
		{"ko", "블라디보스토크", "ko"},
		{"ru", "Владивосток", "ru-RU"}, // the same base language
		{"ja", "Vladivostok", "en"},
	}
	for _, c := range cases {
		if got, gotLang := texts.Pick(c.lang); got != c.want || gotLang != c.wantLang {
			t.Errorf("Pick(%q) = %q, %q; want %q, %q", c.lang, got, gotLang, c.want, c.wantLang)
		}
	}
	if got, l := (Texts{"und": "Vladivostok", "ru": "Владивосток"}).Pick("ko"); got != "Vladivostok" || l != Und {
		t.Errorf("without English, the text of no stated language comes first: %q %q", got, l)
	}
	if got, l := (Texts{"ja": "ウラジオストク"}).Pick("ko"); got != "ウラジオストク" || l != "ja" {
		t.Errorf("any text is better than none: %q %q", got, l)
	}
	if got, l := Texts(nil).Pick("ko"); got != "" || l != "ko" {
		t.Errorf("no texts: %q %q", got, l)
	}
}

func TestJSON(t *testing.T) {
	t.Parallel()
	var old struct{ At Texts }
	if err := json.Unmarshal([]byte(`{"At": " Vladivostok "}`), &old); err != nil || !Equal(old.At, Texts{"und": "Vladivostok"}) {
		t.Errorf("a plain string reads as the text of no stated language: %v %v", old.At, err)
	}
	var now struct{ At Texts }
	if err := json.Unmarshal([]byte(`{"At": {"ko": "블라디보스토크", "en": ""}}`), &now); err != nil || !Equal(now.At, Texts{"ko": "블라디보스토크"}) {
		t.Errorf("an object reads by language, blank texts dropped: %v %v", now.At, err)
	}
	out, _ := json.Marshal(Texts{"ru": "Владивосток", "en": "Vladivostok"})
	if string(out) != `{"en":"Vladivostok","ru":"Владивосток"}` {
		t.Errorf("written as %s", out)
	}
	if bad := (Texts{"en": "x", "und": "y", "not a tag": "z"}).CheckLangs(); len(bad) != 1 || bad[0] != "not a tag" {
		t.Errorf("CheckLangs = %v", bad)
	}
}
