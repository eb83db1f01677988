package web

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"golang.org/x/text/language"

	"sistercity/internal/auth"
	"sistercity/internal/civil"
	"sistercity/internal/i18n"
	"sistercity/internal/milestone"
	"sistercity/internal/problem"
	"sistercity/internal/register"
	"sistercity/internal/visibility"
)

// milestoneTextRow is a milestone's title and note in one language, as typed.
type milestoneTextRow struct {
	Index          int
	Lang, LangName string
	Title, Note    string
}

// milestoneForm holds a milestone form as typed.
type milestoneForm struct {
	ID            int64
	Version       int64
	Fixed         []milestoneTextRow
	Extra         milestoneTextRow // one more language
	On            string
	Yearly        bool
	PartnershipID string
	Visibility    string // visibility.Internal or Public; "" (a form without the field) keeps what is stored
}

func milestoneFormOf(m *milestone.Milestone) milestoneForm {
	f := milestoneForm{ID: m.ID, Version: m.Version, On: m.On.String(), Yearly: m.Yearly, Visibility: m.Visibility}
	if m.PartnershipID != 0 {
		f.PartnershipID = strconv.FormatInt(m.PartnershipID, 10)
	}
	for _, lang := range fixedLangs {
		row := milestoneTextRow{Lang: lang}
		for _, t := range m.Texts {
			if t.Lang == lang {
				row.Title, row.Note = t.Title, t.Note
			}
		}
		f.Fixed = append(f.Fixed, row)
	}
	for _, t := range m.Texts {
		if !slices.Contains(fixedLangs, t.Lang) {
			f.Extra = milestoneTextRow{Lang: t.Lang, Title: t.Title, Note: t.Note}
		}
	}
	return f
}

func milestoneFormFrom(r *http.Request) milestoneForm {
	f := milestoneForm{On: formValue(r, "on"), Yearly: formValue(r, "yearly") == "1", PartnershipID: formValue(r, "partnership_id"),
		Visibility: formValue(r, "visibility"),
		Extra:      milestoneTextRow{Lang: formValue(r, "extra_lang"), Title: formValue(r, "extra_title"), Note: formValue(r, "extra_note")}}
	for _, lang := range fixedLangs {
		f.Fixed = append(f.Fixed, milestoneTextRow{Lang: lang, Title: formValue(r, "title_"+lang), Note: formValue(r, "note_"+lang)})
	}
	return f
}

func (f *milestoneForm) milestone(partnerships map[int64]*register.Partnership) (*milestone.Milestone, problem.Fields) {
	var errs problem.Fields
	m := &milestone.Milestone{ID: f.ID, Version: f.Version, Yearly: f.Yearly, Visibility: f.Visibility}
	for _, t := range f.Fixed {
		if t.Title != "" || t.Note != "" {
			m.Texts = append(m.Texts, milestone.Text{Lang: t.Lang, Title: t.Title, Note: t.Note})
		}
	}
	formField := map[string]string{}
	if x := f.Extra; x.Lang != "" || x.Title != "" || x.Note != "" {
		tag, err := language.Parse(x.Lang)
		switch {
		case x.Lang == "":
			errs.Add("extra_lang", "validation.required")
		case err != nil:
			errs.Add("extra_lang", "validation.language_tag")
		case slices.Contains(fixedLangs, tag.String()):
			errs.Add("extra_lang", "admin.cities.lang_taken")
		default:
			m.Texts = append(m.Texts, milestone.Text{Lang: tag.String(), Title: x.Title, Note: x.Note})
			formField["title_"+tag.String()], formField["note_"+tag.String()] = "extra_title", "extra_note"
		}
	}
	if f.On == "" {
		errs.Add("on", "validation.required")
	}
	m.On = parseDate(&errs, "on", f.On)
	m.PartnershipID = parseChoice(&errs, "partnership_id", f.PartnershipID, func(id int64) bool { return partnerships[id] != nil })
	for _, e := range m.Validate() {
		if to, ok := formField[e.Field]; ok {
			e.Field = to
		}
		if !errs.Has(e.Field) {
			errs = append(errs, e)
		}
	}
	return m, errs
}

type milestonePageData struct {
	Form         milestoneForm
	New          bool
	CanEdit      bool
	Problem      string
	Partnerships []option
}

func (s *Server) renderMilestone(w http.ResponseWriter, r *http.Request, status int, f milestoneForm, errs problem.Fields, problemKey string) {
	titleKey := "admin.milestones.new_title"
	if f.ID != 0 {
		titleKey = "admin.milestones.edit_title"
	}
	p := s.adminPage(w, r, titleKey)
	showNotice(p, r, exchangeNotices)
	p.Errors = errs
	data := milestonePageData{Form: f, New: f.ID == 0, CanEdit: canEdit(r)}
	if problemKey != "" {
		data.Problem = p.L.T(problemKey)
	}
	opts, _, err := s.partnershipOptions(r.Context(), p.L)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data.Partnerships = opts
	for i := range data.Form.Fixed {
		data.Form.Fixed[i].LangName = langName(p.L, data.Form.Fixed[i].Lang)
	}
	p.Data = data
	s.render(w, r, status, "admin/milestone", p)
}

