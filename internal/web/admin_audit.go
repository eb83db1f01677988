package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"sistercity/internal/auth"
	"sistercity/internal/civil"
	"sistercity/internal/i18n"
	"sistercity/internal/problem"
)

const auditPageSize = 50

// maxAuditValueRunes bounds one value shown in a change; the whole record stays in the
// details.
const maxAuditValueRunes = 300

// auditData is the audit log page: its filters, the entries of one page in the reader's words,
// and the zone the times are shown in.
type auditData struct {
	Rows     []auditRow
	Users    []option
	Entities []option
	Filter   auditFilterForm
	Zone     string // the zone the times are in, named: "Asia/Seoul"
	ZoneCity string // the home city whose zone it is, "" for UTC
	List     listView
}

// auditFilterForm is the filter as asked, to show it back.
type auditFilterForm struct {
	User, Entity, EntityID, From, To string
}

// auditRow is one entry as a reader sees it: the action and the record named in the
// catalog's words, unknown names shown raw and marked (Raw), and the fields that changed.
type auditRow struct {
	At         time.Time
	When       string
	Who        string
	System     bool
	Action     string
	ActionRaw  bool
	Entity     string
	EntityRaw  bool
	EntityID   int64
	RecordHref string // the log of this record alone
	Changes    []auditChange
	NoChange   bool // an update whose stored fields are the same before and after
	Before     string
	After      string
}

// auditChange is one field of a change: its name and its values before and after.
type auditChange struct {
	Field  string
	Raw    bool
	Before string
	After  string
}

func (s *Server) auditLog(w http.ResponseWriter, r *http.Request) {
	p := s.adminPage(w, r, "admin.audit.title")
	ctx := r.Context()
	l := p.L
	zone, city, err := s.homeZone(ctx, l.Lang)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data := auditData{Zone: "UTC", ZoneCity: city}
	if zone == nil {
		zone, data.ZoneCity = time.UTC, ""
	} else {
		data.Zone = zone.String()
	}
	users, err := auth.Users(ctx, s.db.R)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data.Users = append(data.Users, option{Value: "system", Label: l.T("audit.system")})
	for _, u := range users {
		data.Users = append(data.Users, option{Value: strconv.FormatInt(u.ID, 10), Label: u.Name()})
	}
	for _, e := range auth.Entities {
		data.Entities = append(data.Entities, option{Value: string(e), Label: l.T("audit.entity." + string(e))})
	}
	sortOptions(l, data.Entities)

	f, form, errs := readAuditFilter(r, zone)
	data.Filter = form
	p.Errors = errs
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusBadRequest
	}
	lq := readList(r, auditPageSize)
	total, err := auth.AuditCount(ctx, s.db.R, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data.List = newListView(l, r, lq, total)
	entries, err := auth.AuditSearch(ctx, s.db.R, f, data.List.Pager.Size, data.List.Pager.Offset)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, e := range entries {
		data.Rows = append(data.Rows, auditRowOf(l, e, zone))
	}
	p.Data = data
	s.render(w, r, status, "admin/audit", p)
}

// readAuditFilter reads the filter of the query: user ("system" or an id), entity, entity_id,
// and the dates from and to (both included) as days in zone. What cannot be read is left out
// of the filter and reported on its field.
func readAuditFilter(r *http.Request, zone *time.Location) (auth.AuditFilter, auditFilterForm, problem.Fields) {
	q := r.URL.Query()
	form := auditFilterForm{User: q.Get("user"), Entity: q.Get("entity"), EntityID: q.Get("entity_id"),
		From: q.Get("from"), To: q.Get("to")}
	var f auth.AuditFilter
	var errs problem.Fields
	switch form.User {
	case "":
	case "system":
		f.UserID = auth.AuditSystem
	default:
		if id, ok := parseID(form.User); ok {
			f.UserID = id
		} else {
			errs.Add("user", "validation.choice")
		}
	}
	if form.Entity != "" {
		if slices.Contains(auth.Entities, auth.Entity(form.Entity)) {
			f.Entity = auth.Entity(form.Entity)
		} else {
			errs.Add("entity", "validation.choice")
		}
	}
	if form.EntityID != "" {
		if id, ok := parseID(form.EntityID); ok {
			f.EntityID = id
		} else {
			errs.Add("entity_id", "audit.invalid_id")
		}
	}
	day := func(d civil.Date) time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, zone) }
	from := parseDate(&errs, "from", form.From)
	to := parseDate(&errs, "to", form.To)
	if !from.IsZero() {
		f.From = day(from)
	}
	if !to.IsZero() {
		f.Until = day(to).AddDate(0, 0, 1)
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		errs.Add("to", "audit.range_reversed")
		f.From, f.Until = time.Time{}, time.Time{}
	}
	return f, form, errs
}

