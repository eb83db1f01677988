package register

import "testing"

func TestCityContinent(t *testing.T) {
	for _, c := range []struct {
		country, zone, want string
	}{
		{"RU", "Asia/Vladivostok", "142"},
		{"RU", "Europe/Moscow", "150"},
		{"RU", "", "150"}, // no zone: the country's continent
		{"KR", "Asia/Seoul", "142"},
		{"US", "America/Los_Angeles", "019"},
		{"US", "Pacific/Honolulu", "019"}, // an ocean names no continent: the country's
		{"AU", "Australia/Melbourne", "009"},
		{"EG", "Africa/Cairo", "002"},
		{"TR", "", "142"},
		{"XX", "", ""},
	} {
		city := &City{Country: c.country, Timezone: c.zone}
		if got := city.Continent(); got != c.want {
			t.Errorf("%s %q: %q, want %q", c.country, c.zone, got, c.want)
		}
	}
}
