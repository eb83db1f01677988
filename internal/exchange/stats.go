package exchange

import (
	"slices"
	"strconv"

	"sistercity/internal/civil"
)

// Counted tells whether an activity counts in the statistics: it took place (held, or moved
// online and its day has come), and it is no campaign, which only groups other activities.
func Counted(a *Activity, today civil.Date) bool {
	return a.Kind != KindCampaign && a.Happened(today)
}

// Tally is a count of activities per year, by one of their features.
type Tally struct {
	Years []int // every year from the first to the last with an activity
	Rows  []TallyRow
}

// TallyRow is one feature's counts, one per year of the tally.
type TallyRow struct {
	Key    string
	Counts []int
	Total  int
}

// Totals returns the count of each year over all rows.
func (t *Tally) Totals() []int {
	out := make([]int, len(t.Years))
	for _, r := range t.Rows {
		for i, n := range r.Counts {
			out[i] += n
		}
	}
	return out
}

// Count tallies the activities that count by the year they began and by keys, which gives each
// activity's features (an activity with two partners counts once for each). Rows come in the
// order of order, then any other key in the order met; rows without an activity are left out.
func Count(acts []*Activity, today civil.Date, keys func(*Activity) []string, order []string) Tally {
	var t Tally
	counts := map[string]map[int]int{}
	seen := slices.Clone(order)
	first, last := 0, 0
	for _, a := range acts {
		if !Counted(a, today) {
			continue
		}
		y := a.When().Start.Date.Year
		if first == 0 || y < first {
			first = y
		}
		last = max(last, y)
		for _, k := range keys(a) {
			if counts[k] == nil {
				counts[k] = map[int]int{}
			}
			counts[k][y]++
			if !slices.Contains(seen, k) {
				seen = append(seen, k)
			}
		}
	}
	if first == 0 {
		return t
	}
	for y := first; y <= last; y++ {
		t.Years = append(t.Years, y)
	}
	for _, k := range seen {
		c, ok := counts[k]
		if !ok {
			continue
		}
		row := TallyRow{Key: k}
		for _, y := range t.Years {
			row.Counts = append(row.Counts, c[y])
			row.Total += c[y]
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// ByKind, ByMode and ByPartnership are the keys of the statistics' three tallies.
func ByKind(a *Activity) []string { return []string{a.Kind} }

// ByMode keys an activity by the mode it took place in.
func ByMode(a *Activity) []string { return []string{a.Mode} }

// ByPartnership keys an activity by each partnership it is linked to.
func ByPartnership(a *Activity) []string {
	var out []string
	for _, p := range a.Partnerships {
		out = append(out, strconv.FormatInt(p, 10))
	}
	return out
}
