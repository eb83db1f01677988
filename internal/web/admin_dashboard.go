package web

import (
	"net/http"
	"regexp"
	"slices"
	"strconv"

	"golang.org/x/text/collate"

	"sistercity/internal/civil"
	"sistercity/internal/exchange"
	"sistercity/internal/i18n"
	"sistercity/internal/milestone"
	"sistercity/internal/problem"
	"sistercity/internal/register"
)

// The dashboard's choices and their bounds.
const (
	dashboardMonths = 24
	defaultDays     = 60
	defaultDormant  = 3
	// soonDays is the first screen's reach: what is due in the next two months.
	soonDays = 60
)

var smallIntRe = regexp.MustCompile(`^[0-9]{1,3}$`)

// dashboardRow is one line of a partner's plan: a milestone or an activity.
type dashboardRow struct {
	On         civil.Date
	Title      labelled
	What       string // the kind of milestone, or of activity with its status
	Round      bool
	ActivityID int64
	Planned    bool
}

type dashboardGroup struct {
	ID         int64 // the partnership; 0 for the office as a whole
	Name       labelled
	Rows       []dashboardRow
	Milestones int
	Activities int
	Open       bool // the group asked for with ?partnership=
}

// soonRow is one line of the first screen: what is due in the next soonDays days, for any
// partner.
type soonRow struct {
	dashboardRow
	Partner       labelled
	PartnershipID int64
	Unmarked      bool // a round anniversary no activity marks yet
}

// idleRow is a partnership with no activity planned.
type idleRow struct {
	Partner       labelled
	PartnershipID int64
}

type unmarkedRow struct {
	On            civil.Date
	Title         labelled
	Partner       string
	PartnershipID int64
}

type dormantRow struct {
	Partner       labelled
	PartnershipID int64
	SignedOn      civil.Date
	LastHeld      civil.Date
	LastTitle     labelled
	LastID        int64
}

type dashboardData struct {
	From, To  civil.Date
	SoonTo    civil.Date
	FromText  string
	Days      string
	Years     string
	Partner   string // the partnership filter as typed; "" for all
	DaysN     int
	YearsN    int
	SoonDays  int
	Soon      []soonRow
	Idle      []idleRow
	Partners  []option
	Groups    []dashboardGroup
	Unmarked  []unmarkedRow
	Dormant   []dormantRow
	CanEdit   bool
	Count     int
	Milestone int
}

