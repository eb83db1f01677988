package web

import (
	"bytes"
	"cmp"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"sistercity/internal/db"
	"sistercity/internal/exchange"
	"sistercity/internal/feed"
	"sistercity/internal/i18n"
	"sistercity/internal/register"
	"sistercity/internal/subtitle"
	"sistercity/internal/track"
	"sistercity/internal/video"
)

// feedEntries is how many entries a feed carries at most: the latest videos by publication, the
// latest changed activities. Feed readers keep what they saw; a longer feed only costs every
// poll more bytes.
const feedEntries = 50

// feedRoutes are the feeds of one language: the published videos (all of them, a partner
// city's, a tag's) in RSS, Atom and JSON Feed, and the exchange programme's timeline in Atom,
// beside the calendar feeds (/{lang}/calendar.ics, /{lang}/partners/{id}/calendar.ics).
func (s *Server) feedRoutes(lang string) []route {
	var rs []route
	for _, f := range feed.Formats {
		ext := "." + string(f)
		rs = append(rs,
			route{"GET /" + lang + "/videos/feed" + ext, "", s.videoFeed(lang, f)},
			route{"GET /" + lang + "/videos/tags/{tag}/feed" + ext, "", s.tagVideoFeed(lang, f)},
			route{"GET /" + lang + "/partners/{id}/videos" + ext, "", s.partnerVideoFeed(lang, f)},
		)
	}
	return append(rs,
		route{"GET /" + lang + "/timeline.atom", "", s.timelineFeed(lang)},
		route{"GET /" + lang + "/partners/{id}/timeline.atom", "", s.partnerTimelineFeed(lang)},
	)
}

// allLanguagesFeedRoutes are the feeds of every published video, each entry in the language
// the video was made in.
func (s *Server) allLanguagesFeedRoutes() []route {
	var rs []route
	for _, f := range feed.Formats {
		rs = append(rs, route{"GET /videos/feed." + string(f), "", s.allVideoFeed(f)})
	}
	return rs
}

// feedLink is a feed a page names in its head (<link rel="alternate">) for feed readers and
// browsers to discover.
type feedLink struct {
	Type, Title, URL string
	Label            string // the format's name, for a visible link: "RSS"
}

// videoFeedLinks are the three formats of the video feed at path (without its extension).
func videoFeedLinks(l *i18n.Localizer, path, title string) []feedLink {
	var out []feedLink
	for _, f := range feed.Formats {
		format := l.T("feeds.format." + string(f))
		out = append(out, feedLink{Type: f.MediaType(), URL: path + "." + string(f), Label: format,
			Title: l.T("feeds.link", "title", title, "format", format)})
	}
	return out
}

// timelineFeedLink is the Atom feed of a timeline at path.
func timelineFeedLink(l *i18n.Localizer, path, title string) feedLink {
	format := l.T("feeds.format.atom")
	return feedLink{Type: feed.Atom.MediaType(), URL: path, Label: format,
		Title: l.T("feeds.link", "title", title, "format", format)}
}

// siteFeedLinks are the feeds of the whole site in a language, for the home page.
func siteFeedLinks(l *i18n.Localizer, site string) []feedLink {
	return append(videoFeedLinks(l, "/"+l.Lang+"/videos/feed", l.T("feeds.videos.title", "site", site)),
		timelineFeedLink(l, "/"+l.Lang+"/timeline.atom", l.T("feeds.timeline.title", "site", site)))
}

// partnerFeedLinks are the feeds of a partner city's page: its videos and its timeline.
func partnerFeedLinks(l *i18n.Localizer, site string, cityID int64, name string) (videos []feedLink, timeline feedLink) {
	home := "/" + l.Lang + "/partners/" + strconv.FormatInt(cityID, 10)
	return videoFeedLinks(l, home+"/videos", l.T("feeds.partner.title", "city", name, "site", site)),
		timelineFeedLink(l, home+"/timeline.atom", l.T("feeds.partner_timeline.title", "city", name, "site", site))
}

// tagPath is the path of a tag's feed without its extension.
func tagPath(lang, tag string) string {
	return "/" + lang + "/videos/tags/" + url.PathEscape(tag) + "/feed"
}

// videoFeedSpec says which videos a feed lists and how it names itself.
type videoFeedSpec struct {
	lang   string // the feed's language; "" for every video in its own language
	filter video.Filter
	path   string // of the feed, without its extension
	home   string // the page the feed belongs to
	title  string
	desc   string
}

