package web

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"sistercity/internal/auth"
	"sistercity/internal/problem"
	"sistercity/internal/video"
)

// videoAdminRoutes are the admin's video pages: the list with processing status, and state
// changes. Editing texts and attaching a source are further steps (issue 3).
func (s *Server) videoAdminRoutes() []route {
	return []route{
		{"GET /admin/videos", auth.RoleViewer, s.adminVideoList},
		{"POST /admin/videos/{id}/state", auth.RoleEditor, s.adminVideoState},
	}
}

type adminVideoRow struct {
	V         *video.Video
	Title     string
	TitleLang string
	State     string
	Status    string
	Next      []stateOption
	Langs     string
}

type stateOption struct{ Value, Label string }

func (s *Server) adminVideoList(w http.ResponseWriter, r *http.Request) {
	p := s.adminPage(w, r, "video.admin.title")
	switch r.URL.Query().Get("notice") {
	case "state":
		p.Message = p.L.T("video.admin.state_changed")
	}
	list, _, err := video.List(r.Context(), s.db.R, video.Filter{})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var rows []adminVideoRow
	l := p.L
	for _, v := range list {
		row := adminVideoRow{V: v, Title: v.Title(l.Lang), TitleLang: v.TitleLang(l.Lang), State: l.T("video.state." + v.State)}
		switch v.Processing {
		case video.ProcProcessing:
			row.Status = l.T("video.processing.processing", "percent", v.Progress)
		case video.ProcFailed:
			reason := v.Failure
			// A rejected source is explained from the catalog; ffmpeg's words follow for the
			// administrator.
			code, _, _ := strings.Cut(reason, ":")
			if msg := l.T("video.media_error." + code); msg != "video.media_error."+code {
				reason = msg + " (" + v.Failure + ")"
			}
			row.Status = l.T("video.processing.failed", "reason", reason)
		default:
			row.Status = l.T("video.processing." + v.Processing)
		}
		for _, st := range video.Next(v.State) {
			row.Next = append(row.Next, stateOption{st, l.T("video.state." + st)})
		}
		for i, t := range v.Texts {
			if i > 0 {
				row.Langs += ", "
			}
			row.Langs += t.Lang
		}
		rows = append(rows, row)
	}
	p.Data = map[string]any{"Rows": rows, "CanEdit": canEdit(r)}
	s.render(w, r, http.StatusOK, "admin/videos", p)
}

// adminVideoState moves a video to another publishing state: checked against the workflow and
// the version the editor saw, in one transaction with its audit entry.
func (s *Server) adminVideoState(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	to := r.PostFormValue("state")
	var version int64
	if _, err := fmt.Sscan(r.PostFormValue("version"), &version); err != nil || version <= 0 || !slices.Contains(video.States, to) {
		s.fail(w, r, badRequest())
		return
	}
	ctx := r.Context()
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		v, err := video.Get(ctx, tx, id)
		if err != nil {
			return err
		}
		if v.Version != version {
			return video.ErrStale
		}
		before := v.State
		if err := video.SetState(ctx, tx, v, to, s.now()); err != nil {
			return err
		}
		return auth.Audit(ctx, tx, userFrom(r), "state", "video", id, map[string]string{"state": before}, map[string]string{"state": to})
	})
	switch {
	case errors.Is(err, video.ErrTransition):
		s.fail(w, r, problem.New(http.StatusUnprocessableEntity, "video.error.transition"))
		return
	case errors.Is(err, video.ErrStale):
		s.fail(w, r, problem.New(http.StatusConflict, "error.conflict"))
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/videos?notice=state", http.StatusSeeOther)
}
