package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"sistercity/internal/db"
	"sistercity/internal/fed"
)

// The city on the fediverse (package fed): discovery, the actor and its collections, and the
// inboxes. Without --base-url federation is off and these answer 404: remote servers keep the
// actor's URLs for good, so they must not depend on the Host a request came with.

func (s *Server) fedRoutes() []route {
	return []route{
		{"GET /.well-known/webfinger", "", s.webFinger},
		{"GET /.well-known/host-meta", "", s.hostMeta},
		{"GET /.well-known/nodeinfo", "", s.nodeInfoLinks},
		{"GET /nodeinfo/2.1", "", s.nodeInfo},
		{"GET " + fed.ActorPath, "", s.fedActor(func(f *fed.Service) actorDoc { return f.Actor })},
		{"GET " + fed.ChannelPath, "", s.fedActor(func(f *fed.Service) actorDoc { return f.Channel })},
		{"GET " + fed.AccountPath, "", s.fedActor(func(f *fed.Service) actorDoc { return f.Account })},
		// The outbox is the videos' (activitypub_videos.go).
		{"GET " + fed.FollowersPath, "", s.fetchAuthorized(s.fedCollection(fed.FollowersPath))},
		{"GET " + fed.ChannelFollowersPath, "", s.fetchAuthorized(s.fedCollection(fed.ChannelFollowersPath))},
		{"GET " + fed.AccountFollowersPath, "", s.fetchAuthorized(s.fedCollection(fed.AccountFollowersPath))},
		{"GET " + fed.FollowingPath, "", s.fetchAuthorized(s.fedCollection(fed.FollowingPath))},
		// Signed by the sender instead of a session: csrf lets exactly these two paths through.
		{"POST " + fed.InboxPath, "", s.fedInbox},
		{"POST " + fed.SharedInboxPath, "", s.fedInbox},
	}
}

// isInboxPost tells the CSRF middleware which requests are inbox deliveries: authenticated by
// their HTTP signature, carrying no cookie that a forger could ride on.
func isInboxPost(r *http.Request) bool {
	return r.Method == http.MethodPost && (r.URL.Path == fed.InboxPath || r.URL.Path == fed.SharedInboxPath)
}

func writeJSONAs(w http.ResponseWriter, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Vary", "Accept")
	_, _ = w.Write(b)
}

func (s *Server) webFinger(w http.ResponseWriter, r *http.Request) {
	if s.fed == nil {
		s.notFound(w, r)
		return
	}
	res := r.URL.Query().Get("resource")
	if res == "" || len(res) > 512 {
		http.Error(w, "resource wanted", http.StatusBadRequest)
		return
	}
	doc, err := s.fed.WebFinger(r.Context(), res)
	if errors.Is(err, db.ErrNotFound) {
		http.Error(w, http.StatusText(http.StatusNotFound), http.StatusNotFound)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	writeJSONAs(w, "application/jrd+json; charset=utf-8", doc)
}

func (s *Server) hostMeta(w http.ResponseWriter, r *http.Request) {
	if s.fed == nil {
		s.notFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/xrd+xml; charset=utf-8")
	_, _ = w.Write([]byte(s.fed.HostMeta()))
}

func (s *Server) nodeInfoLinks(w http.ResponseWriter, r *http.Request) {
	if s.fed == nil {
		s.notFound(w, r)
		return
	}
	writeJSONAs(w, "application/json", s.fed.NodeInfoLinks())
}

func (s *Server) nodeInfo(w http.ResponseWriter, r *http.Request) {
	if s.fed == nil {
		s.notFound(w, r)
		return
	}
	doc, err := s.fed.NodeInfo(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSONAs(w, `application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"`, doc)
}

// actorDoc makes one of the city's actor documents (the city, its channel, the channel's account).
type actorDoc func(context.Context) (map[string]any, error)

// fedActor serves an actor that doc of the federation service makes. With authorized fetch
// on, an unsigned request gets only what verifying our signatures needs (id, inboxes, key), as
// Mastodon does in secure mode: a remote server checking our signed request must be able to
// read our key without signing a request that we, in turn, would have to verify by fetching
// its actor.
func (s *Server) fedActor(doc func(*fed.Service) actorDoc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.fed == nil {
			s.notFound(w, r)
			return
		}
		s.serveActor(w, r, doc(s.fed))
	}
}

func (s *Server) serveActor(w http.ResponseWriter, r *http.Request, doc actorDoc) {
	if !fed.AcceptsActivity(r.Header.Get("Accept")) {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	actor, err := doc(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var ie *fed.InboxError
	switch err := s.fed.AuthorizeFetch(r); {
	case err == nil:
	case errors.Is(err, fed.ErrUnsigned):
		actor = fed.MinimalActor(actor)
	case errors.As(err, &ie):
		http.Error(w, http.StatusText(ie.Status), ie.Status)
		return
	default:
		s.fail(w, r, err)
		return
	}
	writeJSONAs(w, fed.ContentType, actor)
}

func (s *Server) fedCollection(path string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.fed == nil {
			s.notFound(w, r)
			return
		}
		if r.URL.Query().Get("page") != "" {
			writeJSONAs(w, fed.ContentType, s.fed.CollectionPage(path))
			return
		}
		var total int64
		if followed, ok := s.fed.FollowedBy(path); ok {
			n, err := fed.FollowerCount(r.Context(), s.db.R, followed)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			total = n
		}
		writeJSONAs(w, fed.ContentType, s.fed.Collection(path, total))
	}
}

// fetchAuthorized runs next when federation is off or the request passes the "authorized fetch"
// setting's check (a signed GET when it is on, as Mastodon's secure mode asks).
func (s *Server) fetchAuthorized(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.fed != nil {
			if err := s.fed.AuthorizeFetch(r); err != nil {
				var ie *fed.InboxError
				if errors.As(err, &ie) {
					http.Error(w, http.StatusText(ie.Status), ie.Status)
					return
				}
				s.fail(w, r, err)
				return
			}
		}
		next(w, r)
	}
}

func (s *Server) fedInbox(w http.ResponseWriter, r *http.Request) {
	if s.fed == nil {
		s.notFound(w, r)
		return
	}
	s.fed.ServeInbox(w, r)
}
