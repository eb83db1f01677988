package web

import (
	"database/sql"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"sistercity/internal/auth"
	"sistercity/internal/civil"
	"sistercity/internal/exchange"
	"sistercity/internal/i18n"
	"sistercity/internal/langtext"
	"sistercity/internal/problem"
	"sistercity/internal/register"
	"sistercity/internal/tz"
)

// Row limits of the activity form, as for cities: the rows in use and blank ones to add to.
const (
	minParticipantRows = 3
	maxParticipantRows = exchange.MaxParticipants
	maxActivityLangs   = 10 // extra languages beyond ko, ru and en
)

// momentNames are the four dates of an activity, as the form and the model name them.
var momentNames = []string{"planned_start", "planned_end", "actual_start", "actual_end"}

// activityTextRow is an activity's title, summary and outcomes in one language, as typed.
type activityTextRow struct {
	Index                    int
	Lang, LangName           string
	Title, Summary, Outcomes string
}

func (t activityTextRow) empty() bool { return t.Title == "" && t.Summary == "" && t.Outcomes == "" }

// participantRow is one participant, as typed.
type participantRow struct {
	Index                    int
	Name, Role, Organisation string
}

// momentForm is one date of an activity, as typed: a date, an optional time and its zone.
type momentForm struct {
	Name             string // planned_start, …
	Legend           string
	Date, Time, Zone string
}

// activityForm holds an activity form as the user typed it, so that a form with mistakes comes
// back exactly as sent.
type activityForm struct {
	ID            int64
	Version       int64
	Kind          string
	ParentID      string
	Status        string
	Visibility    string // visibility.Internal or Public; "" (a form without the field) keeps what is stored
	Mode          string
	FirstMode     string
	OrganiserKind string
	OrganiserName string
	Venue         langtext.Texts
	VenueFields   []langField // filled for the page
	Partnerships  []string
	Fixed         []activityTextRow
	Extra         []activityTextRow
	Participants  []participantRow
	Topics        string // one per line
	Moments       []momentForm
	// When the status changes (or, on create, for the first status): the date and reason the
	// history records.
	StatusChangedOn string
	StatusReason    langtext.Texts
	ReasonFields    []langField // filled for the page
}

func activityFormOf(a *exchange.Activity) activityForm {
	f := activityForm{
		ID: a.ID, Version: a.Version, Kind: a.Kind, Status: a.Status, Visibility: a.Visibility, Mode: a.Mode,
		FirstMode: a.FirstMode, OrganiserKind: a.OrganiserKind, OrganiserName: a.OrganiserName, Venue: a.Venue.Clone(),
		Topics: strings.Join(a.Topics, "\n"),
	}
	if a.ParentID != 0 {
		f.ParentID = strconv.FormatInt(a.ParentID, 10)
	}
	for _, p := range a.Partnerships {
		f.Partnerships = append(f.Partnerships, strconv.FormatInt(p, 10))
	}
	for _, lang := range fixedLangs {
		row := activityTextRow{Lang: lang}
		for _, t := range a.Texts {
			if t.Lang == lang {
				row.Title, row.Summary, row.Outcomes = t.Title, t.Summary, t.Outcomes
			}
		}
		f.Fixed = append(f.Fixed, row)
	}
	for _, t := range a.Texts {
		if !slices.Contains(fixedLangs, t.Lang) {
			f.Extra = append(f.Extra, activityTextRow{Index: len(f.Extra), Lang: t.Lang, Title: t.Title, Summary: t.Summary, Outcomes: t.Outcomes})
		}
	}
	for i, p := range a.Participants {
		f.Participants = append(f.Participants, participantRow{Index: i, Name: p.Name, Role: p.Role, Organisation: p.Organisation})
	}
	for i, m := range []exchange.Moment{a.Planned.Start, a.Planned.End, a.Actual.Start, a.Actual.End} {
		mf := momentForm{Name: momentNames[i], Date: m.Date.String()}
		if m.Timed() {
			mf.Time, mf.Zone = m.Local().Format("15:04"), m.Zone
		}
		f.Moments = append(f.Moments, mf)
	}
	return f
}

