package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"sistercity/internal/exchange"
	"sistercity/internal/i18n"
	"sistercity/internal/ical"
	"sistercity/internal/langtext"
	"sistercity/internal/milestone"
	"sistercity/internal/problem"
	"sistercity/internal/register"
)

// calendarRefresh is how often subscribers are asked to fetch a feed again, and how long a
// cache may keep it.
const calendarRefresh = 12 * time.Hour

// calendarFeed serves /{lang}/calendar.ics: every activity and every milestone of the office.
func (s *Server) calendarFeed(lang string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		l := s.cat.Localizer(lang)
		cal, err := s.buildCalendar(r, l, nil)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		cal.Name = l.T("calendar.name", "site", s.siteName(r.Context(), lang))
		cal.Description = l.T("calendar.description")
		s.serveCalendar(w, r, cal, "sistercity-"+lang+".ics")
	}
}

// partnerCalendarFeed serves /{lang}/partners/{id}/calendar.ics: the activities and milestones
// of the partnerships with one partner city (id is the city, as on the partner page).
func (s *Server) partnerCalendarFeed(lang string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(r, "id")
		if !ok {
			s.notFound(w, r)
			return
		}
		l := s.cat.Localizer(lang)
		ps, err := s.publicPartnerships(r.Context())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		var mine []*register.Partnership
		for _, p := range ps {
			if p.PartnerCityID == id {
				mine = append(mine, p)
			}
		}
		if len(mine) == 0 {
			s.fail(w, r, problem.New(http.StatusNotFound, "error.not_found"))
			return
		}
		cal, err := s.buildCalendar(r, l, mine)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		name := mine[0].PartnerCity.Name(lang)
		cal.Name = l.T("calendar.partner_name", "city", name, "site", s.siteName(r.Context(), lang))
		cal.Description = l.T("calendar.partner_description", "city", name)
		s.serveCalendar(w, r, cal, "sistercity-"+lang+"-"+strconv.FormatInt(id, 10)+".ics")
	}
}

