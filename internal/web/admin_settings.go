package web

import (
	"database/sql"
	"errors"
	"io"
	"net/http"
	"strings"

	"sistercity/internal/auth"
	"sistercity/internal/identity"
	"sistercity/internal/problem"
)

// The settings hub (/admin/settings) and the site identity page (/admin/settings/identity):
// the city's name, footer and summary per language, logo, favicon, header image, accent
// colours and contact links, saved together in one transaction or not at all. A change the
// city's ActivityPub actor shows is sent to its followers as an Update.

// settingsSection is one entry of the settings hub. A settings page of another feature adds
// its entry to settingsSections.
type settingsSection struct {
	URL      string
	TitleKey string
	IntroKey string
}

var settingsSections = []settingsSection{
	{"/admin/settings/identity", "identity.title", "identity.intro"},
	{"/admin/settings/embeds", "embed.settings.title", "identity.hub.embeds"},
	{"/admin/settings/federation", "fed.settings.title", "fed.settings.hub"},
	{"/admin/settings/workflow", "video.workflow.title", "video.workflow.hub"},
}

func (s *Server) settingsRoutes() []route {
	return []route{
		{"GET /admin/settings", auth.RoleAdmin, s.settingsHub},
		{"GET /admin/settings/identity", auth.RoleAdmin, s.identitySettings},
		{"POST /admin/settings/identity", auth.RoleAdmin, s.identitySettingsSave},
	}
}

func (s *Server) settingsHub(w http.ResponseWriter, r *http.Request) {
	p := s.adminPage(w, r, "identity.hub.title")
	p.Data = settingsSections
	s.render(w, r, http.StatusOK, "admin/settings", p)
}

// identityTextRow is the name and footer of one site language.
type identityTextRow struct {
	Lang, LangName        string
	Name, Footer, Summary string
}

type identityData struct {
	Texts              []identityTextRow
	Accent, AccentDark string
	DerivedDark        string // the dark accent used when none is given
	Contacts           string
	Logo, Favicon      *siteImage
	Header             *siteImage // the header set; nil shows the default
	DefaultHeader      string     // the default header's URL
	LogoMaxKB          int
	FaviconMaxKB       int
	HeaderMaxKB        int
	MaxContacts        int
}

var identityNotices = noticeSet{"saved": "identity.saved"}

func (s *Server) identitySettings(w http.ResponseWriter, r *http.Request) {
	id, err := identity.Load(r.Context(), s.db.R)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderIdentity(w, r, http.StatusOK, id, strings.Join(id.Contacts, "\n"), nil)
}

func (s *Server) renderIdentity(w http.ResponseWriter, r *http.Request, status int, id identity.Identity, contacts string, errs problem.Fields) {
	p := s.adminPage(w, r, "identity.title")
	p.Errors = errs
	showNotice(p, r, identityNotices)
	d := identityData{Accent: id.Accent, AccentDark: id.AccentDark, Contacts: contacts,
		LogoMaxKB: identity.MaxBytes(identity.KindLogo) >> 10, FaviconMaxKB: identity.MaxBytes(identity.KindFavicon) >> 10,
		HeaderMaxKB: identity.MaxBytes(identity.KindHeader) >> 10,
		MaxContacts: identity.MaxContacts}
	if c, ok := identity.ParseHex(id.Accent); ok && !errs.Has("accent") {
		d.DerivedDark = identity.DeriveDark(c).Hex()
	}
	for _, lang := range s.cat.Languages() {
		d.Texts = append(d.Texts, identityTextRow{Lang: lang, LangName: langName(p.L, lang), Name: id.Names[lang], Footer: id.Footers[lang],
			Summary: id.Summaries[lang]})
	}
	// The images shown are those kept: a refused upload is not kept, and the page says so.
	if stored, err := identity.Load(r.Context(), s.db.R); err == nil {
		if a := stored.Logo; a != nil {
			d.Logo = &siteImage{URL: "/site/logo?v=" + a.Sum, Width: a.Width, Height: a.Height}
		}
		if a := stored.Favicon; a != nil {
			d.Favicon = &siteImage{URL: "/site/favicon?v=" + a.Sum, Width: a.Width, Height: a.Height}
		}
		if a := stored.Header; a != nil {
			d.Header = &siteImage{URL: "/site/header?v=" + a.Sum, Width: a.Width, Height: a.Height}
		}
		d.DefaultHeader = "/site/header?v=" + stored.HeaderInfo().Sum
	}
	p.Data = d
	s.render(w, r, status, "admin/settings-identity", p)
}

