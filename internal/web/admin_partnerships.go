package web

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"sistercity/internal/auth"
	"sistercity/internal/civil"
	"sistercity/internal/i18n"
	"sistercity/internal/langtext"
	"sistercity/internal/problem"
	"sistercity/internal/register"
)

// Signatory rows of the form, as for contacts: the existing ones and blank ones to add to.
const (
	minSignatoryRows = 2
	maxSignatoryRows = 20
	maxReason        = 4000
)

// signatoryRow is one signatory, as typed: name and title per language. NameFields and
// TitleFields are filled for the page.
type signatoryRow struct {
	Index                   int
	Side                    string
	Name, Title             langtext.Texts
	NameFields, TitleFields []langField
}

// partnershipForm holds a partnership form as the user typed it.
type partnershipForm struct {
	ID                int64
	Version           int64
	PartnerCityID     string
	Type              string
	SignedOn          string
	SignedAt          langtext.Texts
	SignedAtFields    []langField // filled for the page
	CouncilApprovedOn string
	CouncilNote       string
	Status            string
	Note              string
	Areas             []string
	Signatories       []signatoryRow
	// Only on edit: when the status changes, the date and reason recorded in its history.
	StatusChangedOn string
	StatusReason    langtext.Texts
	ReasonFields    []langField // filled for the page
}

func partnershipFormOf(p *register.Partnership) partnershipForm {
	f := partnershipForm{
		ID: p.ID, Version: p.Version, Type: p.Type, SignedOn: p.SignedOn.String(), SignedAt: p.SignedAt.Clone(),
		CouncilApprovedOn: p.CouncilApprovedOn.String(), CouncilNote: p.CouncilNote, Status: p.Status, Note: p.Note,
		Areas: p.Areas,
	}
	if p.PartnerCityID != 0 {
		f.PartnerCityID = strconv.FormatInt(p.PartnerCityID, 10)
	}
	for i, s := range p.Signatories {
		f.Signatories = append(f.Signatories, signatoryRow{Index: i, Side: s.Side, Name: s.Name.Clone(), Title: s.Title.Clone()})
	}
	return f
}

func partnershipFormFrom(r *http.Request) partnershipForm {
	f := partnershipForm{
		PartnerCityID:     formValue(r, "partner_city_id"),
		Type:              formValue(r, "type"),
		SignedOn:          formValue(r, "signed_on"),
		SignedAt:          textsFrom(r, "signed_at"),
		CouncilApprovedOn: formValue(r, "council_approved_on"),
		CouncilNote:       formValue(r, "council_note"),
		Status:            formValue(r, "status"),
		Note:              formValue(r, "note"),
		StatusChangedOn:   formValue(r, "status_changed_on"),
		StatusReason:      textsFrom(r, "status_reason"),
	}
	for _, a := range r.PostForm["areas"] {
		if !slices.Contains(f.Areas, a) {
			f.Areas = append(f.Areas, a)
		}
	}
	for i := range maxSignatoryRows {
		n := "signatory_" + strconv.Itoa(i) + "_"
		row := signatoryRow{Index: i, Side: formValue(r, n+"side"), Name: textsFrom(r, n+"name"), Title: textsFrom(r, n+"title")}
		// A row with only the side chosen is a blank row: the select always sends a side.
		if !row.Name.Empty() || !row.Title.Empty() {
			f.Signatories = append(f.Signatories, row)
		}
	}
	return f
}

// partnership turns the form into a Partnership with every problem found, the model's rules
// included; cities are the registered ones, the only valid partners.
func (f *partnershipForm) partnership(home int64, cities map[int64]*register.City, today civil.Date) (*register.Partnership, problem.Fields) {
	var errs problem.Fields
	p := &register.Partnership{
		ID: f.ID, Version: f.Version, HomeCityID: home, Type: f.Type, SignedAt: f.SignedAt,
		CouncilNote: f.CouncilNote, Status: f.Status, Note: f.Note, Areas: f.Areas,
	}
	p.PartnerCityID = parseChoice(&errs, "partner_city_id", f.PartnerCityID, func(id int64) bool { return cities[id] != nil })
	p.SignedOn = parseDate(&errs, "signed_on", f.SignedOn)
	p.CouncilApprovedOn = parseDate(&errs, "council_approved_on", f.CouncilApprovedOn)
	for _, s := range f.Signatories {
		p.Signatories = append(p.Signatories, register.Signatory{Side: s.Side, Name: s.Name, Title: s.Title})
	}
	for _, e := range p.Validate(today) {
		if !errs.Has(e.Field) {
			errs = append(errs, e)
		}
	}
	return p, errs
}