// videoFeed serves /{lang}/videos/feed.{rss,atom,json}: the latest published videos, each in
// the language of the feed or, without a translation, in the video's own (marked so).
func (s *Server) videoFeed(lang string, format feed.Format) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.serveCachedFeed(w, r, format, func(r *http.Request) (*feed.Feed, []int64, error) {
			l, site := s.cat.Localizer(lang), s.siteName(r.Context(), lang)
			return s.buildVideoFeed(r, format, videoFeedSpec{lang: lang, path: "/" + lang + "/videos/feed", home: "/" + lang + "/videos",
				title: l.T("feeds.videos.title", "site", site), desc: l.T("feeds.videos.description", "site", site)})
		})
	}
}

// allVideoFeed serves /videos/feed.{rss,atom,json}: every published video in the language it
// was made in. The feed's own title and description are in every language of the site.
func (s *Server) allVideoFeed(format feed.Format) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.serveCachedFeed(w, r, format, func(r *http.Request) (*feed.Feed, []int64, error) {
			var titles, descs []string
			for _, lang := range s.cat.Languages() {
				l, site := s.cat.Localizer(lang), s.siteName(r.Context(), lang)
				titles = append(titles, l.T("feeds.all.title", "site", site))
				descs = append(descs, l.T("feeds.all.description", "site", site))
			}
			return s.buildVideoFeed(r, format, videoFeedSpec{path: "/videos/feed", home: "/",
				title: strings.Join(titles, " / "), desc: strings.Join(descs, " / ")})
		})
	}
}

// partnerVideoFeed serves /{lang}/partners/{id}/videos.{rss,atom,json}: the videos of a
// partner city (id is the city, as on the partner page), those linked to one of its
// partnerships or produced by it. A city that is no public partner is not found.
func (s *Server) partnerVideoFeed(lang string, format feed.Format) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.serveCachedFeed(w, r, format, func(r *http.Request) (*feed.Feed, []int64, error) {
			city, err := s.feedPartner(r)
			if err != nil {
				return nil, nil, err
			}
			l := s.cat.Localizer(lang)
			site, name := s.siteName(r.Context(), lang), city.Name(lang)
			home := "/" + lang + "/partners/" + strconv.FormatInt(city.ID, 10)
			return s.buildVideoFeed(r, format, videoFeedSpec{lang: lang, filter: video.Filter{CityID: city.ID}, path: home + "/videos", home: home,
				title: l.T("feeds.partner.title", "city", name, "site", site), desc: l.T("feeds.partner.description", "city", name)})
		})
	}
}

// tagVideoFeed serves /{lang}/videos/tags/{tag}/feed.{rss,atom,json}: the videos with a tag.
// A tag no published video carries is not found.
func (s *Server) tagVideoFeed(lang string, format feed.Format) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tag := strings.ToLower(strings.TrimSpace(r.PathValue("tag")))
		if tag == "" || len([]rune(tag)) > video.MaxTag || strings.ContainsAny(tag, ",<>\"") {
			s.notFound(w, r)
			return
		}
		s.serveCachedFeed(w, r, format, func(r *http.Request) (*feed.Feed, []int64, error) {
			l, site := s.cat.Localizer(lang), s.siteName(r.Context(), lang)
			f, ids, err := s.buildVideoFeed(r, format, videoFeedSpec{lang: lang, filter: video.Filter{Tag: tag}, path: tagPath(lang, tag),
				home:  "/" + lang + "/videos?" + url.Values{"tag": {tag}}.Encode(),
				title: l.T("feeds.tag.title", "tag", tag, "site", site), desc: l.T("feeds.tag.description", "tag", tag)})
			if err == nil && len(f.Entries) == 0 {
				return nil, nil, db.ErrNotFound
			}
			return f, ids, err
		})
	}
}

// feedPartner reads the {id} of a partner feed: a city with a partnership the public may see,
// else db.ErrNotFound.
func (s *Server) feedPartner(r *http.Request) (*register.City, error) {
	id, ok := pathID(r, "id")
	if !ok {
		return nil, db.ErrNotFound
	}
	ps, err := s.publicPartnerships(r.Context())
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		if p.PartnerCityID == id {
			return p.PartnerCity, nil
		}
	}
	return nil, db.ErrNotFound
}