func activityFormFrom(r *http.Request) activityForm {
	f := activityForm{
		Kind:            formValue(r, "kind"),
		ParentID:        formValue(r, "parent_id"),
		Status:          formValue(r, "status"),
		Visibility:      formValue(r, "visibility"),
		Mode:            formValue(r, "mode"),
		FirstMode:       formValue(r, "first_mode"),
		OrganiserKind:   formValue(r, "organiser_kind"),
		OrganiserName:   formValue(r, "organiser_name"),
		Venue:           textsFrom(r, "venue"),
		Topics:          formValue(r, "topics"),
		StatusChangedOn: formValue(r, "status_changed_on"),
		StatusReason:    textsFrom(r, "status_reason"),
	}
	for _, p := range r.PostForm["partnerships"] {
		if !slices.Contains(f.Partnerships, p) && len(f.Partnerships) < exchange.MaxLinks+1 {
			f.Partnerships = append(f.Partnerships, p)
		}
	}
	for _, lang := range fixedLangs {
		f.Fixed = append(f.Fixed, activityTextRow{Lang: lang, Title: formValue(r, "title_"+lang),
			Summary: formValue(r, "summary_"+lang), Outcomes: formValue(r, "outcomes_"+lang)})
	}
	for i := range maxActivityLangs {
		n := strconv.Itoa(i)
		row := activityTextRow{Index: i, Lang: formValue(r, "extra_lang_"+n), Title: formValue(r, "extra_title_"+n),
			Summary: formValue(r, "extra_summary_"+n), Outcomes: formValue(r, "extra_outcomes_"+n)}
		if row.Lang != "" || !row.empty() {
			f.Extra = append(f.Extra, row)
		}
	}
	for i := range maxParticipantRows {
		n := "participant_" + strconv.Itoa(i) + "_"
		row := participantRow{Index: i, Name: formValue(r, n+"name"), Role: formValue(r, n+"role"),
			Organisation: formValue(r, n+"organisation")}
		if row.Name != "" || row.Role != "" || row.Organisation != "" {
			f.Participants = append(f.Participants, row)
		}
	}
	for _, name := range momentNames {
		f.Moments = append(f.Moments, momentForm{Name: name, Date: formValue(r, name+"_date"),
			Time: formValue(r, name+"_time"), Zone: formValue(r, name+"_zone")})
	}
	return f
}

var clockRe = regexp.MustCompile(`^([01][0-9]|2[0-3]):([0-5][0-9])(:00)?$`)

// moment reads one date of the form. A time needs its zone; without a time the date is a whole
// day and the zone is not asked for.
func (m momentForm) moment(errs *problem.Fields) exchange.Moment {
	if m.Date == "" {
		if m.Time != "" {
			errs.Add(m.Name, "exchange.validation.time_without_date")
		}
		return exchange.Moment{}
	}
	d := parseDate(errs, m.Name, m.Date)
	if d.IsZero() {
		return exchange.Moment{}
	}
	if m.Time == "" {
		return exchange.OnDate(d)
	}
	c := clockRe.FindStringSubmatch(m.Time)
	if c == nil {
		errs.Add(m.Name, "exchange.validation.time")
		return exchange.Moment{}
	}
	if m.Zone == "" {
		errs.Add(m.Name, "exchange.validation.zone_required")
		return exchange.Moment{}
	}
	h, _ := strconv.Atoi(c[1])
	min, _ := strconv.Atoi(c[2])
	if !tz.Valid(m.Zone) {
		*errs = append(*errs, problem.FieldError{Field: m.Name, Msg: tz.Problem(m.Zone)})
		return exchange.Moment{}
	}
	mo, err := exchange.MomentAt(d, h, min, m.Zone)
	if err != nil {
		errs.Add(m.Name, "validation.timezone")
		return exchange.Moment{}
	}
	return mo
}

