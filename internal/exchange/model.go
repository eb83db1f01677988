// Package exchange is the exchange programme: the activities between the home city and its
// partners — visits and delegations, cultural events, video conferences and messages, campaigns
// that group other activities, business, youth and sports exchanges — with their dates and time
// zones, mode, status history, participants, minutes and delegation checklists. It holds the
// model, its rules and its SQL, and knows nothing of HTTP.
package exchange

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/language"

	"sistercity/internal/attach"
	"sistercity/internal/civil"
	"sistercity/internal/langtext"
	"sistercity/internal/problem"
	"sistercity/internal/register"
	"sistercity/internal/tz"
	"sistercity/internal/video"
	"sistercity/internal/visibility"
)

// Activity kinds.
const (
	KindOutboundVisit     = "outbound_visit"     // a visit or delegation of the home city to a partner
	KindInboundDelegation = "inbound_delegation" // a partner's delegation received at home
	KindCulturalEvent     = "cultural_event"
	KindVideoConference   = "video_conference"
	KindVideoMessage      = "video_message"
	KindCampaign          = "campaign" // groups other activities through their parent
	KindBusiness          = "business"
	KindYouth             = "youth"
	KindSports            = "sports"
)

// Kinds lists the kinds in the order the forms offer them.
var Kinds = []string{KindOutboundVisit, KindInboundDelegation, KindCulturalEvent, KindVideoConference,
	KindVideoMessage, KindCampaign, KindBusiness, KindYouth, KindSports}

// Modes.
const (
	ModeInPerson = "in_person"
	ModeOnline   = "online"
	ModeHybrid   = "hybrid"
)

// Modes lists the modes an activity may have.
var Modes = []string{ModeInPerson, ModeOnline, ModeHybrid}

// Statuses.
const (
	StatusPlanned        = "planned"
	StatusConfirmed      = "confirmed"
	StatusHeld           = "held"
	StatusPostponed      = "postponed"
	StatusCancelled      = "cancelled"
	StatusSwitchedOnline = "switched_online" // planned face to face, moved online ("non-face-to-face")
)

// Statuses lists the statuses in the order the forms offer them.
var Statuses = []string{StatusPlanned, StatusConfirmed, StatusHeld, StatusPostponed, StatusCancelled, StatusSwitchedOnline}

// statusSteps says which status may follow which once an activity is recorded (a new one may
// start from any, to record what already happened). Held is final; a cancelled activity may
// be planned again.
var statusSteps = map[string][]string{
	StatusPlanned:        {StatusConfirmed, StatusHeld, StatusPostponed, StatusCancelled, StatusSwitchedOnline},
	StatusConfirmed:      {StatusPlanned, StatusHeld, StatusPostponed, StatusCancelled, StatusSwitchedOnline},
	StatusPostponed:      {StatusPlanned, StatusConfirmed, StatusHeld, StatusCancelled, StatusSwitchedOnline},
	StatusSwitchedOnline: {StatusConfirmed, StatusHeld, StatusPostponed, StatusCancelled},
	StatusCancelled:      {StatusPlanned},
	StatusHeld:           {},
}

// CanMoveStatus tells whether an activity with status from may be given status to; keeping
// its status is always allowed.
func CanMoveStatus(from, to string) bool { return from == to || slices.Contains(statusSteps[from], to) }

// NextStatuses lists, in the forms' order, from and the statuses that may follow it.
func NextStatuses(from string) []string {
	return slices.DeleteFunc(slices.Clone(Statuses), func(s string) bool { return !CanMoveStatus(from, s) })
}

// Organisers.
const (
	OrganiserCity       = "city"       // the home city's government
	OrganiserFoundation = "foundation" // the international exchange foundation
	OrganiserOther      = "other"      // anyone else, named in OrganiserName
)

// Organisers lists the kinds of organiser.
var Organisers = []string{OrganiserCity, OrganiserFoundation, OrganiserOther}

// Text is an activity's title, summary and outcomes in one language (a BCP 47 tag).
type Text struct {
	Lang     string `json:"lang"`
	Title    string `json:"title"`
	Summary  string `json:"summary,omitempty"`
	Outcomes string `json:"outcomes,omitempty"`
}

