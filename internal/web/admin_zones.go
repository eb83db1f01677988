package web

import (
	"context"
	"strconv"

	"sistercity/internal/register"
	"sistercity/internal/tz"
)

// defaultZones fills the zone of the activity dates that have none with the partner city's
// (the first selected partnership whose partner has one), else the home city's: times of an
// exchange are mostly set where it happens. A date typed with a time and no zone is left
// empty on a form sent back, so its error stays next to an empty field.
func (s *Server) defaultZones(ctx context.Context, moments []momentForm, selected []string, byID map[int64]*register.Partnership) {
	def := ""
	for _, sid := range selected {
		id, err := strconv.ParseInt(sid, 10, 64)
		if err != nil {
			continue
		}
		if p := byID[id]; p != nil && p.PartnerCity != nil && tz.Valid(p.PartnerCity.Timezone) {
			def = p.PartnerCity.Timezone
			break
		}
	}
	if def == "" {
		if loc, _, err := s.homeZone(ctx, "en"); err == nil && loc != nil {
			def = loc.String()
		}
	}
	for i := range moments {
		if moments[i].Zone == "" && moments[i].Time == "" {
			moments[i].Zone = def
		}
	}
}
