package civil

import "testing"

func TestYearsUntil(t *testing.T) {
	tests := []struct {
		from, to string
		want     int
	}{
		{"1992-06-30", "2020-07-10", 28},
		{"1992-06-30", "2020-06-29", 27},
		{"1992-06-30", "2020-06-30", 28},
		{"2000-02-29", "2001-02-28", 1},
		{"2000-02-29", "2001-02-27", 0},
		{"2019-11-01", "2026-11-29", 7},
	}
	for _, tt := range tests {
		if got := MustParse(tt.from).YearsUntil(MustParse(tt.to)); got != tt.want {
			t.Errorf("%s → %s: %d years, want %d", tt.from, tt.to, got, tt.want)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, s := range []string{"", "1992-13-01", "1992-02-30", "30.06.1992", "1992-6-30"} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) succeeded", s)
		}
	}
}

func TestScanRoundTrip(t *testing.T) {
	d := MustParse("1860-07-02")
	v, _ := d.Value()
	var back Date
	if err := back.Scan(v); err != nil || back != d {
		t.Fatalf("round trip: %v, %v", back, err)
	}
	var zero Date
	if v, _ := zero.Value(); v != nil {
		t.Fatalf("zero date stored as %v, want NULL", v)
	}
}
