package web

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"sistercity/internal/auth"
	"sistercity/internal/i18n"
	"sistercity/internal/problem"
	"sistercity/internal/register"
	"sistercity/internal/report"
)

// userRoutes lists the account management pages; all are for admins.
func (s *Server) userRoutes() []route {
	return []route{
		{"GET /admin/users", auth.RoleAdmin, s.userList},
		{"POST /admin/users", auth.RoleAdmin, s.userCreate},
		{"POST /admin/users/{id}/role", auth.RoleAdmin, s.userSetRole},
		{"POST /admin/users/{id}/password", auth.RoleAdmin, s.userResetPassword},
		{"POST /admin/users/{id}/disable", auth.RoleAdmin, s.userDisable},
		{"POST /admin/users/{id}/enable", auth.RoleAdmin, s.userEnable},
	}
}

const maxDisplayName = 200

// errLastAdmin refuses a change that would leave nobody able to manage accounts.
var errLastAdmin = errors.New("web: the last admin must stay an enabled admin")

// errSelfDisable refuses disabling one's own account, which would sign the admin out mid-task.
var errSelfDisable = errors.New("web: cannot disable own account")

// userRecord is an account as the audit log keeps it: never its password.
type userRecord struct {
	Username    string    `json:"username"`
	DisplayName string    `json:"display_name,omitempty"`
	Role        auth.Role `json:"role"`
	Disabled    bool      `json:"disabled"`
}

func recordOf(u *auth.User) userRecord {
	return userRecord{Username: u.Username, DisplayName: u.DisplayName, Role: u.Role, Disabled: u.Disabled}
}

type newUserForm struct {
	Username, DisplayName, Role string
	City                        string // a partner liaison's partner city
}

type userListData struct {
	Users       []*auth.User
	Me          int64
	Form        newUserForm
	Roles       []option
	Problem     string
	MinPassword int
	List        listView
	// PartnerCities are the cities a partner liaison account may be bound to; LiaisonCity
	// names the city each liaison account is bound to.
	PartnerCities []option
	LiaisonCity   map[int64]string
}

func (s *Server) userList(w http.ResponseWriter, r *http.Request) {
	s.renderUsers(w, r, http.StatusOK, newUserForm{Role: string(auth.RoleViewer)}, nil, "")
}

// renderUsers shows the accounts and the form for a new one; errs are about that form,
// problemKey about a refused change to an account.
func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, status int, f newUserForm, errs problem.Fields, problemKey string) {
	p := s.adminPage(w, r, "admin.users.title")
	showNotice(p, r, adminNotices)
	p.Errors = errs
	lq := readList(r, adminListSize)
	users, total, err := auth.UserSearch(r.Context(), s.db.R, lq.Q, lq.size, lq.offset())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	lv := newListView(p.L, r, lq, total)
	if off := lv.Pager.Offset; off != lq.offset() { // asked past the end: the last page
		if users, _, err = auth.UserSearch(r.Context(), s.db.R, lq.Q, lq.size, off); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	data := userListData{Users: users, List: lv, Me: userFrom(r).ID, Form: f, MinPassword: auth.MinPasswordLength}
	for _, role := range auth.Roles {
		data.Roles = append(data.Roles, option{string(role), p.L.T("admin.users.role_name." + string(role))})
	}
	if problemKey != "" {
		data.Problem = p.L.T(problemKey)
	}
	if err := s.liaisonCities(r, p.Lang, &data); err != nil {
		s.fail(w, r, err)
		return
	}
	p.Data = data
	s.render(w, r, status, "admin/users", p)
}

// liaisonCities fills in the partner cities of the new-account form and the city each
// liaison account on the page is bound to.
func (s *Server) liaisonCities(r *http.Request, lang string, d *userListData) error {
	_, cities, err := s.liaisonChoices(r, lang)
	if err != nil {
		return err
	}
	d.PartnerCities = cities
	bound, err := report.Liaisons(r.Context(), s.db.R)
	if err != nil {
		return err
	}
	d.LiaisonCity = map[int64]string{}
	for _, u := range d.Users {
		if c, ok := bound[u.ID]; ok {
			for _, o := range cities {
				if o.Value == strconv.FormatInt(c, 10) {
					d.LiaisonCity[u.ID] = o.Label
				}
			}
		}
	}
	return nil
}

// passwordData is the page that shows a new password, once.
type passwordData struct {
	Username  string
	Password  string
	Generated bool
	Created   bool
}

func (s *Server) userCreate(w http.ResponseWriter, r *http.Request) {
	f := newUserForm{Username: strings.ToLower(formValue(r, "username")), DisplayName: formValue(r, "display_name"),
		Role: formValue(r, "role")}
	password := r.PostFormValue("password")
	errs := auth.ValidateAccount(f.Username, auth.Role(f.Role), password)
	register.CheckText(&errs, "display_name", f.DisplayName, maxDisplayName)
	var city int64
	if auth.Role(f.Role) == auth.RoleLiaison {
		f.City = formValue(r, "city")
		var ok bool
		if city, ok = parseID(f.City); !ok {
			errs.Add("city", "reports.error.liaison_city")
		}
	}
	if len(errs) > 0 {
		s.renderUsers(w, r, http.StatusUnprocessableEntity, f, errs, "")
		return
	}
	generated := password == ""
	if generated {
		password = auth.RandomPassword()
	}
	ctx := r.Context()
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		u, err := auth.CreateUser(ctx, tx, f.Username, f.DisplayName, password, auth.Role(f.Role))
		if err != nil {
			return err
		}
		if city != 0 {
			if err := report.BindLiaison(ctx, tx, u.ID, city); err != nil {
				return err
			}
		}
		return auth.Audit(ctx, tx, userFrom(r), auth.ActionCreate, auth.EntityUser, u.ID, nil, recordOf(u))
	})
	fs, isFields := problem.AsFields(err)
	switch {
	case errors.Is(err, auth.ErrUsernameTaken):
		s.renderUsers(w, r, http.StatusUnprocessableEntity, f,
			problem.Fields{{Field: "username", Msg: i18n.M("admin.users.username_taken")}}, "")
		return
	case isFields:
		s.renderUsers(w, r, http.StatusUnprocessableEntity, f, fs, "")
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	s.showPassword(w, r, passwordData{Username: f.Username, Password: password, Generated: generated, Created: true})
}

