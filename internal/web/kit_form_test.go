package web

import (
	"testing"

	"sistercity/internal/problem"
)

// TestParseChoice: an optional choice is 0 when empty, its id when offered, and a
// validation.choice error on its field when malformed or not offered.
func TestParseChoice(t *testing.T) {
	t.Parallel()
	offered := func(id int64) bool { return id == 7 }
	for _, c := range []struct {
		in    string
		want  int64
		error bool
	}{
		{"", 0, false},
		{"7", 7, false},
		{"8", 0, true},
		{"0", 0, true},
		{"-7", 0, true},
		{"0x7", 0, true},
		{"7 ", 0, true},
		{"99999999999999999999", 0, true},
	} {
		var errs problem.Fields
		got := parseChoice(&errs, "partner_city_id", c.in, offered)
		if got != c.want || (len(errs) == 1) != c.error || (c.error && (errs[0].Field != "partner_city_id" || errs[0].Msg.Key != "validation.choice")) {
			t.Errorf("parseChoice(%q) = %d, %v; want %d, error %v", c.in, got, errs, c.want, c.error)
		}
	}
}
