package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"sistercity/internal/blob"
	"sistercity/internal/db"
	"sistercity/internal/i18n"
	"sistercity/internal/publish"
	"sistercity/internal/register"
	"sistercity/internal/video"
)

// videosPerPage is the size of a page of the public video index.
const videosPerPage = 12

// videoPublicRoutes are the public video index and watch page of one language.
func (s *Server) videoPublicRoutes(lang string) []route {
	return []route{
		{"GET /" + lang + "/videos", "", s.videoIndex(lang)},
		{"GET /" + lang + "/videos/{id}", "", s.videoWatch(lang)},
	}
}

// videoMediaRoutes serve the stored files of public videos.
func (s *Server) videoMediaRoutes() []route {
	return []route{
		{"GET /media/videos/{id}/{file}", "", s.videoMedia},
		{"GET " + hlsMasterPattern, "", s.hlsMaster},
		{"GET /media/tracks/{file}", "", s.trackMedia},
		{"GET /media/versions/{file}", "", s.versionMedia},
	}
}

// videoCard is a video as the index and the partner pages list it.
type videoCard struct {
	ID        int64
	URL       string
	Title     string
	TitleLang string // set when the title is not in the page's language
	Marker    string // "in Russian", shown beside such a title
	Thumbnail string
	Poster    string // the large still, for link previews
	// Srcset offers the poster beside the thumbnail to wide or dense screens; Width and Height
	// are the thumbnail's, so the page keeps its place while the image loads.
	Srcset        string
	Width, Height int
	Duration      string
	ISODur        string
	Published     time.Time
	Origin        string
}

// langMarker names lang as a marker beside a text in that language: "in Russian".
func langMarker(l *i18n.Localizer, lang string) string {
	base, _ := language.Make(lang).Base()
	key := "video.marker." + base.String()
	if m := l.T(key); m != key {
		return m
	}
	name := display.Tags(l.Tag()).Name(language.Make(lang))
	if name == "" {
		name = lang
	}
	return l.T("video.marker.other", "language", name)
}

// clock formats a duration as a player shows it: 0:03, 12:45, 1:02:03.
func clock(d time.Duration) string {
	sec := int(d.Round(time.Second) / time.Second)
	if sec >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", sec/3600, sec/60%60, sec%60)
	}
	return fmt.Sprintf("%d:%02d", sec/60, sec%60)
}

// isoDuration is the ISO 8601 duration schema.org wants: PT3S.
func isoDuration(d time.Duration) string {
	return fmt.Sprintf("PT%dS", int(d.Round(time.Second)/time.Second))
}

func (s *Server) newVideoCard(p *page, v *video.Video, cities map[int64]*register.City) videoCard {
	c := videoCard{ID: v.ID, URL: "/" + p.Lang + "/videos/" + strconv.FormatInt(v.ID, 10), Title: v.Title(p.Lang),
		Thumbnail: mediaURL(v.ThumbnailKey), Duration: clock(v.Duration), ISODur: isoDuration(v.Duration), Published: v.PublishedAt}
	if tl := v.TitleLang(p.Lang); tl != p.Lang {
		c.TitleLang, c.Marker = tl, langMarker(p.L, tl)
	}
	c.Srcset, c.Width, c.Height = posterSizes(v)
	c.Poster = mediaURL(v.PosterKey)
	if c.Poster == "" {
		c.Poster = c.Thumbnail
	}
	if city := cities[v.OriginCityID]; city != nil {
		c.Origin = p.L.T("video.produced_by", "city", city.Name(p.Lang))
	}
	return c
}

// videoCities returns every city by ID, for the origin lines of the cards.
func (s *Server) videoCities(ctx context.Context) (map[int64]*register.City, error) {
	return s.publicCities(ctx)
}

type videoIndexData struct {
	Cards  []videoCard
	Total  int
	Cities []cityOption
	CityID int64
	Tag    string
	// Tags is the tag filter's pick list: the vocabulary, named in the page's language.
	Tags       []tagLink
	Query      string
	Hits       []transcriptHit
	Page, Last int
	Prev, Next string
	// Feeds are the feeds of what the index shows: a tag's, a partner city's, or all videos'.
	Feeds []feedLink
	// Partners are the partner cities' own videos (sister portals), on the first page of the
	// index or of a partner city's filter, not of a search or a tag.
	Partners []videoCard
}