// Participant is a person taking part in an activity.
type Participant struct {
	Name         string `json:"name"`
	Role         string `json:"role,omitempty"`
	Organisation string `json:"organisation,omitempty"`
}

// Moment is one end of an activity's dates: an instant with the IANA zone it was given in, or,
// for an all-day entry, a calendar date alone. Date is the local date in either case, so that
// lists sort and count by the day people on the spot saw.
type Moment struct {
	Date civil.Date `json:"date"`
	At   time.Time  `json:"at,omitzero"`    // UTC; zero for an all-day entry
	Zone string     `json:"zone,omitempty"` // IANA name; required with At
}

// MomentAt makes a Moment from a local wall-clock time in zone. It fails on an unknown zone.
func MomentAt(d civil.Date, hour, min int, zone string) (Moment, error) {
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "" {
		return Moment{}, errUnknownZone
	}
	t := time.Date(d.Year, d.Month, d.Day, hour, min, 0, 0, loc)
	return Moment{Date: civil.Of(t), At: t.UTC(), Zone: zone}, nil
}

// OnDate makes an all-day Moment.
func OnDate(d civil.Date) Moment { return Moment{Date: d} }

// IsZero tells whether the moment is unknown.
func (m Moment) IsZero() bool { return m.Date.IsZero() && m.At.IsZero() }

// Timed tells whether the moment has a time of day.
func (m Moment) Timed() bool { return !m.At.IsZero() }

// Local returns the instant in its own zone (UTC when the zone cannot be loaded).
func (m Moment) Local() time.Time {
	if loc, err := time.LoadLocation(m.Zone); err == nil && m.Zone != "" {
		return m.At.In(loc)
	}
	return m.At
}

// Span is a start and an optional end.
type Span struct {
	Start Moment `json:"start"`
	End   Moment `json:"end"`
}

// IsZero tells whether nothing is known of the span.
func (s Span) IsZero() bool { return s.Start.IsZero() && s.End.IsZero() }

// AllDay tells whether the span is given in whole days.
func (s Span) AllDay() bool { return !s.Start.IsZero() && !s.Start.Timed() }

// LastDate returns the local date of the end, or of the start when there is no end.
func (s Span) LastDate() civil.Date {
	if !s.End.IsZero() {
		return s.End.Date
	}
	return s.Start.Date
}

// StatusChange is one entry of an activity's status history.
type StatusChange struct {
	Status     string         `json:"status"`
	ChangedOn  civil.Date     `json:"changed_on"`
	Reason     langtext.Texts `json:"reason,omitempty"`
	RecordedAt time.Time      `json:"-"`
}

// Document is an uploaded file attached to a record; package attach keeps them.
type Document = attach.Document

// VideoRef is a video linked to an activity (table activity_videos), with its texts as the
// video package keeps them. Title, Lang and URL are for one viewer: Localize fills them.
type VideoRef struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
	Lang  string `json:"lang"` // the language of Title
	URL   string `json:"url"`

	State        string       `json:"-"` // the video's state: only published ones go public
	OriginalLang string       `json:"-"`
	Texts        []video.Text `json:"-"`
}

// Localize returns r with Title and Lang in lang (or the video's original language when lang
// has no title) and URL the public watch page in lang.
func (r VideoRef) Localize(lang string) VideoRef {
	v := &video.Video{OriginalLang: r.OriginalLang, Texts: r.Texts}
	r.Title, r.Lang = v.Title(lang), v.TitleLang(lang)
	r.URL = "/" + lang + "/videos/" + strconv.FormatInt(r.ID, 10)
	return r
}

// Published tells whether the linked video is listed publicly.
func (r VideoRef) Published() bool { return r.State == video.StatePublished }

