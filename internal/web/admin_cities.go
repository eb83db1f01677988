package web

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"sistercity/internal/auth"
	"sistercity/internal/civil"
	"sistercity/internal/i18n"
	"sistercity/internal/problem"
	"sistercity/internal/register"
	"sistercity/internal/tz"
)

// fixedLangs are the languages every city form asks for; other languages go in extra rows.
var fixedLangs = []string{"ko", "ru", "en"}

// Row limits of the city form: the model allows 20 contacts; without JavaScript the form shows
// the existing rows and blank ones up to a minimum, and one more blank row after each save.
const (
	minContactRows = 3
	maxContactRows = 20
	maxExtraLangs  = 10
)

// textRow is a city's name and description in one language, as typed.
type textRow struct {
	Index       int
	Lang        string
	LangName    string
	Name        string
	Description string
}

// contactRow is one contact, as typed.
type contactRow struct {
	Index                                int
	Name, Role, Department, Email, Phone string
}

func (c contactRow) empty() bool {
	return c.Name == "" && c.Role == "" && c.Department == "" && c.Email == "" && c.Phone == ""
}

// cityForm holds a city form as the user typed it, so that a form with mistakes comes back
// exactly as sent.
type cityForm struct {
	ID           int64
	Version      int64
	Fixed        []textRow
	Extra        []textRow
	Country      string
	Kind         string
	Population   string
	AreaKm2      string
	StatsAsOf    string
	FoundedOn    string
	FoundingNote string
	CityDayRule  string
	Timezone     string
	Wikidata     string
	Contacts     []contactRow
}

// cityFormOf fills a form from a stored city.
func cityFormOf(c *register.City) cityForm {
	f := cityForm{
		ID: c.ID, Version: c.Version, Country: c.Country, Kind: c.Kind,
		StatsAsOf: c.StatsAsOf.String(), FoundedOn: c.FoundedOn.String(), FoundingNote: c.FoundingNote,
		CityDayRule: c.CityDayRule, Timezone: c.Timezone, Wikidata: c.Wikidata,
	}
	if c.Population != nil {
		f.Population = strconv.FormatInt(*c.Population, 10)
	}
	if c.AreaKm2 != nil {
		f.AreaKm2 = strconv.FormatFloat(*c.AreaKm2, 'f', -1, 64)
	}
	for _, lang := range fixedLangs {
		row := textRow{Lang: lang}
		for _, t := range c.Texts {
			if t.Lang == lang {
				row.Name, row.Description = t.Name, t.Description
			}
		}
		f.Fixed = append(f.Fixed, row)
	}
	for _, t := range c.Texts {
		if !slices.Contains(fixedLangs, t.Lang) {
			f.Extra = append(f.Extra, textRow{Index: len(f.Extra), Lang: t.Lang, Name: t.Name, Description: t.Description})
		}
	}
	for i, ct := range c.Contacts {
		f.Contacts = append(f.Contacts, contactRow{Index: i, Name: ct.Name, Role: ct.Role, Department: ct.Department,
			Email: ct.Email, Phone: ct.Phone})
	}
	return f
}

// cityFormFrom reads a submitted city form.
func cityFormFrom(r *http.Request) cityForm {
	f := cityForm{
		Country:      strings.ToUpper(formValue(r, "country")),
		Kind:         formValue(r, "kind"),
		Population:   formValue(r, "population"),
		AreaKm2:      formValue(r, "area_km2"),
		StatsAsOf:    formValue(r, "stats_as_of"),
		FoundedOn:    formValue(r, "founded_on"),
		FoundingNote: formValue(r, "founding_note"),
		CityDayRule:  formValue(r, "city_day_rule"),
		Timezone:     formValue(r, "timezone"),
		Wikidata:     strings.ToUpper(formValue(r, "wikidata")),
	}
	for _, lang := range fixedLangs {
		f.Fixed = append(f.Fixed, textRow{Lang: lang, Name: formValue(r, "name_"+lang),
			Description: formValue(r, "description_"+lang)})
	}
	for i := range maxExtraLangs {
		n := strconv.Itoa(i)
		row := textRow{Index: i, Lang: formValue(r, "extra_lang_"+n), Name: formValue(r, "extra_name_"+n),
			Description: formValue(r, "extra_description_"+n)}
		if row.Lang != "" || row.Name != "" || row.Description != "" {
			f.Extra = append(f.Extra, row)
		}
	}
	for i := range maxContactRows {
		n := "contact_" + strconv.Itoa(i) + "_"
		row := contactRow{Index: i, Name: formValue(r, n+"name"), Role: formValue(r, n+"role"),
			Department: formValue(r, n+"department"), Email: formValue(r, n+"email"), Phone: formValue(r, n+"phone")}
		if !row.empty() {
			f.Contacts = append(f.Contacts, row)
		}
	}
	return f
}

