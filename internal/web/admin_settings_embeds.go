package web

import (
	"database/sql"
	"net/http"
	"strings"

	"sistercity/internal/auth"
	"sistercity/internal/problem"
	"sistercity/internal/publish"
)

// The admin's list of sites that may put the embeddable player in a frame (publish.EmbedOrigins).

func (s *Server) embedSettingsRoutes() []route {
	return []route{
		{"GET /admin/settings/embeds", auth.RoleAdmin, s.embedSettings},
		{"POST /admin/settings/embeds", auth.RoleAdmin, s.embedSettingsSave},
	}
}

type embedSettingsData struct {
	Origins string
	Listed  bool
}

// embedSettingsNotices are the notices of the embed settings page.
var embedSettingsNotices = noticeSet{"saved": "embed.settings.saved"}

func (s *Server) embedSettings(w http.ResponseWriter, r *http.Request) {
	origins, err := publish.EmbedOrigins(r.Context(), s.db.R)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderEmbedSettings(w, r, http.StatusOK, embedSettingsData{Origins: strings.Join(origins, "\n"), Listed: len(origins) > 0}, nil)
}

func (s *Server) renderEmbedSettings(w http.ResponseWriter, r *http.Request, status int, d embedSettingsData, errs problem.Fields) {
	p := s.adminPage(w, r, "embed.settings.title")
	p.Errors = errs
	showNotice(p, r, embedSettingsNotices)
	p.Data = d
	s.render(w, r, status, "admin/settings-embeds", p)
}

func (s *Server) embedSettingsSave(w http.ResponseWriter, r *http.Request) {
	text := strings.ReplaceAll(r.PostFormValue("origins"), "\x00", "")
	origins, err := publish.ParseOrigins(text)
	if err != nil {
		f, _ := problem.AsFields(err)
		before, lerr := publish.EmbedOrigins(r.Context(), s.db.R)
		if lerr != nil {
			s.fail(w, r, lerr)
			return
		}
		s.renderEmbedSettings(w, r, http.StatusUnprocessableEntity, embedSettingsData{Origins: text, Listed: len(before) > 0}, f)
		return
	}
	ctx := r.Context()
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		before, err := publish.EmbedOrigins(ctx, tx)
		if err != nil {
			return err
		}
		if err := publish.SetEmbedOrigins(ctx, tx, origins); err != nil {
			return err
		}
		return auth.Audit(ctx, tx, userFrom(r), auth.ActionSetEmbedOrigins, auth.EntitySettings, 0,
			map[string][]string{"embed_origins": before}, map[string][]string{"embed_origins": origins})
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/settings/embeds?notice=saved", http.StatusSeeOther)
}