// serveCachedFeed serves the feed build makes in format, from the feed cache when it was built
// less than feedCacheFor ago. build returns db.ErrNotFound for a feed that does not exist.
func (s *Server) serveCachedFeed(w http.ResponseWriter, r *http.Request, format feed.Format, build func(*http.Request) (*feed.Feed, []int64, error)) {
	// The origin is part of the key: without --base-url the links follow the address the
	// request reached.
	key := s.origin(r) + r.URL.Path
	bf, err := s.feeds.load(key, s.db.Generation(r.Context()), time.Now(), func() (*builtFeed, error) {
		// The build may be shared by requests that wait for it: one client going away must
		// not cancel it for the others.
		f, ids, err := build(r.WithContext(context.WithoutCancel(r.Context())))
		if err != nil {
			return nil, err
		}
		var b bytes.Buffer
		if err := feed.Write(&b, format, f); err != nil {
			return nil, err
		}
		return &builtFeed{body: b.Bytes(), lang: f.Lang, videoIDs: ids}, nil
	})
	switch {
	case isNotFound(err):
		s.notFound(w, r)
	case err != nil:
		s.fail(w, r, err)
	default:
		s.serveFeed(w, r, format, bf)
	}
}

// buildVideoFeed makes the feed spec describes, and returns the IDs of the videos in it.
func (s *Server) buildVideoFeed(r *http.Request, format feed.Format, spec videoFeedSpec) (*feed.Feed, []int64, error) {
	ctx := r.Context()
	flt := spec.filter
	flt.States, flt.Limit = []string{video.StatePublished}, feedEntries
	list, _, err := video.List(ctx, s.db.R, flt)
	if err != nil {
		return nil, nil, err
	}
	f := &feed.Feed{Title: spec.title, Description: spec.desc, Lang: spec.lang, HomeURL: s.absoluteURL(r, spec.home),
		SelfURL: s.absoluteURL(r, spec.path+"."+string(format)), ID: s.absoluteURL(r, spec.path+".atom"), Author: s.siteName(ctx, cmp.Or(spec.lang, i18n.DefaultLang))}
	ids := make([]int64, 0, len(list))
	for _, v := range list {
		if len(v.Renditions) > 0 {
			ids = append(ids, v.ID)
		}
	}
	tracks, err := track.ApprovedForVideos(ctx, s.db.R, ids)
	if err != nil {
		return nil, nil, err
	}
	for _, v := range list {
		if len(v.Renditions) == 0 {
			continue
		}
		e := s.videoEntry(r, spec.lang, v, tracks[v.ID])
		f.Entries = append(f.Entries, e)
		if e.Updated.After(f.Updated) {
			f.Updated = e.Updated
		}
	}
	return f, ids, nil
}

// videoEntry makes the feed entry of a published video: in lang where it has a text in lang,
// else (and always when lang is "") in its original language.
func (s *Server) videoEntry(r *http.Request, lang string, v *video.Video, tracks []*track.Track) feed.Entry {
	textLang := lang
	if textLang == "" {
		textLang = v.OriginalLang
	}
	// The watch page in the feed's language, or for the all-languages feed in the site's
	// language closest to the video's.
	pageLang := lang
	if pageLang == "" {
		pageLang = s.cat.Match(v.OriginalLang)
	}
	l := s.cat.Localizer(pageLang)
	page := s.absoluteURL(r, "/"+pageLang+"/videos/"+strconv.FormatInt(v.ID, 10))
	tl := v.TitleLang(textLang)
	e := feed.Entry{ID: page, URL: page, Title: feed.Text{Value: v.Title(textLang), Lang: tl},
		Summary: feed.Text{Value: v.Description(textLang)}, Content: feed.Text{Value: v.Credits(textLang)},
		Published: v.PublishedAt, Updated: v.UpdatedAt, Categories: v.Tags}
	if v.ThumbnailKey != "" {
		e.Thumbnail = &feed.Image{URL: s.absoluteURL(r, mediaURL(v.ThumbnailKey))}
	}
	def := v.Default()
	for _, rd := range v.Renditions {
		e.Media = append(e.Media, feed.Media{URL: s.absoluteURL(r, mediaURL(rd.Key)), Type: "video/mp4", Width: rd.Width,
			Height: rd.Height, Duration: v.Duration, Size: rd.Size, Bitrate: rd.Bitrate, Lang: v.OriginalLang,
			Title: e.Title.Value, Default: rd.Key == def.Key})
	}
	for _, t := range tracks {
		if t.UpdatedAt.After(e.Updated) {
			e.Updated = t.UpdatedAt
		}
		if t.Kind != subtitle.KindSubtitles && t.Kind != subtitle.KindCaptions {
			continue
		}
		label := cmp.Or(t.Label, selfLabel(t.Lang))
		e.Subtitles = append(e.Subtitles, feed.Subtitle{URL: s.absoluteURL(r, trackURL(t)), Type: "text/vtt", Lang: t.Lang,
			Label: label, Title: l.T("feeds.subtitles", "label", label, "lang", t.Lang)})
	}
	return e
}