// statusChange reads the date and reason of a change of status from old; an empty date is
// today. Without a change the fields are not used, so they are not checked.
func (f *partnershipForm) statusChange(errs *problem.Fields, old string, today civil.Date) (civil.Date, langtext.Texts) {
	if f.Status == old {
		return today, nil
	}
	on := parseDate(errs, "status_changed_on", f.StatusChangedOn)
	if on.IsZero() {
		on = today
	}
	register.CheckRecordDate(errs, "status_changed_on", on, today)
	register.CheckTexts(errs, "status_reason", f.StatusReason, maxReason)
	return on, f.StatusReason
}

// historyRow is one line of the status history.
type historyRow struct {
	On     civil.Date
	Status string
	Reason shownText
}

// claimRow is one date claim, with the city that makes it.
type claimRow struct {
	ID     int64
	City   string
	On     civil.Date
	Source string
}

// documentForm and claimForm hold the small forms of the edit page, as typed.
type documentForm struct{ Title string }

type claimForm struct{ City, On, Source string }

type partnershipPageData struct {
	Form        partnershipForm
	New         bool
	CanEdit     bool
	NoHomeCity  bool
	Problem     string
	HomeName    string
	PartnerName string
	Cities      []option // partner cities to choose from
	Types       []option
	Statuses    []option
	AreaChoices []option
	Sides       []option
	// Only on edit.
	History []historyRow
	Files   attachmentsView
	Claims  []claimRow
	Claim   claimForm
}

// partnershipView is what the edit page shows besides the main form: the stored record, and
// the small forms for documents and claims with what was typed in them.
type partnershipView struct {
	stored *register.Partnership
	doc    documentForm
	claim  claimForm
}

// renderPartnership shows the partnership form; v.stored is nil for a new one.
func (s *Server) renderPartnership(w http.ResponseWriter, r *http.Request, status int, f partnershipForm, v partnershipView,
	errs problem.Fields, problemKey string) {
	ctx := r.Context()
	titleKey := "admin.partnerships.new_title"
	if v.stored != nil {
		titleKey = ""
	}
	p := s.adminPage(w, r, titleKey)
	showNotice(p, r, adminNotices)
	p.Errors = errs
	data := partnershipPageData{Form: f, New: v.stored == nil, CanEdit: canEdit(r), Claim: v.claim}
	if problemKey != "" {
		data.Problem = p.L.T(problemKey)
	}
	home, err := register.HomeCityID(ctx, s.db.R)
	if errors.Is(err, register.ErrNoHomeCity) && v.stored == nil {
		data.NoHomeCity = true
		data.Problem = p.L.T("validation.no_home_city")
	} else if err != nil && !errors.Is(err, register.ErrNoHomeCity) {
		s.fail(w, r, err)
		return
	}
	if v.stored != nil {
		home = v.stored.HomeCityID
	}
	cities, err := register.Cities(ctx, s.db.R)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, c := range cities {
		if c.ID == home {
			data.HomeName = c.Name(p.Lang)
			continue
		}
		data.Cities = append(data.Cities, option{Value: strconv.FormatInt(c.ID, 10), Label: c.Name(p.Lang)})
		if strconv.FormatInt(c.ID, 10) == f.PartnerCityID {
			data.PartnerName = c.Name(p.Lang)
		}
	}
	sortOptions(p.L, data.Cities)
	for _, t := range register.PartnershipTypes {
		data.Types = append(data.Types, option{t, p.L.T("partner.type_one." + t)})
	}
	for _, st := range register.Statuses {
		data.Statuses = append(data.Statuses, option{st, p.L.T("partner.status_name." + st)})
	}
	for _, a := range register.Areas {
		data.AreaChoices = append(data.AreaChoices, option{a, p.L.T("partner.area_name." + a)})
	}
	data.Sides = []option{{"home", p.L.T("admin.partnerships.side_home")}, {"partner", p.L.T("admin.partnerships.side_partner")}}
	data.Form.Signatories = padSignatories(f.Signatories)
	data.Form.SignedAtFields = s.langFields(p.L, "signed_at", f.SignedAt)
	data.Form.ReasonFields = s.langFields(p.L, "status_reason", f.StatusReason)
	for i := range data.Form.Signatories {
		row := &data.Form.Signatories[i]
		n := "signatory_" + strconv.Itoa(row.Index) + "_"
		row.NameFields, row.TitleFields = s.langFields(p.L, n+"name", row.Name), s.langFields(p.L, n+"title", row.Title)
	}
	if data.Form.StatusChangedOn == "" {
		data.Form.StatusChangedOn = p.Today.String()
	}
	if st := v.stored; st != nil {
		if st.PartnerCity != nil {
			data.PartnerName = st.PartnerCity.Name(p.Lang)
		}
		p.Title = p.L.T("admin.partnerships.edit_title", "home", data.HomeName, "partner", data.PartnerName)
		for _, h := range st.History {
			data.History = append(data.History, historyRow{On: h.ChangedOn, Status: p.L.T("partner.status_name." + h.Status), Reason: pickText(p.L, h.Reason)})
		}
		data.Files = s.partnershipDocuments().view(p.L, s.cfg.MaxDocumentBytes, st.ID, st.Documents, data.CanEdit, v.doc.Title)
		for _, c := range st.DateClaims {
			row := claimRow{ID: c.ID, On: c.ClaimedOn, Source: c.Source}
			switch c.CityID {
			case st.HomeCityID:
				row.City = data.HomeName
			case st.PartnerCityID:
				row.City = data.PartnerName
			}
			data.Claims = append(data.Claims, row)
		}
	}
	p.Data = data
	s.render(w, r, status, "admin/partnership", p)
}