// activity turns the form into an Activity with every problem found, the model's rules
// included; field names in the messages are those of the form.
func (f *activityForm) activity(partnerships map[int64]*register.Partnership, now time.Time) (*exchange.Activity, problem.Fields) {
	var errs problem.Fields
	a := &exchange.Activity{
		ID: f.ID, Version: f.Version, Kind: f.Kind, Status: f.Status, Visibility: f.Visibility, Mode: f.Mode,
		FirstMode: f.FirstMode, OrganiserKind: f.OrganiserKind, OrganiserName: f.OrganiserName, Venue: f.Venue,
	}
	if a.FirstMode == "" {
		a.FirstMode = a.Mode // a new activity is first planned the way it is entered
	}
	// Any id will do here: exchange.CheckLinks checks the parent against what is stored.
	a.ParentID = parseChoice(&errs, "parent_id", f.ParentID, func(int64) bool { return true })
	for _, v := range f.Partnerships {
		if id := parseChoice(&errs, "partnerships", v, func(id int64) bool { return partnerships[id] != nil }); id != 0 {
			a.Partnerships = append(a.Partnerships, id)
		}
	}
	formField := map[string]string{}
	for _, t := range f.Fixed {
		if !t.empty() {
			a.Texts = append(a.Texts, exchange.Text{Lang: t.Lang, Title: t.Title, Summary: t.Summary, Outcomes: t.Outcomes})
		}
	}
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
		if slices.Contains(fixedLangs, lang) || slices.ContainsFunc(a.Texts, func(x exchange.Text) bool { return x.Lang == lang }) {
			errs.Add("extra_lang_"+n, "admin.cities.lang_taken")
			continue
		}
		a.Texts = append(a.Texts, exchange.Text{Lang: lang, Title: t.Title, Summary: t.Summary, Outcomes: t.Outcomes})
		formField["title_"+lang], formField["summary_"+lang], formField["outcomes_"+lang] =
			"extra_title_"+n, "extra_summary_"+n, "extra_outcomes_"+n
	}
	for i, p := range f.Participants {
		a.Participants = append(a.Participants, exchange.Participant{Name: p.Name, Role: p.Role, Organisation: p.Organisation})
		formField["participant_"+strconv.Itoa(i)] = "participant_" + strconv.Itoa(p.Index)
	}
	for _, line := range strings.Split(f.Topics, "\n") {
		if t := strings.TrimSpace(line); t != "" && !slices.Contains(a.Topics, t) {
			a.Topics = append(a.Topics, t)
		}
	}
	var ms [4]exchange.Moment
	for i, m := range f.Moments {
		ms[i] = m.moment(&errs)
	}
	a.Planned = exchange.Span{Start: ms[0], End: ms[1]}
	a.Actual = exchange.Span{Start: ms[2], End: ms[3]}
	for _, e := range a.Validate(now) {
		if to, ok := formField[e.Field]; ok {
			e.Field = to
		}
		// A date the form could not read keeps its one message: the model saw it empty.
		if !errs.Has(e.Field) {
			errs = append(errs, e)
		}
	}
	return a, errs
}

// statusChange reads the date and reason of a change of status from old ("" for a new
// activity); an empty date is today.
func (f *activityForm) statusChange(errs *problem.Fields, old string, today civil.Date) (civil.Date, langtext.Texts) {
	if f.Status == old {
		return today, nil
	}
	on := parseDate(errs, "status_changed_on", f.StatusChangedOn)
	if on.IsZero() {
		on = today
	}
	if on.Before(earliestActivityDate) {
		errs.Add("status_changed_on", "validation.date_too_early", "date", earliestActivityDate.String())
	}
	if on.After(today) {
		errs.Add("status_changed_on", "validation.date_in_future")
	}
	register.CheckTexts(errs, "status_reason", f.StatusReason, maxReason)
	return on, f.StatusReason
}

var earliestActivityDate = civil.Date{Year: 1900, Month: 1, Day: 1}

// activityLink is an activity as a list or a link shows it.
type activityLink struct {
	ID         int64
	Title      string
	TitleLang  string
	When       string
	Date       civil.Date
	Kind       string
	Status     string
	Mode       string
	Partners   string
	Visibility string // visibility.Internal or Public, named by a badge
}

// checklistRow is one item of the checklist as the activity page lists it.
type checklistRow struct {
	*exchange.ChecklistItem
	Name     string
	Assignee string
	Overdue  bool
}