// city turns the form into a City and returns it with every problem found: syntax here, the
// rules of the register in City.Validate. Field names in the messages are those of the form.
func (f *cityForm) city(today civil.Date) (*register.City, problem.Fields) {
	var errs problem.Fields
	c := &register.City{
		ID: f.ID, Version: f.Version, Country: f.Country, Kind: f.Kind, FoundingNote: f.FoundingNote,
		CityDayRule: f.CityDayRule, Timezone: f.Timezone, Wikidata: f.Wikidata,
	}
	c.Population = parseInt(&errs, "population", f.Population)
	c.AreaKm2 = parseFloat(&errs, "area_km2", f.AreaKm2)
	c.StatsAsOf = parseDate(&errs, "stats_as_of", f.StatsAsOf)
	c.FoundedOn = parseDate(&errs, "founded_on", f.FoundedOn)
	for _, t := range f.Fixed {
		c.SetText(t.Lang, t.Name, t.Description)
		if t.Lang == "en" && t.Name == "" {
			// English is the fallback name everywhere, so the admin asks for it.
			errs.Add("name_en", "validation.required")
		}
	}
	// formField maps the model's field names (per language, per contact in order) to the rows
	// of the form, which may have blank rows in between.
	formField := map[string]string{"name": "name_en"}
	for _, t := range f.Extra {
		n := strconv.Itoa(t.Index)
		tag, err := language.Parse(t.Lang)
		switch {
		case t.Lang == "":
			errs.Add("extra_lang_"+n, "validation.required")
			continue
		case err != nil:
			errs.Add("extra_lang_"+n, "validation.language_tag")
			continue
		}
		lang := tag.String()
		if slices.Contains(fixedLangs, lang) || slices.ContainsFunc(c.Texts, func(x register.Text) bool { return x.Lang == lang }) {
			errs.Add("extra_lang_"+n, "admin.cities.lang_taken")
			continue
		}
		if t.Name == "" {
			errs.Add("extra_name_"+n, "validation.required")
			continue
		}
		c.Texts = append(c.Texts, register.Text{Lang: lang, Name: t.Name, Description: t.Description})
		formField["name_"+lang], formField["description_"+lang] = "extra_name_"+n, "extra_description_"+n
	}
	for i, ct := range f.Contacts {
		c.Contacts = append(c.Contacts, register.Contact{Name: ct.Name, Role: ct.Role, Department: ct.Department,
			Email: ct.Email, Phone: ct.Phone})
		formField["contact_"+strconv.Itoa(i)] = "contact_" + strconv.Itoa(ct.Index)
	}
	model := c.Validate(today)
	for i := range model {
		if to, ok := formField[model[i].Field]; ok {
			model[i].Field = to
		}
	}
	// A field the form could not read keeps that one message: the model saw it empty and
	// would add a misleading one (a date of the figures "required" when it was mistyped).
	for _, e := range model {
		if !errs.Has(e.Field) {
			errs = append(errs, e)
		}
	}
	return c, errs
}

// cityPageData is what the city form shows.
type cityPageData struct {
	Form      cityForm
	New       bool
	CanEdit   bool
	Problem   string // about the whole record: a conflict, a refused delete
	Countries []option
	Kinds     []option
	IsHome    bool
	InUse     int      // partnerships the city takes part in
	Zones     []string // the time zones offered (tz.List)
}

// renderCity shows the city form with status; errs are shown next to their fields.
func (s *Server) renderCity(w http.ResponseWriter, r *http.Request, status int, f cityForm, errs problem.Fields, problemKey string) {
	titleKey := "admin.cities.new_title"
	if f.ID != 0 {
		titleKey = ""
	}
	p := s.adminPage(w, r, titleKey)
	showNotice(p, r, adminNotices)
	p.Errors = errs
	data := cityPageData{Form: f, New: f.ID == 0, CanEdit: canEdit(r), Countries: countryOptions(p.L), Zones: tz.List()}
	if problemKey != "" {
		data.Problem = p.L.T(problemKey)
	}
	if f.Country != "" && !slices.ContainsFunc(data.Countries, func(o option) bool { return o.Value == f.Country }) {
		// Keep an unusual stored code (or a wrong one typed) visible rather than silently change it.
		data.Countries = append([]option{{Value: f.Country, Label: f.Country}}, data.Countries...)
	}
	for _, k := range register.CityKinds {
		data.Kinds = append(data.Kinds, option{Value: k, Label: p.L.T("partner.kind." + k)})
	}
	for i := range data.Form.Fixed {
		data.Form.Fixed[i].LangName = langName(p.L, data.Form.Fixed[i].Lang)
	}
	// Blank rows to add to, without JavaScript.
	data.Form.Extra = append(slices.Clone(data.Form.Extra), textRow{Index: nextIndex(len(f.Extra), extraIndexes(f.Extra))})
	if len(data.Form.Extra) > maxExtraLangs {
		data.Form.Extra = data.Form.Extra[:maxExtraLangs]
	}
	data.Form.Contacts = padContacts(f.Contacts)
	if f.ID != 0 {
		ctx := r.Context()
		p.Title = p.L.T("admin.cities.edit_title", "name", f.name(p.Lang))
		home, err := s.homeCityID(ctx)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		data.IsHome = home == f.ID
		ps, err := register.Partnerships(ctx, s.db.R)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, x := range ps {
			if x.HomeCityID == f.ID || x.PartnerCityID == f.ID {
				data.InUse++
			}
		}
	}
	p.Data = data
	s.render(w, r, status, "admin/city", p)
}

