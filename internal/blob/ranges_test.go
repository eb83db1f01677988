package blob

import (
	"maps"
	"testing"
)

// requestedRanges must read a Range header as http.ServeContent does, or a bounded S3 read
// would end early and cost a second request.
func TestRequestedRanges(t *testing.T) {
	for _, c := range []struct {
		header string
		want   map[int64]int64
	}{
		{"bytes=0-99", map[int64]int64{0: 100}},
		{"bytes=100-", map[int64]int64{100: 900}},
		{"bytes=-100", map[int64]int64{900: 100}},
		{"bytes=-5000", map[int64]int64{0: 1000}},
		{"bytes=990-5000", map[int64]int64{990: 10}},
		{"bytes=0-9, 20-29,-5", map[int64]int64{0: 10, 20: 10, 995: 5}},
		{"bytes=0-9,0-99", map[int64]int64{0: 100}},
		{"bytes=1000-", map[int64]int64{}},
		{"bytes=9-1", map[int64]int64{}},
		{"bytes=abc", map[int64]int64{}},
		{"items=0-9", nil},
		{"", nil},
	} {
		if got := requestedRanges(c.header, 1000); !maps.Equal(got, c.want) {
			t.Errorf("%q: %v, want %v", c.header, got, c.want)
		}
	}
}