// Activity is one exchange between the home city and one or more partners.
type Activity struct {
	ID            int64          `json:"id"`
	Kind          string         `json:"kind"`
	ParentID      int64          `json:"parent_id,omitempty"` // the campaign this belongs to
	Texts         []Text         `json:"texts"`
	Partnerships  []int64        `json:"partnerships"`
	OrganiserKind string         `json:"organiser_kind"`
	OrganiserName string         `json:"organiser_name,omitempty"`
	Participants  []Participant  `json:"participants,omitempty"`
	Planned       Span           `json:"planned"`
	Actual        Span           `json:"actual"`
	Venue         langtext.Texts `json:"venue,omitempty"` // where it takes place, per language
	Mode          string         `json:"mode"`
	FirstMode     string         `json:"first_mode"` // the mode first planned
	Status        string         `json:"status"`
	Visibility    string         `json:"visibility,omitempty"` // visibility.Internal or Public; "" takes DefaultVisibility
	Topics        []string       `json:"topics,omitempty"`
	History       []StatusChange `json:"history,omitempty"`
	Documents     []Document     `json:"documents,omitempty"`
	Videos        []VideoRef     `json:"-"` // see VideoRef
	Version       int64          `json:"-"`
	UpdatedAt     time.Time      `json:"-"`
}

// When returns the dates that tell when the activity happens: the actual ones once known, the
// planned ones before.
func (a *Activity) When() Span {
	if !a.Actual.Start.IsZero() {
		return a.Actual
	}
	return a.Planned
}

// Happened tells whether the activity took place by today: it was held, or it went ahead online
// and its day has come.
func (a *Activity) Happened(today civil.Date) bool {
	switch a.Status {
	case StatusHeld:
		return true
	case StatusSwitchedOnline:
		return !a.When().Start.Date.After(today)
	}
	return false
}

// DefaultVisibility is the visibility of a new activity given none: a planned one is the
// office's own business until an editor decides to show it, anything else was public before
// activities had a visibility.
func DefaultVisibility(status string) string {
	if status == StatusPlanned {
		return visibility.Internal
	}
	return visibility.Public
}

// Public tells whether the activity may be shown on the public site, its feeds and calendars.
func (a *Activity) Public() bool { return a.Visibility == visibility.Public }

// Live tells whether the activity still counts: it is not cancelled or postponed.
func (a *Activity) Live() bool { return a.Status != StatusCancelled && a.Status != StatusPostponed }

// Title returns the title in lang, falling back to English and then to any title.
func (a *Activity) Title(lang string) string { return a.text(lang).Title }

// TitleLang returns the language of the title Title(lang) returns, so that a page can mark a
// title shown in another language with its lang attribute.
func (a *Activity) TitleLang(lang string) string { return a.text(lang).Lang }

// Summary returns the summary in the language of Title(lang).
func (a *Activity) Summary(lang string) string { return a.text(lang).Summary }

// Outcomes returns the outcomes in the language of Title(lang).
func (a *Activity) Outcomes(lang string) string { return a.text(lang).Outcomes }

func (a *Activity) text(lang string) Text {
	for _, want := range []string{lang, "en"} {
		for _, t := range a.Texts {
			if t.Lang == want && t.Title != "" {
				return t
			}
		}
	}
	for _, t := range a.Texts {
		if t.Title != "" {
			return t
		}
	}
	return Text{Lang: lang}
}

// ChecklistItem kinds: what a delegation needs prepared.
const (
	ItemProgramme      = "programme" // the programme schedule
	ItemInterpretation = "interpretation"
	ItemGifts          = "gifts"
	ItemPress          = "press"
	ItemDietary        = "dietary" // dietary needs
	ItemAccommodation  = "accommodation"
	ItemCustom         = "custom" // anything else, named in Label
)

// StandardItems are the items every delegation needs, in the order they are added.
var StandardItems = []string{ItemProgramme, ItemInterpretation, ItemGifts, ItemPress, ItemDietary, ItemAccommodation}

// ItemKinds lists every checklist item kind.
var ItemKinds = append(slices.Clone(StandardItems), ItemCustom)

