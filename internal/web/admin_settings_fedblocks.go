package web

import (
	"database/sql"
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"sistercity/internal/auth"
	"sistercity/internal/db"
	"sistercity/internal/fed"
	"sistercity/internal/problem"
)

// The admin's moderation page under the federation settings: domain blocks (reject or silence)
// and actor blocks. Rules and effects are in package fed (moderation.go).

func (s *Server) fedBlockRoutes() []route {
	return []route{
		{"GET /admin/settings/federation/blocks", auth.RoleAdmin, s.fedBlocks},
		{"POST /admin/settings/federation/blocks/domain", auth.RoleAdmin, s.fedBlockDomain},
		{"POST /admin/settings/federation/blocks/actor", auth.RoleAdmin, s.fedBlockActor},
		{"POST /admin/settings/federation/blocks/unblock", auth.RoleAdmin, s.fedUnblock},
	}
}

// fedBlockForm is what the forms held, shown again after a refusal (cut, so a pasted essay does
// not come back whole).
type fedBlockForm struct {
	Domain     string
	Subdomains bool
	Severity   string
	DomainNote string
	Actor      string
	ActorNote  string
}

type fedBlocksData struct {
	Blocks fed.Blocklist
	Form   fedBlockForm
}

var fedBlocksNotices = noticeSet{
	"blocked":   "fedmod.notice.blocked",
	"unblocked": "fedmod.notice.unblocked",
}

func (s *Server) fedBlocks(w http.ResponseWriter, r *http.Request) {
	s.renderFedBlocks(w, r, http.StatusOK, fedBlockForm{Severity: fed.SeverityReject}, nil)
}

func (s *Server) renderFedBlocks(w http.ResponseWriter, r *http.Request, status int, form fedBlockForm, errs problem.Fields) {
	bl, err := fed.LoadBlocks(r.Context(), s.db.R)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.adminPage(w, r, "fedmod.title")
	p.Errors = errs
	showNotice(p, r, fedBlocksNotices)
	p.Data = fedBlocksData{Blocks: bl, Form: form}
	s.render(w, r, status, "admin/settings-federation-blocks", p)
}

// cutRunes is s as valid UTF-8, at most n runes.
func cutRunes(s string, n int) string {
	s = strings.ToValidUTF8(s, "")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

func (s *Server) fedBlockDomain(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	form := fedBlockForm{
		Domain:     r.PostFormValue("domain"),
		Subdomains: r.PostFormValue("subdomains") == "on",
		Severity:   r.PostFormValue("severity"),
		DomainNote: r.PostFormValue("note"),
	}
	var errs problem.Fields
	domain, err := fed.ParseDomain(form.Domain)
	if err != nil {
		errs.Add("domain", "fedmod.error.domain")
	}
	if form.Severity != fed.SeverityReject && form.Severity != fed.SeveritySilence {
		errs.Add("severity", "fedmod.error.severity")
	}
	if utf8.RuneCountInString(form.DomainNote) > 1000 || !utf8.ValidString(form.DomainNote) {
		errs.Add("note", "fedmod.error.note")
	}
	if len(errs) > 0 {
		form.Domain, form.DomainNote = cutRunes(form.Domain, 300), cutRunes(form.DomainNote, 1000)
		s.renderFedBlocks(w, r, http.StatusUnprocessableEntity, form, errs)
		return
	}
	b := fed.DomainBlock{Domain: domain, Subdomains: form.Subdomains, Severity: form.Severity, Note: form.DomainNote, CreatedAt: s.now()}
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		purged, err := fed.BlockDomain(ctx, tx, b)
		if err != nil {
			return err
		}
		return auth.Audit(ctx, tx, userFrom(r), auth.ActionBlockDomain, auth.EntitySettings, 0, nil,
			map[string]any{"domain": b.Domain, "subdomains": b.Subdomains, "severity": b.Severity, "removed": purged})
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/settings/federation/blocks?notice=blocked", http.StatusSeeOther)
}

func (s *Server) fedBlockActor(w http.ResponseWriter, r *http.Request) {
	if s.fed == nil {
		s.fail(w, r, problem.New(http.StatusConflict, "fed.settings.off"))
		return
	}
	ctx := r.Context()
	form := fedBlockForm{Severity: fed.SeverityReject, Actor: r.PostFormValue("actor"), ActorNote: r.PostFormValue("note")}
	var errs problem.Fields
	var actor string
	if utf8.RuneCountInString(form.ActorNote) > 1000 || !utf8.ValidString(form.ActorNote) {
		errs.Add("actor_note", "fedmod.error.note")
	}
	if len(errs) == 0 {
		var err error
		actor, err = s.fed.ResolveActor(ctx, form.Actor)
		switch {
		case errors.Is(err, fed.ErrUnknownUser):
			errs.Add("actor", "fedmod.error.actor_unknown")
		case errors.Is(err, fed.ErrBadActor):
			errs.Add("actor", "fedmod.error.actor")
		case err != nil:
			s.fail(w, r, err)
			return
		}
	}
	if len(errs) > 0 {
		form.Actor, form.ActorNote = cutRunes(form.Actor, 300), cutRunes(form.ActorNote, 1000)
		s.renderFedBlocks(w, r, http.StatusUnprocessableEntity, form, errs)
		return
	}
	b := fed.ActorBlock{ActorID: actor, Note: form.ActorNote, CreatedAt: s.now()}
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		purged, err := fed.BlockActor(ctx, tx, b)
		if err != nil {
			return err
		}
		return auth.Audit(ctx, tx, userFrom(r), auth.ActionBlockActor, auth.EntitySettings, 0, nil,
			map[string]any{"actor": b.ActorID, "removed": purged})
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/settings/federation/blocks?notice=blocked", http.StatusSeeOther)
}

func (s *Server) fedUnblock(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	kind, target := r.PostFormValue("kind"), r.PostFormValue("target")
	action := auth.ActionUnblockDomain
	switch kind {
	case "domain":
	case "actor":
		action = auth.ActionUnblockActor
	default:
		s.fail(w, r, problem.BadRequest("error.bad_request"))
		return
	}
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := fed.Unblock(ctx, tx, kind, target); err != nil {
			return err
		}
		return auth.Audit(ctx, tx, userFrom(r), action, auth.EntitySettings, 0, map[string]string{kind: target}, nil)
	})
	if errors.Is(err, db.ErrNotFound) {
		s.fail(w, r, problem.New(http.StatusNotFound, "error.not_found"))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/settings/federation/blocks?notice=unblocked", http.StatusSeeOther)
}