// buildCalendar makes the events of a feed: the activities (of the given partnerships, or all)
// at their times in their zones, and the milestones as yearly all-day events. Without given
// partnerships the office's own milestones (the home city's days) come too.
func (s *Server) buildCalendar(r *http.Request, l *i18n.Localizer, only []*register.Partnership) (*ical.Calendar, error) {
	ctx := r.Context()
	ids := map[int64]bool{}
	for _, p := range only {
		ids[p.ID] = true
	}
	concerns := func(list []int64) bool {
		return only == nil || slices.ContainsFunc(list, func(id int64) bool { return ids[id] })
	}
	host := s.uidHost(r)
	cal := &ical.Calendar{ProdID: "-//sistercity//exchange programme//EN", Lang: l.Lang, Refresh: calendarRefresh}

	all, err := s.partnerships(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[int64]*register.Partnership{}
	for _, p := range all {
		byID[p.ID] = p
	}
	acts, err := s.activities(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range acts {
		if !concerns(a.Partnerships) {
			continue
		}
		cal.Events = append(cal.Events, s.activityEvent(r, l, a, byID, host))
	}

	src, err := s.milestoneSources(ctx)
	if err != nil {
		return nil, err
	}
	stamp, err := milestone.LastChange(ctx, s.db.R)
	if err != nil {
		return nil, err
	}
	for _, sr := range src.Series() {
		if !concerns(sr.Partnerships) {
			continue
		}
		cal.Events = append(cal.Events, s.milestoneEvent(l, &sr, stamp, host))
	}
	return cal, nil
}

// venueText is an activity's venue in the calendar's language, or the fallback with its own;
// a venue of no stated language carries none.
func venueText(l *i18n.Localizer, venue langtext.Texts) ical.Text {
	text, lang := venue.Pick(l.Lang)
	if lang == l.Lang || lang == langtext.Und {
		lang = ""
	}
	return ical.Text{Value: text, Lang: lang}
}

// activityEvent turns an activity into an event at its times, in its zones.
func (s *Server) activityEvent(r *http.Request, l *i18n.Localizer, a *exchange.Activity, byID map[int64]*register.Partnership, host string) ical.Event {
	when := a.When()
	ev := ical.Event{
		UID:        "activity-" + strconv.FormatInt(a.ID, 10) + "@" + host,
		Stamp:      a.UpdatedAt,
		Start:      ical.Time{Date: when.Start.Date, At: when.Start.At, Zone: when.Start.Zone},
		End:        ical.Time{Date: when.End.Date, At: when.End.At, Zone: when.End.Zone},
		Summary:    ical.Text{Value: a.Title(l.Lang), Lang: a.TitleLang(l.Lang)},
		Location:   venueText(l, a.Venue),
		Categories: []string{l.T("exchange.kind." + a.Kind)},
	}
	switch a.Status {
	case exchange.StatusCancelled:
		ev.Status = ical.StatusCancelled
	case exchange.StatusPlanned, exchange.StatusPostponed:
		ev.Status = ical.StatusTentative
	default:
		ev.Status = ical.StatusConfirmed
	}
	var lines []string
	if summary := a.Summary(l.Lang); summary != "" {
		lines = append(lines, summary)
	}
	lines = append(lines, l.T("calendar.status", "status", l.T("exchange.status."+a.Status), "mode", l.T("exchange.mode."+a.Mode)))
	if a.Status == exchange.StatusSwitchedOnline {
		if reason := switchReason(a).In(l.Lang); reason != "" {
			lines = append(lines, l.T("timeline.switched", "reason", reason))
		}
	}
	var partners []string
	for _, id := range a.Partnerships {
		if p := byID[id]; p != nil && p.PartnerCity != nil {
			partners = append(partners, p.PartnerCity.Name(l.Lang))
			if ev.URL == "" {
				ev.URL = s.absoluteURL(r, "/"+l.Lang+"/partners/"+strconv.FormatInt(p.PartnerCityID, 10))
			}
		}
	}
	if len(partners) > 0 {
		lines = append(lines, l.T("calendar.partners", "cities", strings.Join(partners, ", ")))
	}
	// The description is in the title's language only when the summary is; the status lines
	// are in the feed's language, so the whole goes without a LANGUAGE of its own.
	ev.Description = ical.Text{Value: strings.Join(lines, "\n")}
	return ev
}

// milestoneEvent turns a milestone into a yearly (or single) all-day event.
func (s *Server) milestoneEvent(l *i18n.Localizer, sr *milestone.Series, stamp time.Time, host string) ical.Event {
	title := seriesTitle(l, sr)
	ev := ical.Event{
		UID:         sr.Key() + "@" + host,
		Stamp:       stamp,
		Start:       ical.Time{Date: sr.On},
		Summary:     ical.Text{Value: title.Text, Lang: title.Lang},
		Categories:  []string{l.T("milestone.kind." + sr.Kind)},
		RRule:       sr.RRule,
		Transparent: true,
		Status:      ical.StatusConfirmed,
	}
	switch sr.Kind {
	case milestone.KindPartnership:
		ev.Description = ical.Text{Value: l.T("calendar.signed", "date", l.Date(sr.Origin.Time()))}
	case milestone.KindFounding:
		ev.Description = ical.Text{Value: l.T("calendar.founded", "date", l.Date(sr.Origin.Time()))}
	case milestone.KindRelations:
		desc := l.T("calendar.established", "date", l.Date(sr.Origin.Time()))
		if sr.Relation.Note != "" {
			desc += "\n" + sr.Relation.Note
		}
		ev.Description = ical.Text{Value: desc}
	case milestone.KindCustom:
		if note := sr.Milestone.Note(l.Lang); note != "" {
			ev.Description = ical.Text{Value: note, Lang: sr.Milestone.TitleLang(l.Lang)}
		}
	}
	return ev
}

// serveCalendar writes a feed with caching headers: public for the refresh interval, with an
// ETag of the content so that a subscriber's conditional request costs a 304.
func (s *Server) serveCalendar(w http.ResponseWriter, r *http.Request, cal *ical.Calendar, filename string) {
	var b bytes.Buffer
	if err := cal.Write(&b); err != nil {
		s.fail(w, r, err)
		return
	}
	sum := sha256.Sum256(b.Bytes())
	h := w.Header()
	h.Set("Content-Type", "text/calendar; charset=utf-8")
	h.Set("Content-Disposition", `inline; filename="`+filename+`"`)
	h.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(calendarRefresh/time.Second)))
	h.Set("ETag", `"`+hex.EncodeToString(sum[:12])+`"`)
	// No Last-Modified: a deleted activity changes the feed without a newer timestamp, so the
	// ETag alone decides.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b.Bytes()))
}

// uidHost is the domain part of the feeds' UIDs: the host of the site's origin.
func (s *Server) uidHost(r *http.Request) string {
	if u, err := url.Parse(s.origin(r)); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "sistercity.invalid"
}