type cityOption struct {
	ID   int64
	Name string
}

func (s *Server) videoIndex(lang string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		q := r.URL.Query()
		f := video.Filter{States: []string{video.StatePublished}, Limit: videosPerPage}
		// Bad filter values are ignored rather than refused: they come from old links.
		cityID, _ := strconv.ParseInt(q.Get("city"), 10, 64)
		f.CityID = max(cityID, 0)
		f.Tag = video.NormalizeTag(q.Get("tag"))
		if len([]rune(f.Tag)) > video.MaxTag {
			f.Tag = ""
		}
		pageNo, _ := strconv.Atoi(q.Get("page"))
		pageNo = min(max(pageNo, 1), 10000)
		f.Offset = (pageNo - 1) * videosPerPage
		query := strings.TrimSpace(q.Get("q"))
		if runes := []rune(query); len(runes) > maxVideoQuery {
			query = string(runes[:maxVideoQuery])
		}
		var list []*video.Video
		var total int
		var err error
		var inTranscript map[int64]bool
		if query == "" {
			list, total, err = video.List(ctx, s.db.R, f)
		} else {
			list, total, inTranscript, err = s.searchVideos(ctx, f, query)
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		cities, err := s.videoCities(ctx)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		p := s.newPage(r, lang, "")
		p.Title = p.L.T("video.index_title")
		p.Description = p.L.T("face.meta.videos")
		data := videoIndexData{Total: total, CityID: f.CityID, Tag: f.Tag, Query: query, Page: pageNo,
			Last: max((total+videosPerPage-1)/videosPerPage, 1)}
		for _, v := range list {
			card := s.newVideoCard(p, v, cities)
			data.Cards = append(data.Cards, card)
			if inTranscript[v.ID] {
				hit, err := transcriptSnippet(ctx, s, card, v.ID, lang, query)
				if err != nil {
					s.fail(w, r, err)
					return
				}
				if hit.Text != "" {
					data.Hits = append(data.Hits, hit)
				}
			}
		}
		partners, err := s.publicPartnerships(ctx)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		seen := map[int64]bool{}
		for _, ps := range partners {
			if c := cities[ps.PartnerCityID]; c != nil && !seen[c.ID] {
				seen[c.ID] = true
				data.Cities = append(data.Cities, cityOption{ID: c.ID, Name: c.Name(lang)})
			}
		}
		if data.Tags, err = s.tagOptions(ctx, p.L, f.Tag); err != nil {
			s.fail(w, r, err)
			return
		}
		site := p.Site.Name
		data.Feeds = videoFeedLinks(p.L, "/"+lang+"/videos/feed", p.L.T("feeds.videos.title", "site", site))
		p.Feeds = data.Feeds
		switch {
		case f.Tag != "" && total > 0: // a tag no published video carries has no feed
			tag := strings.ToLower(f.Tag)
			data.Feeds = videoFeedLinks(p.L, tagPath(lang, tag), p.L.T("feeds.tag.title", "tag", tag, "site", site))
			p.Feeds = append(p.Feeds, data.Feeds...)
		case seen[f.CityID]:
			data.Feeds, _ = partnerFeedLinks(p.L, p.Site.Name, f.CityID, cities[f.CityID].Name(lang))
			p.Feeds = append(p.Feeds, data.Feeds...)
		}
		link := func(n int) string {
			v := url.Values{}
			if f.CityID != 0 {
				v.Set("city", strconv.FormatInt(f.CityID, 10))
			}
			if f.Tag != "" {
				v.Set("tag", f.Tag)
			}
			if query != "" {
				v.Set("q", query)
			}
			if n > 1 {
				v.Set("page", strconv.Itoa(n))
			}
			if len(v) == 0 {
				return r.URL.Path
			}
			return r.URL.Path + "?" + v.Encode()
		}
		if pageNo == 1 && query == "" && f.Tag == "" {
			if data.Partners, err = s.remoteVideos(ctx, p, f.CityID); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		if pageNo > 1 {
			data.Prev = link(pageNo - 1)
		}
		if pageNo < data.Last {
			data.Next = link(pageNo + 1)
		}
		p.Data = data
		s.render(w, r, http.StatusOK, "videos", p)
	}
}

// videoSource is one rendition offered by the watch page.
type videoSource struct {
	URL           string
	Label         string
	Lines         int
	Width, Height int
	Default       bool
}

type videoWatchData struct {
	player
	Card        videoCard
	Description string
	DescLang    string
	Credits     string
	Tags        []tagLink
	JSONLD      template.JS
	Share       sharePanel
}

// publicVideo loads video id for the public pages: a video that is neither published nor
// unlisted does not exist there (db.ErrNotFound).
func (s *Server) publicVideo(ctx context.Context, raw string) (*video.Video, error) {
	id, ok := parseID(raw)
	if !ok {
		return nil, db.ErrNotFound
	}
	v, err := video.Get(ctx, s.db.R, id)
	if err != nil {
		return nil, err
	}
	if !v.Public() || len(v.Renditions) == 0 {
		return nil, db.ErrNotFound
	}
	return v, nil
}

func (s *Server) videoWatch(lang string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		// The page and the video's ActivityPub object share this URL, as on PeerTube: a
		// remote server that was given the link asks for the object, under the same "authorized
		// fetch" rule as /ap/videos/{id}.
		addVary(w.Header(), "Accept")
		if wantsActivity(r) {
			s.fetchAuthorized(func(w http.ResponseWriter, r *http.Request) {
				if id, ok := parseID(r.PathValue("id")); ok {
					s.serveAPVideo(w, r, id)
				} else {
					apNotFound(w)
				}
			})(w, r)
			return
		}
		v, err := s.publicVideo(ctx, r.PathValue("id"))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		cities, err := s.videoCities(ctx)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		p := s.newPage(r, lang, v.Title(lang))
		card := s.newVideoCard(p, v, cities)
		pl, err := s.newPlayer(ctx, p, v, "site", trackChoice{Auto: true})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		// A shared link may start at a moment: ?t=1m30s.
		pl.Start = startFragment(publish.StartAt(r.URL.Query().Get("t"), v.Duration))
		data := videoWatchData{player: pl, Card: card, Description: v.Description(lang), Credits: v.Credits(lang)}
		if len(v.Tags) > 0 {
			labels, err := video.TagLabels(ctx, s.db.R)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			for _, slug := range v.Tags {
				data.Tags = append(data.Tags, tagLink{Slug: slug, Label: tagLabel(p.L, slug, labels[slug])})
			}
		}
		if v.Description(lang) != "" {
			data.DescLang = v.TitleLang(lang)
		}
		abs := func(p string) string { return s.absoluteURL(r, p) }
		pageURL := abs(card.URL)
		p.Description = data.Description
		if p.Description == "" {
			p.Description = card.Title
		}
		// A preview may play the video in place: og:video with its type and size, and the
		// secure_url only when the site is served over HTTPS.
		videoURL := abs(data.Default.URL)
		extra := []metaTag{{Property: "og:video", Content: videoURL}}
		if strings.HasPrefix(videoURL, "https://") {
			extra = append(extra, metaTag{Property: "og:video:secure_url", Content: videoURL})
		}
		extra = append(extra, metaTag{Property: "og:video:type", Content: "video/mp4"},
			metaTag{Property: "og:video:width", Content: strconv.Itoa(data.Default.Width)},
			metaTag{Property: "og:video:height", Content: strconv.Itoa(data.Default.Height)})
		s.setSocial(r, p, socialCard{Type: "video.other", Title: card.Title, Description: p.Description, URL: card.URL,
			Image: data.Poster, ImageAlt: card.Title, Extra: extra})
		ld := map[string]any{
			"@context":     "https://schema.org",
			"@type":        "VideoObject",
			"name":         card.Title,
			"inLanguage":   v.OriginalLang,
			"thumbnailUrl": []string{abs(data.Poster), abs(card.Thumbnail)},
			"uploadDate":   v.PublishedAt.Format(time.RFC3339),
			"duration":     card.ISODur,
			"contentUrl":   abs(data.Default.URL),
			"url":          pageURL,
		}
		if data.Description != "" {
			ld["description"] = data.Description
		} else {
			ld["description"] = card.Title
		}
		if city := cities[v.OriginCityID]; city != nil {
			ld["producer"] = map[string]string{"@type": "City", "name": city.Name(lang)}
		}
		// json.Marshal escapes <, > and & as \u003c…, so nothing in a title can close the
		// script element.
		b, err := json.Marshal(ld)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		data.JSONLD = template.JS(b)
		if data.Share, err = s.newSharePanel(ctx, r, p, v, pl); err != nil {
			s.fail(w, r, err)
			return
		}
		p.Data = data
		s.render(w, r, http.StatusOK, "video", p)
	}
}

