package web

import (
	"net/http"
	"strconv"

	"sistercity/internal/exchange"
	"sistercity/internal/i18n"
	"sistercity/internal/publog"
	"sistercity/internal/register"
	"sistercity/internal/video"
)

// viewTallies are the viewing figures of the published videos, per year, for the statistics:
// views per partner city (through the partnerships a video is linked to, once per city) and
// views per subtitle language shown ("how many watched with Russian subtitles").
type viewTallies struct {
	videos    map[int64]*video.Video
	views     []publog.YearViews
	subtitles []publog.YearViews
}

func (s *Server) loadViewTallies(r *http.Request, vids []*video.Video) (*viewTallies, error) {
	t := &viewTallies{videos: map[int64]*video.Video{}}
	for _, v := range vids {
		t.videos[v.ID] = v
	}
	var err error
	if t.views, err = publog.ViewsByYear(r.Context(), s.db.R); err != nil {
		return nil, err
	}
	if t.subtitles, err = publog.SubtitlesByYear(r.Context(), s.db.R); err != nil {
		return nil, err
	}
	return t, nil
}

// table fills the head, texts and tally of the statistics table name, and returns how its rows
// are labelled.
func (vt *viewTallies) table(l *i18n.Localizer, name string, t *statTable, partnerships map[string]*register.Partnership,
	cities map[string]*register.City, cityOrder []string) (exchange.Tally, func(string) labelled) {
	t.Empty = l.T("statistics.views_empty")
	if name == "views-by-language" {
		t.Head, t.Note = l.T("statistics.subtitles"), l.T("statistics.views_by_language_note")
		tally := tallyViews(vt.subtitles, vt.videos, func(y publog.YearViews, _ *video.Video) []string { return []string{y.Lang} }, nil)
		return tally, func(key string) labelled {
			if key == publog.SubtitlesOff {
				return labelled{l.T("publog.figures.subtitles_off"), l.Lang}
			}
			return labelled{langName(l, key), l.Lang}
		}
	}
	t.Head, t.Note = l.T("statistics.partner"), l.T("statistics.views_by_partner_note")
	tally := tallyViews(vt.views, vt.videos, func(_ publog.YearViews, v *video.Video) []string {
		var keys []string
		for _, pid := range v.Partnerships {
			if p := partnerships[strconv.FormatInt(pid, 10)]; p != nil && p.PartnerCity != nil {
				keys = append(keys, strconv.FormatInt(p.PartnerCity.ID, 10))
			}
		}
		return keys
	}, cityOrder)
	return tally, func(key string) labelled {
		if c := cities[key]; c != nil {
			return labelled{c.Name(l.Lang), c.NameLang(l.Lang)}
		}
		return labelled{key, l.Lang}
	}
}

// tallyViews sums the views of the published videos in rows by year and by the keys keysOf
// gives each row (a video linked to two partnerships with one city counts once for it); rows
// come in order, then the other keys sorted.
func tallyViews(rows []publog.YearViews, videos map[int64]*video.Video, keysOf func(publog.YearViews, *video.Video) []string,
	order []string) exchange.Tally {
	counts := map[string]map[int]int{}
	first, last := 0, 0
	for _, y := range rows {
		v := videos[y.VideoID]
		if v == nil {
			continue
		}
		seen := map[string]bool{}
		for _, k := range keysOf(y, v) {
			if seen[k] {
				continue
			}
			seen[k] = true
			if counts[k] == nil {
				counts[k] = map[int]int{}
			}
			counts[k][y.Year] += int(y.Views)
			if first == 0 || y.Year < first {
				first = y.Year
			}
			last = max(last, y.Year)
		}
	}
	return tallyOf(counts, first, last, order)
}
