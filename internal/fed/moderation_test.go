package fed

import (
	"strings"
	"testing"
)

func TestParseDomain(t *testing.T) {
	for in, want := range map[string]string{
		"Spam.Example":              "spam.example",
		" spam.example. ":           "spam.example",
		"https://spam.example/":     "spam.example",
		"http://spam.example":       "spam.example",
		"spam.example:8443":         "spam.example:8443",
		"http://127.0.0.1:8080":     "127.0.0.1:8080",
		"xn--80akhbyknj4f.example":  "xn--80akhbyknj4f.example",
		"испытание.example":         "xn--80akhbyknj4f.example",
		"2001:db8::1":               "2001:db8::1",
		"https://spam.example/path": "",
		"https://spam.example/?q=1": "",
		"ftp://spam.example":        "",
		"":                          "",
		"<b>x</b>.example":          "",
		"spam example":              "",
		"spam.example:99999":        "",
		strings.Repeat("a", 10000):  "",
		"user@spam.example":         "",
	} {
		got, err := ParseDomain(in)
		if want == "" && err == nil || want != "" && (err != nil || got != want) {
			t.Errorf("ParseDomain(%.40q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestBlockCovers(t *testing.T) {
	bl := Blocklist{
		Domains: []DomainBlock{
			{Domain: "spam.example", Subdomains: true, Severity: SeverityReject},
			{Domain: "loud.example", Severity: SeveritySilence},
			{Domain: "127.0.0.1:8080", Severity: SeverityReject},
		},
		Actors: []ActorBlock{{ActorID: "https://ok.example/users/troll"}},
	}
	for host, want := range map[string]string{
		"spam.example": SeverityReject, "a.b.spam.example": SeverityReject, "spam.example:443": SeverityReject,
		"notspam.example": "", "loud.example": SeveritySilence, "sub.loud.example": "",
		"127.0.0.1:8080": SeverityReject, "127.0.0.1:8081": "", "ok.example": "",
	} {
		if got := bl.Severity(host); got != want {
			t.Errorf("Severity(%s) = %q, want %q", host, got, want)
		}
	}
	if !bl.Rejects("https://ok.example/users/troll") || bl.Rejects("https://ok.example/users/alice") || !bl.Rejects("https://x.spam.example/u") {
		t.Error("Rejects")
	}
	if !bl.Silences("https://loud.example/u") || bl.Silences("https://ok.example/users/alice") {
		t.Error("Silences")
	}
}