// serveFeed sends a built feed, cached as the public pages are: a weak ETag of the bytes, a
// Last-Modified, 304 to a request whose validators still hold, public for --public-max-age (the
// compress middleware gzips or Brotli-compresses it).
func (s *Server) serveFeed(w http.ResponseWriter, r *http.Request, format feed.Format, bf *builtFeed) {
	h := w.Header()
	h.Set("Content-Type", format.ContentType())
	if bf.lang != "" {
		h.Set("Content-Language", bf.lang)
	}
	// A feed is the same for everyone; only a request that changed its session (which sets a
	// cookie) must not be kept by a shared cache.
	if s.sessionUntouched(r) && len(h.Values("Set-Cookie")) == 0 {
		if s.cachePublic(w, r, bf.body) {
			return
		}
	} else {
		h.Set("Cache-Control", privateNoStore)
	}
	// Compressed as the compress middleware would (which lets an answer with a
	// Content-Encoding pass), but once per built feed; the weak ETag stands for every coding.
	addVary(h, "Accept-Encoding")
	body := bf.body
	if c := negotiateCoding(r.Header.Get("Accept-Encoding")); c != codingIdentity && r.Method != http.MethodHead && len(body) >= minCompressBytes {
		body = bf.encoded(c)
		h.Set("Content-Encoding", c.String())
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
	s.feedServed(r, bf.videoIDs)
}

// feedServed is the one place that learns which published videos a feed answer carried (a 200,
// not a 304, whose client had them already).
func (s *Server) feedServed(r *http.Request, videoIDs []int64) {
	if len(videoIDs) == 0 {
		return
	}
	// The feed's language is its path's first segment; the all-languages feed has none.
	lang := ""
	if first, _, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/"); ok && s.cat.Has(first) {
		lang = first
	}
	if err := s.publog.FeedServed(r.Context(), s.db, videoIDs, r.URL.Path, lang); err != nil {
		// The answer has gone out; a log entry missed now is written at the next request.
		s.log.Warn("publication log: feed served", "path", r.URL.Path, "err", err)
	}
}

// timelineFeed serves /{lang}/timeline.atom: the exchange programme's activities with the
// partner cities, as the partner pages' timelines show them, latest changed first.
func (s *Server) timelineFeed(lang string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.serveCachedFeed(w, r, feed.Atom, func(r *http.Request) (*feed.Feed, []int64, error) {
			l := s.cat.Localizer(lang)
			f, err := s.buildTimelineFeed(r.Context(), r, l, 0)
			if err != nil {
				return nil, nil, err
			}
			s.nameTimeline(r, f, "/"+lang+"/timeline.atom", "/"+lang+"/",
				l.T("feeds.timeline.title", "site", s.siteName(r.Context(), lang)), l.T("feeds.timeline.description"))
			return f, nil, nil
		})
	}
}

// partnerTimelineFeed serves /{lang}/partners/{id}/timeline.atom: the activities with one
// partner city.
func (s *Server) partnerTimelineFeed(lang string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.serveCachedFeed(w, r, feed.Atom, func(r *http.Request) (*feed.Feed, []int64, error) {
			city, err := s.feedPartner(r)
			if err != nil {
				return nil, nil, err
			}
			l := s.cat.Localizer(lang)
			f, err := s.buildTimelineFeed(r.Context(), r, l, city.ID)
			if err != nil {
				return nil, nil, err
			}
			name := city.Name(lang)
			home := "/" + lang + "/partners/" + strconv.FormatInt(city.ID, 10)
			s.nameTimeline(r, f, home+"/timeline.atom", home,
				l.T("feeds.partner_timeline.title", "city", name, "site", s.siteName(r.Context(), lang)), l.T("feeds.partner_timeline.description", "city", name))
			return f, nil, nil
		})
	}
}