// ChecklistItem is one thing to prepare for an activity, with who does it and by when.
type ChecklistItem struct {
	ID             int64      `json:"id"`
	ActivityID     int64      `json:"activity_id"`
	Item           string     `json:"item"`
	Label          string     `json:"label,omitempty"` // the name of a custom item, or a detail
	AssigneeUserID int64      `json:"assignee_user_id,omitempty"`
	AssigneeName   string     `json:"assignee_name,omitempty"` // someone without an account
	DueOn          civil.Date `json:"due_on"`
	Done           bool       `json:"done"`
	Version        int64      `json:"-"`
}

// Limits on free text and on lists, so that no field can grow without bound.
const (
	maxTitle        = 300
	maxText         = 8000
	maxShort        = 300
	maxTopic        = 100
	MaxTopics       = 20
	MaxParticipants = 100
	MaxTexts        = 20
	MaxLinks        = 50
)

// earliest and latest bound every date of the programme: before 1900 or after 2200 is a typing
// error.
var (
	earliest = civil.Date{Year: 1900, Month: 1, Day: 1}
	latest   = civil.Date{Year: 2200, Month: 12, Day: 31}
)

// Validate checks a and returns the problems found, field by field. now is the current time:
// actual dates may not lie in the future. Links to partnerships are checked against the
// register by CheckLinks, inside the transaction that saves.
func (a *Activity) Validate(now time.Time) problem.Fields {
	var f problem.Fields
	if !slices.Contains(Kinds, a.Kind) {
		f.Add("kind", "validation.choice")
	}
	if !slices.Contains(Statuses, a.Status) {
		f.Add("status", "validation.choice")
	}
	if a.Visibility != "" && !visibility.Valid(a.Visibility) {
		f.Add("visibility", "validation.choice")
	}
	if !slices.Contains(Modes, a.Mode) {
		f.Add("mode", "validation.choice")
	}
	if !slices.Contains(Modes, a.FirstMode) {
		f.Add("first_mode", "validation.choice")
	}
	if a.Status == StatusSwitchedOnline && a.Mode == ModeInPerson {
		f.Add("mode", "exchange.validation.switched_in_person")
	}
	if !slices.Contains(Organisers, a.OrganiserKind) {
		f.Add("organiser_kind", "validation.choice")
	}
	if a.OrganiserKind == OrganiserOther && strings.TrimSpace(a.OrganiserName) == "" {
		f.Add("organiser_name", "exchange.validation.organiser_name")
	}
	checkLen(&f, "organiser_name", a.OrganiserName, maxShort)
	register.CheckTexts(&f, "venue", a.Venue, maxShort)

	hasTitle := false
	seen := map[string]bool{}
	if len(a.Texts) > MaxTexts {
		f.Add("texts", "validation.too_many")
	}
	for _, t := range a.Texts {
		field := "title_" + t.Lang
		if tag, err := language.Parse(t.Lang); err != nil || t.Lang == "" || tag.String() != t.Lang {
			f.Add(field, "validation.language_tag")
		}
		if seen[t.Lang] {
			f.Add(field, "exchange.validation.lang_twice")
		}
		seen[t.Lang] = true
		if strings.TrimSpace(t.Title) != "" {
			hasTitle = true
		} else if t.Summary != "" || t.Outcomes != "" {
			f.Add(field, "exchange.validation.title_for_text")
		}
		checkLen(&f, field, t.Title, maxTitle)
		checkLen(&f, "summary_"+t.Lang, t.Summary, maxText)
		checkLen(&f, "outcomes_"+t.Lang, t.Outcomes, maxText)
	}
	if !hasTitle {
		f.Add("title", "exchange.validation.title_required")
	}

	if len(a.Partnerships) == 0 {
		f.Add("partnerships", "exchange.validation.partnership_required")
	}
	if len(a.Partnerships) > MaxLinks {
		f.Add("partnerships", "validation.too_many")
	}
	if a.ParentID != 0 && a.ParentID == a.ID {
		f.Add("parent_id", "exchange.validation.parent_self")
	}

	if len(a.Participants) > MaxParticipants {
		f.Add("participants", "validation.too_many")
	}
	for i, p := range a.Participants {
		field := "participant_" + itoa(i)
		if strings.TrimSpace(p.Name) == "" {
			f.Add(field, "exchange.validation.participant_name")
		}
		for _, s := range []string{p.Name, p.Role, p.Organisation} {
			checkLen(&f, field, s, maxShort)
		}
	}
	if len(a.Topics) > MaxTopics {
		f.Add("topics", "validation.too_many")
	}
	for _, t := range a.Topics {
		if strings.TrimSpace(t) == "" {
			f.Add("topics", "validation.required")
		}
		checkLen(&f, "topics", t, maxTopic)
	}

	if a.Planned.Start.IsZero() {
		f.Add("planned_start", "exchange.validation.start_required")
	}
	checkSpan(&f, "planned", a.Planned)
	checkSpan(&f, "actual", a.Actual)
	today := civil.Of(now)
	if a.Actual.Start.Timed() && a.Actual.Start.At.After(now) || !a.Actual.Start.Timed() && a.Actual.Start.Date.After(today) {
		f.Add("actual_start", "exchange.validation.actual_future")
	}
	return f
}

