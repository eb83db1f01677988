package web

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"sistercity/internal/auth"
	"sistercity/internal/csvsafe"
	"sistercity/internal/i18n"
	"sistercity/internal/problem"
	"sistercity/internal/publog"
	"sistercity/internal/video"
)

// publogRoutes are a video's publication log: the screen that answers "where was this
// released?" with its viewing figures, its CSV, and the channels an officer records by hand.
func (s *Server) publogRoutes() []route {
	return []route{
		{"GET /admin/videos/{id}/publications", auth.RoleViewer, s.adminPublications},
		{"GET /admin/videos/{id}/publications.csv", auth.RoleViewer, s.adminPublicationsCSV},
		{"POST /admin/videos/{id}/publications", auth.RoleEditor, s.adminPublicationAdd},
		{"POST /admin/videos/{id}/publications/{entry}/delete", auth.RoleEditor, s.adminPublicationDelete},
	}
}

// publogRow is one entry as the log's screen shows it.
type publogRow struct {
	E        publog.Entry
	Channel  string // the channel's kind in words
	Name     string // the channel's name in words
	Link     string // http(s) only: where to see the video there
	LangName string
	When     string
	Status   string
	Count    string // "" where no count applies
	By       string
	CanTake  bool // a hand-recorded entry, which an editor may take back
}

// publogForm is the hand-recorded channel as typed.
type publogForm struct {
	Name, URL, Lang, Date string
}

type publogPageData struct {
	Video   *video.Video
	Rows    []publogRow
	Form    publogForm
	CanEdit bool
	Langs   []option
	Figures *figuresView
	Problem string
	// Fediverse is the likes and boosts of the video's object, when federation is on.
	Fediverse *videoReactions
}

// videoReactions are the fediverse's likes and boosts of a video, in words.
type videoReactions struct{ Likes, Boosts string }

// publogNotices are the notices of a video's publication log.
var publogNotices = noticeSet{
	"added":   "publog.notice.added",
	"deleted": "publog.notice.deleted",
}

func (s *Server) adminPublications(w http.ResponseWriter, r *http.Request) {
	v, ok := s.loadVideo(w, r)
	if !ok {
		return
	}
	s.renderPublications(w, r, http.StatusOK, v, publogForm{}, nil)
}