// padSignatories adds blank rows: at least minSignatoryRows, and one more than are filled.
func padSignatories(rows []signatoryRow) []signatoryRow {
	out := slices.Clone(rows)
	var used []int
	for _, r := range rows {
		used = append(used, r.Index)
	}
	for (len(out) < minSignatoryRows || len(out) == len(rows)) && len(out) < maxSignatoryRows {
		i := nextIndex(0, used)
		used = append(used, i)
		side := "home"
		if i%2 == 1 {
			side = "partner"
		}
		out = append(out, signatoryRow{Index: i, Side: side})
	}
	slices.SortFunc(out, func(a, b signatoryRow) int { return a.Index - b.Index })
	return out
}

// partnershipRow is one line of the partnership list.
type partnershipRow struct {
	ID       int64
	Partner  string
	NameLang string
	Type     string
	SignedOn civil.Date
	Status   string
	Age      int
	HasAge   bool
}

type partnershipListData struct {
	List       listView
	Rows       []partnershipRow
	CanEdit    bool
	NoHomeCity bool
}

func (s *Server) partnershipList(w http.ResponseWriter, r *http.Request) {
	p := s.adminPage(w, r, "admin.partnerships.title")
	showNotice(p, r, adminNotices)
	ctx := r.Context()
	ps, err := register.Partnerships(ctx, s.db.R)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data := partnershipListData{CanEdit: canEdit(r)}
	lq := readList(r, adminListSize)
	var matching map[int64]bool
	if lq.Q != "" {
		if matching, err = register.CitiesMatching(ctx, s.db.R, lq.Q); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if _, err := register.HomeCityID(ctx, s.db.R); errors.Is(err, register.ErrNoHomeCity) {
		data.NoHomeCity = true
	} else if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, x := range ps {
		if matching != nil && !matching[x.PartnerCityID] && !matching[x.HomeCityID] {
			continue
		}
		row := partnershipRow{ID: x.ID, Type: p.L.T("partner.type_one." + x.Type), SignedOn: x.SignedOn,
			Status: p.L.T("partner.status_name." + x.Status)}
		if x.PartnerCity != nil {
			row.Partner, row.NameLang = x.PartnerCity.Name(p.Lang), x.PartnerCity.NameLang(p.Lang)
		}
		row.Age, row.HasAge = x.Age(p.Today)
		data.Rows = append(data.Rows, row)
	}
	data.List = newListView(p.L, r, lq, len(data.Rows))
	data.Rows = pageRows(data.Rows, data.List.Pager)
	p.Data = data
	s.render(w, r, http.StatusOK, "admin/partnerships", p)
}

func (s *Server) partnershipNew(w http.ResponseWriter, r *http.Request) {
	f := partnershipFormOf(&register.Partnership{Type: register.TypeSister, Status: register.StatusActive})
	status := http.StatusOK
	if _, err := register.HomeCityID(r.Context(), s.db.R); errors.Is(err, register.ErrNoHomeCity) {
		status = http.StatusConflict
	}
	s.renderPartnership(w, r, status, f, partnershipView{}, nil, "")
}

// citiesByID returns the registered cities, for checking a partner chosen in a form.
func (s *Server) citiesByID(r *http.Request) (map[int64]*register.City, error) {
	cities, err := register.Cities(r.Context(), s.db.R)
	if err != nil {
		return nil, err
	}
	byID := map[int64]*register.City{}
	for _, c := range cities {
		byID[c.ID] = c
	}
	return byID, nil
}

func (s *Server) partnershipCreate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f := partnershipFormFrom(r)
	home, err := register.HomeCityID(ctx, s.db.R)
	if errors.Is(err, register.ErrNoHomeCity) {
		s.renderPartnership(w, r, http.StatusConflict, f, partnershipView{}, nil, "")
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cities, err := s.citiesByID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, errs := f.partnership(home, cities, s.today())
	if len(errs) > 0 {
		s.renderPartnership(w, r, http.StatusUnprocessableEntity, f, partnershipView{}, errs, "")
		return
	}
	u := userFrom(r)
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := register.CreatePartnership(ctx, tx, p, u.ID); err != nil {
			return err
		}
		after, err := register.GetPartnership(ctx, tx, p.ID) // with its first status entry
		if err != nil {
			return err
		}
		return auth.Audit(ctx, tx, u, auth.ActionCreate, auth.EntityPartnership, p.ID, nil, after)
	})
	switch {
	case errors.Is(err, register.ErrDuplicate):
		s.renderPartnership(w, r, http.StatusUnprocessableEntity, f, partnershipView{},
			problem.Fields{{Field: "partner_city_id", Msg: i18n.M("validation.duplicate")}}, "")
	case err != nil:
		s.fail(w, r, err)
	default:
		http.Redirect(w, r, fmt.Sprintf("/admin/partnerships/%d?notice=created", p.ID), http.StatusSeeOther)
	}
}

