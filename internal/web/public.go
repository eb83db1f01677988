package web

import (
	"context"
	"net/http"
	"slices"
	"sort"

	"sistercity/internal/civil"
	"sistercity/internal/exchange"
	"sistercity/internal/problem"
	"sistercity/internal/register"
)

// root sends a visitor to the site in the language their browser asks for.
func (s *Server) root(w http.ResponseWriter, r *http.Request) {
	lang := s.cat.Match(r.Header.Get("Accept-Language"))
	w.Header().Add("Vary", "Accept-Language")
	http.Redirect(w, r, "/"+lang+"/", http.StatusFound)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.db.Ping(r.Context()); err != nil {
		s.log.Error("health check: database", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("database unavailable\n"))
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}

func (s *Server) robots(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("User-agent: *\nDisallow: /admin/\n\nSitemap: " + s.absoluteURL(r, "/sitemap.xml") + "\n"))
}

// partnerCard is a partnership as the public lists show it.
type partnerCard struct {
	P        *register.Partnership
	Name     string
	NameLang string
	Country  string
	Age      int
	HasAge   bool
}

// group is a heading with its partnerships.
type group struct {
	Title string
	Cards []partnerCard
}

type partnerListData struct {
	ByType      []group
	ByContinent []group
	Count       int
}

// publicPartnerships returns the partnerships the public may see: all but ended ones.
func (s *Server) publicPartnerships(ctx context.Context) ([]*register.Partnership, error) {
	all, err := s.partnerships(ctx)
	if err != nil {
		return nil, err
	}
	var out []*register.Partnership
	for _, p := range all {
		if p.Status != register.StatusEnded && p.PartnerCity != nil {
			out = append(out, p)
		}
	}
	return out, nil
}

func (s *Server) card(p *page, ps *register.Partnership) partnerCard {
	age, ok := ps.Age(p.Today)
	return partnerCard{
		P:        ps,
		Name:     ps.PartnerCity.Name(p.Lang),
		NameLang: ps.PartnerCity.NameLang(p.Lang),
		Country:  p.L.Region(ps.PartnerCity.Country),
		Age:      age,
		HasAge:   ok,
	}
}

func (s *Server) home(lang string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ps, err := s.publicPartnerships(r.Context())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		p := s.newPage(r, lang, "")
		if p.Title, err = s.homeTitle(r.Context(), p.L); err != nil {
			s.fail(w, r, err)
			return
		}
		p.Description = p.L.T("home.intro")
		p.Feeds = siteFeedLinks(p.L, p.Site.Name)
		data := struct {
			Oldest, Newest     *partnerCard
			Sister, Friendship int
			Countries          int
			Recent             []partnerCard
			Videos             []frontVideo
			Milestones         []frontMilestone
			Calls              []callLink
		}{}
		if data.Videos, data.Milestones, err = s.homeFront(r.Context(), p, ps); err != nil {
			s.fail(w, r, err)
			return
		}
		if data.Calls, err = s.openCallLinks(r.Context(), p, 0, 0); err != nil {
			s.fail(w, r, err)
			return
		}
		countries := map[string]bool{}
		for _, x := range ps {
			countries[x.PartnerCity.Country] = true
			switch x.Type {
			case register.TypeSister:
				data.Sister++
			case register.TypeFriendship:
				data.Friendship++
			}
		}
		data.Countries = len(countries)
		if len(ps) > 0 {
			o, n := s.card(p, ps[0]), s.card(p, ps[len(ps)-1])
			data.Oldest, data.Newest = &o, &n
		}
		card := socialCard{Type: "website", Title: p.Title, URL: r.URL.Path}
		if len(data.Videos) > 0 {
			// The latest video's poster shows the site at its best in a preview.
			card.Image, card.ImageAlt = data.Videos[0].Poster, data.Videos[0].Title
		}
		s.setSocial(r, p, card)
		p.Data = data
		s.render(w, r, http.StatusOK, "home", p)
	}
}

func (s *Server) partnerList(lang string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ps, err := s.publicPartnerships(r.Context())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		p := s.newPage(r, lang, "")
		p.Title = p.L.T("partner.list_title")
		p.Description = p.L.T("face.meta.partners")
		var data partnerListData
		data.Count = len(ps)
		for _, t := range register.PartnershipTypes {
			g := group{Title: p.L.T("partner.type." + t)}
			for _, x := range ps {
				if x.Type == t {
					g.Cards = append(g.Cards, s.card(p, x))
				}
			}
			if len(g.Cards) > 0 {
				data.ByType = append(data.ByType, g)
			}
		}
		for _, c := range register.Continents {
			g := group{Title: p.L.Region(c)}
			for _, x := range ps {
				if x.PartnerCity.Continent() == c {
					g.Cards = append(g.Cards, s.card(p, x))
				}
			}
			if len(g.Cards) > 0 {
				data.ByContinent = append(data.ByContinent, g)
			}
		}
		p.Data = data
		s.render(w, r, http.StatusOK, "partners", p)
	}
}

