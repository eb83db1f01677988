package web

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"sistercity/internal/auth"
	"sistercity/internal/problem"
	"sistercity/internal/register"
	"sistercity/internal/report"
)

// maxReportImportBytes bounds an OWID file uploaded for import: a year of daily figures for a
// few places is well under 1 MB.
const maxReportImportBytes = 10 << 20

// reportImportKey is where an uploaded OWID file waits between its preview and its
// confirmation.
func reportImportKey(token string) string { return "imports/reports/" + token }

// rowErrorView is a bad cell of an uploaded file, in words.
type rowErrorView struct {
	Line   int
	Column string
	Text   string
}

// seriesView is one location of an uploaded file, with the city it is to be imported for.
type seriesView struct {
	Index           int
	Name            string
	Days            string
	First, Last     string
	Values          string
	CityID          int64
	Problem         string
	MetricsInSeries string
}

type reportImportData struct {
	Token      string
	Filename   string
	Encoding   string
	Delimiter  string
	Metrics    string
	Ignored    string
	Rows       string
	Series     []seriesView
	RowErrors  []rowErrorView
	Problem    string
	Cities     []option
	Situations []option
	Situation  string
	SourceOrg  string
}

// reportCityOptions lists the cities a report may be about: those of some partnership.
func (s *Server) reportCityOptions(r *http.Request, lang string) ([]option, error) {
	ps, err := register.Partnerships(r.Context(), s.db.R)
	if err != nil {
		return nil, err
	}
	seen := map[int64]bool{}
	var opts []option
	add := func(c *register.City) {
		if c != nil && !seen[c.ID] {
			seen[c.ID] = true
			opts = append(opts, option{Value: strconv.FormatInt(c.ID, 10), Label: c.Name(lang)})
		}
	}
	for _, p := range ps {
		add(p.HomeCity)
		add(p.PartnerCity)
	}
	return opts, nil
}

func (s *Server) renderReportImport(w http.ResponseWriter, r *http.Request, status int, data *reportImportData) {
	p := s.adminPage(w, r, "reports.import.title")
	cities, err := s.reportCityOptions(r, p.Lang)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sits, err := report.Situations(r.Context(), s.db.R)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sortOptions(p.L, cities)
	data.Cities = cities
	for _, st := range sits {
		data.Situations = append(data.Situations, option{Value: strconv.FormatInt(st.ID, 10), Label: st.Name(p.Lang)})
	}
	p.Data = data
	s.render(w, r, status, "admin/report-import", p)
}

func (s *Server) adminReportImportForm(w http.ResponseWriter, r *http.Request) {
	s.renderReportImport(w, r, http.StatusOK, &reportImportData{})
}

