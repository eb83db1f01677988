package web

import (
	"errors"
	"net"
	"net/http"
	"strings"

	"sistercity/internal/auth"
	"sistercity/internal/register"
	"sistercity/internal/track"
)

// adminLang is the admin's language: the ?lang= choice (remembered in a cookie), the user's
// setting, or the browser's.
func (s *Server) adminLang(w http.ResponseWriter, r *http.Request) string {
	if q := r.URL.Query().Get("lang"); s.cat.Has(q) {
		http.SetCookie(w, &http.Cookie{Name: "lang", Value: q, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.cfg.SecureCookies})
		return q
	}
	return s.langOf(r)
}

// adminPage prepares a page of the admin.
func (s *Server) adminPage(w http.ResponseWriter, r *http.Request, titleKey string) *page {
	p := s.newPage(r, s.adminLang(w, r), "")
	p.Admin = true
	if titleKey != "" {
		p.Title = p.L.T(titleKey)
	}
	return p
}

type signInData struct {
	Username string
	Next     string
	Failed   string
}

func (s *Server) signInForm(w http.ResponseWriter, r *http.Request) {
	if u := userFrom(r); u != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	p := s.adminPage(w, r, "admin.sign_in.title")
	p.Data = signInData{Next: safeNext(r.URL.Query().Get("next"))}
	s.render(w, r, http.StatusOK, "admin/signin", p)
}

func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	username := strings.TrimSpace(r.PostFormValue("username"))
	password := r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	u, err := auth.Check(r.Context(), s.db, auth.Attempt{Username: username, Password: password,
		Addr: clientAddr(r), Proof: signInProof(r)})
	if err != nil {
		p := s.adminPage(w, r, "admin.sign_in.title")
		data := signInData{Username: username, Next: next}
		status := http.StatusUnauthorized
		switch {
		case errors.Is(err, auth.ErrRateLimited):
			data.Failed = p.L.T("error.rate_limited")
			if secs := retryAfter(w, err); secs > 0 {
				data.Failed = p.L.N("limits.wait", secs)
			}
			status = http.StatusTooManyRequests
		case errors.Is(err, auth.ErrBadCredentials):
			data.Failed = p.L.T("admin.sign_in.failed")
		default:
			s.fail(w, r, err)
			return
		}
		p.Data = data
		s.render(w, r, status, "admin/signin", p)
		return
	}
	if err := auth.SignIn(r.Context(), s.sessions, u); err != nil {
		s.fail(w, r, err)
		return
	}
	s.keepSignInProof(w, r, u)
	if u.Role == auth.RoleLiaison && next == "/admin" {
		next = "/admin/reports" // the only part of the admin a liaison reads
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request) {
	if err := auth.SignOut(r.Context(), s.sessions); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/sign-in", http.StatusSeeOther)
}

type adminHomeData struct {
	Cities, Partnerships int
	HomeCity             string
	// Assigned counts the signed-in user's open translations.
	Assigned int
}

func (s *Server) adminHome(w http.ResponseWriter, r *http.Request) {
	p := s.adminPage(w, r, "admin.home.title")
	ctx := r.Context()
	cities, err := register.Cities(ctx, s.db.R)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ps, err := register.Partnerships(ctx, s.db.R)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data := adminHomeData{Cities: len(cities), Partnerships: len(ps)}
	home, err := s.homeCityID(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, c := range cities {
		if c.ID == home {
			data.HomeCity = c.Name(p.Lang)
		}
	}
	work, err := track.AssignedTo(ctx, s.db.R, userFrom(r).ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data.Assigned = len(work)
	p.Data = data
	s.render(w, r, http.StatusOK, "admin/home", p)
}

// clientAddr is the client's address without the port, behind trusted proxies too (limits.go),
// for sign-in limits and logs.
func clientAddr(r *http.Request) string {
	if a, ok := r.Context().Value(keyClient).(string); ok {
		return a
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
