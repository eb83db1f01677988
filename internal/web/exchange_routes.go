package web

import (
	"sistercity/internal/auth"
	"sistercity/internal/exchange"
	"sistercity/internal/milestone"
)

// exchangeRoutes lists the admin's pages for the exchange programme: activities with their
// minutes and checklists, milestones and diplomatic relations, and the planning dashboard.
// Reading needs a viewer; the forms that create something need an editor, as in the register.
func (s *Server) exchangeRoutes() []route {
	return []route{
		{"GET /admin/dashboard", auth.RoleViewer, s.dashboard},

		{"GET /admin/activities", auth.RoleViewer, s.activityList},
		{"GET /admin/activities/new", auth.RoleEditor, s.activityNew},
		{"POST /admin/activities", auth.RoleEditor, s.activityCreate},
		{"GET /admin/activities/{id}", auth.RoleViewer, s.activityEdit},
		{"POST /admin/activities/{id}", auth.RoleEditor, s.activityUpdate},
		{"POST /admin/activities/{id}/delete", auth.RoleEditor, deleteRecord(s, auth.EntityActivity, "/admin/activities?notice=deleted", exchange.Get, exchange.Delete)},

		{"POST /admin/activities/{id}/minutes", auth.RoleEditor, s.upload(s.activityMinutes())},
		{"GET /admin/activities/{id}/minutes/{doc}", auth.RoleViewer, s.download(s.activityMinutes())},
		{"POST /admin/activities/{id}/minutes/{doc}/delete", auth.RoleEditor, s.remove(s.activityMinutes())},

		{"POST /admin/activities/{id}/videos", auth.RoleEditor, s.activityVideoLink},
		{"POST /admin/activities/{id}/videos/{video}/delete", auth.RoleEditor, s.activityVideoUnlink},

		{"POST /admin/activities/{id}/checklist", auth.RoleEditor, s.checklistAdd},
		{"POST /admin/activities/{id}/checklist/standard", auth.RoleEditor, s.checklistStandard},
		{"GET /admin/activities/{id}/checklist/{item}", auth.RoleViewer, s.checklistEdit},
		{"POST /admin/activities/{id}/checklist/{item}", auth.RoleEditor, s.checklistUpdate},
		{"POST /admin/activities/{id}/checklist/{item}/done", auth.RoleEditor, s.checklistDone},
		{"POST /admin/activities/{id}/checklist/{item}/delete", auth.RoleEditor, s.checklistDelete},

		{"GET /admin/milestones", auth.RoleViewer, s.milestoneList},
		{"GET /admin/milestones/new", auth.RoleEditor, s.milestoneNew},
		{"POST /admin/milestones", auth.RoleEditor, s.milestoneCreate},
		{"GET /admin/milestones/{id}", auth.RoleViewer, s.milestoneEdit},
		{"POST /admin/milestones/{id}", auth.RoleEditor, s.milestoneUpdate},
		{"POST /admin/milestones/{id}/delete", auth.RoleEditor, deleteRecord(s, auth.EntityMilestone, "/admin/milestones?notice=deleted", milestone.Get, noFiles(milestone.Delete))},

		{"GET /admin/relations/new", auth.RoleEditor, s.relationNew},
		{"POST /admin/relations", auth.RoleEditor, s.relationCreate},
		{"GET /admin/relations/{id}", auth.RoleViewer, s.relationEdit},
		{"POST /admin/relations/{id}", auth.RoleEditor, s.relationUpdate},
		{"POST /admin/relations/{id}/delete", auth.RoleEditor, deleteRecord(s, auth.EntityDiplomaticRelation, "/admin/milestones?notice=deleted#relations", milestone.GetRelation, noFiles(milestone.DeleteRelation))},
	}
}

// exchangePublicRoutes lists the public pages of the exchange programme in one language: the
// calendar feeds and the statistics.
func (s *Server) exchangePublicRoutes(lang string) []route {
	return []route{
		{"GET /" + lang + "/calendar.ics", "", s.calendarFeed(lang)},
		{"GET /" + lang + "/partners/{id}/calendar.ics", "", s.partnerCalendarFeed(lang)},
		{"GET /" + lang + "/statistics", "", s.statisticsPage(lang)},
		{"GET /" + lang + "/statistics/{file}", "", s.statisticsCSV(lang)},
	}
}