// parseReportImport reads and parses the file of an import step: the upload itself, or the
// one kept under the form's token. On any problem it renders the page with it and returns nil.
func (s *Server) parseReportImport(w http.ResponseWriter, r *http.Request, data *reportImportData) *report.OWIDFile {
	l := s.cat.Localizer(s.adminLang(w, r))
	refuse := func(status int, msg string) *report.OWIDFile {
		data.Problem = msg
		s.renderReportImport(w, r, status, data)
		return nil
	}
	if _, ok := parseID(data.Situation); !ok { // the first situation, COVID-19, unless another is chosen
		sits, err := report.Situations(r.Context(), s.db.R)
		if err != nil {
			s.fail(w, r, err)
			return nil
		}
		if len(sits) > 0 {
			data.Situation = strconv.FormatInt(sits[0].ID, 10)
		}
	}
	var raw []byte
	if data.Token != "" {
		if !importTokenRe.MatchString(data.Token) {
			return refuse(http.StatusBadRequest, l.T("reports.import.error.expired"))
		}
		rc, err := s.docs.Open(r.Context(), reportImportKey(data.Token))
		if err != nil {
			return refuse(http.StatusGone, l.T("reports.import.error.expired"))
		}
		raw, err = io.ReadAll(io.LimitReader(rc, maxReportImportBytes+1))
		rc.Close()
		if err != nil {
			s.fail(w, r, err)
			return nil
		}
	} else {
		file, header, err := r.FormFile("file")
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return refuse(http.StatusRequestEntityTooLarge, l.T("reports.import.error.too_large", "size", maxReportImportBytes>>20))
			}
			return refuse(http.StatusBadRequest, l.T("reports.import.error.no_file"))
		}
		defer file.Close()
		data.Filename = header.Filename
		raw, err = io.ReadAll(io.LimitReader(file, maxReportImportBytes+1))
		if err != nil {
			s.fail(w, r, err)
			return nil
		}
	}
	if len(raw) > maxReportImportBytes {
		return refuse(http.StatusRequestEntityTooLarge, l.T("reports.import.error.too_large", "size", maxReportImportBytes>>20))
	}
	f, err := report.ParseOWID(raw, s.reportToday(r))
	var rowErrs report.RowErrors
	var fileErr *report.FileError
	switch {
	case errors.As(err, &rowErrs):
		for _, e := range rowErrs {
			data.RowErrors = append(data.RowErrors, rowErrorView{Line: e.Line, Column: e.Column, Text: l.Msg(e.Msg)})
		}
		return refuse(http.StatusUnprocessableEntity, l.N("reports.import.error.rows", len(rowErrs)))
	case errors.As(err, &fileErr):
		return refuse(http.StatusUnprocessableEntity, l.Msg(fileErr.Msg))
	case err != nil:
		s.fail(w, r, err)
		return nil
	}
	data.Encoding, data.Rows = f.Encoding, l.N("reports.import.rows", f.Rows)
	data.Delimiter = l.T("reports.import.delimiter." + map[rune]string{',': "comma", ';': "semicolon", '\t': "tab"}[f.Delimiter])
	data.Metrics, data.Ignored = strings.Join(f.Metrics, ", "), strings.Join(f.Ignored, ", ")
	for i, sr := range f.Series {
		data.Series = append(data.Series, seriesView{Index: i, Name: sr.Name(), Days: l.N("reports.import.days", sr.Days),
			First: l.Date(sr.First.Time()), Last: l.Date(sr.Last.Time()), Values: l.N("reports.import.values", len(sr.Values))})
	}
	if data.Token == "" {
		token := randomHex(16)
		if err := s.docs.Put(r.Context(), reportImportKey(token), bytes.NewReader(raw)); err != nil {
			s.fail(w, r, err)
			return nil
		}
		data.Token = token
	}
	return f
}

// adminReportImport previews an uploaded OWID file: what was detected, each location with a
// city to import it for, or every bad cell by line and column.
func (s *Server) adminReportImport(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxReportImportBytes+1<<20)
	data := &reportImportData{Situation: formValue(r, "situation"), SourceOrg: formValue(r, "source_org")}
	if s.parseReportImport(w, r, data) == nil {
		return
	}
	s.renderReportImport(w, r, http.StatusOK, data)
}

// adminReportImportConfirm saves the previewed file: one draft report per location given a
// city, all in one transaction; any problem saves nothing.
func (s *Server) adminReportImportConfirm(w http.ResponseWriter, r *http.Request) {
	data := &reportImportData{Token: formValue(r, "token"), Filename: formValue(r, "filename"),
		Situation: formValue(r, "situation"), SourceOrg: formValue(r, "source_org")}
	f := s.parseReportImport(w, r, data)
	if f == nil {
		return
	}
	l := s.cat.Localizer(s.adminLang(w, r))
	situation, _ := parseID(data.Situation)
	var reports []*report.Report
	for i, sr := range f.Series {
		city, ok := formID(r, "city_"+strconv.Itoa(i))
		data.Series[i].CityID = city
		if !ok {
			continue // this location is left out
		}
		rep := sr.Report(situation, city, data.SourceOrg)
		reports = append(reports, rep)
	}
	if len(reports) == 0 {
		data.Problem = l.T("reports.import.error.no_city")
		s.renderReportImport(w, r, http.StatusUnprocessableEntity, data)
		return
	}
	today := s.reportToday(r)
	err := s.change(r, auth.ActionImport, auth.EntityReport, func(tx *sql.Tx) (int64, any, any, error) {
		for _, rep := range reports {
			if err := report.Create(r.Context(), tx, rep, today, userFrom(r).ID); err != nil {
				return 0, nil, nil, err
			}
		}
		return reports[0].ID, nil, map[string]any{"file": data.Filename, "reports": len(reports)}, nil
	})
	if f, ok := problem.AsFields(err); ok {
		data.Problem = l.Msg(f[0].Msg)
		s.renderReportImport(w, r, http.StatusUnprocessableEntity, data)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	_ = s.docs.Delete(r.Context(), reportImportKey(data.Token))
	if len(reports) == 1 {
		http.Redirect(w, r, fmt.Sprintf("/admin/reports/%d?notice=imported", reports[0].ID), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/admin/reports?notice=imported", http.StatusSeeOther)
}
