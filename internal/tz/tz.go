// Package tz is the list of IANA time zones the admin forms offer and accept. The zone
// database is embedded (time/tzdata), so a zone such as Asia/Vladivostok loads on any machine,
// whether or not it has /usr/share/zoneinfo; the list of names is generated from the same
// database (gen.go), so what is offered is what loads.
package tz

//go:generate go run gen.go

import (
	"slices"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // the zone database in the binary: the list must load everywhere

	"sistercity/internal/i18n"
)

// areas are the first parts of the names offered: the current IANA regions. Legacy names
// (US/Pacific, Etc/GMT+5, ROK) are accepted but not offered.
var areas = []string{"Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific"}

// List returns the zones to offer, sorted, with UTC first. The slice is shared: do not change it.
var List = sync.OnceValue(func() []string {
	out := []string{"UTC"}
	for _, n := range known {
		area, _, ok := strings.Cut(n, "/")
		if ok && slices.Contains(areas, area) {
			out = append(out, n)
		}
	}
	return out
})

// Valid tells whether name is a zone of the database that loads: exactly as spelt there (a
// file system that ignores case would load asia/seoul too), never "Local" or "".
func Valid(name string) bool {
	if _, ok := slices.BinarySearch(known, name); !ok {
		return false
	}
	_, err := time.LoadLocation(name)
	return err == nil
}

// Suggest returns the zone someone probably meant by name, or "": the same name in another
// case ("asia/seoul"), or a city's zone named by the city alone ("Vladivostok", "new york").
func Suggest(name string) string {
	want := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(name), " ", "_"))
	if want == "" {
		return ""
	}
	for _, n := range List() {
		if strings.ToLower(n) == want {
			return n
		}
	}
	for _, n := range List() {
		if _, city, ok := strings.Cut(n, "/"); ok && strings.ToLower(city) == want {
			return n
		}
	}
	city := want
	if _, c, ok := strings.Cut(want, "/"); ok {
		city = c
	}
	return sharedZones[city]
}

// sharedZones are cities people type as a zone that IANA keeps under another city's name, as
// its zone files note: Khabarovsk is on Vladivostok's time, Busan on Seoul's.
var sharedZones = map[string]string{
	"khabarovsk":       "Asia/Vladivostok",
	"nakhodka":         "Asia/Vladivostok",
	"busan":            "Asia/Seoul",
	"pusan":            "Asia/Seoul",
	"incheon":          "Asia/Seoul",
	"saint_petersburg": "Europe/Moscow",
	"st_petersburg":    "Europe/Moscow",
	"st._petersburg":   "Europe/Moscow",
	"osaka":            "Asia/Tokyo",
}

// Problem is the message for a zone that is not Valid, in the user's terms: with the zone
// probably meant when there is one (tz.suggest), else tz.error.
func Problem(name string) i18n.Msg {
	if s := Suggest(name); s != "" {
		return i18n.M("tz.suggest", "zone", name, "suggestion", s)
	}
	return i18n.M("tz.error", "zone", name)
}
