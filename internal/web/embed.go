package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"golang.org/x/text/language"

	"sistercity/internal/db"
	"sistercity/internal/publish"
	"sistercity/internal/video"
)

// The embeddable player, /embed/videos/{id}: the video, its approved tracks, the transcript and
// the choice of rendition on a page of its own, without the site's chrome, for other sites to
// put in an iframe. Its address takes
//
//	lang       the interface language and the preselected track (unknown: the browser's)
//	subtitles  a BCP 47 tag, or "off" (unknown or missing: lang's track)
//	t          the start time, "1m30s" or seconds (out of the video: the start)
//	autoplay   1 or true: play at once, muted, as browsers allow
//	loop       1 or true: start again at the end
//
// Like the other public pages it is the same for everyone and cacheable. Only a published video
// embeds; a withdrawn one shows a card saying so (410), any other is not found (404). Which
// sites may frame it is the admin's list (publish.EmbedOrigins), sent as frame-ancestors.

func (s *Server) embedRoutes() []route {
	return []route{
		{"GET /embed/videos/{id}", "", s.embedVideo},
		{"GET /oembed", "", s.oembed},
	}
}

// embedData is the embed page's: the player, or the card of a video it cannot show.
type embedData struct {
	player
	Title     string
	TitleLang string
	WatchURL  string
	Card      string // the message of the card shown instead of a video
}

// embedParam bounds the parameters read: longer values are not what they claim to be.
const embedParam = 64

// embedLang picks the embed's interface language: lang when the catalog has it, else the
// browser's; it tells whether the answer then depends on Accept-Language.
func (s *Server) embedLang(r *http.Request) (string, bool) {
	if q := r.URL.Query().Get("lang"); s.cat.Has(q) {
		return q, false
	} else if len(q) <= embedParam {
		if t, err := language.Parse(q); err == nil {
			if b, _ := t.Base(); s.cat.Has(b.String()) {
				return b.String(), false
			}
		}
	}
	return s.cat.Match(r.Header.Get("Accept-Language")), true
}

// flag reads a boolean parameter: "1", "true" or an empty value (autoplay alone) turn it on.
func flag(q url.Values, name string) bool {
	v, ok := q[name]
	if !ok {
		return false
	}
	switch v[0] {
	case "", "1", "true", "yes", "on":
		return true
	}
	return false
}

// embedVideo serves the embeddable player.
func (s *Server) embedVideo(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lang, negotiated := s.embedLang(r)
	if negotiated {
		addVary(w.Header(), "Accept-Language")
	}
	p := s.newPage(r, lang, "")
	p.Lang, p.root = lang, "embed-document"
	if !s.frameAncestors(w, r, p) {
		return
	}
	v, err := s.embeddable(ctx, r.PathValue("id"))
	switch {
	case errors.Is(err, errWithdrawn):
		p.Title = p.L.T("embed.gone.title")
		p.Data = embedData{Card: p.L.T("embed.gone.text"), Title: p.Title}
		s.render(w, r, http.StatusGone, "embed", p)
		return
	case isNotFound(err):
		p.Title = p.L.T("embed.missing.title")
		p.Data = embedData{Card: p.L.T("embed.missing.text"), Title: p.Title}
		s.render(w, r, http.StatusNotFound, "embed", p)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	choice := trackChoice{Auto: true}
	if sub := q.Get("subtitles"); sub == "off" {
		choice = trackChoice{Off: true}
	} else if sub != "" && len(sub) <= embedParam {
		if _, err := language.Parse(sub); err == nil {
			choice = trackChoice{Lang: sub}
		}
	}
	pl, err := s.newPlayer(ctx, p, v, "embed", choice)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if choice.Lang != "" && pl.Selected == 0 {
		// No track in that language: the interface language's, as without the parameter.
		if pl, err = s.newPlayer(ctx, p, v, "embed", trackChoice{Auto: true}); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	pl.Start = startFragment(publish.StartAt(q.Get("t"), v.Duration))
	pl.Autoplay, pl.Loop = flag(q, "autoplay"), flag(q, "loop")
	p.Title = v.Title(lang)
	data := embedData{player: pl, Title: p.Title, WatchURL: s.absoluteURL(r, "/"+lang+"/videos/"+strconv.FormatInt(v.ID, 10))}
	if tl := v.TitleLang(lang); tl != lang {
		data.TitleLang = tl
	}
	p.Data = data
	s.render(w, r, http.StatusOK, "embed", p)
}

// frameAncestors sends the embed's Content-Security-Policy: the site's own policy with the
// admin's list of sites allowed to frame it, and no X-Frame-Options (which knows no list).
func (s *Server) frameAncestors(w http.ResponseWriter, r *http.Request, p *page) bool {
	origins, err := publish.EmbedOrigins(r.Context(), s.db.R)
	if err != nil {
		s.fail(w, r, err)
		return false
	}
	fa := publish.FrameAncestors(origins)
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; "+
		"style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors "+fa)
	h.Del("X-Frame-Options")
	p.cacheKey = fa
	return true
}

var errWithdrawn = errors.New("web: video withdrawn")

// embeddable loads a published video for the embed and oEmbed: errWithdrawn for one that was
// published and is withdrawn, db.ErrNotFound for any other that is not published.
func (s *Server) embeddable(ctx context.Context, raw string) (*video.Video, error) {
	id, ok := parseID(raw)
	if !ok {
		return nil, db.ErrNotFound
	}
	v, err := video.Get(ctx, s.db.R, id)
	if err != nil {
		return nil, err
	}
	switch {
	case v.State == video.StateWithdrawn && !v.PublishedAt.IsZero():
		return nil, errWithdrawn
	case v.State != video.StatePublished || len(v.Renditions) == 0:
		return nil, db.ErrNotFound
	}
	return v, nil
}
