package web

import (
	"net/http"

	"sistercity/internal/auth"
)

// route is one entry of the route table. role is the least role the route needs; "" is public.
// Every route of the application is in this table, so that a test can walk all of them with
// every role.
type route struct {
	pattern string
	role    auth.Role
	handler http.HandlerFunc
}

func (s *Server) routeTable() []route {
	rs := []route{
		{"GET /{$}", "", s.root},
		{"GET /healthz", "", s.healthz},
		{"GET /robots.txt", "", s.robots},
		{"GET /sitemap.xml", "", s.sitemap},
		{"GET /static/{file...}", "", s.static().ServeHTTP},
		{"POST " + beaconPath, "", s.beacon},

		{"GET /admin/sign-in", "", s.signInForm},
		{"POST /admin/sign-in", "", s.signIn},
		{"POST /admin/sign-out", auth.RoleViewer, s.signOut},
		{"GET /admin/{$}", auth.RoleViewer, s.adminHome},
	}
	rs = append(rs, s.adminRoutes()...)
	rs = append(rs, s.fedRoutes()...)
	rs = append(rs, s.videoMediaRoutes()...)
	rs = append(rs, s.portalMediaRoutes()...)
	rs = append(rs, s.activityPubVideoRoutes()...)
	rs = append(rs, s.allLanguagesFeedRoutes()...)

	rs = append(rs, s.embedRoutes()...)
	rs = append(rs, s.siteAssetRoutes()...)
	// The public site, once per language: /ko/…, /ru/…, /en/…. An unknown prefix matches
	// nothing and gets the not-found page.
	for _, lang := range s.cat.Languages() {
		rs = append(rs,
			route{"GET /" + lang + "/{$}", "", s.home(lang)},
			route{"GET /" + lang + "/partners", "", s.partnerList(lang)},
			route{"GET /" + lang + "/partners/{id}", "", s.partnerPage(lang)},
		)
		rs = append(rs, s.exchangePublicRoutes(lang)...)
		rs = append(rs, s.videoPublicRoutes(lang)...)
		rs = append(rs, s.portalRoutes(lang)...)
		rs = append(rs, s.feedRoutes(lang)...)
		rs = append(rs, s.messagePublicRoutes(lang)...)
		rs = append(rs, s.messageVideoRoutes(lang)...)
	}
	return rs
}
