package web

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cespare/xxhash/v2"

	"sistercity/internal/apub"
	"sistercity/internal/db"
	"sistercity/internal/fed"
	"sistercity/internal/i18n"
	"sistercity/internal/outbox"
	"sistercity/internal/track"
	"sistercity/internal/video"
)

// The city's videos on the fediverse: each published video's ActivityPub object, its
// activities and the outbox. The documents are package apub's; the activities were recorded
// by the video and track use cases (package outbox). The actor, its keys, the inbox and the
// delivery are elsewhere.

// outboxPerPage is the size of a page of the outbox.
const outboxPerPage = 20

// maxOutboxPage bounds the page number a client may ask for, so a made-up one is refused
// before it reaches the database as a huge OFFSET.
const maxOutboxPage = 100_000

// apVideoMaxAge is how long a remote server may keep an object: an edit reaches followers as
// an Update, and a fetch after a minute sees it too.
const apVideoMaxAge = "public, max-age=60"

func (s *Server) activityPubVideoRoutes() []route {
	return []route{
		{"GET /ap/videos/{id}", "", s.fetchAuthorized(s.apVideo)},
		{"GET /ap/videos/{id}/activities/{n}", "", s.fetchAuthorized(s.apActivity)},
		{"GET " + fed.OutboxPath, "", s.fetchAuthorized(s.apOutbox)},
	}
}

// wantsActivity tells whether r asks for an ActivityPub document rather than a page: its
// Accept header names application/activity+json or application/ld+json at least as high as
// text/html (a browser's */* does not count as asking for a page, nor for JSON).
func wantsActivity(r *http.Request) bool {
	accept := r.Header.Get("Accept")
	if accept == "" || len(accept) > 1024 {
		return false
	}
	var ap, page float64
	for part := range strings.SplitSeq(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if raw, ok := params["q"]; ok {
			if q, err = strconv.ParseFloat(raw, 64); err != nil {
				continue
			}
		}
		switch mt {
		case "application/activity+json", "application/ld+json":
			ap = max(ap, q)
		case "text/html", "application/xhtml+xml":
			page = max(page, q)
		}
	}
	return ap > 0 && ap >= page
}

// apContentType is the type to answer r's request for a document with: JSON-LD's when that is
// what it asked for, ActivityPub's otherwise.
func apContentType(r *http.Request) string {
	accept := r.Header.Get("Accept")
	if strings.Contains(accept, "application/ld+json") && !strings.Contains(accept, "application/activity+json") {
		return apub.LDContentType
	}
	return apub.ContentType
}

// apSite is where the documents of the site answering r point to.
func (s *Server) apSite(r *http.Request) apub.Site {
	return apSiteAt(s.origin(r), s.cat)
}

// apSiteAt is where the documents of the site at base point to.
func apSiteAt(base string, cat *i18n.Catalog) apub.Site {
	return apub.Site{
		Base: base,
		WatchURL: func(id int64, lang string) string {
			return base + "/" + apPageLang(cat, lang) + "/videos/" + strconv.FormatInt(id, 10)
		},
		MediaURL: func(key string) string { return base + mediaURL(key) },
		TrackURL: func(id int64) string { return base + "/media/tracks/" + strconv.FormatInt(id, 10) + ".vtt" },
	}
}

// apPageLang is the language of the watch page an object links: the video's original
// language when the site has it, else the site's first. A remote server shows one link; the
// page itself offers the others.
func apPageLang(cat *i18n.Catalog, lang string) string {
	if cat.Has(lang) {
		return lang
	}
	return cat.Languages()[0]
}

// writeAP answers doc as an ActivityPub document with status, readable from any origin (a
// partner's player or site may fetch it from its page).
func (s *Server) writeAP(w http.ResponseWriter, r *http.Request, status int, doc any, cacheControl string) {
	b, err := json.Marshal(doc)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", apContentType(r))
	h.Set("Access-Control-Allow-Origin", "*")
	addVary(h, "Accept")
	h.Set("Cache-Control", cacheControl)
	if status == http.StatusOK {
		sum := xxhash.Sum64(b)
		var e [8]byte
		binary.BigEndian.PutUint64(e[:], sum)
		etag := `"ap-` + hex.EncodeToString(e[:]) + `"`
		h.Set("ETag", etag)
		if notModified(r, etag, time.Time{}) {
			h.Del("Content-Type")
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b)
	}
}

// apNotFound answers a document that does not exist, in no language: the reader is a server.
func apNotFound(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Access-Control-Allow-Origin", "*")
	addVary(h, "Accept")
	w.WriteHeader(http.StatusNotFound)
}