// timelineEvent is one dated line of a partner page's timeline.
type timelineEvent struct {
	On   civil.Date
	Text string
	// The exchange programme's lines add a title that may be in another language, a marker
	// ("planned", "upcoming"), a note, and whether the line is a round anniversary.
	Title, TitleLang, Marker string
	Note                     typedPart
	Round                    bool
	// Videos are the published videos linked to an activity, localized.
	Videos []exchange.VideoRef
	// Calls are the activity's open calls for citizens' messages.
	Calls []callLink
}

type partnerPageData struct {
	City         *register.City
	Name         string
	NameLang     string
	Description  string
	Country      string
	Partnerships []partnerCard
	Full         []*register.Partnership
	Timeline     []timelineEvent
	Claims       []typedPart
	Videos       []videoCard
	// RemoteVideos are the partner's own, from its instance (sister portals).
	RemoteVideos []videoCard
	VideoFeeds   []feedLink
	TimelineFeed feedLink
	Calls        []callLink // open calls for citizens' messages inviting the city
}

func (s *Server) partnerPage(lang string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(r, "id")
		if !ok {
			s.notFound(w, r)
			return
		}
		ctx := r.Context()
		city, err := register.GetCity(ctx, s.db.R, id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		all, err := s.publicPartnerships(ctx)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		p := s.newPage(r, lang, city.Name(lang))
		data := partnerPageData{
			City:        city,
			Name:        city.Name(lang),
			NameLang:    city.NameLang(lang),
			Description: city.Description(lang),
			Country:     p.L.Region(city.Country),
		}
		for _, x := range all {
			if x.PartnerCityID != id {
				continue
			}
			full, err := register.GetPartnership(ctx, s.db.R, x.ID)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			data.Partnerships = append(data.Partnerships, s.card(p, full))
			data.Full = append(data.Full, full)
			data.Timeline = append(data.Timeline, s.timeline(p, full)...)
			for _, c := range full.DateClaims {
				who := full.HomeCity
				if c.CityID == full.PartnerCityID {
					who = full.PartnerCity
				}
				data.Claims = append(data.Claims, withTyped(p.L, "partner.date_claim", "source", c.Source, "city", who.Name(lang),
					"date", p.L.Date(c.ClaimedOn.Time())))
			}
		}
		if len(data.Partnerships) == 0 {
			s.fail(w, r, problem.New(http.StatusNotFound, "error.not_found"))
			return
		}
		exchangeEvents, err := s.exchangeTimeline(ctx, p, data.Full)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		data.Timeline = append(data.Timeline, exchangeEvents...)
		data.VideoFeeds, data.TimelineFeed = partnerFeedLinks(p.L, p.Site.Name, id, data.Name)
		p.Feeds = append(slices.Clone(data.VideoFeeds), data.TimelineFeed)
		if data.Videos, err = s.partnerVideos(ctx, p, id); err != nil {
			s.fail(w, r, err)
			return
		}
		if data.Calls, err = s.openCallLinks(ctx, p, 0, id); err != nil {
			s.fail(w, r, err)
			return
		}
		if data.RemoteVideos, err = s.remoteVideos(ctx, p, id); err != nil {
			s.fail(w, r, err)
			return
		}
		sort.SliceStable(data.Timeline, func(i, j int) bool { return data.Timeline[i].On.Before(data.Timeline[j].On) })
		home := ""
		if hc := data.Full[0].HomeCity; hc != nil {
			home = hc.Name(lang)
		}
		p.Description = p.L.T("face.meta.partner", "city", data.Name, "country", data.Country, "home", home)
		if data.Description != "" {
			p.Description = data.Description + " — " + p.Description
		}
		card := socialCard{Type: "website", Title: data.Name, Description: p.Description, URL: r.URL.Path}
		if len(data.Videos) > 0 {
			card.Image, card.ImageAlt = data.Videos[0].Poster, data.Videos[0].Title
		}
		s.setSocial(r, p, card)
		p.Data = data
		s.render(w, r, http.StatusOK, "partner", p)
	}
}

// timeline lists the dated events of a partnership: the signing and each change of status.
func (s *Server) timeline(p *page, ps *register.Partnership) []timelineEvent {
	var out []timelineEvent
	if !ps.SignedOn.IsZero() {
		text := p.L.T("partner.event_signed") + " — " + p.L.T("partner.type_one."+ps.Type)
		// The place of signing, as typed, in the line's note.
		out = append(out, timelineEvent{On: ps.SignedOn, Text: text, Note: typedText(p.L, ps.SignedAt)})
	}
	for i, h := range ps.History {
		if i == 0 && h.Status == register.StatusActive && h.ChangedOn == ps.SignedOn {
			continue // the signing already says it
		}
		text := p.L.T("partner.event_status", "status", p.L.T("partner.status_name."+h.Status))
		out = append(out, timelineEvent{On: h.ChangedOn, Text: text, Note: typedText(p.L, h.Reason)})
	}
	return out
}