type activityPageData struct {
	Form         activityForm
	New          bool
	CanEdit      bool
	Problem      string
	NoHomeCity   bool
	Kinds        []option
	Statuses     []stateOption // the statuses the activity may have now, each with what it means
	Modes        []option
	Organisers   []option
	Partnerships []option
	Campaigns    []option
	Zones        []string
	// Only on edit.
	History   []historyRow
	Children  []activityLink
	Files     attachmentsView
	Checklist []checklistRow
	Item      checklistForm
	ItemKinds []option
	Users     []option
	Videos    []exchange.VideoRef
	VideoOpts []option    // the videos that may still be linked
	Switched  *historyRow // the switch to online, told above the form
	// Stored is the status and visibility as saved, shown beside the choice so that an editor
	// sees that a change of status leaves the visibility as it is.
	Stored *activityLink
}

// activityView is what the activity page shows besides the main form: the stored record and
// what was typed in its small forms.
type activityView struct {
	stored *exchange.Activity
	doc    documentForm
	item   checklistForm
}

// partnerNames names the partner cities of an activity's partnerships.
func partnerNames(l *i18n.Localizer, a *exchange.Activity, byID map[int64]*register.Partnership) string {
	var names []string
	for _, id := range a.Partnerships {
		if p := byID[id]; p != nil && p.PartnerCity != nil {
			names = append(names, p.PartnerCity.Name(l.Lang))
		}
	}
	c := collate.New(l.Tag())
	slices.SortFunc(names, c.CompareString)
	return strings.Join(names, ", ")
}

// momentText writes one date of an activity: a day, or a time with its zone and, when the home
// city's clock shows another hour, the time there too (Busan and Vladivostok differ by one).
func momentText(l *i18n.Localizer, m exchange.Moment, home *time.Location, homeName string) string {
	if m.IsZero() {
		return ""
	}
	if !m.Timed() {
		return l.Date(m.Date.Time())
	}
	text := l.T("exchange.at_zone", "datetime", l.DateTime(m.At, m.Local().Location()), "zone", m.Zone)
	if home != nil {
		_, there := m.Local().Zone()
		_, here := m.At.In(home).Zone()
		if there != here {
			text += " · " + l.T("exchange.home_time", "datetime", l.DateTime(m.At, home), "city", homeName)
		}
	}
	return text
}

// spanText writes a span: one date or time, start – end, or a day with its hours.
func spanText(l *i18n.Localizer, sp exchange.Span, home *time.Location, homeName string) string {
	start, end := sp.Start, sp.End
	switch {
	case end.IsZero() || end == start || (!end.Timed() && end.Date == start.Date):
		return momentText(l, start, home, homeName)
	case start.Timed() && end.Timed() && start.Zone == end.Zone && start.Date == end.Date:
		text := l.T("exchange.span_day", "date", l.Date(start.Date.Time()), "start", start.Local().Format("15:04"),
			"end", end.Local().Format("15:04"), "zone", start.Zone)
		if home != nil {
			_, there := start.Local().Zone()
			_, here := start.At.In(home).Zone()
			if there != here {
				text += " · " + l.T("exchange.home_time", "datetime", l.DateTime(start.At, home), "city", homeName)
			}
		}
		return text
	}
	return l.T("exchange.span", "start", momentText(l, start, home, homeName), "end", momentText(l, end, home, homeName))
}

