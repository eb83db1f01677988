package web

import "sistercity/internal/auth"

// maxImportBytes bounds a register file uploaded for import.
const maxImportBytes = 10 << 20

// adminRoutes lists the admin's routes beyond sign-in and the overview.
func (s *Server) adminRoutes() []route {
	rs := []route{
		{"GET /admin/audit", auth.RoleAdmin, s.auditLog},
	}
	rs = append(rs, s.importRoutes()...)
	rs = append(rs, s.registerRoutes()...)
	rs = append(rs, s.partnerPortalRoutes()...)
	rs = append(rs, s.userRoutes()...)
	rs = append(rs, s.exchangeRoutes()...)
	rs = append(rs, s.videoAdminRoutes()...)
	rs = append(rs, s.tagRoutes()...)
	rs = append(rs, s.versionRoutes()...)
	rs = append(rs, s.trackAdminRoutes()...)
	rs = append(rs, s.translateRoutes()...)
	rs = append(rs, s.videoUploadRoutes()...)
	rs = append(rs, s.publogRoutes()...)
	rs = append(rs, s.messageAdminRoutes()...)
	rs = append(rs, s.reportRoutes()...)

	rs = append(rs, s.embedSettingsRoutes()...)
	rs = append(rs, s.workflowSettingsRoutes()...)
	rs = append(rs, s.fedSettingsRoutes()...)
	rs = append(rs, s.fedBlockRoutes()...)
	rs = append(rs, s.settingsRoutes()...)
	return rs
}
