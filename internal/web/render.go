package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"sistercity/internal/auth"
	"sistercity/internal/civil"
	"sistercity/internal/i18n"
	"sistercity/internal/problem"
)

//go:embed templates static
var assets embed.FS

// parseTemplates parses every page once at start-up: each page is the layout plus its own file
// and the shared partials. A broken or missing template fails the start, not a request.
func parseTemplates() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"add":   func(a, b int) int { return a + b },
		"lower": strings.ToLower,
		"has": func(list []string, s string) bool {
			for _, x := range list {
				if x == s {
					return true
				}
			}
			return false
		},
		"ymd": func(d civil.Date) string { return d.String() },
		// typedLang is the lang attribute a typed text of no stated language needs on the page.
		"typedLang": typedLang,
		// static is the content-hashed URL of a static file: {{static "style.css"}}.
		"static": staticURL,
		// pair passes the page and one item to a partial template.
		"pair": func(page, item any) map[string]any { return map[string]any{"Page": page, "Item": item} },
		// langGroup describes the fields of a per-language text for the partial "lang-fields".
		"langGroup": func(page any, field, label string, fields []langField, max int, long bool) map[string]any {
			return map[string]any{"Page": page, "Field": field, "Label": label, "Fields": fields, "Max": max, "Long": long}
		},
		"pickText": pickText,
		// deleting describes an edit page's delete section for the partial "delete-section".
		"deleting": func(action, keys string, warn bool) map[string]any {
			return map[string]any{"Action": action, "Keys": keys, "Warn": warn}
		},
	}
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: templates: %w", err)
	}
	pages := map[string]*template.Template{}
	err = fs.WalkDir(assets, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(p, "templates/partials/") || p == "templates/layout.html" {
			return err
		}
		t, err := template.Must(base.Clone()).ParseFS(assets, p)
		if err != nil {
			return err
		}
		pages[strings.TrimSuffix(strings.TrimPrefix(p, "templates/"), ".html")] = t
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: templates: %w", err)
	}
	return pages, nil
}

// langLink is one entry of the language switcher and of the hreflang alternates.
type langLink struct {
	Lang    string
	Name    string
	URL     string
	Current bool
}

// page is what every template gets.
type page struct {
	L       *i18n.Localizer
	Lang    string
	Langs   []langLink
	Title   string
	User    *auth.User
	Admin   bool
	Canon   string     // canonical path
	Feeds   []feedLink // feeds of this page, named in its head for feed readers to discover
	Errors  problem.Fields
	Message string // a notice of success shown above the content (role="status")
	Alert   string // a notice of failure shown above the content, as an error (role="alert")
	// Description is the page's meta description (MetaDescription falls back to the tagline);
	// Social its OpenGraph and Twitter card tags (seo.go), on the pages people share.
	Description string
	Social      []metaTag
	// XDefault is the hreflang x-default of a public page: the root, which picks the visitor's
	// language, for the home page; the default language's version of any other page.
	XDefault string
	origin   string // scheme and host, for the absolute URLs of the head (Abs)
	Today    civil.Date
	Data     any
	// Actor is the city's ActivityPub actor, linked from the public pages' head.
	Actor string
	Site  *siteView // the site's identity in the page's language (site_identity.go)

	// root is the template a page is executed from: "layout.html" (the site's chrome) unless a
	// page brings its own whole document, as the embeddable player does.
	root string
	// cacheKey is what the answer depends on beyond its body (a header such as the embed's
	// frame-ancestors), folded into its ETag.
	cacheKey string

	// csrf makes the forms' token; it runs only when a template shows a form (CSRF), so a
	// page without one neither needs a session nor sets a cookie.
	csrf     func() string
	csrfTok  string
	csrfUsed bool
	newNonce string // a CSRF nonce the visitor gets as a cookie with this page
}

// CSRF is the token a form of the page carries. A page that shows one is never shared by
// caches: the token belongs to the visitor.
func (p *page) CSRF() string {
	if !p.csrfUsed && p.csrf != nil {
		p.csrfTok = p.csrf()
	}
	p.csrfUsed = true
	return p.csrfTok
}