// name returns the city's name as typed in lang, else in English, else in any language.
func (f *cityForm) name(lang string) string {
	var first string
	for _, t := range append(slices.Clone(f.Fixed), f.Extra...) {
		if t.Lang == lang && t.Name != "" {
			return t.Name
		}
		if first == "" {
			first = t.Name
		}
	}
	for _, t := range f.Fixed {
		if t.Lang == "en" && t.Name != "" {
			return t.Name
		}
	}
	return first
}

func extraIndexes(rows []textRow) []int {
	var out []int
	for _, r := range rows {
		out = append(out, r.Index)
	}
	return out
}

// padContacts adds blank contact rows: at least minContactRows, and one more than are filled.
func padContacts(rows []contactRow) []contactRow {
	out := slices.Clone(rows)
	var used []int
	for _, r := range rows {
		used = append(used, r.Index)
	}
	for (len(out) < minContactRows || len(out) == len(rows)) && len(out) < maxContactRows {
		i := nextIndex(0, used)
		used = append(used, i)
		out = append(out, contactRow{Index: i})
	}
	slices.SortFunc(out, func(a, b contactRow) int { return a.Index - b.Index })
	return out
}

// cityRow is one line of the city list.
type cityRow struct {
	ID           int64
	Name         string
	NameLang     string
	Others       []register.Text
	Country      string
	Kind         string
	Partnerships int
	Home         bool
}

type cityListData struct {
	List    listView
	Cities  []cityRow
	CanEdit bool
	IsAdmin bool
	HomeID  int64
	Choices []option // cities to pick the home city from
}

func (s *Server) cityList(w http.ResponseWriter, r *http.Request) {
	s.renderCityList(w, r, http.StatusOK, nil)
}

