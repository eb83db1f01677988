package web

import (
	"context"
	"math"
	"time"

	"sistercity/internal/i18n"
	"sistercity/internal/publog"
)

// figuresView is a video's viewing figures in words, for its admin page and its publication
// log (the partial "video-figures").
type figuresView struct {
	Total     string
	Empty     bool
	Channels  []figuresChannel
	Days      []figuresDay
	Subtitles []figuresLang
}

type figuresChannel struct {
	Name     string // "this site" or the embedding domain, escaped by the template like any text
	Views    string
	Quarters [4]string // share of the views that reached 25, 50, 75 and 100 %
}

type figuresDay struct{ Day, Site, Embed string }

type figuresLang struct{ Name, Views string }

// videoFigures loads and words video id's viewing figures.
func (s *Server) videoFigures(ctx context.Context, l *i18n.Localizer, id int64) (*figuresView, error) {
	f, err := publog.VideoFigures(ctx, s.db.R, id)
	if err != nil {
		return nil, err
	}
	v := &figuresView{Total: l.N("publog.figures.total", int(f.Total)), Empty: f.Total == 0}
	for _, c := range f.Channels {
		row := figuresChannel{Name: c.Domain, Views: l.Number(c.Views)}
		switch {
		case c.Channel == publog.ViewSite:
			row.Name = l.T("publog.figures.site")
		case c.Domain == publog.Unknown:
			row.Name = l.T("publog.unknown_site")
		}
		for i, q := range []int64{c.Q25, c.Q50, c.Q75, c.Q100} {
			row.Quarters[i] = share(l, q, c.Views)
		}
		v.Channels = append(v.Channels, row)
	}
	for _, d := range f.Days {
		day, err := time.Parse(time.DateOnly, d.Day)
		if err != nil {
			continue
		}
		v.Days = append(v.Days, figuresDay{Day: l.Date(day), Site: l.Number(d.Site), Embed: l.Number(d.Embed)})
	}
	for _, sl := range f.Subtitles {
		name := l.T("publog.figures.subtitles_off")
		if sl.Lang != publog.SubtitlesOff {
			name = langName(l, sl.Lang)
		}
		v.Subtitles = append(v.Subtitles, figuresLang{Name: name, Views: l.Number(sl.Views)})
	}
	return v, nil
}

// share is n of total as a whole percentage in l's form: "75 %", "75%".
func share(l *i18n.Localizer, n, total int64) string {
	if total <= 0 {
		return "—"
	}
	return l.T("publog.figures.percent", "percent", l.Number(math.Round(float64(n)*100/float64(total))))
}