// showPassword renders a password on a page that is not cached and not redirected to, so that it
// is seen once and never stored in a URL or a session.
func (s *Server) showPassword(w http.ResponseWriter, r *http.Request, d passwordData) {
	title := "admin.users.password_title"
	if d.Created {
		title = "admin.users.created_title"
	}
	p := s.adminPage(w, r, title)
	p.Data = d
	s.render(w, r, http.StatusOK, "admin/user-password", p)
}

// changeUser runs change on the account of the request's {id} in one transaction with its
// audit entry, refusing changes that would leave no enabled admin.
func (s *Server) changeUser(w http.ResponseWriter, r *http.Request, action auth.Action, notice string,
	change func(ctx context.Context, tx *sql.Tx, u *auth.User) error) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	ctx := r.Context()
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		before, err := auth.GetUser(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := change(ctx, tx, before); err != nil {
			return err
		}
		after, err := auth.GetUser(ctx, tx, id)
		if err != nil {
			return err
		}
		if before.Role == auth.RoleAdmin && !before.Disabled && (after.Role != auth.RoleAdmin || after.Disabled) {
			// Counted after the change, inside the transaction, so two admins demoting each
			// other at once cannot both succeed.
			n, err := auth.CountAdmins(ctx, tx)
			if err != nil {
				return err
			}
			if n == 0 {
				return errLastAdmin
			}
		}
		return auth.Audit(ctx, tx, userFrom(r), action, auth.EntityUser, id, recordOf(before), recordOf(after))
	})
	switch {
	case errors.Is(err, errLastAdmin):
		s.renderUsers(w, r, http.StatusConflict, newUserForm{Role: string(auth.RoleViewer)}, nil, "admin.users.last_admin")
	case errors.Is(err, errSelfDisable):
		s.renderUsers(w, r, http.StatusConflict, newUserForm{Role: string(auth.RoleViewer)}, nil, "admin.users.self_disable")
	case err != nil:
		if f, ok := problem.AsFields(err); ok {
			s.renderUsers(w, r, http.StatusUnprocessableEntity, newUserForm{Role: string(auth.RoleViewer)}, nil, f[0].Msg.Key)
			return
		}
		s.fail(w, r, err)
	default:
		http.Redirect(w, r, "/admin/users?notice="+notice, http.StatusSeeOther)
	}
}

func (s *Server) userSetRole(w http.ResponseWriter, r *http.Request) {
	role := auth.Role(formValue(r, "role"))
	s.changeUser(w, r, auth.ActionSetRole, "role", func(ctx context.Context, tx *sql.Tx, u *auth.User) error {
		return auth.SetRole(ctx, tx, u.ID, role)
	})
}

func (s *Server) userDisable(w http.ResponseWriter, r *http.Request) {
	s.changeUser(w, r, auth.ActionDisable, "disabled", func(ctx context.Context, tx *sql.Tx, u *auth.User) error {
		if u.ID == userFrom(r).ID {
			return errSelfDisable
		}
		return auth.SetDisabled(ctx, tx, u.ID, true)
	})
}

func (s *Server) userEnable(w http.ResponseWriter, r *http.Request) {
	s.changeUser(w, r, auth.ActionEnable, "enabled", func(ctx context.Context, tx *sql.Tx, u *auth.User) error {
		return auth.SetDisabled(ctx, tx, u.ID, false)
	})
}

// userResetPassword gives an account a new generated password and shows it once. The reset
// signs the account out everywhere; an admin resetting their own keeps this session.
func (s *Server) userResetPassword(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	ctx := r.Context()
	password := auth.RandomPassword()
	var target *auth.User
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		u, err := auth.GetUser(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := auth.SetPassword(ctx, tx, id, password); err != nil {
			return err
		}
		if target, err = auth.GetUser(ctx, tx, id); err != nil {
			return err
		}
		return auth.Audit(ctx, tx, userFrom(r), auth.ActionResetPassword, auth.EntityUser, id, recordOf(u), recordOf(target))
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if target.ID == userFrom(r).ID {
		if err := auth.SignIn(ctx, s.sessions, target); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.showPassword(w, r, passwordData{Username: target.Username, Password: password, Generated: true})
}