// renderCityList shows the cities and, to an admin, the choice of the home city; errs are
// about that choice.
func (s *Server) renderCityList(w http.ResponseWriter, r *http.Request, status int, errs problem.Fields) {
	p := s.adminPage(w, r, "admin.cities.title")
	showNotice(p, r, adminNotices)
	p.Errors = errs
	ctx := r.Context()
	cities, err := register.Cities(ctx, s.db.R)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ps, err := register.Partnerships(ctx, s.db.R)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	home, err := s.homeCityID(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	count := map[int64]int{}
	for _, x := range ps {
		count[x.HomeCityID]++
		count[x.PartnerCityID]++
	}
	u := userFrom(r)
	data := cityListData{CanEdit: canEdit(r), IsAdmin: u != nil && u.Role.AtLeast(auth.RoleAdmin), HomeID: home}
	for _, c := range cities {
		row := cityRow{ID: c.ID, Name: c.Name(p.Lang), NameLang: c.NameLang(p.Lang), Country: p.L.Region(c.Country),
			Kind: p.L.T("partner.kind." + c.Kind), Partnerships: count[c.ID], Home: c.ID == home}
		for _, t := range c.Texts {
			if t.Lang != row.NameLang {
				row.Others = append(row.Others, t)
			}
		}
		data.Cities = append(data.Cities, row)
		data.Choices = append(data.Choices, option{Value: strconv.FormatInt(c.ID, 10), Label: row.Name})
	}
	col := collate.New(p.L.Tag())
	slices.SortStableFunc(data.Cities, func(a, b cityRow) int { return col.CompareString(a.Name, b.Name) })
	sortOptions(p.L, data.Choices)
	// The table pages and searches; the home city's choice keeps every city.
	lq := readList(r, adminListSize)
	if lq.Q != "" {
		matching, err := register.CitiesMatching(ctx, s.db.R, lq.Q)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		data.Cities = slices.DeleteFunc(data.Cities, func(c cityRow) bool { return !matching[c.ID] })
	}
	data.List = newListView(p.L, r, lq, len(data.Cities))
	data.Cities = pageRows(data.Cities, data.List.Pager)
	p.Data = data
	s.render(w, r, status, "admin/cities", p)
}

func (s *Server) cityNew(w http.ResponseWriter, r *http.Request) {
	s.renderCity(w, r, http.StatusOK, cityFormOf(&register.City{Kind: register.KindCity}), nil, "")
}

func (s *Server) cityCreate(w http.ResponseWriter, r *http.Request) {
	f := cityFormFrom(r)
	c, errs := f.city(s.today())
	if len(errs) > 0 {
		s.renderCity(w, r, http.StatusUnprocessableEntity, f, errs, "")
		return
	}
	ctx := r.Context()
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := register.CreateCity(ctx, tx, c); err != nil {
			return err
		}
		return auth.Audit(ctx, tx, userFrom(r), auth.ActionCreate, auth.EntityCity, c.ID, nil, c)
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/cities/%d?notice=created", c.ID), http.StatusSeeOther)
}

func (s *Server) cityEdit(w http.ResponseWriter, r *http.Request) {
	if c, ok := loadRecord(s, w, r, register.GetCity); ok {
		s.renderCity(w, r, http.StatusOK, cityFormOf(c), nil, "")
	}
}

func (s *Server) cityUpdate(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	version, ok := s.formVersion(w, r)
	if !ok {
		return
	}
	f := cityFormFrom(r)
	f.ID, f.Version = id, version
	c, errs := f.city(s.today())
	if len(errs) > 0 {
		s.renderCity(w, r, http.StatusUnprocessableEntity, f, errs, "")
		return
	}
	ctx := r.Context()
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		before, err := register.GetCity(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := register.UpdateCity(ctx, tx, c); err != nil {
			return err
		}
		return auth.Audit(ctx, tx, userFrom(r), auth.ActionUpdate, auth.EntityCity, id, before, c)
	})
	switch {
	case isStale(err):
		// The form comes back as typed, so nothing the user wrote is lost; saving it again
		// needs a fresh copy of the record.
		s.renderCity(w, r, http.StatusConflict, f, nil, "error.conflict")
	case err != nil:
		s.fail(w, r, err)
	default:
		http.Redirect(w, r, fmt.Sprintf("/admin/cities/%d?notice=saved", id), http.StatusSeeOther)
	}
}

func (s *Server) cityDelete(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	ctx := r.Context()
	var before *register.City
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		if before, err = register.GetCity(ctx, tx, id); err != nil {
			return err
		}
		if err := register.DeleteCity(ctx, tx, id); err != nil {
			return err
		}
		return auth.Audit(ctx, tx, userFrom(r), auth.ActionDelete, auth.EntityCity, id, before, nil)
	})
	switch {
	case errors.Is(err, register.ErrInUse):
		key := "validation.in_use"
		if home, err := register.HomeCityID(ctx, s.db.R); err == nil && home == id {
			key = "admin.cities.home_in_use"
		}
		s.renderCity(w, r, http.StatusConflict, cityFormOf(before), nil, key)
	case err != nil:
		s.fail(w, r, err)
	default:
		http.Redirect(w, r, "/admin/cities?notice=deleted", http.StatusSeeOther)
	}
}

// setHomeCity makes a registered city the one this site speaks for.
func (s *Server) setHomeCity(w http.ResponseWriter, r *http.Request) {
	notACity := problem.Fields{{Field: "city_id", Msg: i18n.M("validation.choice")}}
	id, ok := formID(r, "city_id")
	if !ok {
		s.renderCityList(w, r, http.StatusUnprocessableEntity, notACity)
		return
	}
	ctx := r.Context()
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := register.GetCity(ctx, tx, id); err != nil {
			return err
		}
		var before any
		if old, err := register.HomeCityID(ctx, tx); err == nil {
			before = map[string]int64{"home_city_id": old}
		} else if !errors.Is(err, register.ErrNoHomeCity) {
			return err
		}
		if err := register.SetHomeCity(ctx, tx, id); err != nil {
			return err
		}
		return auth.Audit(ctx, tx, userFrom(r), auth.ActionSetHomeCity, auth.EntitySettings, 0, before, map[string]int64{"home_city_id": id})
	})
	switch {
	case isNotFound(err):
		s.renderCityList(w, r, http.StatusUnprocessableEntity, notACity)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/cities?notice=home_city", http.StatusSeeOther)
}

// today is the date "in the future" is measured against.
func (s *Server) today() civil.Date { return civil.Of(s.now()) }