// loadPartnership reads the partnership of the request's {id}, or renders why it cannot.
func (s *Server) loadPartnership(w http.ResponseWriter, r *http.Request) (*register.Partnership, bool) {
	return loadRecord(s, w, r, register.GetPartnership)
}

func (s *Server) partnershipEdit(w http.ResponseWriter, r *http.Request) {
	p, ok := s.loadPartnership(w, r)
	if !ok {
		return
	}
	s.renderPartnership(w, r, http.StatusOK, partnershipFormOf(p), partnershipView{stored: p}, nil, "")
}

func (s *Server) partnershipUpdate(w http.ResponseWriter, r *http.Request) {
	stored, ok := s.loadPartnership(w, r)
	if !ok {
		return
	}
	version, ok := s.formVersion(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	f := partnershipFormFrom(r)
	f.ID, f.Version = stored.ID, version
	cities, err := s.citiesByID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	today := s.today()
	p, errs := f.partnership(stored.HomeCityID, cities, today)
	changedOn, reason := f.statusChange(&errs, stored.Status, today)
	view := partnershipView{stored: stored}
	if len(errs) > 0 {
		s.renderPartnership(w, r, http.StatusUnprocessableEntity, f, view, errs, "")
		return
	}
	u := userFrom(r)
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		before, err := register.GetPartnership(ctx, tx, p.ID)
		if err != nil {
			return err
		}
		if err := register.UpdatePartnership(ctx, tx, p, changedOn, reason, u.ID); err != nil {
			return err
		}
		after, err := register.GetPartnership(ctx, tx, p.ID)
		if err != nil {
			return err
		}
		return auth.Audit(ctx, tx, u, auth.ActionUpdate, auth.EntityPartnership, p.ID, before, after)
	})
	switch {
	case errors.Is(err, register.ErrDuplicate):
		s.renderPartnership(w, r, http.StatusUnprocessableEntity, f, view,
			problem.Fields{{Field: "partner_city_id", Msg: i18n.M("validation.duplicate")}}, "")
	case isStale(err):
		s.renderPartnership(w, r, http.StatusConflict, f, view, nil, "error.conflict")
	case err != nil:
		s.fail(w, r, err)
	default:
		http.Redirect(w, r, fmt.Sprintf("/admin/partnerships/%d?notice=saved", p.ID), http.StatusSeeOther)
	}
}