// loadAPVideo loads what video id's object is made of: the outbox record, and, while it is
// live, the video and its approved tracks. A video never federated, or not public now while
// its object is live (in the moment between two transactions), is db.ErrNotFound.
func (s *Server) loadAPVideo(ctx context.Context, id int64) (*outbox.Object, *video.Video, []*track.Track, error) {
	return loadAPVideo(ctx, s.db.R, id)
}

func loadAPVideo(ctx context.Context, q db.Querier, id int64) (*outbox.Object, *video.Video, []*track.Track, error) {
	o, err := outbox.Get(ctx, q, id)
	if err != nil {
		return nil, nil, nil, err
	}
	if !o.Live() {
		return o, nil, nil, nil
	}
	v, err := video.Get(ctx, q, id)
	if err != nil {
		return nil, nil, nil, err
	}
	if !v.Public() || len(v.Renditions) == 0 {
		return nil, nil, nil, db.ErrNotFound
	}
	tracks, err := track.ForVideo(ctx, q, id, true)
	if err != nil {
		return nil, nil, nil, err
	}
	return o, v, tracks, nil
}

// apVideo answers video id's object; a withdrawn video's is a Tombstone, with 410.
func (s *Server) apVideo(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		apNotFound(w)
		return
	}
	s.serveAPVideo(w, r, id)
}

func (s *Server) serveAPVideo(w http.ResponseWriter, r *http.Request, id int64) {
	o, v, tracks, err := s.loadAPVideo(r.Context(), id)
	site := s.apSite(r)
	switch {
	case errors.Is(err, db.ErrNotFound):
		apNotFound(w)
	case err != nil:
		s.fail(w, r, err)
	case v == nil:
		s.writeAP(w, r, http.StatusGone, site.NewTombstone(id, o.Last.At, true), "public, max-age=60")
	default:
		s.writeAP(w, r, http.StatusOK, site.NewVideo(v, o, tracks, true), apVideoMaxAge)
	}
}

// apActivity answers activity n of video id: a Create or Update with the object as it is now
// (410 once the video is withdrawn), a Delete with its Tombstone.
func (s *Server) apActivity(w http.ResponseWriter, r *http.Request) {
	id, ok1 := pathID(r, "id")
	n, ok2 := pathID(r, "n")
	if !ok1 || !ok2 {
		apNotFound(w)
		return
	}
	ctx := r.Context()
	a, err := outbox.GetActivity(ctx, s.db.R, id, n)
	if errors.Is(err, db.ErrNotFound) {
		apNotFound(w)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	site := s.apSite(r)
	if a.Kind == outbox.Delete {
		act, err := site.NewActivity(*a, nil, nil, true)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.writeAP(w, r, http.StatusOK, act, "public, max-age=3600")
		return
	}
	o, v, tracks, err := s.loadAPVideo(ctx, id)
	switch {
	case errors.Is(err, db.ErrNotFound):
		apNotFound(w)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	case v == nil:
		s.writeAP(w, r, http.StatusGone, site.NewTombstone(id, o.Last.At, true), "public, max-age=60")
		return
	}
	act, err := site.NewActivity(*a, v, site.NewVideo(v, o, tracks, false), true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeAP(w, r, http.StatusOK, act, apVideoMaxAge)
}

// apOutbox answers the outbox: the collection, or with ?page=n its page n (from 1), the
// Create activities of the live videos, newest first.
func (s *Server) apOutbox(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	site := s.apSite(r)
	raw := r.URL.Query().Get("page")
	if raw == "" {
		_, total, err := outbox.Page(ctx, s.db.R, 0, 0)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.writeAP(w, r, http.StatusOK, site.NewOutbox(total, outboxPerPage), apVideoMaxAge)
		return
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > maxOutboxPage {
		apNotFound(w)
		return
	}
	list, total, err := outbox.Page(ctx, s.db.R, outboxPerPage, (n-1)*outboxPerPage)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items := make([]any, 0, len(list))
	for _, a := range list {
		o, v, tracks, err := s.loadAPVideo(ctx, a.VideoID)
		if errors.Is(err, db.ErrNotFound) || (err == nil && v == nil) {
			continue // withdrawn since the page was read
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		act, err := site.NewActivity(a, v, site.NewVideo(v, o, tracks, false), false)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		items = append(items, act)
	}
	s.writeAP(w, r, http.StatusOK, site.NewOutboxPage(n, total, outboxPerPage, items), apVideoMaxAge)
}

// allowAnyOrigin lets pages of any origin read a public file: partner instances' players load
// our renditions and tracks from their pages.
func allowAnyOrigin(h http.Header) {
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Expose-Headers", "Content-Length, Content-Range, Accept-Ranges")
}