// renderActivity shows the activity form; v.stored is nil for a new one.
func (s *Server) renderActivity(w http.ResponseWriter, r *http.Request, status int, f activityForm, v activityView,
	errs problem.Fields, problemKey string) {
	ctx := r.Context()
	titleKey := "admin.activities.new_title"
	if v.stored != nil {
		titleKey = ""
	}
	p := s.adminPage(w, r, titleKey)
	showNotice(p, r, exchangeNotices)
	p.Errors = errs
	l := p.L
	data := activityPageData{Form: f, New: v.stored == nil, CanEdit: canEdit(r), Item: v.item}
	if v.stored != nil {
		data.Stored = &activityLink{Status: l.T("exchange.status." + v.stored.Status), Visibility: v.stored.Visibility}
	}
	if problemKey != "" {
		data.Problem = l.T(problemKey)
	}
	for _, k := range exchange.Kinds {
		data.Kinds = append(data.Kinds, option{k, l.T("exchange.kind." + k)})
	}
	statuses := exchange.Statuses
	if v.stored != nil {
		statuses = exchange.NextStatuses(v.stored.Status)
	}
	for _, st := range statuses {
		data.Statuses = append(data.Statuses, stateOption{st, l.T("exchange.status." + st), l.T("dash.activity.status." + st)})
	}
	for _, m := range exchange.Modes {
		data.Modes = append(data.Modes, option{m, l.T("exchange.mode." + m)})
	}
	for _, o := range exchange.Organisers {
		data.Organisers = append(data.Organisers, option{o, l.T("exchange.organiser." + o)})
	}
	opts, byID, err := s.partnershipOptions(ctx, l)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data.Partnerships = opts
	all, err := exchange.List(ctx, s.db.R)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, a := range all {
		if a.Kind == exchange.KindCampaign && a.ID != f.ID {
			data.Campaigns = append(data.Campaigns, option{strconv.FormatInt(a.ID, 10), a.Title(l.Lang)})
		}
		if v.stored != nil && a.ParentID == v.stored.ID {
			data.Children = append(data.Children, activityLink{ID: a.ID, Title: a.Title(l.Lang), TitleLang: a.TitleLang(l.Lang),
				Date: a.When().Start.Date, Kind: l.T("exchange.kind." + a.Kind), Status: l.T("exchange.status." + a.Status)})
		}
	}
	data.Zones = tz.List()
	s.defaultZones(ctx, data.Form.Moments, data.Form.Partnerships, byID)
	for i := range data.Form.Fixed {
		data.Form.Fixed[i].LangName = langName(l, data.Form.Fixed[i].Lang)
	}
	data.Form.Extra = append(slices.Clone(f.Extra), activityTextRow{Index: nextIndex(len(f.Extra), activityTextIndexes(f.Extra))})
	if len(data.Form.Extra) > maxActivityLangs {
		data.Form.Extra = data.Form.Extra[:maxActivityLangs]
	}
	data.Form.Participants = padParticipants(f.Participants)
	data.Form.Moments = slices.Clone(f.Moments)
	for i := range data.Form.Moments {
		data.Form.Moments[i].Legend = l.T("admin.activities.moment." + data.Form.Moments[i].Name)
	}
	data.Form.ReasonFields = s.langFields(l, "status_reason", f.StatusReason)
	data.Form.VenueFields = s.langFields(l, "venue", f.Venue)
	if data.Form.StatusChangedOn == "" {
		data.Form.StatusChangedOn = p.Today.String()
	}
	if st := v.stored; st != nil {
		p.Title = l.T("admin.activities.edit_title", "title", st.Title(l.Lang))
		for _, h := range st.History {
			row := historyRow{On: h.ChangedOn, Status: l.T("exchange.status." + h.Status), Reason: pickText(l, h.Reason)}
			data.History = append(data.History, row)
			if h.Status == exchange.StatusSwitchedOnline {
				data.Switched = &row
			}
		}
		if st.Status != exchange.StatusSwitchedOnline {
			data.Switched = nil
		}
		data.Files = s.activityMinutes().view(l, s.cfg.MaxDocumentBytes, st.ID, st.Documents, data.CanEdit, v.doc.Title)
		for _, v := range st.Videos {
			data.Videos = append(data.Videos, v.Localize(l.Lang))
		}
		if data.CanEdit {
			opts, err := s.videoOptions(ctx, l, st.Videos)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			data.VideoOpts = opts
		}
		if err := s.fillChecklist(ctx, l, p.Today, st.ID, &data); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	p.Data = data
	s.render(w, r, status, "admin/activity", p)
}

func activityTextIndexes(rows []activityTextRow) []int {
	var out []int
	for _, r := range rows {
		out = append(out, r.Index)
	}
	return out
}

// padParticipants adds blank rows: at least minParticipantRows, and one more than are filled.
func padParticipants(rows []participantRow) []participantRow {
	out := slices.Clone(rows)
	var used []int
	for _, r := range rows {
		used = append(used, r.Index)
	}
	for (len(out) < minParticipantRows || len(out) == len(rows)) && len(out) < maxParticipantRows {
		i := nextIndex(0, used)
		used = append(used, i)
		out = append(out, participantRow{Index: i})
	}
	slices.SortFunc(out, func(a, b participantRow) int { return a.Index - b.Index })
	return out
}

// activityListData is the list of activities with its filters.
type activityListData struct {
	Rows     []activityLink
	CanEdit  bool
	Partner  string
	Year     string
	Status   string
	Visible  string // the visibility filter
	Partners []option
	Years    []option
	Statuses []option
	Visibles []option
	Filtered bool
	Q        string
	List     listView
}

func (s *Server) activityList(w http.ResponseWriter, r *http.Request) {
	p := s.adminPage(w, r, "admin.activities.title")
	showNotice(p, r, exchangeNotices)
	ctx := r.Context()
	l := p.L
	all, err := exchange.List(ctx, s.db.R)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	opts, byID, err := s.partnershipOptions(ctx, l)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	home, homeName, err := s.homeZone(ctx, l.Lang)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	data := activityListData{CanEdit: canEdit(r), Partner: q.Get("partnership"), Year: q.Get("year"), Status: q.Get("status"),
		Visible: q.Get("visibility"), Partners: opts, Visibles: visibilityOptions(l)}
	lq := readList(r, adminListSize)
	data.Q = lq.Q
	data.Filtered = data.Partner != "" || data.Year != "" || data.Status != "" || data.Visible != "" || data.Q != ""
	var matching map[int64]bool
	if lq.Q != "" {
		if matching, err = exchange.Matching(ctx, s.db.R, lq.Q); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	years := map[int]bool{}
	for _, st := range exchange.Statuses {
		data.Statuses = append(data.Statuses, option{st, l.T("exchange.status." + st)})
	}
	for _, a := range all {
		when := a.When()
		years[when.Start.Date.Year] = true
		if data.Partner != "" && !slices.ContainsFunc(a.Partnerships, func(id int64) bool { return strconv.FormatInt(id, 10) == data.Partner }) {
			continue
		}
		if data.Year != "" && strconv.Itoa(when.Start.Date.Year) != data.Year {
			continue
		}
		if data.Status != "" && a.Status != data.Status {
			continue
		}
		if data.Visible != "" && a.Visibility != data.Visible {
			continue
		}
		if matching != nil && !matching[a.ID] {
			continue
		}
		data.Rows = append(data.Rows, activityLink{ID: a.ID, Title: a.Title(l.Lang), TitleLang: a.TitleLang(l.Lang),
			When: spanText(l, when, home, homeName), Date: when.Start.Date, Kind: l.T("exchange.kind." + a.Kind),
			Status: l.T("exchange.status." + a.Status), Mode: l.T("exchange.mode." + a.Mode), Partners: partnerNames(l, a, byID),
			Visibility: a.Visibility})
	}
	var ys []int
	for y := range years {
		ys = append(ys, y)
	}
	slices.Sort(ys)
	for _, y := range slices.Backward(ys) {
		data.Years = append(data.Years, option{strconv.Itoa(y), strconv.Itoa(y)})
	}
	// Newest first: the office looks at what comes next and what just happened.
	slices.Reverse(data.Rows)
	data.List = newListView(l, r, lq, len(data.Rows))
	data.Rows = pageRows(data.Rows, data.List.Pager)
	p.Data = data
	s.render(w, r, http.StatusOK, "admin/activities", p)
}

func (s *Server) activityNew(w http.ResponseWriter, r *http.Request) {
	a := &exchange.Activity{Kind: exchange.KindOutboundVisit, Status: exchange.StatusPlanned, Mode: exchange.ModeInPerson,
		FirstMode: exchange.ModeInPerson, OrganiserKind: exchange.OrganiserCity}
	a.Visibility = exchange.DefaultVisibility(a.Status)
	if id, ok := queryID(r, "partnership"); ok {
		a.Partnerships = []int64{id}
	}
	if id, ok := queryID(r, "parent"); ok {
		a.ParentID = id
	}
	s.renderActivity(w, r, http.StatusOK, activityFormOf(a), activityView{}, nil, "")
}

// saveActivity validates the form and saves it in one transaction with its audit entry: the
// model's rules first, then the links against the register inside the transaction.
func (s *Server) saveActivity(w http.ResponseWriter, r *http.Request, f activityForm, stored *exchange.Activity) {
	ctx := r.Context()
	l := s.cat.Localizer(s.adminLang(w, r))
	_, byID, err := s.partnershipOptions(ctx, l)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	now := s.now()
	today := civil.Of(now)
	a, errs := f.activity(byID, now)
	old := ""
	if stored != nil {
		old = stored.Status
		if f.FirstMode == "" {
			a.FirstMode = stored.FirstMode
		}
	}
	changedOn, reason := f.statusChange(&errs, old, today)
	if old != "" && slices.Contains(exchange.Statuses, f.Status) && !exchange.CanMoveStatus(old, f.Status) {
		errs.Add("status", "dash.activity.status_step", "from", l.T("exchange.status."+old), "to", l.T("exchange.status."+f.Status))
	}
	view := activityView{stored: stored}
	if len(errs) > 0 {
		s.renderActivity(w, r, http.StatusUnprocessableEntity, f, view, errs, "")
		return
	}
	u := userFrom(r)
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		links, err := exchange.CheckLinks(ctx, tx, a, l)
		if err != nil {
			return err
		}
		if len(links) > 0 {
			return links
		}
		if stored == nil {
			if err := exchange.Create(ctx, tx, a, changedOn, reason, u.ID); err != nil {
				return err
			}
			after, err := exchange.Get(ctx, tx, a.ID)
			if err != nil {
				return err
			}
			return auth.Audit(ctx, tx, u, auth.ActionCreate, auth.EntityActivity, a.ID, nil, after)
		}
		before, err := exchange.Get(ctx, tx, a.ID)
		if err != nil {
			return err
		}
		if err := exchange.Update(ctx, tx, a, changedOn, reason, u.ID); err != nil {
			return err
		}
		after, err := exchange.Get(ctx, tx, a.ID)
		if err != nil {
			return err
		}
		return auth.Audit(ctx, tx, u, auth.ActionUpdate, auth.EntityActivity, a.ID, before, after)
	})
	if links, ok := problem.AsFields(err); ok {
		s.renderActivity(w, r, http.StatusUnprocessableEntity, f, view, links, "")
		return
	}
	switch {
	case isStale(err):
		s.renderActivity(w, r, http.StatusConflict, f, view, nil, "error.conflict")
	case err != nil:
		s.fail(w, r, err)
	case stored == nil:
		http.Redirect(w, r, fmt.Sprintf("/admin/activities/%d?notice=created", a.ID), http.StatusSeeOther)
	default:
		http.Redirect(w, r, fmt.Sprintf("/admin/activities/%d?notice=saved", a.ID), http.StatusSeeOther)
	}
}

func (s *Server) activityCreate(w http.ResponseWriter, r *http.Request) {
	s.saveActivity(w, r, activityFormFrom(r), nil)
}

// loadActivity reads the activity of the request's {id}, or renders why it cannot.
func (s *Server) loadActivity(w http.ResponseWriter, r *http.Request) (*exchange.Activity, bool) {
	return loadRecord(s, w, r, exchange.Get)
}

func (s *Server) activityEdit(w http.ResponseWriter, r *http.Request) {
	a, ok := s.loadActivity(w, r)
	if !ok {
		return
	}
	s.renderActivity(w, r, http.StatusOK, activityFormOf(a), activityView{stored: a}, nil, "")
}

func (s *Server) activityUpdate(w http.ResponseWriter, r *http.Request) {
	stored, ok := s.loadActivity(w, r)
	if !ok {
		return
	}
	version, ok := s.formVersion(w, r)
	if !ok {
		return
	}
	f := activityFormFrom(r)
	f.ID, f.Version = stored.ID, version
	s.saveActivity(w, r, f, stored)
}
