package web

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"sistercity/internal/video"
)

// sitemap.xml lists every public page in every language, each with its hreflang alternates,
// and the watch pages with Google's video extension: title, description, thumbnail, the
// embeddable player (/embed/videos/{id}) and the file, duration and publication date. It is
// built from the database on each request; its ETag follows its bytes (cachePublic).

// sitemapMaxVideos bounds the videos listed: a sitemap holds at most 50,000 URLs, and each video
// gives one per language.
const sitemapMaxVideos = 10000

type sitemapURLSet struct {
	XMLName xml.Name     `xml:"urlset"`
	NS      string       `xml:"xmlns,attr"`
	Video   string       `xml:"xmlns:video,attr"`
	XHTML   string       `xml:"xmlns:xhtml,attr"`
	URLs    []sitemapURL `xml:"url"`
}

type sitemapURL struct {
	Loc        string         `xml:"loc"`
	Alternates []sitemapAlt   `xml:"xhtml:link"`
	Videos     []sitemapVideo `xml:"video:video,omitempty"`
}

type sitemapAlt struct {
	Rel      string `xml:"rel,attr"`
	Hreflang string `xml:"hreflang,attr"`
	Href     string `xml:"href,attr"`
}

type sitemapVideo struct {
	Thumbnail   string `xml:"video:thumbnail_loc"`
	Title       string `xml:"video:title"`
	Description string `xml:"video:description"`
	Content     string `xml:"video:content_loc,omitempty"`
	Player      string `xml:"video:player_loc,omitempty"`
	Duration    int    `xml:"video:duration,omitempty"`
	Published   string `xml:"video:publication_date,omitempty"`
}

func (s *Server) sitemap(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	abs := func(p string) string { return s.absoluteURL(r, p) }
	langs := s.cat.Languages()
	set := sitemapURLSet{NS: "http://www.sitemaps.org/schemas/sitemap/0.9",
		Video: "http://www.google.com/schemas/sitemap-video/1.1", XHTML: "http://www.w3.org/1999/xhtml"}
	// page adds rest ("/partners/3") in every language, each naming the others.
	page := func(rest string, videoOf func(lang string) *sitemapVideo) {
		var alts []sitemapAlt
		for _, l := range langs {
			alts = append(alts, sitemapAlt{"alternate", l, abs("/" + l + rest)})
		}
		for _, l := range langs {
			u := sitemapURL{Loc: abs("/" + l + rest), Alternates: alts}
			if videoOf != nil {
				if v := videoOf(l); v != nil {
					u.Videos = []sitemapVideo{*v}
				}
			}
			set.URLs = append(set.URLs, u)
		}
	}
	for _, rest := range []string{"/", "/partners", "/videos", "/statistics"} {
		page(rest, nil)
	}
	ps, err := s.publicPartnerships(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	seen := map[int64]bool{}
	for _, x := range ps {
		if !seen[x.PartnerCityID] {
			seen[x.PartnerCityID] = true
			page("/partners/"+strconv.FormatInt(x.PartnerCityID, 10), nil)
		}
	}
	list, _, err := video.List(ctx, s.db.R, video.Filter{States: []string{video.StatePublished}, Limit: sitemapMaxVideos})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, v := range list {
		if len(v.Renditions) == 0 {
			continue
		}
		id := strconv.FormatInt(v.ID, 10)
		thumb := v.PosterKey
		if thumb == "" {
			thumb = v.ThumbnailKey
		}
		page("/videos/"+id, func(lang string) *sitemapVideo {
			desc := strings.TrimSpace(v.Description(lang))
			if desc == "" {
				desc = v.Title(lang)
			}
			sv := &sitemapVideo{Title: v.Title(lang), Description: shorten(desc, 2048),
				Content:  abs(mediaURL(v.Default().Key)),
				Player:   abs(embedPath(v.ID) + "?" + url.Values{"lang": {lang}}.Encode()),
				Duration: int(v.Duration.Seconds() + 0.5)}
			if thumb != "" {
				sv.Thumbnail = abs(mediaURL(thumb))
			}
			if !v.PublishedAt.IsZero() {
				sv.Published = v.PublishedAt.UTC().Format("2006-01-02T15:04:05Z07:00")
			}
			return sv
		})
	}
	body, err := xml.MarshalIndent(set, "", " ")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	body = append([]byte(xml.Header), body...)
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	if s.cachePublic(w, r, body) {
		return
	}
	_, _ = w.Write(body)
}