// upcomingRow is a milestone of the coming year, as the milestones page previews them.
type upcomingRow struct {
	On    civil.Date
	Title labelled
	Kind  string
	Round bool
}

type relationRow struct {
	*milestone.Relation
	Title string
}

type customRow struct {
	*milestone.Milestone
	Title   labelled
	Partner string
}

type milestoneListData struct {
	CanEdit    bool
	Relations  []relationRow
	Milestones []customRow
	Upcoming   []upcomingRow
	From, To   civil.Date
}

func (s *Server) milestoneList(w http.ResponseWriter, r *http.Request) {
	p := s.adminPage(w, r, "admin.milestones.title")
	showNotice(p, r, exchangeNotices)
	ctx := r.Context()
	l := p.L
	src, err := milestone.Load(ctx, s.db.R)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	_, byID, err := s.partnershipOptions(ctx, l)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data := milestoneListData{CanEdit: canEdit(r), From: p.Today, To: civil.Of(p.Today.Time().AddDate(1, 0, -1))}
	for _, rel := range src.Relations {
		data.Relations = append(data.Relations, relationRow{rel, l.T("admin.relations.between", "a", l.Region(rel.CountryA), "b", l.Region(rel.CountryB))})
	}
	for _, m := range src.Milestones {
		row := customRow{Milestone: m, Title: labelled{m.Title(l.Lang), m.TitleLang(l.Lang)}}
		if ps := byID[m.PartnershipID]; ps != nil && ps.PartnerCity != nil {
			row.Partner = ps.PartnerCity.Name(l.Lang)
		}
		data.Milestones = append(data.Milestones, row)
	}
	for _, o := range src.Between(data.From, data.To) {
		data.Upcoming = append(data.Upcoming, upcomingRow{On: o.On, Title: milestoneTitle(l, &o), Kind: l.T("milestone.kind." + o.Kind), Round: o.Round})
	}
	p.Data = data
	s.render(w, r, http.StatusOK, "admin/milestones", p)
}

func (s *Server) milestoneNew(w http.ResponseWriter, r *http.Request) {
	// A milestone an editor adds is public unless they choose otherwise: unlike a planned
	// activity, a date to remember is usually meant to be seen.
	m := &milestone.Milestone{Yearly: true, Visibility: visibility.Public}
	if id, ok := queryID(r, "partnership"); ok {
		m.PartnershipID = id
	}
	s.renderMilestone(w, r, http.StatusOK, milestoneFormOf(m), nil, "")
}

func (s *Server) saveMilestone(w http.ResponseWriter, r *http.Request, f milestoneForm) {
	ctx := r.Context()
	_, byID, err := s.partnershipOptions(ctx, s.cat.Localizer(i18n.DefaultLang))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	m, errs := f.milestone(byID)
	if len(errs) > 0 {
		s.renderMilestone(w, r, http.StatusUnprocessableEntity, f, errs, "")
		return
	}
	u := userFrom(r)
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		if m.ID == 0 {
			if err := milestone.Create(ctx, tx, m); err != nil {
				return err
			}
			return auth.Audit(ctx, tx, u, auth.ActionCreate, auth.EntityMilestone, m.ID, nil, m)
		}
		before, err := milestone.Get(ctx, tx, m.ID)
		if err != nil {
			return err
		}
		if err := milestone.Update(ctx, tx, m); err != nil {
			return err
		}
		return auth.Audit(ctx, tx, u, auth.ActionUpdate, auth.EntityMilestone, m.ID, before, m)
	})
	switch {
	case isStale(err):
		s.renderMilestone(w, r, http.StatusConflict, f, nil, "error.conflict")
	case err != nil:
		s.fail(w, r, err)
	case f.ID == 0:
		http.Redirect(w, r, fmt.Sprintf("/admin/milestones/%d?notice=created", m.ID), http.StatusSeeOther)
	default:
		http.Redirect(w, r, fmt.Sprintf("/admin/milestones/%d?notice=saved", m.ID), http.StatusSeeOther)
	}
}

func (s *Server) milestoneCreate(w http.ResponseWriter, r *http.Request) {
	s.saveMilestone(w, r, milestoneFormFrom(r))
}

func (s *Server) milestoneEdit(w http.ResponseWriter, r *http.Request) {
	if m, ok := loadRecord(s, w, r, milestone.Get); ok {
		s.renderMilestone(w, r, http.StatusOK, milestoneFormOf(m), nil, "")
	}
}

