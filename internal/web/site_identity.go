package web

import (
	"bytes"
	"context"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"sistercity/internal/identity"
)

// The site's identity (identity.Identity) on every page: the name and logo in the header, the
// favicon, the accent colours as a small style sheet (the pages' policy allows no inline
// style), the footer and contact links. Without settings the page shows the catalog's name,
// the built-in favicon and colours. The identity is read once per data generation; saving it
// moves the generation on, so no kept page shows the old one.

// siteView is the identity as a page in one language shows it.
type siteView struct {
	Name        string
	NameLang    string // the name's language when it is not the page's (a fallback), else ""
	Footer      string
	FooterLang  string
	Logo        *siteImage
	FaviconURL  string
	FaviconType string
	ThemeURL    string // the accent style sheet; "" with the default colours
	Contacts    []siteContact
}

type siteImage struct {
	URL           string
	Width, Height int
}

type siteContact struct {
	URL, Text, Kind string // Kind: email, phone, web (the catalog's label)
}

// siteIdentity returns the identity of the current data generation.
func (s *Server) siteIdentity(ctx context.Context) (identity.Identity, error) {
	return s.snap.identity.get(ctx, s.db, func(ctx context.Context) (identity.Identity, error) {
		return identity.Load(ctx, s.db.R)
	})
}

// siteName is the site's name in lang: the city's, as set in the admin, else the catalog's.
func (s *Server) siteName(ctx context.Context, lang string) string {
	if id, err := s.siteIdentity(ctx); err == nil {
		if n := id.Name(lang); n != "" {
			return n
		}
	}
	return s.cat.Localizer(lang).T("site.name")
}

// siteViewOf makes the view of the identity for a page in lang. A database that does not
// answer gives the defaults: the page still renders, and says why in the log.
func (s *Server) siteViewOf(r *http.Request, lang string) *siteView {
	l := s.cat.Localizer(lang)
	v := &siteView{Name: l.T("site.name"), FaviconURL: staticURL("favicon.svg"), FaviconType: "image/svg+xml"}
	id, err := s.siteIdentity(r.Context())
	if err != nil {
		s.log.Warn("site identity: defaults shown", "err", err)
		return v
	}
	if n, nl := id.NameIn(lang); n != "" {
		v.Name = n
		if nl != lang {
			v.NameLang = nl
		}
	}
	if f, fl := id.FooterIn(lang); f != "" {
		v.Footer = f
		if fl != lang {
			v.FooterLang = fl
		}
	}
	if a := id.Logo; a != nil {
		v.Logo = &siteImage{URL: "/site/logo?v=" + a.Sum, Width: a.Width, Height: a.Height}
	}
	if a := id.Favicon; a != nil {
		v.FaviconURL, v.FaviconType = "/site/favicon?v="+a.Sum, a.ContentType
	}
	if id.Accent != "" || id.AccentDark != "" {
		v.ThemeURL = "/site/theme.css?v=" + themeTag(id)
	}
	for _, c := range id.Contacts {
		v.Contacts = append(v.Contacts, siteContact{URL: c, Text: identity.ContactText(c), Kind: identity.ContactKind(c)})
	}
	return v
}

func (s *Server) siteAssetRoutes() []route {
	return []route{
		{"GET /site/logo", "", s.siteAsset(identity.KindLogo)},
		{"GET /site/favicon", "", s.siteAsset(identity.KindFavicon)},
		{"GET /site/header", "", s.siteAsset(identity.KindHeader)},
		{"GET /site/theme.css", "", s.siteTheme},
	}
}

// siteAssetCSP is the policy of a served logo or favicon: opened on its own, an SVG may not
// run script, load anything or be framed (its styles are its own attributes).
const siteAssetCSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'"

// siteCache is how long a logo, favicon or theme may be kept: for a year under the versioned
// URL the pages link (it changes with the file), for a short while under any other.
func siteCache(w http.ResponseWriter, r *http.Request, tag string) {
	if r.URL.Query().Get("v") == tag {
		w.Header().Set("Cache-Control", staticImmutable)
	} else {
		w.Header().Set("Cache-Control", staticShortLived)
	}
	w.Header().Set("ETag", `"`+tag+`"`)
}

func (s *Server) siteAsset(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, err := identity.LoadAsset(r.Context(), s.db.R, kind)
		if err == identity.ErrNotFound {
			switch kind {
			case identity.KindFavicon: // the built-in one, so /site/favicon always answers
				http.Redirect(w, r, staticURL("favicon.svg"), http.StatusFound)
				return
			case identity.KindHeader: // the actor names a header always: a band of the accent
				id, ierr := s.siteIdentity(r.Context())
				if ierr != nil {
					s.fail(w, r, ierr)
					return
				}
				a, err = identity.DefaultHeader(id.Accent), nil
			default:
				s.notFound(w, r)
				return
			}
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		h := w.Header()
		h.Set("Content-Type", a.ContentType)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", siteAssetCSP)
		h.Set("Cross-Origin-Resource-Policy", "same-site")
		siteCache(w, r, a.Sum)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.Body))
	}
}

// hasDarkScheme tells whether the site's style sheets have a dark scheme (face.css, on the
// public pages, loaded before the theme), whose accent the theme
// must then set as well (a light accent on a dark page would fail the contrast checked).
var hasDarkScheme = sync.OnceValue(func() bool {
	for _, name := range []string{"static/style.css", "static/face.css"} {
		if b, _ := fs.ReadFile(assets, name); strings.Contains(string(b), "prefers-color-scheme: dark") {
			return true
		}
	}
	return false
})

// themeTag names the accent colours in the theme's URL.
func themeTag(id identity.Identity) string {
	return id.Accent[min(1, len(id.Accent)):] + "-" + id.AccentDark[min(1, len(id.AccentDark)):]
}

// siteTheme serves the accent colours as custom properties: --accent and its text colour for
// the light scheme, --accent-dark (given, or derived from the light one) for the dark scheme's
// rules to use.
func (s *Server) siteTheme(w http.ResponseWriter, r *http.Request) {
	id, err := s.siteIdentity(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	css := "/* The site's accent colours, set in the admin. */\n"
	light, hasLight := identity.ParseHex(id.Accent)
	dark, hasDark := identity.ParseHex(id.AccentDark)
	if hasLight && !hasDark {
		dark, hasDark = identity.DeriveDark(light), true
	}
	if hasLight {
		css += ":root { --accent: " + light.Hex() + "; }\n"
	}
	if hasDark {
		css += ":root { --accent-dark: " + dark.Hex() + "; }\n"
		if hasDarkScheme() {
			// After the site's own dark rules, so the city's colour wins there too; text on it
			// is the dark page's colour, which it was checked against.
			css += "@media (prefers-color-scheme: dark) { :root { --accent: " + dark.Hex() +
				"; --accent-ink: " + identity.DarkBackgrounds[0].Hex + "; } }\n"
		}
	}
	h := w.Header()
	h.Set("Content-Type", "text/css; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	siteCache(w, r, themeTag(id))
	h.Set("Content-Length", strconv.Itoa(len(css)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write([]byte(css))
}