// videoMedia serves a stored file of a public video. Keys carry a fresh token per processing
// run, so a URL never changes meaning and may be cached for a year.
func (s *Server) videoMedia(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	file := r.PathValue("file")
	if !ok || path.Base(file) != file {
		s.notFound(w, r)
		return
	}
	key := video.KeyPrefix(id) + file
	ok, err := video.PublicFile(r.Context(), s.db.R, id, key)
	switch {
	case err != nil:
		s.fail(w, r, err)
	case !ok:
		s.notFound(w, r)
	default:
		allowAnyOrigin(w.Header())
		s.sendVideoFile(w, r, key, "public, max-age=31536000, immutable")
	}
}

// serveVideoFile sends one of v's stored outputs named by the path's {file} — a rendition, the
// poster or the thumbnail, nothing else — with Range support and the given Cache-Control.
// (The admin's preview plays the MP4s; the HLS files are only public.)
func (s *Server) serveVideoFile(w http.ResponseWriter, r *http.Request, v *video.Video, cacheControl string) {
	file := r.PathValue("file")
	key := video.KeyPrefix(v.ID) + file
	known := key == v.PosterKey || key == v.ThumbnailKey
	for _, rd := range v.Renditions {
		known = known || key == rd.Key
	}
	if !known || path.Base(file) != file {
		s.notFound(w, r)
		return
	}
	s.sendVideoFile(w, r, key, cacheControl)
}