func (s *Server) milestoneUpdate(w http.ResponseWriter, r *http.Request) {
	m, ok := loadRecord(s, w, r, milestone.Get)
	if !ok {
		return
	}
	version, ok := s.formVersion(w, r)
	if !ok {
		return
	}
	f := milestoneFormFrom(r)
	f.ID, f.Version = m.ID, version
	s.saveMilestone(w, r, f)
}

// relationForm holds a relation form as typed.
type relationForm struct {
	ID            int64
	Version       int64
	CountryA      string
	CountryB      string
	EstablishedOn string
	Note          string
}

func relationFormOf(rel *milestone.Relation) relationForm {
	return relationForm{ID: rel.ID, Version: rel.Version, CountryA: rel.CountryA, CountryB: rel.CountryB,
		EstablishedOn: rel.EstablishedOn.String(), Note: rel.Note}
}

func relationFormFrom(r *http.Request) relationForm {
	return relationForm{CountryA: formValue(r, "country_a"), CountryB: formValue(r, "country_b"),
		EstablishedOn: formValue(r, "established_on"), Note: formValue(r, "note")}
}

type relationPageData struct {
	Form      relationForm
	New       bool
	CanEdit   bool
	Problem   string
	Countries []option
}

func (s *Server) renderRelation(w http.ResponseWriter, r *http.Request, status int, f relationForm, errs problem.Fields, problemKey string) {
	titleKey := "admin.relations.new_title"
	if f.ID != 0 {
		titleKey = "admin.relations.edit_title"
	}
	p := s.adminPage(w, r, titleKey)
	showNotice(p, r, exchangeNotices)
	p.Errors = errs
	data := relationPageData{Form: f, New: f.ID == 0, CanEdit: canEdit(r), Countries: countryOptions(p.L)}
	if problemKey != "" {
		data.Problem = p.L.T(problemKey)
	}
	p.Data = data
	s.render(w, r, status, "admin/relation", p)
}

func (s *Server) relationNew(w http.ResponseWriter, r *http.Request) {
	f := relationForm{}
	home, err := s.homeCityID(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if home != 0 {
		c, err := register.GetCity(r.Context(), s.db.R, home)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		f.CountryA = c.Country
	}
	s.renderRelation(w, r, http.StatusOK, f, nil, "")
}

func (s *Server) saveRelation(w http.ResponseWriter, r *http.Request, f relationForm) {
	var errs problem.Fields
	rel := &milestone.Relation{ID: f.ID, Version: f.Version, CountryA: f.CountryA, CountryB: f.CountryB, Note: f.Note}
	rel.EstablishedOn = parseDate(&errs, "established_on", f.EstablishedOn)
	// Validate before ordering the two countries, so that each message stays with its field.
	for _, e := range rel.Validate(s.today()) {
		if !errs.Has(e.Field) {
			errs = append(errs, e)
		}
	}
	if len(errs) > 0 {
		s.renderRelation(w, r, http.StatusUnprocessableEntity, f, errs, "")
		return
	}
	rel.Normalize()
	ctx := r.Context()
	u := userFrom(r)
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if rel.ID == 0 {
			if err := milestone.CreateRelation(ctx, tx, rel); err != nil {
				return err
			}
			return auth.Audit(ctx, tx, u, auth.ActionCreate, auth.EntityDiplomaticRelation, rel.ID, nil, rel)
		}
		before, err := milestone.GetRelation(ctx, tx, rel.ID)
		if err != nil {
			return err
		}
		if err := milestone.UpdateRelation(ctx, tx, rel); err != nil {
			return err
		}
		return auth.Audit(ctx, tx, u, auth.ActionUpdate, auth.EntityDiplomaticRelation, rel.ID, before, rel)
	})
	switch {
	case errors.Is(err, milestone.ErrDuplicate):
		s.renderRelation(w, r, http.StatusUnprocessableEntity, f,
			problem.Fields{{Field: "country_b", Msg: i18n.M("milestone.validation.duplicate_relation")}}, "")
	case isStale(err):
		s.renderRelation(w, r, http.StatusConflict, f, nil, "error.conflict")
	case err != nil:
		s.fail(w, r, err)
	default:
		http.Redirect(w, r, "/admin/milestones?notice=saved#relations", http.StatusSeeOther)
	}
}

func (s *Server) relationCreate(w http.ResponseWriter, r *http.Request) {
	s.saveRelation(w, r, relationFormFrom(r))
}

func (s *Server) relationEdit(w http.ResponseWriter, r *http.Request) {
	if rel, ok := loadRecord(s, w, r, milestone.GetRelation); ok {
		s.renderRelation(w, r, http.StatusOK, relationFormOf(rel), nil, "")
	}
}

func (s *Server) relationUpdate(w http.ResponseWriter, r *http.Request) {
	rel, ok := loadRecord(s, w, r, milestone.GetRelation)
	if !ok {
		return
	}
	version, ok := s.formVersion(w, r)
	if !ok {
		return
	}
	f := relationFormFrom(r)
	f.ID, f.Version = rel.ID, version
	s.saveRelation(w, r, f)
}
