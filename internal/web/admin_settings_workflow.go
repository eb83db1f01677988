package web

import (
	"database/sql"
	"net/http"

	"sistercity/internal/auth"
	"sistercity/internal/video"
)

// The publishing workflow setting (/admin/settings/workflow): whether a draft video may be
// published in one step, or must go through review first (video.Workflow).

func (s *Server) workflowSettingsRoutes() []route {
	return []route{
		{"GET /admin/settings/workflow", auth.RoleAdmin, s.workflowSettings},
		{"POST /admin/settings/workflow", auth.RoleAdmin, s.workflowSettingsSave},
	}
}

var workflowNotices = noticeSet{"saved": "video.workflow.saved"}

func (s *Server) workflowSettings(w http.ResponseWriter, r *http.Request) {
	wf, err := video.LoadWorkflow(r.Context(), s.db.R)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.adminPage(w, r, "video.workflow.title")
	showNotice(p, r, workflowNotices)
	p.Data = wf
	s.render(w, r, http.StatusOK, "admin/settings-workflow", p)
}

// workflowRecord is the setting as the audit log keeps it.
type workflowRecord struct {
	ReviewRequired bool `json:"video_review_required"`
}

func (s *Server) workflowSettingsSave(w http.ResponseWriter, r *http.Request) {
	var after video.Workflow
	switch r.PostFormValue("review_required") {
	case "":
	case "1":
		after.ReviewRequired = true
	default:
		s.fail(w, r, badRequest())
		return
	}
	err := s.change(r, auth.ActionUpdate, auth.EntitySettings, func(tx *sql.Tx) (int64, any, any, error) {
		before, err := video.LoadWorkflow(r.Context(), tx)
		if err != nil {
			return 0, nil, nil, err
		}
		if err := video.SaveWorkflow(r.Context(), tx, after); err != nil {
			return 0, nil, nil, err
		}
		return 0, workflowRecord{before.ReviewRequired}, workflowRecord{after.ReviewRequired}, nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/settings/workflow?notice=saved", http.StatusSeeOther)
}
