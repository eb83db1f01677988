package web

import (
	"net/http"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"sistercity/internal/auth"
	"sistercity/internal/i18n"
	"sistercity/internal/register"
)

// registerRoutes lists the admin's pages for the partner register: cities, partnerships, their
// documents and date claims, and the home-city setting. Reading needs a viewer; the forms that
// create something need an editor, because showing them is the first step of the change.
func (s *Server) registerRoutes() []route {
	return []route{
		{"GET /admin/cities", auth.RoleViewer, s.cityList},
		{"GET /admin/cities/new", auth.RoleEditor, s.cityNew},
		{"POST /admin/cities", auth.RoleEditor, s.cityCreate},
		{"GET /admin/cities/{id}", auth.RoleViewer, s.cityEdit},
		{"POST /admin/cities/{id}", auth.RoleEditor, s.cityUpdate},
		{"POST /admin/cities/{id}/delete", auth.RoleEditor, s.cityDelete},
		{"POST /admin/settings/home-city", auth.RoleAdmin, s.setHomeCity},

		{"GET /admin/partnerships", auth.RoleViewer, s.partnershipList},
		{"GET /admin/partnerships/new", auth.RoleEditor, s.partnershipNew},
		{"POST /admin/partnerships", auth.RoleEditor, s.partnershipCreate},
		{"GET /admin/partnerships/{id}", auth.RoleViewer, s.partnershipEdit},
		{"POST /admin/partnerships/{id}", auth.RoleEditor, s.partnershipUpdate},
		{"POST /admin/partnerships/{id}/delete", auth.RoleEditor, deleteRecord(s, auth.EntityPartnership, "/admin/partnerships?notice=deleted", register.GetPartnership, register.DeletePartnership)},

		{"POST /admin/partnerships/{id}/documents", auth.RoleEditor, s.upload(s.partnershipDocuments())},
		{"GET /admin/partnerships/{id}/documents/{doc}", auth.RoleViewer, s.download(s.partnershipDocuments())},
		{"POST /admin/partnerships/{id}/documents/{doc}/delete", auth.RoleEditor, s.remove(s.partnershipDocuments())},

		{"POST /admin/partnerships/{id}/claims", auth.RoleEditor, s.claimSave},
		{"POST /admin/partnerships/{id}/claims/{claim}/delete", auth.RoleEditor, s.claimDelete},
	}
}

// canEdit tells whether the signed-in user may change the register; others get read-only forms.
func canEdit(r *http.Request) bool {
	u := userFrom(r)
	return u != nil && u.Role.AtLeast(auth.RoleEditor)
}

// countryOptions lists every ISO 3166-1 country with its name in the reader's language, in the
// language's alphabetical order.
func countryOptions(l *i18n.Localizer) []option {
	var opts []option
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			code := string([]rune{a, b})
			r, err := language.ParseRegion(code)
			// Keep the assigned codes: no aliases of a newer code (DD, ZR), no private use, none
			// without a UN M.49 number (UN, EZ, Canary Islands) or a name (SU, YU).
			if err != nil || !r.IsCountry() || r.IsPrivateUse() || r.Canonicalize().String() != code ||
				r.M49() == 0 || display.English.Regions().Name(r) == "" {
				continue
			}
			opts = append(opts, option{Value: code, Label: l.Region(code)})
		}
	}
	sortOptions(l, opts)
	return opts
}
