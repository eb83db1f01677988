package tz

import (
	"slices"
	"testing"
	"time"
)

// Every zone offered loads from the embedded database: the list and the database are one.
func TestEveryListedZoneLoads(t *testing.T) {
	list := List()
	if len(list) < 300 || list[0] != "UTC" {
		t.Fatalf("list: %d zones, first %q", len(list), list[0])
	}
	for _, n := range list {
		if _, err := time.LoadLocation(n); err != nil || !Valid(n) {
			t.Errorf("%s: %v", n, err)
		}
	}
	for _, n := range []string{"Asia/Seoul", "Asia/Vladivostok", "Europe/Moscow", "America/Los_Angeles", "Asia/Yakutsk"} {
		if !slices.Contains(list, n) {
			t.Errorf("%s not offered", n)
		}
	}
	if !slices.IsSorted(list[1:]) {
		t.Error("list not sorted")
	}
}

func TestValid(t *testing.T) {
	for name, want := range map[string]bool{
		"Asia/Seoul": true, "UTC": true, "Asia/Vladivostok": true, "US/Pacific": true,
		"": false, "Local": false, "asia/seoul": false, "Asia/Seoul/..": false, "../etc/passwd": false,
		// IANA has no zone of its own for Khabarovsk: it keeps Vladivostok's time (Asia/Vladivostok).
		"Asia/Khabarovsk": false, "Mars/Olympus": false,
	} {
		if got := Valid(name); got != want {
			t.Errorf("Valid(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestSuggest(t *testing.T) {
	for in, want := range map[string]string{
		"asia/seoul": "Asia/Seoul", "Vladivostok": "Asia/Vladivostok", "new york": "America/New_York",
		"Khabarovsk": "Asia/Vladivostok", "Asia/Khabarovsk": "Asia/Vladivostok", "busan": "Asia/Seoul",
		"Saint Petersburg": "Europe/Moscow", "Europe/Saint_Petersburg": "Europe/Moscow", "Mars/Olympus": "", "": "",
	} {
		if got := Suggest(in); got != want {
			t.Errorf("Suggest(%q) = %q, want %q", in, got, want)
		}
	}
}
