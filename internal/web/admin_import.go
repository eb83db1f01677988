package web

import (
	"bytes"
	"database/sql"
	"errors"
	"mime"
	"net/http"
	"path/filepath"
	"strings"

	"sistercity/internal/auth"
	"sistercity/internal/civil"
	"sistercity/internal/problem"
	"sistercity/internal/register"
)

// importRoutes are the register's import and export: every signed-in user may download the
// register; editors may import into it.
func (s *Server) importRoutes() []route {
	return []route{
		{"GET /admin/import", auth.RoleViewer, s.importPage},
		{"POST /admin/import", auth.RoleEditor, s.importUpload},
		{"GET /admin/export.csv", auth.RoleViewer, s.exportRegister(register.FormatCSV)},
		{"GET /admin/export.json", auth.RoleViewer, s.exportRegister(register.FormatJSON)},
	}
}

// maxShownChanges bounds the rows listed after an import; the counts cover all of them.
const maxShownChanges = 500

type importProblem struct {
	Where, Field, Message string
}

type importChange struct {
	Where, City, CityLang, Type, Action, Fields string
}

type importData struct {
	CanImport bool
	NeedHome  bool // the site has no home city: the form asks for one
	MaxMB     int

	// The form as sent.
	StatsAsOf, HomeName, HomeCountry string
	DryRun                           bool

	Problems     []importProblem
	Total        int // problems found, more than len(Problems) when the list was cut short
	MoreProblems int

	Result      *register.ImportResult
	Checked     bool // Result is of a dry run
	Changes     []importChange
	MoreChanges int
}

func (s *Server) newImportData(r *http.Request) (*importData, error) {
	u := userFrom(r)
	d := &importData{CanImport: u != nil && u.Role.AtLeast(auth.RoleEditor), MaxMB: maxImportBytes >> 20}
	_, err := register.HomeCityID(r.Context(), s.db.R)
	switch {
	case errors.Is(err, register.ErrNoHomeCity):
		d.NeedHome = true
	case err != nil:
		return nil, err
	}
	return d, nil
}

func (s *Server) importPage(w http.ResponseWriter, r *http.Request) {
	p := s.adminPage(w, r, "import.title")
	data, err := s.newImportData(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.Data = data
	s.render(w, r, http.StatusOK, "admin/import", p)
}

func (s *Server) importUpload(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := userFrom(r)
	p := s.adminPage(w, r, "import.title")
	data, err := s.newImportData(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.Data = data
	data.StatsAsOf = strings.TrimSpace(r.PostFormValue("stats_as_of"))
	data.HomeName = strings.TrimSpace(r.PostFormValue("home_name"))
	data.HomeCountry = strings.ToUpper(strings.TrimSpace(r.PostFormValue("home_country")))
	data.DryRun = r.PostFormValue("dry_run") != ""

	opts := register.ImportOptions{Today: civil.Of(s.now()), DryRun: data.DryRun, UserID: u.ID}
	var fields problem.Fields
	if data.StatsAsOf != "" {
		d, err := civil.Parse(data.StatsAsOf)
		if err != nil {
			fields.Add("stats_as_of", "validation.date")
		}
		opts.StatsAsOf = d
	}
	if data.NeedHome && (data.HomeName != "" || data.HomeCountry != "") {
		opts.HomeCity = &register.City{Country: data.HomeCountry, Kind: register.KindCity,
			Texts: []register.Text{{Lang: "en", Name: data.HomeName}}}
	}
	file, header, err := r.FormFile("file")
	switch {
	case errors.Is(err, http.ErrMissingFile), errors.Is(err, http.ErrNotMultipart):
		fields.Add("file", "import.form.no_file")
	case err != nil:
		s.fail(w, r, badRequest())
		return
	default:
		defer file.Close()
	}
	if len(fields) > 0 {
		p.Errors = fields
		s.render(w, r, http.StatusUnprocessableEntity, "admin/import", p)
		return
	}
	if header.Size > maxImportBytes {
		s.fail(w, r, problem.New(http.StatusRequestEntityTooLarge, "error.too_large"))
		return
	}
	f, err := register.Read(file, register.FormatOf(header.Filename))
	if err != nil {
		s.importFailed(w, r, p, data, err)
		return
	}
	var res *register.ImportResult
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		if res, err = register.Import(ctx, tx, f, opts); err != nil || opts.DryRun {
			return err
		}
		after := map[string]any{"file": filepath.Base(header.Filename), "format": f.Format}
		for k, v := range res.Summary() {
			after[k] = v
		}
		return auth.Audit(ctx, tx, u, auth.ActionImport, auth.EntityRegister, res.HomeCityID, nil, after)
	})
	if err != nil {
		s.importFailed(w, r, p, data, err)
		return
	}
	data.Result, data.Checked = res, opts.DryRun
	for _, ch := range res.Changes {
		action := ch.Partnership
		if action == register.Unchanged && ch.City != register.Unchanged {
			action = register.Updated
		}
		if action == register.Unchanged {
			continue
		}
		if len(data.Changes) == maxShownChanges {
			data.MoreChanges++
			continue
		}
		data.Changes = append(data.Changes, importChange{
			Where: p.L.Msg(ch.Where()), City: ch.Partner.Name(p.Lang), CityLang: ch.Partner.NameLang(p.Lang),
			Type: p.L.T("partner.type_one." + ch.Type), Action: p.L.T("import.action." + string(action)),
			Fields: strings.Join(ch.Fields, ", "),
		})
	}
	s.render(w, r, http.StatusOK, "admin/import", p)
}

// importFailed shows every problem of a file, in the reader's language, with the form again.
func (s *Server) importFailed(w http.ResponseWriter, r *http.Request, p *page, data *importData, err error) {
	fe, ok := register.AsFileErrors(err)
	if !ok {
		s.fail(w, r, err)
		return
	}
	for _, e := range fe.List {
		data.Problems = append(data.Problems, importProblem{Where: p.L.Msg(e.Where()), Field: e.Field, Message: p.L.Msg(e.Msg)})
	}
	data.Total, data.MoreProblems = fe.Total, fe.Total-len(fe.List)
	s.render(w, r, http.StatusUnprocessableEntity, "admin/import", p)
}

// exportRegister serves the whole register as a download.
func (s *Server) exportRegister(format string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		// One read transaction, so that the file is a consistent picture of the register.
		tx, err := s.db.R.BeginTx(ctx, nil)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		reg, err := register.Load(ctx, tx)
		_ = tx.Rollback()
		if err != nil {
			s.fail(w, r, err)
			return
		}
		var buf bytes.Buffer
		contentType := "application/json; charset=utf-8"
		if format == register.FormatCSV {
			// The byte-order mark tells spreadsheet programs the file is UTF-8; without it Excel
			// shows Korean and Russian names as mojibake. Import accepts it.
			buf.WriteString("\ufeff")
			contentType = "text/csv; charset=utf-8"
			err = register.WriteCSV(&buf, reg)
		} else {
			err = register.WriteJSON(&buf, reg)
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		name := "sistercity-register-" + civil.Of(s.now()).String() + "." + format
		h := w.Header()
		h.Set("Content-Type", contentType)
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
		h.Set("Cache-Control", "no-store")
		_, _ = w.Write(buf.Bytes())
	}
}