// checkSpan checks one span: each moment whole (a time needs its zone), both ends of the same
// sort (both timed or both all-day), and the end not before the start.
func checkSpan(f *problem.Fields, prefix string, s Span) {
	ok := checkMoment(f, prefix+"_start", s.Start)
	ok = checkMoment(f, prefix+"_end", s.End) && ok
	if !ok {
		return
	}
	switch {
	case s.End.IsZero():
	case s.Start.IsZero():
		f.Add(prefix+"_start", "exchange.validation.start_required")
	case s.Start.Timed() != s.End.Timed():
		f.Add(prefix+"_end", "exchange.validation.all_day_mixed")
	case s.Start.Timed() && s.End.At.Before(s.Start.At):
		f.Add(prefix+"_end", "exchange.validation.end_before_start")
	case !s.Start.Timed() && s.End.Date.Before(s.Start.Date):
		f.Add(prefix+"_end", "exchange.validation.end_before_start")
	}
}

func checkMoment(f *problem.Fields, field string, m Moment) bool {
	if m.IsZero() {
		return true
	}
	if m.Date.IsZero() {
		f.Add(field, "validation.date")
		return false
	}
	if m.Date.Before(earliest) {
		f.Add(field, "validation.date_too_early", "date", earliest.String())
		return false
	}
	if m.Date.After(latest) {
		f.Add(field, "exchange.validation.date_too_late", "date", latest.String())
		return false
	}
	if !m.Timed() {
		return true
	}
	if m.Zone == "" {
		f.Add(field, "exchange.validation.zone_required")
		return false
	}
	loc, err := time.LoadLocation(m.Zone)
	if err != nil || !tz.Valid(m.Zone) {
		*f = append(*f, problem.FieldError{Field: field, Msg: tz.Problem(m.Zone)})
		return false
	}
	if civil.Of(m.At.In(loc)) != m.Date {
		f.Add(field, "validation.date") // the stored date must be the instant's local date
		return false
	}
	return true
}

// Validate checks a checklist item.
func (c *ChecklistItem) Validate() problem.Fields {
	var f problem.Fields
	if !slices.Contains(ItemKinds, c.Item) {
		f.Add("item", "validation.choice")
	}
	if c.Item == ItemCustom && strings.TrimSpace(c.Label) == "" {
		f.Add("label", "exchange.validation.custom_label")
	}
	checkLen(&f, "label", c.Label, maxShort)
	checkLen(&f, "assignee_name", c.AssigneeName, maxShort)
	if c.AssigneeUserID != 0 && c.AssigneeName != "" {
		f.Add("assignee_name", "exchange.validation.assignee_both")
	}
	if !c.DueOn.IsZero() && (c.DueOn.Before(earliest) || c.DueOn.After(latest)) {
		f.Add("due_on", "validation.range")
	}
	return f
}

func checkLen(f *problem.Fields, field, s string, max int) {
	if !utf8.ValidString(s) {
		f.Add(field, "validation.encoding")
		return
	}
	if utf8.RuneCountInString(s) > max {
		f.Add(field, "validation.too_long", "count", max)
	}
}