// nameTimeline sets a timeline feed's title, description and URLs.
func (s *Server) nameTimeline(r *http.Request, f *feed.Feed, path, home, title, desc string) {
	f.Title, f.Description = title, desc
	f.HomeURL, f.SelfURL, f.ID = s.absoluteURL(r, home), s.absoluteURL(r, path), s.absoluteURL(r, path)
}

func (s *Server) buildTimelineFeed(ctx context.Context, r *http.Request, l *i18n.Localizer, cityID int64) (*feed.Feed, error) {
	ps, err := s.publicPartnerships(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[int64]*register.Partnership{}
	for _, p := range ps {
		if cityID == 0 || p.PartnerCityID == cityID {
			byID[p.ID] = p
		}
	}
	acts, err := s.activities(ctx) // the public ones only
	if err != nil {
		return nil, err
	}
	// Cancelled activities are left out, as on the partner pages' timelines; the list is the
	// shared snapshot, so it is cloned before it is cut.
	acts = slices.DeleteFunc(slices.Clone(acts), func(a *exchange.Activity) bool {
		return a.Status == exchange.StatusCancelled || !slices.ContainsFunc(a.Partnerships, func(id int64) bool { return byID[id] != nil })
	})
	slices.SortStableFunc(acts, func(a, b *exchange.Activity) int {
		return cmp.Or(b.UpdatedAt.Compare(a.UpdatedAt), cmp.Compare(b.ID, a.ID))
	})
	acts = acts[:min(len(acts), feedEntries)]
	f := &feed.Feed{Lang: l.Lang, Author: s.siteName(ctx, l.Lang)}
	for _, a := range acts {
		f.Entries = append(f.Entries, s.activityEntry(r, l, a, byID))
		if a.UpdatedAt.After(f.Updated) {
			f.Updated = a.UpdatedAt
		}
	}
	return f, nil
}

// activityEntry is the timeline entry of an activity: its title (in its own language when it
// has none in the feed's), a summary in the feed's language — kind, date, status and mode,
// partner cities — and the activity's own summary as content.
func (s *Server) activityEntry(r *http.Request, l *i18n.Localizer, a *exchange.Activity, byID map[int64]*register.Partnership) feed.Entry {
	lang := l.Lang
	tl := a.TitleLang(lang)
	when := a.When()
	head := l.T("exchange.kind." + a.Kind)
	if !when.Start.Date.IsZero() {
		head += " · " + l.Date(when.Start.Date.Time())
	}
	lines := []string{head, l.T("calendar.status", "status", l.T("exchange.status."+a.Status), "mode", l.T("exchange.mode."+a.Mode))}
	if a.Status == exchange.StatusSwitchedOnline {
		if reason := switchReason(a).In(l.Lang); reason != "" {
			lines = append(lines, l.T("timeline.switched", "reason", reason))
		}
	}
	var cities []string
	link := "/" + lang + "/"
	for _, id := range a.Partnerships {
		if p := byID[id]; p != nil {
			cities = append(cities, p.PartnerCity.Name(lang))
			if link == "/"+lang+"/" {
				link = "/" + lang + "/partners/" + strconv.FormatInt(p.PartnerCityID, 10)
			}
		}
	}
	if len(cities) > 0 {
		lines = append(lines, l.T("calendar.partners", "cities", strings.Join(cities, ", ")))
	}
	e := feed.Entry{
		// The feed's URL with a fragment: an IRI that names the activity for good, while the
		// link goes to the partner page whose timeline shows it.
		ID:         s.absoluteURL(r, "/"+lang+"/timeline.atom#activity-"+strconv.FormatInt(a.ID, 10)),
		URL:        s.absoluteURL(r, link),
		Title:      feed.Text{Value: a.Title(lang), Lang: tl},
		Summary:    feed.Text{Value: strings.Join(lines, "\n"), Lang: lang},
		Content:    feed.Text{Value: a.Summary(lang), Lang: tl},
		Updated:    a.UpdatedAt,
		Categories: []string{l.T("exchange.kind." + a.Kind)},
	}
	return e
}
