package web

import (
	"context"
	"strconv"
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"sistercity/internal/civil"
	"sistercity/internal/media"
	"sistercity/internal/register"
	"sistercity/internal/subtitle"
	"sistercity/internal/track"
	"sistercity/internal/video"
)

// What the home page leads with: the latest published video messages, then the milestones
// coming up. Both are read from the database on each render; the page cache keeps the result
// for one data generation, so publishing a video or adding a milestone shows at once.
const (
	homeVideos         = 4
	homeMilestones     = 5
	homeMilestoneAhead = 1 // years
	// cardDescription bounds the description a card shows; the watch page has the whole text.
	cardDescription = 180
)

// frontVideo is a video card as the home page shows it: the card, plus its description, the
// partner cities it concerns and the languages of its subtitles.
type frontVideo struct {
	videoCard
	Description string
	DescLang    string // set when the description is not in the page's language
	Partners    []labelled
	Subtitles   []labelled // language names, each in the page's language
}

// frontMilestone is one coming milestone.
type frontMilestone struct {
	On    civil.Date
	Title labelled
	Kind  string
	Round bool
}

// homeFront loads the home page's videos and coming milestones.
func (s *Server) homeFront(ctx context.Context, p *page, partnerships []*register.Partnership) ([]frontVideo, []frontMilestone, error) {
	list, _, err := video.List(ctx, s.db.R, video.Filter{States: []string{video.StatePublished}, Limit: homeVideos * 2})
	if err != nil {
		return nil, nil, err
	}
	cities, err := s.videoCities(ctx)
	if err != nil {
		return nil, nil, err
	}
	byID := map[int64]*register.Partnership{}
	for _, ps := range partnerships {
		byID[ps.ID] = ps
	}
	var videos []frontVideo
	for _, v := range list {
		if len(v.Renditions) == 0 || len(videos) == homeVideos {
			continue
		}
		fv, err := s.newFrontVideo(ctx, p, v, cities, byID)
		if err != nil {
			return nil, nil, err
		}
		videos = append(videos, fv)
	}
	src, err := s.milestoneSources(ctx)
	if err != nil {
		return nil, nil, err
	}
	to := civil.Of(p.Today.Time().AddDate(homeMilestoneAhead, 0, 0))
	var coming []frontMilestone
	for _, o := range src.Between(p.Today, to) {
		if len(coming) == homeMilestones {
			break
		}
		coming = append(coming, frontMilestone{On: o.On, Title: milestoneTitle(p.L, &o), Kind: p.L.T("milestone.kind." + o.Kind), Round: o.Round})
	}
	return videos, coming, nil
}

func (s *Server) newFrontVideo(ctx context.Context, p *page, v *video.Video, cities map[int64]*register.City,
	partnerships map[int64]*register.Partnership) (frontVideo, error) {
	fv := frontVideo{videoCard: s.newVideoCard(p, v, cities)}
	if d := strings.TrimSpace(v.Description(p.Lang)); d != "" {
		fv.Description = shorten(d, cardDescription)
		if dl := v.TitleLang(p.Lang); dl != p.Lang {
			fv.DescLang = dl
		}
	}
	seen := map[int64]bool{}
	for _, id := range v.Partnerships {
		ps := partnerships[id]
		if ps == nil || ps.PartnerCity == nil || seen[ps.PartnerCityID] {
			continue
		}
		seen[ps.PartnerCityID] = true
		fv.Partners = append(fv.Partners, labelled{ps.PartnerCity.Name(p.Lang), ps.PartnerCity.NameLang(p.Lang)})
	}
	if c := cities[v.OriginCityID]; c != nil && !seen[c.ID] && len(fv.Partners) == 0 {
		fv.Partners = append(fv.Partners, labelled{c.Name(p.Lang), c.NameLang(p.Lang)})
	}
	tracks, err := track.ForVideo(ctx, s.db.R, v.ID, true)
	if err != nil {
		return fv, err
	}
	fv.Subtitles = subtitleLanguages(p, tracks)
	return fv, nil
}

// subtitleLanguages names the languages of a video's public subtitle and caption tracks, each
// once, in the page's language: "Korean, Russian".
func subtitleLanguages(p *page, tracks []*track.Track) []labelled {
	namer := display.Tags(p.L.Tag())
	var out []labelled
	seen := map[string]bool{}
	for _, t := range tracks {
		if t.Kind != subtitle.KindSubtitles && t.Kind != subtitle.KindCaptions {
			continue
		}
		tag, err := language.Parse(t.Lang)
		if err != nil || seen[tag.String()] {
			continue
		}
		seen[tag.String()] = true
		name := namer.Name(tag)
		if name == "" {
			name = t.Lang
		}
		out = append(out, labelled{name, p.Lang})
	}
	return out
}

// shorten cuts text to at most n characters, at the last space when there is one in its
// second half, with an ellipsis.
func shorten(text string, n int) string {
	runes := []rune(text)
	if len(runes) <= n {
		return text
	}
	runes = runes[:n]
	for i := len(runes) - 1; i > n/2; i-- {
		if runes[i] == ' ' {
			runes = runes[:i]
			break
		}
	}
	return strings.TrimRight(string(runes), " ,.;:") + "…"
}

// posterSizes describes a card's still for the browser: the thumbnail (320 px) and the poster
// (up to 1280 px, never wider than the video) as a srcset, and the thumbnail's own size so that
// the page does not jump while it loads.
func posterSizes(v *video.Video) (srcset string, width, height int) {
	best := v.Best()
	width, height = media.ThumbnailWidth, media.ThumbnailWidth*9/16
	if best.Width > 0 && best.Height > 0 {
		width = min(media.ThumbnailWidth, best.Width)
		height = width * best.Height / best.Width
	}
	if v.ThumbnailKey == "" || v.PosterKey == "" || best.Width <= media.ThumbnailWidth {
		return "", width, height
	}
	return mediaURL(v.ThumbnailKey) + " " + strconv.Itoa(width) + "w, " +
		mediaURL(v.PosterKey) + " " + strconv.Itoa(min(best.Width, media.PosterMaxWidth)) + "w", width, height
}
