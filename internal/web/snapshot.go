package web

import (
	"context"
	"slices"
	"sync"

	"sistercity/internal/civil"
	"sistercity/internal/db"
	"sistercity/internal/exchange"
	"sistercity/internal/identity"
	"sistercity/internal/milestone"
	"sistercity/internal/register"
)

// What the public pages read on every render and what changes only when someone writes — the
// register's partnerships and cities, the activities, the milestones and their round
// anniversaries — is loaded once per data generation (db.Generation) and shared by the
// renders of that generation. The shared values are read, never changed, by the handlers.

// memo holds one value for the generation it was loaded at.
type memo[T any] struct {
	mu  sync.Mutex
	gen uint64
	ok  bool
	v   T
}

// get returns the value of the current generation, loading it when there is none. Loads of
// one generation may overlap; the last one's value is kept, all are equal.
func (m *memo[T]) get(ctx context.Context, d *db.DB, load func(context.Context) (T, error)) (T, error) {
	gen := d.Generation(ctx) // before loading, so a write during the load makes it stale
	m.mu.Lock()
	if m.ok && m.gen == gen {
		v := m.v
		m.mu.Unlock()
		return v, nil
	}
	m.mu.Unlock()
	v, err := load(ctx)
	if err != nil {
		return v, err
	}
	m.mu.Lock()
	if !m.ok || gen >= m.gen {
		m.gen, m.v, m.ok = gen, v, true
	}
	m.mu.Unlock()
	return v, nil
}

// snapshots are the memos of a Server.
type snapshots struct {
	partnerships memo[[]*register.Partnership]
	cities       memo[map[int64]*register.City]
	activities   memo[[]*exchange.Activity]
	milestones   memo[*milestone.Sources]
	rounds       memo[roundDays]
	identity     memo[identity.Identity]
}

// roundDays are the round anniversaries from the earliest signing to a date.
type roundDays struct {
	to   civil.Date
	days []milestone.Occurrence
}

// partnerships returns every partnership with its cities, as register.Partnerships.
func (s *Server) partnerships(ctx context.Context) ([]*register.Partnership, error) {
	return s.snap.partnerships.get(ctx, s.db, func(ctx context.Context) ([]*register.Partnership, error) {
		return register.Partnerships(ctx, s.db.R)
	})
}

// publicCities returns every city by ID.
func (s *Server) publicCities(ctx context.Context) (map[int64]*register.City, error) {
	return s.snap.cities.get(ctx, s.db, func(ctx context.Context) (map[int64]*register.City, error) {
		all, err := register.Cities(ctx, s.db.R)
		if err != nil {
			return nil, err
		}
		out := make(map[int64]*register.City, len(all))
		for _, c := range all {
			out[c.ID] = c
		}
		return out, nil
	})
}

// activities returns the public activities, as exchange.List: these snapshots serve the
// public site, which never shows an internal activity.
func (s *Server) activities(ctx context.Context) ([]*exchange.Activity, error) {
	return s.snap.activities.get(ctx, s.db, func(ctx context.Context) ([]*exchange.Activity, error) {
		all, err := exchange.List(ctx, s.db.R)
		return slices.DeleteFunc(all, func(a *exchange.Activity) bool { return !a.Public() }), err
	})
}

// milestoneSources returns what the public milestones are computed from, as milestone.Load
// without the internal milestones kept by hand.
func (s *Server) milestoneSources(ctx context.Context) (*milestone.Sources, error) {
	return s.snap.milestones.get(ctx, s.db, func(ctx context.Context) (*milestone.Sources, error) {
		src, err := milestone.Load(ctx, s.db.R)
		if err != nil {
			return nil, err
		}
		return src.PublicOnly(), nil
	})
}

// roundAnniversaries returns the round milestone days from the earliest signing of any
// partnership (or today, if earlier) up to to, in date order; callers cut them to their own
// start.
func (s *Server) roundAnniversaries(ctx context.Context, today, to civil.Date) ([]milestone.Occurrence, error) {
	load := func(ctx context.Context) (roundDays, error) {
		src, err := s.milestoneSources(ctx)
		if err != nil {
			return roundDays{}, err
		}
		all, err := s.partnerships(ctx)
		if err != nil {
			return roundDays{}, err
		}
		return roundDays{to: to, days: roundsBetween(src, all, today, to)}, nil
	}
	r, err := s.snap.rounds.get(ctx, s.db, load)
	if err != nil {
		return nil, err
	}
	if r.to != to { // the day changed since this generation began: computed, not kept
		if r, err = load(ctx); err != nil {
			return nil, err
		}
	}
	return r.days, nil
}

func roundsBetween(src *milestone.Sources, all []*register.Partnership, today, to civil.Date) []milestone.Occurrence {
	from := today
	for _, ps := range all {
		if !ps.SignedOn.IsZero() && ps.SignedOn.Before(from) {
			from = ps.SignedOn
		}
	}
	var out []milestone.Occurrence
	for _, o := range src.Between(from, to) {
		if o.Round {
			out = append(out, o)
		}
	}
	return out
}
