package web

import (
	"net/http"
	"strconv"

	"sistercity/internal/auth"
)

const auditPageSize = 50

type auditData struct {
	Entries []auth.AuditEntry
	Entity  string
	Page    int
	HasMore bool
}

func (s *Server) auditLog(w http.ResponseWriter, r *http.Request) {
	p := s.adminPage(w, r, "admin.audit.title")
	pageNo, _ := strconv.Atoi(r.URL.Query().Get("page"))
	if pageNo < 1 || pageNo > 100000 {
		pageNo = 1
	}
	entity := r.URL.Query().Get("entity")
	if len(entity) > 40 {
		entity = ""
	}
	entries, err := auth.AuditLog(r.Context(), s.db.R, auth.Entity(entity), auditPageSize+1, (pageNo-1)*auditPageSize)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data := auditData{Entity: entity, Page: pageNo}
	if len(entries) > auditPageSize {
		data.HasMore = true
		entries = entries[:auditPageSize]
	}
	data.Entries = entries
	p.Data = data
	s.render(w, r, http.StatusOK, "admin/audit", p)
}
