package exchange

import (
	"slices"

	"sistercity/internal/civil"
	"sistercity/internal/milestone"
	"sistercity/internal/register"
)

// PlanOptions shape the planning view.
type PlanOptions struct {
	Months       int // how far ahead to look from the start date; 24 when zero
	Days         int // a round anniversary counts as marked by an activity within this many days of it; 60 when zero
	DormantYears int // a partnership without a held activity for this many years is a dormant candidate; 3 when zero
}

// Plan is what the office plans from: the milestones and activities of the coming months per
// partnership, the round anniversaries no activity marks yet, and the partnerships that have
// gone quiet.
type Plan struct {
	From, To civil.Date
	Options  PlanOptions
	Groups   []*PlanGroup
	Unmarked []Unmarked
	Dormant  []Dormant
	// Idle are the partnerships still in force with no activity planned in the window: none
	// live that has yet to take place.
	Idle  []*register.Partnership
	Count int // activities in the window, all groups together
}

// PlanGroup is one partnership's part of the plan; the group without a partnership holds the
// milestones of the office as a whole (the home city's days, milestones kept for everyone).
type PlanGroup struct {
	Partnership *register.Partnership
	Milestones  []milestone.Occurrence
	Activities  []*Activity
}

// Unmarked is a round anniversary with no activity of its partnership near it.
type Unmarked struct {
	Occurrence  milestone.Occurrence
	Partnership *register.Partnership // nil for a milestone of the office as a whole
}

// Dormant is a partnership with no held activity in the last DormantYears years.
type Dormant struct {
	Partnership *register.Partnership
	LastHeld    *Activity // nil when none is recorded
}

// MakePlan builds the plan from from on. Cancelled and postponed activities are not counted as
// marking anything; activities count for every partnership they are linked to.
func MakePlan(src *milestone.Sources, activities []*Activity, from civil.Date, o PlanOptions) *Plan {
	if o.Months <= 0 {
		o.Months = 24
	}
	if o.Days <= 0 {
		o.Days = 60
	}
	if o.DormantYears <= 0 {
		o.DormantYears = 3
	}
	p := &Plan{From: from, To: civil.Of(from.Time().AddDate(0, o.Months, -1)), Options: o}
	office := &PlanGroup{}
	groups := map[int64]*PlanGroup{}
	for _, ps := range src.Partnerships {
		g := &PlanGroup{Partnership: ps}
		groups[ps.ID] = g
		p.Groups = append(p.Groups, g)
	}
	for _, occ := range src.Between(p.From, p.To) {
		if len(occ.Partnerships) == 0 {
			office.Milestones = append(office.Milestones, occ)
		}
		for _, id := range occ.Partnerships {
			if g := groups[id]; g != nil {
				g.Milestones = append(g.Milestones, occ)
			}
		}
		if !occ.Round {
			continue
		}
		if len(occ.Partnerships) == 0 && !marked(activities, 0, occ.On, o.Days) {
			p.Unmarked = append(p.Unmarked, Unmarked{Occurrence: occ})
		}
		for _, id := range occ.Partnerships {
			if g := groups[id]; g != nil && !marked(activities, id, occ.On, o.Days) {
				p.Unmarked = append(p.Unmarked, Unmarked{Occurrence: occ, Partnership: g.Partnership})
			}
		}
	}
	for _, a := range activities {
		if a.Status == StatusCancelled || !overlaps(a.When(), p.From, p.To) {
			continue
		}
		p.Count++
		for _, id := range a.Partnerships {
			if g := groups[id]; g != nil {
				g.Activities = append(g.Activities, a)
			}
		}
	}
	for _, ps := range src.Partnerships {
		if ps.Status == register.StatusEnded || ps.Status == register.StatusUpgraded {
			continue
		}
		if g := groups[ps.ID]; !slices.ContainsFunc(g.Activities, func(a *Activity) bool { return a.Live() && !a.Happened(from) }) {
			p.Idle = append(p.Idle, ps)
		}
	}
	if len(office.Milestones) > 0 {
		p.Groups = append([]*PlanGroup{office}, p.Groups...)
	}
	p.Groups = slices.DeleteFunc(p.Groups, func(g *PlanGroup) bool { return len(g.Milestones) == 0 && len(g.Activities) == 0 })

	since := civil.Of(from.Time().AddDate(-o.DormantYears, 0, 0))
	for _, ps := range src.Partnerships {
		if !ps.SignedOn.IsZero() && ps.SignedOn.After(since) {
			continue // too young to have gone quiet
		}
		var last *Activity
		for _, a := range activities {
			start := a.When().Start.Date
			if !slices.Contains(a.Partnerships, ps.ID) || !a.Happened(from) || start.After(from) {
				continue
			}
			if last == nil || last.When().Start.Date.Before(start) {
				last = a
			}
		}
		if last == nil || last.When().Start.Date.Before(since) {
			p.Dormant = append(p.Dormant, Dormant{Partnership: ps, LastHeld: last})
		}
	}
	return p
}

// marked tells whether a live activity of partnership (0: any) is held within days of on.
func marked(activities []*Activity, partnership int64, on civil.Date, days int) bool {
	lo, hi := civil.Of(on.Time().AddDate(0, 0, -days)), civil.Of(on.Time().AddDate(0, 0, days))
	for _, a := range activities {
		if !a.Live() || (partnership != 0 && !slices.Contains(a.Partnerships, partnership)) {
			continue
		}
		if overlaps(a.When(), lo, hi) {
			return true
		}
	}
	return false
}

// overlaps tells whether a span's days meet the days from lo to hi.
func overlaps(s Span, lo, hi civil.Date) bool {
	if s.Start.IsZero() {
		return false
	}
	return !s.Start.Date.After(hi) && !s.LastDate().Before(lo)
}