// publogRows puts a video's log into words for l, times in the home city's zone.
func (s *Server) publogRows(r *http.Request, l *i18n.Localizer, v *video.Video) ([]publogRow, error) {
	entries, err := publog.List(r.Context(), s.db.R, v.ID)
	if err != nil {
		return nil, err
	}
	zone, _, err := s.homeZone(r.Context(), l.Lang)
	if err != nil {
		return nil, err
	}
	if zone == nil {
		zone = time.UTC
	}
	rows := make([]publogRow, 0, len(entries))
	for _, e := range entries {
		row := publogRow{E: e, Channel: l.T("publog.channel." + e.Channel), Name: e.Name, Status: l.T("publog.status." + e.Status),
			By: e.RecordedByName, CanTake: e.Channel == publog.ChannelManual}
		if link, ok := publog.WebURL(e.URL); ok {
			row.Link = link
		}
		switch e.Channel {
		case publog.ChannelSite:
			row.Name = l.T("publog.site_name")
			row.Link = s.absoluteURL(r, "/"+l.Lang+"/videos/"+strconv.FormatInt(v.ID, 10))
		case publog.ChannelFeed:
			if strings.HasPrefix(e.URL, "/") && !strings.HasPrefix(e.URL, "//") { // a path on this site
				row.Link = s.absoluteURL(r, e.URL)
			}
		case publog.ChannelEmbed:
			if e.Name == publog.Unknown {
				row.Name = l.T("publog.unknown_site")
			}
		}
		if e.Lang != "" {
			row.LangName = langName(l, e.Lang)
		}
		if e.Channel == publog.ChannelManual {
			row.When = l.Date(e.At) // typed as a date
		} else {
			row.When = l.DateTime(e.At, zone)
		}
		if e.HasCount {
			row.Count = l.Number(e.Count)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func (s *Server) renderPublications(w http.ResponseWriter, r *http.Request, status int, v *video.Video, f publogForm, errs problem.Fields) {
	p := s.adminPage(w, r, "")
	l := p.L
	p.Title = l.T("publog.title", "title", v.Title(l.Lang))
	p.Errors = errs
	showNotice(p, r, publogNotices)
	rows, err := s.publogRows(r, l, v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	figures, err := s.videoFigures(r.Context(), l, v.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data := publogPageData{Video: v, Rows: rows, Form: f, CanEdit: canEdit(r), Figures: figures}
	if s.fed != nil {
		likes, boosts, err := s.fed.VideoReactions(r.Context(), s.db.R, v.ID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		data.Fediverse = &videoReactions{Likes: l.N("publog.fediverse.likes", int(likes)), Boosts: l.N("publog.fediverse.boosts", int(boosts))}
	}
	if len(errs) > 0 {
		data.Problem = l.T("publog.error.form")
	}
	for _, tag := range commonVideoLangs {
		data.Langs = append(data.Langs, option{tag, langName(l, tag)})
	}
	p.Data = data
	s.render(w, r, status, "admin/publog", p)
}

// adminPublicationAdd records a channel by hand: validated (a link must be http or https),
// saved with its audit entry in one transaction.
func (s *Server) adminPublicationAdd(w http.ResponseWriter, r *http.Request) {
	v, ok := s.loadVideo(w, r)
	if !ok {
		return
	}
	f := publogForm{Name: formValue(r, "name"), URL: formValue(r, "url"), Lang: formValue(r, "lang"), Date: formValue(r, "date")}
	m := publog.Manual{Name: f.Name, URL: f.URL, Lang: f.Lang}
	if d, err := time.Parse(time.DateOnly, f.Date); err == nil && d.Year() >= 1900 && d.Year() <= 9999 {
		m.At = d
	}
	u := userFrom(r)
	e, errs := publog.ValidateManual(m, v.ID, u.ID)
	if len(errs) > 0 {
		s.renderPublications(w, r, http.StatusUnprocessableEntity, v, f, errs)
		return
	}
	ctx := r.Context()
	err := s.change(r, auth.ActionCreate, auth.EntityPublication, func(tx *sql.Tx) (int64, any, any, error) {
		if err := publog.Add(ctx, tx, e); err != nil {
			return 0, nil, nil, err
		}
		if e.ID == 0 { // the video went away meanwhile
			return 0, nil, nil, publog.ErrNotFound
		}
		return e.ID, nil, e, nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/videos/%d/publications?notice=added", v.ID), http.StatusSeeOther)
}

// adminPublicationDelete takes back a hand-recorded entry; the others are the application's
// record and stay.
func (s *Server) adminPublicationDelete(w http.ResponseWriter, r *http.Request) {
	v, ok := s.loadVideo(w, r)
	if !ok {
		return
	}
	id, ok := pathID(r, "entry")
	if !ok {
		s.notFound(w, r)
		return
	}
	ctx := r.Context()
	err := s.change(r, auth.ActionDelete, auth.EntityPublication, func(tx *sql.Tx) (int64, any, any, error) {
		before, err := publog.Get(ctx, tx, v.ID, id)
		if err != nil {
			return 0, nil, nil, err
		}
		return id, before, nil, publog.DeleteManual(ctx, tx, v.ID, id)
	})
	if errors.Is(err, publog.ErrNotFound) {
		s.notFound(w, r)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/videos/%d/publications?notice=deleted", v.ID), http.StatusSeeOther)
}

// adminPublicationsCSV serves the log as CSV: codes for machines beside the words, times in
// UTC (RFC 3339), UTF-8 with a byte order mark, and cells a spreadsheet would take for a
// formula quoted (csvsafe) — a channel's name is typed by a person, a domain comes from outside.
func (s *Server) adminPublicationsCSV(w http.ResponseWriter, r *http.Request) {
	v, ok := s.loadVideo(w, r)
	if !ok {
		return
	}
	l := s.cat.Localizer(s.adminLang(w, r))
	rows, err := s.publogRows(r, l, v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var b bytes.Buffer
	b.WriteString("\ufeff")
	cw := csvsafe.NewWriter(&b)
	_ = cw.Write([]string{l.T("publog.csv.channel_code"), l.T("publog.col.channel"), l.T("publog.col.name"), l.T("publog.col.lang"),
		l.T("publog.col.link"), l.T("publog.csv.time_utc"), l.T("publog.csv.status_code"), l.T("publog.col.count"),
		l.T("publog.col.by")})
	for _, row := range rows {
		count := ""
		if row.E.HasCount {
			count = strconv.FormatInt(row.E.Count, 10)
		}
		_ = cw.Write([]string{row.E.Channel, row.Channel, row.Name, row.E.Lang, row.Link, row.E.At.UTC().Format(time.RFC3339),
			row.E.Status, count, row.By})
	}
	cw.Flush()
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="publication-log-video-%d.csv"`, v.ID))
	h.Set("Cache-Control", privateNoStore)
	_, _ = w.Write(b.Bytes())
}
