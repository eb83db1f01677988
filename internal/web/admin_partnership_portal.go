package web

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"

	"sistercity/internal/auth"
	"sistercity/internal/db"
	"sistercity/internal/fed"
	"sistercity/internal/portal"
	"sistercity/internal/problem"
	"sistercity/internal/register"
)

// The partner's instance of a partnership (sister portals): an editor names the partner city's
// actor, this instance follows it, and its videos come to the public pages (package portal).

func (s *Server) partnerPortalRoutes() []route {
	return []route{
		{"GET /admin/partnerships/{id}/portal", auth.RoleViewer, s.partnerPortal},
		{"POST /admin/partnerships/{id}/portal", auth.RoleEditor, s.partnerPortalSet},
	}
}

type partnerPortalData struct {
	PartnershipID int64
	Partner       *portal.Partner
	State         string
	Actor         string
	CanEdit       bool
	Off           bool
}

var partnerPortalNotices = noticeSet{
	"following": "portals.notice.following",
	"stopped":   "portals.notice.stopped",
}

func (s *Server) partnerPortal(w http.ResponseWriter, r *http.Request) {
	ps, ok := s.loadPartnership(w, r)
	if !ok {
		return
	}
	s.renderPartnerPortal(w, r, http.StatusOK, ps, "", nil)
}

func (s *Server) renderPartnerPortal(w http.ResponseWriter, r *http.Request, status int, ps *register.Partnership, actor string, errs problem.Fields) {
	partner, err := portal.PartnerOf(r.Context(), s.db.R, ps.ID)
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		s.fail(w, r, err)
		return
	}
	p := s.adminPage(w, r, "")
	name := ""
	if ps.PartnerCity != nil {
		name = ps.PartnerCity.Name(p.Lang)
	}
	p.Title = p.L.T("portals.admin.title", "city", name)
	p.Errors = errs
	showNotice(p, r, partnerPortalNotices)
	data := partnerPortalData{PartnershipID: ps.ID, Partner: partner, Actor: actor, CanEdit: canEdit(r), Off: s.portal == nil}
	if partner != nil {
		data.State = p.L.T("portals.state." + partner.State)
		if data.Actor == "" {
			data.Actor = partner.ActorID
		}
	}
	p.Data = data
	s.render(w, r, status, "admin/partnership-portal", p)
}

func (s *Server) partnerPortalSet(w http.ResponseWriter, r *http.Request) {
	ps, ok := s.loadPartnership(w, r)
	if !ok {
		return
	}
	if s.portal == nil {
		s.fail(w, r, problem.New(http.StatusConflict, "fed.settings.off"))
		return
	}
	ctx := r.Context()
	u := userFrom(r)
	before, err := portal.PartnerOf(ctx, s.db.R, ps.ID)
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		s.fail(w, r, err)
		return
	}
	if r.PostFormValue("action") == "clear" {
		err := s.db.InTx(ctx, func(tx *sql.Tx) error {
			if err := s.portal.ClearPartner(ctx, tx, ps.ID); err != nil {
				return err
			}
			return auth.Audit(ctx, tx, u, auth.ActionUpdate, auth.EntityPartnership, ps.ID, before, nil)
		})
		if errors.Is(err, db.ErrNotFound) {
			s.fail(w, r, problem.New(http.StatusNotFound, "error.not_found"))
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/admin/partnerships/%d/portal?notice=stopped", ps.ID), http.StatusSeeOther)
		return
	}
	in := r.PostFormValue("actor")
	var errs problem.Fields
	actor, err := s.portal.Resolve(ctx, in)
	switch {
	case err == nil:
	case errors.Is(err, fed.ErrBadActor):
		errs.Add("actor", "portals.error.actor")
	case errors.Is(err, portal.ErrNotActor):
		errs.Add("actor", "portals.error.not_found")
	case errors.Is(err, portal.ErrSelf):
		errs.Add("actor", "portals.error.self")
	case errors.Is(err, fed.ErrBlocked):
		errs.Add("actor", "portals.error.blocked")
	default:
		s.fail(w, r, err)
		return
	}
	if len(errs) > 0 {
		s.renderPartnerPortal(w, r, http.StatusUnprocessableEntity, ps, cutRunes(in, 300), errs)
		return
	}
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := s.portal.SetPartner(ctx, tx, ps.ID, actor); err != nil {
			return err
		}
		return auth.Audit(ctx, tx, u, auth.ActionUpdate, auth.EntityPartnership, ps.ID, before, map[string]string{"partner_actor": actor.ID})
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/partnerships/%d/portal?notice=following", ps.ID), http.StatusSeeOther)
}
