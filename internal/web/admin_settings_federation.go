package web

import (
	"database/sql"
	"errors"
	"net/http"
	"strings"

	"sistercity/internal/auth"
	"sistercity/internal/db"
	"sistercity/internal/fed"
	"sistercity/internal/problem"
)

// The admin's federation page: the actor's username, follower approval, authorized fetch, key
// rotation, the followers (pending ones to approve or reject) and the replies to our videos,
// which are never shown publicly.

func (s *Server) fedSettingsRoutes() []route {
	return []route{
		{"GET /admin/settings/federation", auth.RoleAdmin, s.fedSettings},
		{"POST /admin/settings/federation", auth.RoleAdmin, s.fedSettingsSave},
		{"POST /admin/settings/federation/rotate", auth.RoleAdmin, s.fedRotate},
		{"POST /admin/settings/federation/approve", auth.RoleAdmin, s.fedFollowerAction(true)},
		{"POST /admin/settings/federation/reject", auth.RoleAdmin, s.fedFollowerAction(false)},
	}
}

// fedListLimit bounds the followers and replies listed on the page.
const fedListLimit = 200

type fedSettingsData struct {
	On        bool
	Settings  fed.Settings
	Handle    string
	ActorURL  string
	Followers []fed.Follower
	// Followed is the handle of each of the city's actors by Follower.Followed.
	Followed  map[string]string
	Replies   []fed.Reply
	Reactions []fed.ObjectReactions
	// WithSilenced: the replies from silenced servers are listed too (?silenced=1).
	WithSilenced bool
}

var fedSettingsNotices = noticeSet{
	"saved":    "fed.settings.saved",
	"rotated":  "fed.settings.rotated",
	"approved": "fed.settings.approved",
	"rejected": "fed.settings.rejected",
}

func (s *Server) fedSettings(w http.ResponseWriter, r *http.Request) {
	st, err := fed.LoadSettings(r.Context(), s.db.R)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderFedSettings(w, r, http.StatusOK, st, nil)
}

func (s *Server) renderFedSettings(w http.ResponseWriter, r *http.Request, status int, st fed.Settings, errs problem.Fields) {
	ctx := r.Context()
	d := fedSettingsData{On: s.fed != nil, Settings: st, WithSilenced: r.URL.Query().Get("silenced") == "1"}
	if s.fed != nil {
		d.Handle = "@" + st.Username + "@" + s.fed.Host()
		d.ActorURL = s.fed.ActorID()
		d.Followed = s.fed.Handles(st.Username)
	}
	var err error
	if d.Followers, err = fed.Followers(ctx, s.db.R, fedListLimit); err != nil {
		s.fail(w, r, err)
		return
	}
	if d.Reactions, err = fed.Reactions(ctx, s.db.R, fedListLimit); err != nil {
		s.fail(w, r, err)
		return
	}
	if d.Replies, err = fed.Replies(ctx, s.db.R, fedListLimit, d.WithSilenced); err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.adminPage(w, r, "fed.settings.title")
	p.Errors = errs
	showNotice(p, r, fedSettingsNotices)
	p.Data = d
	s.render(w, r, status, "admin/settings-federation", p)
}

func (s *Server) fedSettingsSave(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	st := fed.Settings{
		Username:         strings.TrimSpace(r.PostFormValue("username")),
		ManuallyApproves: r.PostFormValue("approve") == "on",
		AuthorizedFetch:  r.PostFormValue("authorized_fetch") == "on",
	}
	if !fed.ValidUsername(st.Username) {
		var f problem.Fields
		f.Add("username", "fed.settings.error.username")
		// Shown again in the form, cut so a pasted essay does not come back whole.
		if r := []rune(strings.ToValidUTF8(st.Username, "")); len(r) > 100 {
			st.Username = string(r[:100])
		}
		s.renderFedSettings(w, r, http.StatusUnprocessableEntity, st, f)
		return
	}
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		before, err := fed.LoadSettings(ctx, tx)
		if err != nil {
			return err
		}
		if err := fed.SaveSettings(ctx, tx, st); err != nil {
			return err
		}
		return auth.Audit(ctx, tx, userFrom(r), auth.ActionSetFederation, auth.EntitySettings, 0, before, st)
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/settings/federation?notice=saved", http.StatusSeeOther)
}

func (s *Server) fedRotate(w http.ResponseWriter, r *http.Request) {
	if s.fed == nil {
		s.fail(w, r, problem.New(http.StatusConflict, "fed.settings.off"))
		return
	}
	ctx := r.Context()
	if _, err := s.fed.Key(ctx); err != nil { // a key to replace, made outside the transaction
		s.fail(w, r, err)
		return
	}
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := s.fed.Rotate(ctx, tx); err != nil {
			return err
		}
		return auth.Audit(ctx, tx, userFrom(r), auth.ActionRotateKey, auth.EntitySettings, 0, nil, nil)
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/settings/federation?notice=rotated", http.StatusSeeOther)
}

func (s *Server) fedFollowerAction(approve bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.fed == nil {
			s.fail(w, r, problem.New(http.StatusConflict, "fed.settings.off"))
			return
		}
		ctx := r.Context()
		actor, followed := r.PostFormValue("actor"), r.PostFormValue("followed")
		action, notice := auth.ActionRejectFollower, "rejected"
		if approve {
			action, notice = auth.ActionApproveFollower, "approved"
		}
		err := s.db.InTx(ctx, func(tx *sql.Tx) error {
			var err error
			if approve {
				err = s.fed.Approve(ctx, tx, actor, followed)
			} else {
				err = s.fed.Reject(ctx, tx, actor, followed)
			}
			if err != nil {
				return err
			}
			return auth.Audit(ctx, tx, userFrom(r), action, auth.EntitySettings, 0, nil, map[string]string{"actor": actor, "followed": followed})
		})
		if errors.Is(err, db.ErrNotFound) {
			s.fail(w, r, problem.New(http.StatusNotFound, "error.not_found"))
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		http.Redirect(w, r, "/admin/settings/federation?notice="+notice, http.StatusSeeOther)
	}
}