// auditRowOf puts an entry into the reader's words.
func auditRowOf(l *i18n.Localizer, e auth.AuditEntry, zone *time.Location) auditRow {
	row := auditRow{At: e.At, Who: e.Username, System: e.UserID == 0, EntityID: e.EntityID,
		Before: e.Before, After: e.After}
	at := e.At.In(zone)
	row.When = l.T("audit.when_zoned", "datetime", l.DateTime(at, zone), "zone", at.Format("MST"))
	if row.System {
		row.Who = l.T("audit.system")
	}
	row.Action, row.ActionRaw = catalogName(l, "audit.action.", string(e.Action))
	row.Entity, row.EntityRaw = catalogName(l, "audit.entity.", string(e.Entity))
	if e.EntityID > 0 {
		row.RecordHref = "/admin/audit?entity=" + string(e.Entity) + "&entity_id=" + strconv.FormatInt(e.EntityID, 10)
	}
	before, after := jsonFields(e.Before), jsonFields(e.After)
	names := map[string]bool{}
	for k := range before {
		names[k] = true
	}
	for k := range after {
		names[k] = true
	}
	keys := make([]string, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b, hadB := before[k]
		a, hadA := after[k]
		if hadB && hadA && bytes.Equal(compactJSON(b), compactJSON(a)) {
			continue // unchanged: the details keep it
		}
		c := auditChange{}
		c.Field, c.Raw = catalogName(l, "audit.field.", k)
		if hadB {
			c.Before = auditValue(l, b)
		}
		if hadA {
			c.After = auditValue(l, a)
		}
		row.Changes = append(row.Changes, c)
	}
	row.NoChange = len(row.Changes) == 0 && e.Before != "" && e.After != ""
	return row
}

// catalogName is the catalog's word for name under prefix, or name itself and true when the
// catalog has none (a kind added without its words): shown as it is stored, and marked.
func catalogName(l *i18n.Localizer, prefix, name string) (string, bool) {
	if name == "" {
		return "", false
	}
	key := prefix + name
	if s := l.T(key); s != key {
		return s, false
	}
	return name, true
}

// jsonFields reads a stored record as its fields; a record that is not a JSON object is one
// field, "value".
func jsonFields(s string) map[string]json.RawMessage {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return map[string]json.RawMessage{"value": json.RawMessage(s)}
	}
	return m
}

func compactJSON(b json.RawMessage) []byte {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return b
	}
	return buf.Bytes()
}

// auditValue shows a stored value: text as it is, yes/no for flags, a dash for nothing, and
// lists and objects as compact JSON, shortened.
func auditValue(l *i18n.Localizer, b json.RawMessage) string {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return shorten(string(b), maxAuditValueRunes)
	}
	switch v := v.(type) {
	case nil:
		return "—"
	case string:
		if v == "" {
			return "—"
		}
		return shorten(v, maxAuditValueRunes)
	case bool:
		if v {
			return l.T("audit.value.yes")
		}
		return l.T("audit.value.no")
	case float64:
		return string(compactJSON(b))
	default:
		return shorten(string(compactJSON(b)), maxAuditValueRunes)
	}
}
