// Package visibility names who may see a record of the exchange programme: the office alone
// (internal) or everyone (public). Activities and the milestones an editor keeps carry one; the
// public site, its feeds and calendars show only public records.
package visibility

import "slices"

// The two visibilities.
const (
	Internal = "internal" // seen in the admin only
	Public   = "public"   // seen on the public site, its feeds and calendars
)

// Values lists the visibilities in the order forms offer them.
var Values = []string{Internal, Public}

// Valid tells whether v is one of Values.
func Valid(v string) bool { return slices.Contains(Values, v) }