// sendVideoFile sends the stored output under key, checked by the caller to be one.
func (s *Server) sendVideoFile(w http.ResponseWriter, r *http.Request, key, cacheControl string) {
	ctype := "video/mp4"
	switch path.Ext(key) {
	case ".jpg":
		ctype = "image/jpeg"
	case ".m3u8":
		ctype = hlsPlaylistType
	case ".m4s":
		ctype = "video/iso.segment"
	}
	w.Header().Set("Cache-Control", cacheControl)
	if err := s.docs.Serve(uncachedErrors{w}, r, key, ctype); err != nil {
		w.Header().Del("Cache-Control")
		if errors.Is(err, blob.ErrNotFound) {
			s.notFound(w, r)
			return
		}
		s.fail(w, r, err)
	}
}

// partnerVideos lists the public videos of a partner city's page: those linked to one of its
// partnerships or produced by it.
func (s *Server) partnerVideos(ctx context.Context, p *page, cityID int64) ([]videoCard, error) {
	list, _, err := video.List(ctx, s.db.R, video.Filter{States: []string{video.StatePublished}, CityID: cityID, Limit: videosPerPage})
	if err != nil || len(list) == 0 {
		return nil, err
	}
	cities, err := s.videoCities(ctx)
	if err != nil {
		return nil, err
	}
	var out []videoCard
	for _, v := range list {
		if len(v.Renditions) > 0 {
			out = append(out, s.newVideoCard(p, v, cities))
		}
	}
	return out, nil
}

// uncachedErrors keeps the year-long Cache-Control off error answers (a 416 for a bad range):
// only the file itself is immutable.
type uncachedErrors struct{ http.ResponseWriter }

func (u uncachedErrors) WriteHeader(code int) {
	if code >= 400 {
		u.Header().Del("Cache-Control")
	}
	u.ResponseWriter.WriteHeader(code)
}

func (u uncachedErrors) Unwrap() http.ResponseWriter { return u.ResponseWriter }

// ReadFrom keeps the connection's fast path (sendfile) for the file's bytes: http.ServeContent
// has written the header by the time it copies the body, so the session's writer beneath, which
// only adds a cookie to the header, may be passed by.
func (u uncachedErrors) ReadFrom(r io.Reader) (int64, error) {
	return readFromBeneath(u.ResponseWriter, r)
}