// identityUpload is a checked image to keep, or a removal.
type identityUpload struct {
	kind   string
	asset  *identity.Asset
	remove bool
}

func (s *Server) identitySettingsSave(w http.ResponseWriter, r *http.Request) {
	id := identity.Identity{Names: map[string]string{}, Footers: map[string]string{}, Summaries: map[string]string{},
		Accent: strings.TrimSpace(r.PostFormValue("accent")), AccentDark: strings.TrimSpace(r.PostFormValue("accent_dark"))}
	for key, vs := range r.PostForm {
		if len(vs) == 0 {
			continue
		}
		v := strings.TrimSpace(strings.ReplaceAll(vs[0], "\r\n", "\n"))
		if lang, ok := strings.CutPrefix(key, "name_"); ok {
			id.Names[lang] = v
		} else if lang, ok := strings.CutPrefix(key, "footer_"); ok {
			id.Footers[lang] = v
		} else if lang, ok := strings.CutPrefix(key, "summary_"); ok {
			id.Summaries[lang] = v
		}
	}
	contacts := strings.ReplaceAll(r.PostFormValue("contacts"), "\x00", "")
	for line := range strings.SplitSeq(contacts, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			id.Contacts = append(id.Contacts, line)
		}
	}
	errs := identity.Check(&id, s.cat.Languages())
	var uploads []identityUpload
	for _, kind := range []string{identity.KindLogo, identity.KindFavicon, identity.KindHeader} {
		up, err := readIdentityImage(r, kind)
		if f, ok := problem.AsFields(err); ok {
			errs = append(errs, f...)
			continue
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if up.asset != nil || up.remove {
			uploads = append(uploads, up)
		}
	}
	if len(errs) > 0 {
		s.renderIdentity(w, r, http.StatusUnprocessableEntity, id, contacts, errs)
		return
	}
	ctx := r.Context()
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		before, err := identity.Load(ctx, tx)
		if err != nil {
			return err
		}
		var actor map[string]any // the city's actor before, to tell its followers of a change
		if s.fed != nil {
			if actor, err = s.fed.ActorBefore(ctx, tx); err != nil {
				return err
			}
		}
		if err := identity.Save(ctx, tx, id); err != nil {
			return err
		}
		for _, up := range uploads {
			if up.asset != nil {
				err = identity.SaveAsset(ctx, tx, up.kind, *up.asset)
			} else {
				err = identity.DeleteAsset(ctx, tx, up.kind)
			}
			if err != nil {
				return err
			}
		}
		after, err := identity.Load(ctx, tx)
		if err != nil {
			return err
		}
		if s.fed != nil {
			if err := s.fed.UpdateActorIfChanged(ctx, tx, actor); err != nil {
				return err
			}
		}
		return auth.Audit(ctx, tx, userFrom(r), auth.ActionUpdate, auth.EntitySettings, 0, auditIdentity(before), auditIdentity(after))
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/settings/identity?notice=saved", http.StatusSeeOther)
}

// readIdentityImage reads and checks the uploaded file of kind, or its removal; a problem.Fields
// error says what is wrong with it.
func readIdentityImage(r *http.Request, kind string) (identityUpload, error) {
	up := identityUpload{kind: kind}
	f, _, err := r.FormFile(kind)
	if errors.Is(err, http.ErrMissingFile) || errors.Is(err, http.ErrNotMultipart) {
		up.remove = r.PostFormValue(kind+"_remove") != ""
		return up, nil
	}
	if err != nil {
		return up, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(identity.MaxBytes(kind))+1))
	if err != nil {
		return up, err
	}
	a, err := identity.CheckImage(kind, data)
	if err != nil {
		return up, err
	}
	up.asset = &a
	return up, nil
}

// auditIdentity is what the audit log keeps of an identity: its texts and settings, and the
// images by their content hash.
func auditIdentity(id identity.Identity) map[string]any {
	m := map[string]any{"names": id.Names, "footers": id.Footers, "summaries": id.Summaries, "accent": id.Accent, "accent_dark": id.AccentDark, "contacts": id.Contacts}
	if id.Logo != nil {
		m["logo"] = id.Logo.Sum
	}
	if id.Favicon != nil {
		m["favicon"] = id.Favicon.Sum
	}
	if id.Header != nil {
		m["header"] = id.Header.Sum
	}
	return m
}
