package web

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"sistercity/internal/blob"
	"sistercity/internal/portal"
	"sistercity/internal/register"
)

// Sister portals on the public site (package portal): the partner cities' own videos on their
// partner pages and in the video index's "from our partners" part, and a page that plays one
// from the partner's server with the partner's subtitle tracks, says whose it is and links to
// the original.

// partnerVideosShown is how many partner videos a partner page or the index shows.
const partnerVideosShown = 12

func (s *Server) portalMediaRoutes() []route {
	return []route{{"GET /media/partners/{file}", "", s.partnerPoster}}
}

func (s *Server) portalRoutes(lang string) []route {
	return []route{{"GET /" + lang + "/partner-videos/{id}", "", s.partnerVideoWatch(lang)}}
}

// remoteVideos lists the partner videos of city cityID (all partners' for 0) as cards; none
// with federation off.
func (s *Server) remoteVideos(ctx context.Context, p *page, cityID int64) ([]videoCard, error) {
	if s.portal == nil {
		return nil, nil
	}
	list, err := portal.Latest(ctx, s.db.R, cityID, partnerVideosShown)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	cities, err := s.videoCities(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]videoCard, 0, len(list))
	for _, v := range list {
		out = append(out, remoteVideoCard(p, v, cities))
	}
	return out, nil
}

// posterURL is where a partner video's cached poster is served; "" when it has none.
func posterURL(v *portal.Video) string {
	if v.PosterKey == "" {
		return ""
	}
	return "/media/partners/" + strings.TrimPrefix(v.PosterKey, portal.PosterPrefix)
}

func remoteVideoCard(p *page, v *portal.Video, cities map[int64]*register.City) videoCard {
	title, tl := v.Title(p.Lang)
	c := videoCard{ID: v.ID, URL: "/" + p.Lang + "/partner-videos/" + strconv.FormatInt(v.ID, 10), Title: title,
		Duration: clock(v.Duration), ISODur: isoDuration(v.Duration), Published: v.Published,
		Thumbnail: posterURL(v), Poster: posterURL(v), Width: 320, Height: 180}
	if tl != "" && tl != p.Lang {
		c.TitleLang, c.Marker = tl, langMarker(p.L, tl)
	}
	if city := cities[v.CityID]; city != nil {
		c.Origin = p.L.T("portals.from_site", "city", city.Name(p.Lang))
	}
	return c
}

// partnerSource is a rendition on the partner's server.
type partnerSource struct {
	URL, Type string
	Height    int
}

// partnerTrack is a subtitle track on the partner's server.
type partnerTrack struct {
	Lang, Label, URL string
	Default          bool
}

type partnerVideoData struct {
	Card        videoCard
	Description template.HTML // sanitised by package portal
	DescLang    string
	Sources     []partnerSource
	Tracks      []partnerTrack
	City        string
	CityURL     string
	Original    string
	Host        string
}

func (s *Server) partnerVideoWatch(lang string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(r, "id")
		if !ok || s.portal == nil {
			s.notFound(w, r)
			return
		}
		ctx := r.Context()
		v, err := portal.Get(ctx, s.db.R, id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		cities, err := s.videoCities(ctx)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		title, _ := v.Title(lang)
		p := s.newPage(r, lang, title)
		data := partnerVideoData{Card: remoteVideoCard(p, v, cities), Original: v.URL, Host: hostOfURL(v.URL)}
		desc, descLang := v.Description(lang)
		data.Description = template.HTML(desc) // sanitised (bluemonday) when stored
		if descLang != lang && descLang != "und" {
			data.DescLang = descLang
		}
		if city := cities[v.CityID]; city != nil {
			data.City, data.CityURL = city.Name(lang), "/"+lang+"/partners/"+strconv.FormatInt(city.ID, 10)
		}
		for _, m := range v.Media {
			data.Sources = append(data.Sources, partnerSource{URL: m.URL, Type: m.Type, Height: m.Height})
		}
		chosen := false
		for _, t := range v.Tracks {
			pt := partnerTrack{Lang: t.Lang, Label: t.Name, URL: t.URL}
			if !chosen && sameBase(t.Lang, lang) {
				pt.Default, chosen = true, true
			}
			data.Tracks = append(data.Tracks, pt)
		}
		p.Description = title
		s.setSocial(r, p, socialCard{Type: "video.other", Title: title, Description: title, URL: data.Card.URL,
			Image: data.Card.Poster, ImageAlt: title})
		// The media and tracks play from the partner's server: this page, and only this one,
		// lets the player reach it.
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; media-src 'self' blob: "+
			strings.Join(v.Hosts(), " ")+"; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'; "+
			"form-action 'self'; frame-ancestors 'none'")
		p.Data = data
		s.render(w, r, http.StatusOK, "partner-video", p)
	}
}

// sameBase tells whether two language tags share their base language (ko and ko-KR).
func sameBase(a, b string) bool {
	a, _, _ = strings.Cut(strings.ToLower(a), "-")
	b, _, _ = strings.Cut(strings.ToLower(b), "-")
	return a == b
}

// hostOfURL is the host an address is on, to name the partner's site.
func hostOfURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return p.Host
}

// partnerPoster serves the cached poster of a partner video the public pages show; the name is
// the content's hash, so it may be kept for a year.
func (s *Server) partnerPoster(w http.ResponseWriter, r *http.Request) {
	key, err := portal.PosterKey(r.PathValue("file"))
	if err != nil || s.portal == nil {
		s.notFound(w, r)
		return
	}
	shown, err := portal.PosterShown(r.Context(), s.db.R, key)
	switch {
	case err != nil:
		s.fail(w, r, err)
		return
	case !shown:
		s.notFound(w, r)
		return
	}
	ctype := "image/jpeg"
	switch {
	case strings.HasSuffix(key, ".png"):
		ctype = "image/png"
	case strings.HasSuffix(key, ".webp"):
		ctype = "image/webp"
	}
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	if err := s.docs.Serve(uncachedErrors{w}, r, key, ctype); err != nil {
		w.Header().Del("Cache-Control")
		if errors.Is(err, blob.ErrNotFound) {
			s.notFound(w, r)
			return
		}
		s.fail(w, r, err)
	}
}
