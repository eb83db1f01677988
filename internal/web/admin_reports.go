package web

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"sistercity/internal/auth"
	"sistercity/internal/civil"
	"sistercity/internal/exchange"
	"sistercity/internal/i18n"
	"sistercity/internal/problem"
	"sistercity/internal/register"
	"sistercity/internal/report"
)

// reportsPath is where the situation reports live; the guard answers a visitor without a
// session 404 on every path under it.
const reportsPath = "/admin/reports"

// reportRoutes are the situation reports. Reading needs only the liaison role: the handlers
// then show a liaison what is shared with its city and nothing else, with the same 404 for a
// report that is not theirs as for one that does not exist. The guard answers a visitor
// without a session 404 too (never a sign-in page that would tell the URL is real).
func (s *Server) reportRoutes() []route {
	return []route{
		{"GET /admin/reports", auth.RoleLiaison, s.adminReports},
		{"GET /admin/reports/compare", auth.RoleLiaison, s.adminReportsCompare},
		{"GET /admin/reports/{id}", auth.RoleLiaison, s.adminReport},
		{"GET /admin/reports/{id}/export.csv", auth.RoleLiaison, s.adminReportCSV},
		{"GET /admin/reports/{id}/export.json", auth.RoleLiaison, s.adminReportJSON},
		{"GET /admin/reports/{id}/edxl-have.xml", auth.RoleLiaison, s.adminReportEDXL},
		{"GET /admin/reports/import", auth.RoleEditor, s.adminReportImportForm},
		{"POST /admin/reports/import", auth.RoleEditor, s.adminReportImport},
		{"POST /admin/reports/import/confirm", auth.RoleEditor, s.adminReportImportConfirm},
		{"POST /admin/reports/{id}/beds", auth.RoleEditor, s.adminReportBed},
		{"POST /admin/reports/{id}/edit", auth.RoleEditor, s.adminReportEdit},
		{"POST /admin/reports/{id}/activities", auth.RoleEditor, s.adminReportActivity},
		{"POST /admin/reports/{id}/share", auth.RoleEditor, s.adminReportShare},
		{"POST /admin/reports/{id}/withdraw", auth.RoleEditor, s.adminReportWithdraw},
		{"POST /admin/reports/liaisons", auth.RoleAdmin, s.adminReportLiaison},
	}
}

// reportReader is who the request reads reports as: staff (viewer and up) read all of them; a
// liaison reads what is shared with its city, and nothing while it is bound to none.
func (s *Server) reportReader(r *http.Request) (report.Reader, error) {
	u := userFrom(r)
	if u == nil {
		return report.Reader{}, nil
	}
	if u.Role.AtLeast(auth.RoleViewer) {
		return report.Reader{Staff: true}, nil
	}
	city, err := report.LiaisonCity(r.Context(), s.db.R, u.ID)
	if errors.Is(err, report.ErrNotFound) {
		return report.Reader{}, nil
	}
	return report.Reader{CityID: city}, err
}

// loadReport returns the report of the path that the request may read, or answers 404.
func (s *Server) loadReport(w http.ResponseWriter, r *http.Request) (*report.Report, report.Reader, bool) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return nil, report.Reader{}, false
	}
	rd, err := s.reportReader(r)
	if err != nil {
		s.fail(w, r, err)
		return nil, rd, false
	}
	rep, err := report.Get(r.Context(), s.db.R, rd, id)
	if isNotFound(err) {
		s.notFound(w, r)
		return nil, rd, false
	}
	if err != nil {
		s.fail(w, r, err)
		return nil, rd, false
	}
	return rep, rd, true
}

// reportNames are the names a report's pages show: cities by id, situations by id.
type reportNames struct {
	cities     map[int64]*register.City
	situations map[int64]*report.Situation
}

func (s *Server) loadReportNames(r *http.Request) (*reportNames, error) {
	ctx := r.Context()
	cities, err := register.Cities(ctx, s.db.R)
	if err != nil {
		return nil, err
	}
	sits, err := report.Situations(ctx, s.db.R)
	if err != nil {
		return nil, err
	}
	n := &reportNames{cities: map[int64]*register.City{}, situations: map[int64]*report.Situation{}}
	for _, c := range cities {
		n.cities[c.ID] = c
	}
	for _, st := range sits {
		n.situations[st.ID] = st
	}
	return n, nil
}

