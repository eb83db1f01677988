package main

import (
	"slices"
	"testing"
)

// TestPlan checks that a round's requests stay inside the file and that a seed gives both
// servers the same requests.
func TestPlan(t *testing.T) {
	o := options{requests: 500, minRange: 256 << 10, maxRange: 2 << 20, fullEvery: 50, ifRange: 10}
	const size = 8 << 20
	a, b := plan(o, size, 7), plan(o, size, 7)
	if !slices.Equal(a, b) {
		t.Fatal("the same seed gave different requests")
	}
	whole := 0
	for _, q := range a {
		if q.whole {
			whole++
			continue
		}
		if n := q.end - q.start + 1; q.start < 0 || q.end >= size || n < o.minRange || n > o.maxRange {
			t.Fatalf("range %d-%d outside the file or the sizes asked for", q.start, q.end)
		}
	}
	if whole == 0 || whole == len(a) {
		t.Fatalf("%d whole-file GETs of %d", whole, len(a))
	}
}
