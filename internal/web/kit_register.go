package web

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"sistercity/internal/i18n"
	"sistercity/internal/register"
)

// The register's lookups that the forms of several areas share (activities, milestones,
// videos): the partnerships to choose from, and the home city's zone.

// partnershipOptions lists the partnerships an activity may be linked to, named by partner city
// and type, an ended one marked as such.
func (s *Server) partnershipOptions(ctx context.Context, l *i18n.Localizer) ([]option, map[int64]*register.Partnership, error) {
	ps, err := register.Partnerships(ctx, s.db.R)
	if err != nil {
		return nil, nil, err
	}
	byID := map[int64]*register.Partnership{}
	var opts []option
	for _, p := range ps {
		byID[p.ID] = p
		if p.PartnerCity == nil {
			continue
		}
		label := p.PartnerCity.Name(l.Lang) + " — " + l.T("partner.type_one."+p.Type)
		if p.Status == register.StatusEnded {
			label += " (" + l.T("partner.status_name.ended") + ")"
		}
		opts = append(opts, option{Value: strconv.FormatInt(p.ID, 10), Label: label})
	}
	sortOptions(l, opts)
	return opts, byID, nil
}

// homeCityID is the id of the city this instance speaks for, 0 while none is chosen
// (register.ErrNoHomeCity); a database error is returned, not taken for "no home city".
func (s *Server) homeCityID(ctx context.Context) (int64, error) {
	id, err := register.HomeCityID(ctx, s.db.R)
	if errors.Is(err, register.ErrNoHomeCity) {
		return 0, nil
	}
	return id, err
}

// homeTitle is the home page's title: the sister cities of the home city, named in the page's
// language; without a home city, or without its name in that language, the sister cities alone
// (a name in another script would be a foreign word in the heading).
func (s *Server) homeTitle(ctx context.Context, l *i18n.Localizer) (string, error) {
	id, err := s.homeCityID(ctx)
	if err != nil || id == 0 {
		return l.T("home.title_any"), err
	}
	c, err := register.GetCity(ctx, s.db.R, id)
	if err != nil {
		return "", fmt.Errorf("web: home city %d: %w", id, err)
	}
	if c.NameLang(l.Lang) != l.Lang {
		return l.T("home.title_any"), nil
	}
	return l.T("home.title", "city", c.Name(l.Lang)), nil
}

// homeZone returns the home city's zone and name, for showing times there too; a nil zone
// while there is no home city or it has no zone. A database error is returned, not taken for
// "no home city".
func (s *Server) homeZone(ctx context.Context, lang string) (*time.Location, string, error) {
	id, err := s.homeCityID(ctx)
	if err != nil || id == 0 {
		return nil, "", err
	}
	c, err := register.GetCity(ctx, s.db.R, id)
	if err != nil {
		return nil, "", fmt.Errorf("web: home city %d: %w", id, err)
	}
	if c.Timezone == "" {
		return nil, "", nil
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		// The register checks a zone when it is saved; one Go's zone database no longer knows
		// shows times in UTC, and the log says why.
		s.log.Warn("home city's time zone unknown", "city", id, "zone", c.Timezone, "err", err)
		return nil, "", nil
	}
	return loc, c.Name(lang), nil
}