func (n *reportNames) city(id int64, lang string) string {
	if c := n.cities[id]; c != nil {
		return c.Name(lang)
	}
	return ""
}

func (n *reportNames) situation(id int64, lang string) string {
	if st := n.situations[id]; st != nil {
		return st.Name(lang)
	}
	return ""
}

// reportRow is a report in the list.
type reportRow struct {
	ID                       int64
	City, Situation, AsOf    string
	Status, StatusCode       string
	Demo, Received           bool
	SourceOrg, LatestCases   string
	AsOfISO                  string
	PeriodStart, PeriodEnd   string
	PeriodStartISO, PeriodTo string
}

func (s *Server) adminReports(w http.ResponseWriter, r *http.Request) {
	rd, err := s.reportReader(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	list, err := report.List(r.Context(), s.db.R, rd)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	names, err := s.loadReportNames(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.adminPage(w, r, "reports.title")
	showNotice(p, r, reportNotices)
	rows := make([]reportRow, 0, len(list))
	for _, rep := range list {
		rows = append(rows, reportRow{ID: rep.ID, City: names.city(rep.CityID, p.Lang), Situation: names.situation(rep.SituationID, p.Lang),
			AsOf: p.L.Date(rep.AsOf.Time()), AsOfISO: rep.AsOf.String(), Status: p.L.T("reports.status." + rep.Status),
			StatusCode: rep.Status, Demo: rep.Demo, SourceOrg: rep.SourceOrg, Received: rep.Received()})
	}
	data := map[string]any{"Rows": rows, "CanEdit": canEdit(r), "Staff": rd.Staff}
	if u := userFrom(r); u.Role == auth.RoleAdmin {
		liaisons, cities, err := s.liaisonChoices(r, p.Lang)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		data["Liaisons"], data["PartnerCities"] = liaisons, cities
	}
	p.Data = data
	s.render(w, r, http.StatusOK, "admin/reports", p)
}

// liaisonChoices are the liaison accounts and the partner cities an administrator binds them
// to.
func (s *Server) liaisonChoices(r *http.Request, lang string) (users, cities []option, err error) {
	all, err := auth.Users(r.Context(), s.db.R)
	if err != nil {
		return nil, nil, err
	}
	for _, u := range all {
		if u.Role == auth.RoleLiaison {
			users = append(users, option{Value: strconv.FormatInt(u.ID, 10), Label: u.Name()})
		}
	}
	ps, err := register.Partnerships(r.Context(), s.db.R)
	if err != nil {
		return nil, nil, err
	}
	seen := map[int64]bool{}
	for _, p := range ps {
		if p.PartnerCity != nil && !seen[p.PartnerCityID] {
			seen[p.PartnerCityID] = true
			cities = append(cities, option{Value: strconv.FormatInt(p.PartnerCityID, 10), Label: p.PartnerCity.Name(lang)})
		}
	}
	return users, cities, nil
}

// reportNotices are the notices of the report pages.
var reportNotices = noticeSet{
	"imported":  "reports.notice.imported",
	"shared":    "reports.notice.shared",
	"withdrawn": "reports.notice.withdrawn",
	"bed":       "reports.notice.bed",
	"linked":    "reports.notice.linked",
	"liaison":   "reports.notice.liaison",
	"edited":    "reports.notice.edited",
}

// valueRow is a metric's latest figure in a report.
type valueRow struct {
	Metric, Unit, Value, Day string
}

// bedRow is a bed row as the report's page shows it.
type bedRow struct {
	B         report.Bed
	Type      string
	Unit      string
	Isolation bool
	Status    string
	Baseline  string
	Available string
	Occupied  string
	Add24h    string
	Add72h    string
}

type reportPageData struct {
	R                     *report.Report
	City, Situation       string
	AsOf, Period          string
	Text                  report.Text
	HasText               bool
	Values                []valueRow
	Beds                  []bedRow
	Totals                [3]string
	Activities            []option
	History               []option
	Shared                []option
	Staff, CanEdit        bool
	Partnerships          []option
	ActivityChoices       []option
	BedTypes, Units       []option
	BedForm               map[string]string
	Problem               string
	HasIsolation, HasBeds bool
	ReceivedFrom          string // the host of the partner's site a received report came from
	// EditForm holds the edit form's fields: the report's, or those sent back with errors.
	EditForm    map[string]string
	EditMetrics []option // metric name and unit
	EditLangs   []option // language and its name
}

func (s *Server) adminReport(w http.ResponseWriter, r *http.Request) {
	rep, rd, ok := s.loadReport(w, r)
	if !ok {
		return
	}
	s.renderReport(w, r, http.StatusOK, rep, rd, nil, nil)
}

func (s *Server) renderReport(w http.ResponseWriter, r *http.Request, status int, rep *report.Report, rd report.Reader,
	bedForm map[string]string, errs problem.Fields, editForms ...map[string]string) {
	ctx := r.Context()
	names, err := s.loadReportNames(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.adminPage(w, r, "")
	l := p.L
	showNotice(p, r, reportNotices)
	p.Errors = errs
	d := reportPageData{R: rep, City: names.city(rep.CityID, p.Lang), Situation: names.situation(rep.SituationID, p.Lang),
		AsOf: l.Date(rep.AsOf.Time()), Period: l.Date(rep.PeriodStart.Time()) + " – " + l.Date(rep.PeriodEnd.Time()),
		Staff: rd.Staff, CanEdit: canEdit(r), BedForm: bedForm}
	p.Title = l.T("reports.report_title", "city", d.City, "date", d.AsOf)
	if rep.Received() {
		d.CanEdit = false // the partner's to change
		if u, err := url.Parse(rep.RemoteActor); err == nil {
			d.ReceivedFrom = u.Host
		}
	}
	d.Text, d.HasText = rep.Text(p.Lang)
	if !d.HasText && len(rep.Texts) > 0 {
		d.Text, d.HasText = rep.Texts[0], true
	}
	for _, m := range report.Metrics {
		if v, ok := rep.Latest(m.Name); ok {
			d.Values = append(d.Values, valueRow{Metric: m.Name, Unit: l.T("reports.unit." + m.Unit), Value: formatFigure(l, m, v.Value),
				Day: l.Date(v.Day.Time())})
		}
	}
	for _, b := range rep.Beds {
		st := l.T("reports.capacity." + b.Status)
		d.Beds = append(d.Beds, bedRow{B: b, Type: l.T("reports.bed." + b.Type), Unit: l.T("reports.bed_unit." + b.Unit),
			Isolation: report.IsIsolation(b.Type), Status: st, Baseline: l.Number(b.Baseline), Available: l.Number(b.Available),
			Occupied: l.Number(b.Occupied), Add24h: l.Number(b.Add24h), Add72h: l.Number(b.Add72h)})
		d.HasIsolation = d.HasIsolation || report.IsIsolation(b.Type)
	}
	d.HasBeds = len(rep.Beds) > 0
	var editForm map[string]string
	if len(editForms) > 0 {
		editForm = editForms[0]
	}
	base, avail, occ := rep.BedTotals()
	d.Totals = [3]string{l.Number(base), l.Number(avail), l.Number(occ)}
	for _, id := range rep.Activities {
		a, err := exchange.Get(ctx, s.db.R, id)
		if err != nil {
			continue // deleted meanwhile
		}
		d.Activities = append(d.Activities, option{Value: strconv.FormatInt(id, 10), Label: a.Title(p.Lang) + " · " + l.Date(a.When().Start.Date.Time())})
	}
	if rd.Staff {
		for _, h := range rep.History {
			d.History = append(d.History, option{Value: l.T("reports.status." + h.Status), Label: l.DateTime(h.At, time.UTC)})
		}
		opts, _, err := s.partnershipOptions(ctx, l)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, o := range opts {
			id, _ := strconv.ParseInt(o.Value, 10, 64)
			if slices.Contains(rep.SharedWith, id) {
				d.Shared = append(d.Shared, o)
			}
		}
		d.Partnerships = opts
	}
	if d.CanEdit {
		acts, err := exchange.List(ctx, s.db.R)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, a := range acts {
			if a.Kind != exchange.KindVideoConference {
				continue
			}
			d.ActivityChoices = append(d.ActivityChoices, option{Value: strconv.FormatInt(a.ID, 10), Label: a.Title(p.Lang) + " · " + a.When().Start.Date.String()})
		}
		for _, t := range report.BedTypes {
			d.BedTypes = append(d.BedTypes, option{Value: t, Label: l.T("reports.bed." + t)})
		}
		for _, u := range []string{report.UnitBeds, report.UnitRooms} {
			d.Units = append(d.Units, option{Value: u, Label: l.T("reports.bed_unit." + u)})
		}
	}
	if d.CanEdit && rep.Status != report.StatusWithdrawn {
		d.EditForm = editForm
		if d.EditForm == nil {
			d.EditForm = reportEditForm(rep)
		}
		for _, m := range report.Metrics {
			d.EditMetrics = append(d.EditMetrics, option{Value: m.Name, Label: l.T("reports.unit." + m.Unit)})
		}
		for _, lang := range reportTextLangs {
			d.EditLangs = append(d.EditLangs, option{Value: lang, Label: l.T("reports.edit.lang." + lang)})
		}
	}
	if len(errs) > 0 {
		d.Problem = l.T("reports.error.form")
	}
	p.Data = d
	w.Header().Set("Cache-Control", "private, no-store")
	s.render(w, r, status, "admin/report", p)
}

// formatFigure writes a metric's figure in the reader's locale: counts as whole numbers, a
// ratio as a percentage.
func formatFigure(l *i18n.Localizer, m report.Metric, v float64) string {
	if m.Ratio {
		return l.T("reports.percent", "percent", l.Number(roundTo(v*100, 1)))
	}
	return l.Number(int64(v + 0.5))
}

func roundTo(v float64, places int) float64 {
	f := 1.0
	for range places {
		f *= 10
	}
	return float64(int64(v*f+0.5)) / f
}

// reportFile sends an export of a report: private, never cached, named after the report.
func (s *Server) reportFile(w http.ResponseWriter, contentType, name string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	_, _ = w.Write(body)
}

func (s *Server) adminReportCSV(w http.ResponseWriter, r *http.Request) {
	rep, _, ok := s.loadReport(w, r)
	if !ok {
		return
	}
	names, err := s.loadReportNames(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var b bytes.Buffer
	if err := report.WriteCSV(&b, rep, names.city(rep.CityID, "en")); err != nil {
		s.fail(w, r, err)
		return
	}
	s.reportFile(w, "text/csv; charset=utf-8", fmt.Sprintf("report-%d.csv", rep.ID), b.Bytes())
}

func (s *Server) adminReportJSON(w http.ResponseWriter, r *http.Request) {
	rep, rd, ok := s.loadReport(w, r)
	if !ok {
		return
	}
	names, err := s.loadReportNames(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !rd.Staff {
		rep.History = nil // who changed what is the office's business
	}
	var b bytes.Buffer
	if err := report.WriteJSON(&b, rep, names.city(rep.CityID, "en"), names.situation(rep.SituationID, "en")); err != nil {
		s.fail(w, r, err)
		return
	}
	s.reportFile(w, "application/json", fmt.Sprintf("report-%d.json", rep.ID), b.Bytes())
}

func (s *Server) adminReportEDXL(w http.ResponseWriter, r *http.Request) {
	rep, _, ok := s.loadReport(w, r)
	if !ok {
		return
	}
	names, err := s.loadReportNames(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	org := rep.SourceOrg
	if org == "" {
		org = names.city(rep.CityID, "en")
	}
	var zone *time.Location
	if c := names.cities[rep.CityID]; c != nil && c.Timezone != "" {
		zone, _ = time.LoadLocation(c.Timezone)
	}
	var b bytes.Buffer
	if err := report.WriteEDXLHAVE(&b, rep, org, zone); err != nil {
		s.fail(w, r, err)
		return
	}
	s.reportFile(w, "application/xml", fmt.Sprintf("report-%d-edxl-have.xml", rep.ID), b.Bytes())
}

// adminReportBed adds or replaces a bed row of a draft report.
func (s *Server) adminReportBed(w http.ResponseWriter, r *http.Request) {
	rep, rd, ok := s.loadReport(w, r)
	if !ok {
		return
	}
	form := map[string]string{}
	for _, k := range []string{"type", "unit", "baseline", "available", "occupied", "add24", "add72", "status"} {
		form[k] = formValue(r, k)
	}
	var errs problem.Fields
	num := func(field string) int64 {
		if form[field] == "" {
			return 0
		}
		n, err := strconv.ParseInt(form[field], 10, 64)
		if err != nil {
			errs.Add("bed_0_"+field, "validation.number")
		}
		return n
	}
	b := report.Bed{Type: form["type"], Unit: form["unit"], Baseline: num("baseline"), Available: num("available"),
		Occupied: num("occupied"), Add24h: num("add24"), Add72h: num("add72"), Status: form["status"]}
	if len(errs) > 0 {
		s.renderReport(w, r, http.StatusUnprocessableEntity, rep, rd, form, errs)
		return
	}
	err := s.change(r, auth.ActionUpdate, auth.EntityReport, func(tx *sql.Tx) (int64, any, any, error) {
		return rep.ID, nil, b, report.SetBed(r.Context(), tx, rep.ID, b)
	})
	s.reportChanged(w, r, err, rep, rd, form, "bed")
}

// adminReportActivity links the report to the activity where it was discussed.
func (s *Server) adminReportActivity(w http.ResponseWriter, r *http.Request) {
	rep, rd, ok := s.loadReport(w, r)
	if !ok {
		return
	}
	activity, _ := formID(r, "activity")
	err := s.change(r, auth.ActionUpdate, auth.EntityReport, func(tx *sql.Tx) (int64, any, any, error) {
		return rep.ID, nil, map[string]int64{"activity": activity}, report.LinkActivity(r.Context(), tx, rep.ID, activity)
	})
	s.reportChanged(w, r, err, rep, rd, nil, "linked")
}

// adminReportShare shares the report with the partnerships ticked, and with them only.
func (s *Server) adminReportShare(w http.ResponseWriter, r *http.Request) {
	rep, rd, ok := s.loadReport(w, r)
	if !ok {
		return
	}
	var ids []int64
	for _, v := range r.PostForm["partnership"] {
		if id, ok := parseID(v); ok {
			ids = append(ids, id)
		}
	}
	err := s.change(r, auth.ActionShare, auth.EntityReport, func(tx *sql.Tx) (int64, any, any, error) {
		if err := report.Share(r.Context(), tx, rep.ID, ids, userFrom(r).ID); err != nil {
			return 0, nil, nil, err
		}
		return rep.ID, rep.SharedWith, ids, s.deliverReport(r, tx, rep)
	})
	s.reportChanged(w, r, err, rep, rd, nil, "shared")
}

func (s *Server) adminReportWithdraw(w http.ResponseWriter, r *http.Request) {
	rep, _, ok := s.loadReport(w, r)
	if !ok {
		return
	}
	err := s.change(r, auth.ActionWithdraw, auth.EntityReport, func(tx *sql.Tx) (int64, any, any, error) {
		if err := report.Withdraw(r.Context(), tx, rep.ID, userFrom(r).ID); err != nil {
			return 0, nil, nil, err
		}
		return rep.ID, nil, nil, s.deliverReport(r, tx, rep)
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/reports/%d?notice=withdrawn", rep.ID), http.StatusSeeOther)
}

// adminReportLiaison binds a liaison account to its partner city (administrators only).
func (s *Server) adminReportLiaison(w http.ResponseWriter, r *http.Request) {
	user, okUser := formID(r, "user")
	city, okCity := formID(r, "city")
	if !okUser || !okCity {
		s.fail(w, r, badRequest())
		return
	}
	err := s.change(r, auth.ActionSet, auth.EntityLiaison, func(tx *sql.Tx) (int64, any, any, error) {
		u, err := auth.GetUser(r.Context(), tx, user)
		if err != nil {
			return 0, nil, nil, err
		}
		if u.Role != auth.RoleLiaison {
			return 0, nil, nil, problem.New(http.StatusUnprocessableEntity, "reports.error.not_liaison")
		}
		return user, nil, map[string]int64{"city": city}, report.BindLiaison(r.Context(), tx, user, city)
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/reports?notice=liaison", http.StatusSeeOther)
}

// reportTextLangs are the languages a report's texts are written in on the edit form.
var reportTextLangs = []string{"ko", "ru", "en"}

// reportEditForm is the edit form filled in with rep: its dates, source, texts and the
// figures of its as-of date.
func reportEditForm(rep *report.Report) map[string]string {
	f := map[string]string{"as_of": rep.AsOf.String(), "period_start": rep.PeriodStart.String(),
		"period_end": rep.PeriodEnd.String(), "source_org": rep.SourceOrg}
	for _, t := range rep.Texts {
		f["measures_"+t.Lang], f["follow_up_"+t.Lang] = t.Measures, t.FollowUp
	}
	for _, v := range rep.Values {
		if v.Day == rep.AsOf {
			f["m_"+v.Metric] = strconv.FormatFloat(v.Value, 'f', -1, 64)
		}
	}
	return f
}

// adminReportEdit changes a report's dates, source, texts and the figures of its as-of date;
// a shared report's partners read the new version (on a partner's own site, by an Update).
func (s *Server) adminReportEdit(w http.ResponseWriter, r *http.Request) {
	rep, rd, ok := s.loadReport(w, r)
	if !ok {
		return
	}
	form := map[string]string{}
	keys := []string{"as_of", "period_start", "period_end", "source_org"}
	for _, lang := range reportTextLangs {
		keys = append(keys, "measures_"+lang, "follow_up_"+lang)
	}
	for _, m := range report.Metrics {
		keys = append(keys, "m_"+m.Name)
	}
	for _, k := range keys {
		form[k] = formValue(r, k)
	}
	var errs problem.Fields
	e := report.Edit{AsOf: parseDate(&errs, "as_of", form["as_of"]), PeriodStart: parseDate(&errs, "period_start", form["period_start"]),
		PeriodEnd: parseDate(&errs, "period_end", form["period_end"]), SourceOrg: form["source_org"], Figures: map[string]*float64{}}
	for _, lang := range reportTextLangs {
		e.Texts = append(e.Texts, report.Text{Lang: lang, Measures: form["measures_"+lang], FollowUp: form["follow_up_"+lang]})
	}
	for _, m := range report.Metrics {
		e.Figures[m.Name] = parseFloat(&errs, "values", form["m_"+m.Name])
	}
	if len(errs) > 0 {
		s.renderReport(w, r, http.StatusUnprocessableEntity, rep, rd, nil, errs, form)
		return
	}
	err := s.change(r, auth.ActionUpdate, auth.EntityReport, func(tx *sql.Tx) (int64, any, any, error) {
		before, err := report.Apply(r.Context(), tx, rep.ID, e, s.reportToday(r))
		if err != nil {
			return 0, nil, nil, err
		}
		return rep.ID, reportEditForm(before), form, s.deliverReport(r, tx, before)
	})
	if f, isFields := problem.AsFields(err); isFields {
		s.renderReport(w, r, http.StatusUnprocessableEntity, rep, rd, nil, f, form)
		return
	}
	s.reportChanged(w, r, err, rep, rd, nil, "edited")
}

// deliverReport tells the partner instances, in tx, what the change to rep (as it was before
// the change) means to them (package portal); nothing with federation off.
func (s *Server) deliverReport(r *http.Request, tx *sql.Tx, rep *report.Report) error {
	if s.portal == nil {
		return nil
	}
	var before []int64
	if rep.Status == report.StatusShared {
		before = rep.SharedWith
	}
	return s.portal.DeliverReport(r.Context(), tx, rep.ID, before)
}

// reportChanged ends a change to rep: the report's page again with the fields' problems (422),
// the failure, or back to the report with notice.
func (s *Server) reportChanged(w http.ResponseWriter, r *http.Request, err error, rep *report.Report, rd report.Reader,
	bedForm map[string]string, notice string) {
	if f, isFields := problem.AsFields(err); isFields {
		s.renderReport(w, r, http.StatusUnprocessableEntity, rep, rd, bedForm, f)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/reports/%d?notice=%s", rep.ID, notice), http.StatusSeeOther)
}

// reportToday is the last day a report may be as of: today where the office is.
func (s *Server) reportToday(r *http.Request) civil.Date {
	zone, _, err := s.homeZone(r.Context(), "en")
	if err != nil || zone == nil {
		zone = time.UTC
	}
	return civil.Of(s.now().In(zone))
}