// Abs is path as an absolute URL on the site, as hreflang alternates want it.
func (p *page) Abs(path string) string { return p.origin + path }

// FieldErrors renders the messages about one field.
func (p *page) FieldErrors(field string) []string {
	var out []string
	for _, m := range p.Errors.For(field) {
		out = append(out, p.L.Msg(m))
	}
	return out
}

// newPage prepares the common part of a page in the request's language.
func (s *Server) newPage(r *http.Request, lang, title string) *page {
	l := s.cat.Localizer(lang)
	p := &page{
		L:     l,
		Lang:  l.Lang,
		Title: title,
		User:  userFrom(r),
		Today: civil.Of(s.now()),
	}
	p.csrf = func() string { return s.pageCSRF(r, p) }
	p.Site = s.siteViewOf(r, l.Lang)
	p.Admin = strings.HasPrefix(r.URL.Path, "/admin")
	if s.fed != nil && !p.Admin {
		p.Actor = s.fed.ActorID()
	}
	rest := r.URL.Path
	if !p.Admin {
		if _, after, ok := strings.Cut(strings.TrimPrefix(rest, "/"), "/"); ok {
			rest = "/" + after
		} else {
			rest = "/"
		}
	}
	for _, code := range s.cat.Languages() {
		link := langLink{Lang: code, Name: s.cat.Localizer(code).T("language.self"), Current: code == l.Lang}
		if p.Admin {
			q := r.URL.Query()
			q.Set("lang", code)
			link.URL = r.URL.Path + "?" + q.Encode()
		} else {
			// The same page in the other language, with its query: a search or the filters
			// chosen stay as they were.
			link.URL = "/" + code + rest
			if r.URL.RawQuery != "" {
				link.URL += "?" + r.URL.Query().Encode()
			}
		}
		p.Langs = append(p.Langs, link)
	}
	p.Canon = r.URL.Path
	p.origin = s.origin(r)
	p.XDefault = "/"
	if rest != "/" {
		p.XDefault = "/" + i18n.DefaultLang + rest
	}
	return p
}

// renderBuffers hold pages being rendered; a buffer grown past maxPooledRender by an unusual
// page is left to the collector rather than kept.
var renderBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledRender = 256 << 10

func putRenderBuffer(b *bytes.Buffer) {
	if b.Cap() <= maxPooledRender {
		b.Reset()
		renderBuffers.Put(b)
	}
}

// render writes a page with status. A public page for an anonymous visitor gets validators and
// a public Cache-Control (cachePublic); every other page is private, no-store.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	t, ok := s.pages[name]
	if !ok {
		s.log.Error("no such template", "name", name)
		http.Error(w, "template missing", http.StatusInternalServerError)
		return
	}
	root := p.root
	if root == "" {
		root = "layout.html"
	}
	buf := renderBuffers.Get().(*bytes.Buffer)
	defer putRenderBuffer(buf)
	if err := t.ExecuteTemplate(buf, root, p); err != nil {
		s.log.Error("render", "template", name, "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", p.Lang)
	if p.newNonce != "" {
		s.setCSRFCookie(w, r, p.newNonce)
	}
	if s.publicPage(w, r, status, p) {
		if s.cachePublicWith(w, r, buf.Bytes(), p.cacheKey) {
			return
		}
	} else {
		h.Set("Cache-Control", privateNoStore)
	}
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// langOf picks the language for a request: the path's language prefix, then the lang query or
// cookie (the admin's choice), the user's setting, then Accept-Language.
func (s *Server) langOf(r *http.Request) string {
	first, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if s.cat.Has(first) {
		return first
	}
	if q := r.URL.Query().Get("lang"); s.cat.Has(q) {
		return q
	}
	if c, err := r.Cookie("lang"); err == nil && s.cat.Has(c.Value) {
		return c.Value
	}
	if u := userFrom(r); u != nil && s.cat.Has(u.Locale) {
		return u.Locale
	}
	return s.cat.Match(r.Header.Get("Accept-Language"))
}