// dashboard shows, first, what is due in the next 60 days from ?from= (today by default) for
// every partner and the partnerships with no activity planned; then the round anniversaries no
// activity marks within ?days= days, the partnerships without a held activity for ?years=
// years, and the next 24 months per partner, each partner's plan collapsed until opened or
// chosen with ?partnership=.
func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	p := s.adminPage(w, r, "admin.dashboard.title")
	l := p.L
	q := r.URL.Query()
	data := dashboardData{FromText: q.Get("from"), Days: q.Get("days"), Years: q.Get("years"), Partner: q.Get("partnership"),
		CanEdit: canEdit(r), SoonDays: soonDays}
	var errs problem.Fields
	partner := int64(0)
	if data.Partner != "" {
		n, err := strconv.ParseInt(data.Partner, 10, 64)
		if err != nil || n <= 0 {
			errs.Add("partnership", "validation.choice")
		}
		partner = n
	}
	from := p.Today
	if d := parseDate(&errs, "from", data.FromText); !d.IsZero() {
		if d.Year < 1900 || d.Year > 2200 {
			errs.Add("from", "validation.range")
		} else {
			from = d
		}
	}
	data.DaysN = boundedInt(&errs, "days", data.Days, defaultDays, 1, 366)
	data.YearsN = boundedInt(&errs, "years", data.Years, defaultDormant, 1, 50)
	if data.FromText == "" {
		data.FromText = from.String()
	}
	if data.Days == "" {
		data.Days = strconv.Itoa(defaultDays)
	}
	if data.Years == "" {
		data.Years = strconv.Itoa(defaultDormant)
	}
	ctx := r.Context()
	src, err := milestone.Load(ctx, s.db.R)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	acts, err := exchange.List(ctx, s.db.R)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, ps := range src.Partnerships {
		data.Partners = append(data.Partners, option{strconv.FormatInt(ps.ID, 10), partnershipName(l, ps).Text})
	}
	sortOptions(l, data.Partners)
	if partner != 0 && !slices.ContainsFunc(src.Partnerships, func(ps *register.Partnership) bool { return ps.ID == partner }) {
		errs.Add("partnership", "validation.choice")
		partner = 0
	}
	status := http.StatusOK
	if len(errs) > 0 {
		p.Errors = errs
		status = http.StatusBadRequest
	}
	plan := exchange.MakePlan(src, acts, from, exchange.PlanOptions{Months: dashboardMonths, Days: data.DaysN, DormantYears: data.YearsN})
	data.From, data.To, data.Count = plan.From, plan.To, plan.Count
	data.SoonTo = civil.Of(from.Time().AddDate(0, 0, soonDays-1))
	unmarked := map[string]bool{}
	for _, u := range plan.Unmarked {
		unmarked[u.Occurrence.Key()+"@"+u.Occurrence.On.String()] = true
	}
	soonSeen := map[string]bool{}
	for _, g := range plan.Groups {
		dg := dashboardGroup{Name: labelled{l.T("admin.dashboard.office"), l.Lang}}
		if g.Partnership != nil {
			dg.ID = g.Partnership.ID
			dg.Name = partnershipName(l, g.Partnership)
		}
		dg.Open = partner != 0 && dg.ID == partner
		if partner != 0 && !dg.Open {
			continue
		}
		for _, o := range g.Milestones {
			row := dashboardRow{On: o.On, Title: milestoneTitle(l, &o), What: l.T("milestone.kind." + o.Kind), Round: o.Round}
			dg.Rows = append(dg.Rows, row)
			dg.Milestones++
			data.Milestone++
			// A milestone of several partners is due once.
			if key := o.Key() + "@" + o.On.String(); !o.On.After(data.SoonTo) && !soonSeen[key] {
				soonSeen[key] = true
				data.Soon = append(data.Soon, soonRow{dashboardRow: row, Partner: dg.Name, PartnershipID: dg.ID, Unmarked: unmarked[key]})
			}
		}
		for _, a := range g.Activities {
			row := dashboardRow{On: a.When().Start.Date, Title: labelled{a.Title(l.Lang), a.TitleLang(l.Lang)},
				What: l.T("exchange.kind."+a.Kind) + " · " + l.T("exchange.status."+a.Status), ActivityID: a.ID,
				Planned: !a.Happened(p.Today)}
			dg.Rows = append(dg.Rows, row)
			dg.Activities++
			key := "activity@" + strconv.FormatInt(a.ID, 10)
			if !row.On.Before(from) && !row.On.After(data.SoonTo) && !soonSeen[key] {
				soonSeen[key] = true
				data.Soon = append(data.Soon, soonRow{dashboardRow: row, Partner: dg.Name, PartnershipID: dg.ID})
			}
		}
		slices.SortStableFunc(dg.Rows, byDate)
		data.Groups = append(data.Groups, dg)
	}
	slices.SortStableFunc(data.Soon, func(a, b soonRow) int { return byDate(a.dashboardRow, b.dashboardRow) })
	for _, ps := range plan.Idle {
		if partner == 0 || ps.ID == partner {
			data.Idle = append(data.Idle, idleRow{Partner: partnershipName(l, ps), PartnershipID: ps.ID})
		}
	}
	c := collate.New(l.Tag())
	slices.SortStableFunc(data.Idle, func(a, b idleRow) int { return c.CompareString(a.Partner.Text, b.Partner.Text) })
	for _, u := range plan.Unmarked {
		row := unmarkedRow{On: u.Occurrence.On, Title: milestoneTitle(l, &u.Occurrence), Partner: l.T("admin.dashboard.office")}
		if u.Partnership != nil {
			row.Partner, row.PartnershipID = partnershipName(l, u.Partnership).Text, u.Partnership.ID
		}
		data.Unmarked = append(data.Unmarked, row)
	}
	for _, d := range plan.Dormant {
		row := dormantRow{Partner: partnershipName(l, d.Partnership), PartnershipID: d.Partnership.ID, SignedOn: d.Partnership.SignedOn}
		if d.LastHeld != nil {
			row.LastHeld, row.LastID = d.LastHeld.When().Start.Date, d.LastHeld.ID
			row.LastTitle = labelled{d.LastHeld.Title(l.Lang), d.LastHeld.TitleLang(l.Lang)}
		}
		data.Dormant = append(data.Dormant, row)
	}
	p.Data = data
	s.render(w, r, status, "admin/dashboard", p)
}

// byDate orders rows by their date, keeping the order of rows on one day.
func byDate(a, b dashboardRow) int {
	switch {
	case a.On.Before(b.On):
		return -1
	case b.On.Before(a.On):
		return 1
	}
	return 0
}

// partnershipName names a partnership by its partner city, in the city's name's language.
func partnershipName(l *i18n.Localizer, p *register.Partnership) labelled {
	if p.PartnerCity == nil {
		return labelled{"", l.Lang}
	}
	return labelled{p.PartnerCity.Name(l.Lang), p.PartnerCity.NameLang(l.Lang)}
}

// boundedInt reads an optional small whole number from a query; "" is def.
func boundedInt(errs *problem.Fields, field, s string, def, lo, hi int) int {
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || !smallIntRe.MatchString(s) {
		errs.Add(field, "validation.number")
		return def
	}
	if n < lo || n > hi {
		errs.Add(field, "validation.range")
		return def
	}
	return n
}
