package register

// Import and export of the whole register, as CSV or JSON.
//
// Reading a file (ReadCSV or Read) and importing it (Import) are separate steps: reading
// turns bytes into Rows and notes every cell it cannot read; Import matches the rows against
// the database, validates what would be stored with City.Validate and Partnership.Validate,
// and reports every problem of the file at once, each with its line (CSV) or item (JSON) and
// field, as catalog messages. A file with any problem imports nothing.
//
// Import merges: a city is matched by its Wikidata id, else by English name and country; a
// partnership by (home city, partner city, type). Importing the same file twice changes nothing
// the second time. A CSV file sets only the fields it has columns for (an empty cell clears
// the field; a missing column leaves it as it is); a JSON item is a full record.

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"sistercity/internal/civil"
	"sistercity/internal/i18n"
	"sistercity/internal/langtext"
	"sistercity/internal/problem"
)

// Limits on an import file.
const (
	MaxImportBytes = 10 << 20
	MaxImportRows  = 10_000
	// maxListedProblems bounds the problems kept for display; the rest are only counted.
	maxListedProblems = 1000
)

// The file formats.
const (
	FormatCSV  = "csv"
	FormatJSON = "json"
)

// Place says where in an import file something is.
type Place struct {
	Line int  // CSV: the line, counting the header as line 1
	Item int  // JSON: the position in "partnerships", counting from 1
	Home bool // the home city: "home_city" of a JSON file, or the one given with the import
}

// Where names the place for a reader, as a catalog message.
func (p Place) Where() i18n.Msg {
	switch {
	case p.Home:
		return i18n.M("import.where.home")
	case p.Item > 0:
		return i18n.M("import.where.item", "item", strconv.Itoa(p.Item))
	case p.Line > 0:
		return i18n.M("import.where.line", "line", strconv.Itoa(p.Line))
	}
	return i18n.M("import.where.file")
}

// FileError is one problem of an import file: where it is, which column or field (empty when
// the problem is not about one), and what is wrong.
type FileError struct {
	Place
	Field string
	Msg   i18n.Msg
}

// FileErrors is every problem found in an import file. Import returns it and stores nothing.
type FileErrors struct {
	List  []FileError
	Total int // every problem found; more than len(List) when the list was cut short
}

func (e FileErrors) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "register: import file has %d problem(s)", e.Total)
	for i, fe := range e.List {
		if i == 5 {
			b.WriteString("; …")
			break
		}
		sep := ": "
		if i > 0 {
			sep = "; "
		}
		fmt.Fprintf(&b, "%s%s %s: %s", sep, placeString(fe.Place), fe.Field, fe.Msg.Key)
	}
	return b.String()
}

func placeString(p Place) string {
	switch {
	case p.Home:
		return "home city"
	case p.Item > 0:
		return "item " + strconv.Itoa(p.Item)
	case p.Line > 0:
		return "line " + strconv.Itoa(p.Line)
	}
	return "file"
}

// AsFileErrors finds FileErrors in err's chain.
func AsFileErrors(err error) (FileErrors, bool) {
	var fe FileErrors
	ok := errors.As(err, &fe)
	return fe, ok
}

// problems collects FileErrors without repeating one and without growing without bound.
type problems struct {
	list  []FileError
	total int
	seen  map[string]bool
}

func (p *problems) add(pl Place, field, key string, args ...any) {
	p.addMsg(pl, field, i18n.M(key, args...))
}

func (p *problems) addMsg(pl Place, field string, m i18n.Msg) {
	k := fmt.Sprintf("%v|%s|%s|%v", pl, field, m.Key, m.Args)
	if p.seen == nil {
		p.seen = map[string]bool{}
	}
	if p.seen[k] {
		return
	}
	p.seen[k] = true
	p.total++
	if len(p.list) < maxListedProblems {
		p.list = append(p.list, FileError{Place: pl, Field: field, Msg: m})
	}
}

func (p problems) clone() problems {
	c := p
	c.list = slices.Clone(p.list)
	c.seen = maps.Clone(p.seen)
	return c
}

// err returns the problems as FileErrors, those about the whole file first, then the home
// city, then the rows in file order.
func (p *problems) err() error {
	if p.total == 0 {
		return nil
	}
	rank := func(pl Place) int {
		switch {
		case pl == Place{}:
			return 0
		case pl.Home:
			return 1
		}
		return 2
	}
	list := slices.Clone(p.list)
	slices.SortStableFunc(list, func(a, b FileError) int {
		if c := cmp.Compare(rank(a.Place), rank(b.Place)); c != 0 {
			return c
		}
		return cmp.Compare(a.Line+a.Item, b.Line+b.Item)
	})
	return FileErrors{List: list, Total: p.total}
}

// Canonical field names: the CSV column names, which the JSON format shares. Errors name the
// field as the file wrote it (note_en, population_thousands, partner.country).
const (
	fCountry      = "country"
	fKind         = "kind"
	fPopulation   = "population"
	fArea         = "area_km2"
	fStatsAsOf    = "stats_as_of"
	fFoundedOn    = "founded_on"
	fFoundingNote = "founding_note"
	fCityDayRule  = "city_day_rule"
	fTimezone     = "timezone"
	fWikidata     = "wikidata"
	fContacts     = "contacts"
	fTexts        = "texts" // JSON: the whole list of names and descriptions

	fType         = "type"
	fSignedOn     = "signed_on"
	fSignedAt     = "signed_at"
	fStatus       = "status"
	fApprovedOn   = "council_approved_on"
	fCouncilNote  = "council_note"
	fNote         = "note"
	fAreas        = "areas"
	fSignatories  = "signatories"
	fHistory      = "history"
	fClaimOn      = "partner_claimed_on"
	fClaimSource  = "partner_claim_source"
	fHomeClaimOn  = "home_claimed_on" // JSON only
	fHomeClaimSrc = "home_claim_source"

	namePrefix = "name_"
	descPrefix = "description_"
	// signedAtPrefix starts the columns of the place of signing per language: signed_at_ko.
	signedAtPrefix = "signed_at_"
)

// Sides of a date claim.
const (
	sideHome    = "home"
	sidePartner = "partner"
)

// partnershipFields are the fields of a row that belong to the partnership, not to the city.
var partnershipFields = []string{fType, fSignedOn, fSignedAt, fStatus, fApprovedOn, fCouncilNote, fNote, fAreas,
	fSignatories, fHistory, fClaimOn, fClaimSource, fHomeClaimOn, fHomeClaimSrc}

// Row is one partnership of an import file with its partner city.
type Row struct {
	Place
	Partner     City
	Partnership Partnership // Type, dates, status, … ; DateClaims are kept apart, see SetPartnerClaim

	claims map[string]DateClaim // by side; a side the row gives but lacks here is cleared
	given  map[string]bool      // fields the row sets; nil: the row is a full record (JSON)
	// signedAtLangs are the languages of the place of signing a CSV row gives (signed_at_ko,
	// or und for signed_at); the others are kept. Nil: the row gives the place in full.
	signedAtLangs []string
	bad           map[string]bool // fields that could not be read
	label         func(field string) string
}

// SetPartnerClaim records the date the partner city gives for the partnership when it differs
// from signed_on (Los Angeles gives 1971-04-05 for its partnership with Busan, signed on
// 1967-12-18), as the partner_claimed_on and partner_claim_source columns do.
func (r *Row) SetPartnerClaim(on civil.Date, source string) {
	if r.claims == nil {
		r.claims = map[string]DateClaim{}
	}
	r.claims[sidePartner] = DateClaim{ClaimedOn: on, Source: source}
	if r.given != nil {
		r.given[fClaimOn] = true
	}
}

// gives tells whether the row sets field.
func (r *Row) gives(field string) bool {
	if r.given == nil {
		switch {
		case field == fHistory:
			return len(r.Partnership.History) > 0
		case strings.HasPrefix(field, namePrefix), strings.HasPrefix(field, descPrefix):
			return false // a full record replaces the texts as a whole
		}
		return true
	}
	return r.given[field]
}

func (r *Row) fieldLabel(field string) string {
	if r.label == nil {
		return field
	}
	return r.label(field)
}

// File is a register file read by ReadCSV or ReadJSON, ready for Import.
type File struct {
	Format string
	Rows   []*Row

	home  *Row     // JSON: the home city the file was exported from
	probs problems // cells that could not be read, reported by Import with the rest
}

// ImportOptions tune an import.
type ImportOptions struct {
	// Today is the date after which no date may lie; zero means today in UTC.
	Today civil.Date
	// HomeCity is used when the file carries none (only JSON does): when the site has no home
	// city yet it is created, or matched to an existing city; when the site has one, it must
	// be that city. It never changes an existing city.
	HomeCity *City
	// StatsAsOf dates the population and area of rows that give them without stats_as_of
	// (busan-partners.csv gives figures as of January 2022 and has no such column).
	StatsAsOf civil.Date
	// DryRun checks the file and counts what would change, without writing anything.
	DryRun bool
	// UserID is recorded with status changes; 0 for the command line.
	UserID int64
}

// Action is what an import does to one record.
type Action string

// Actions of an import.
const (
	Created   Action = "created"
	Updated   Action = "updated"
	Unchanged Action = "unchanged"
)

// RowChange is what importing one row does.
type RowChange struct {
	Place
	Partner       *City // as it will be stored
	Type          string
	City          Action
	Partnership   Action
	Fields        []string // the fields that change, for an update
	PartnershipID int64    // 0 in a dry run for a new partnership
}

// ImportResult counts what an import did (or, in a dry run, would do). The site's home city
// counts among the cities only when the import creates it or the file describes it.
type ImportResult struct {
	Rows                                                            int
	HomeCityID                                                      int64 // 0 in a dry run that would create it
	CitiesCreated, CitiesUpdated, CitiesUnchanged                   int
	PartnershipsCreated, PartnershipsUpdated, PartnershipsUnchanged int
	Changes                                                         []RowChange // one per row, in file order
}

// Summary is the result in a form fit for an audit entry.
func (r *ImportResult) Summary() map[string]int {
	return map[string]int{
		"rows":                   r.Rows,
		"cities_created":         r.CitiesCreated,
		"cities_updated":         r.CitiesUpdated,
		"cities_unchanged":       r.CitiesUnchanged,
		"partnerships_created":   r.PartnershipsCreated,
		"partnerships_updated":   r.PartnershipsUpdated,
		"partnerships_unchanged": r.PartnershipsUnchanged,
	}
}

// Import stores the rows of f in the caller's transaction: it matches cities and partnerships,
// validates every row and, when the whole file is sound, creates and updates records. When any
// row has a problem it returns FileErrors and writes nothing. Auditing is the caller's job.
func Import(ctx context.Context, tx *sql.Tx, f *File, opts ImportOptions) (*ImportResult, error) {
	today := opts.Today
	if today.IsZero() {
		today = civil.Today(time.UTC)
	}
	if !opts.DryRun {
		if err := lockImports(ctx, tx); err != nil {
			return nil, err
		}
	}
	st, err := loadState(ctx, tx)
	if err != nil {
		return nil, err
	}
	pl := &importPlan{st: st, opts: opts, today: today, seen: map[partnershipKey]*partnershipPlan{}, probs: f.probs.clone()}
	for _, c := range st.cities {
		pl.index(pl.existing(c))
	}
	pl.planHome(f.home)
	for _, r := range f.Rows {
		pl.planRow(r)
	}
	pl.validate()
	if err := pl.probs.err(); err != nil {
		return nil, err
	}
	res := pl.result(len(f.Rows))
	if opts.DryRun {
		return res, nil
	}
	if err := pl.apply(ctx, tx); err != nil {
		return nil, err
	}
	res.HomeCityID = pl.home.after.ID
	for i, pp := range pl.rows {
		res.Changes[i].PartnershipID = pp.after.ID
	}
	return res, nil
}

// lockImports serialises imports: the upsert takes a row lock (PostgreSQL) or the write lock
// (SQLite) held until the caller commits, so two imports of one file at once cannot both create
// the same cities.
func lockImports(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('register_import_lock', '')
		ON CONFLICT (key) DO UPDATE SET value = settings.value`)
	if err != nil {
		return fmt.Errorf("register: import lock: %w", err)
	}
	return nil
}

// cityPlan is one city an import touches.
type cityPlan struct {
	before *City // as stored; nil for a new city
	after  *City // as it will be stored
	row    *Row  // the first row that describes the city; nil when none does
	tmpID  int64 // stands in for the id of a new city during validation
	action Action
	fields []string
}

func (c *cityPlan) id() int64 {
	if c.before != nil {
		return c.before.ID
	}
	return c.tmpID
}

type partnershipKey struct {
	city *cityPlan
	typ  string
}

// partnershipPlan is one row's partnership.
type partnershipPlan struct {
	row    *Row
	city   *cityPlan
	before *Partnership // as stored, with children; nil for a new one
	after  *Partnership
	claims map[string]*DateClaim // by side, for the sides the row gives; nil value: remove
	action Action
	core   bool // fields of the partnership itself change, not only claims or history
	fields []string
}

type importPlan struct {
	st     *registerState
	opts   ImportOptions
	today  civil.Date
	probs  problems
	home   *cityPlan
	cities []*cityPlan // in the order the file names them, the home city first
	byWD   map[string]*cityPlan
	byName map[string]*cityPlan
	plans  map[int64]*cityPlan // existing cities by id
	rows   []*partnershipPlan
	seen   map[partnershipKey]*partnershipPlan
	nextID int64
}

func (pl *importPlan) existing(c *City) *cityPlan {
	if pl.plans == nil {
		pl.plans = map[int64]*cityPlan{}
	}
	if p := pl.plans[c.ID]; p != nil {
		return p
	}
	p := &cityPlan{before: c, after: cloneCity(c)}
	pl.plans[c.ID] = p
	return p
}

func (pl *importPlan) newCity() *cityPlan {
	pl.nextID--
	return &cityPlan{after: &City{Kind: KindCity}, tmpID: pl.nextID}
}

func cityNameKey(c *City) string {
	t, ok := c.text("en")
	if !ok || strings.TrimSpace(t.Name) == "" || c.Country == "" {
		return ""
	}
	return strings.ToLower(strings.Join(strings.Fields(t.Name), " ")) + "|" + c.Country
}

// index makes p findable under its current Wikidata id and English name. Earlier keys stay.
func (pl *importPlan) index(p *cityPlan) {
	if pl.byWD == nil {
		pl.byWD, pl.byName = map[string]*cityPlan{}, map[string]*cityPlan{}
	}
	if wd := p.after.Wikidata; wd != "" && pl.byWD[wd] == nil {
		pl.byWD[wd] = p
	}
	if k := cityNameKey(p.after); k != "" && pl.byName[k] == nil {
		pl.byName[k] = p
	}
}

// find matches c by Wikidata id, else by English name and country (unless the city found has
// another Wikidata id: then it is another city of the same name).
func (pl *importPlan) find(c *City) *cityPlan {
	if c.Wikidata != "" {
		if p := pl.byWD[c.Wikidata]; p != nil {
			return p
		}
	}
	k := cityNameKey(c)
	if k == "" {
		return nil
	}
	p := pl.byName[k]
	if p != nil && c.Wikidata != "" && p.after.Wikidata != "" && p.after.Wikidata != c.Wikidata {
		return nil
	}
	return p
}

func (pl *importPlan) planHome(fileHome *Row) {
	rec, creationOnly := fileHome, false
	if rec == nil && pl.opts.HomeCity != nil {
		c := cloneCity(pl.opts.HomeCity)
		c.ID, c.Version = 0, 0
		if c.Kind == "" {
			c.Kind = KindCity
		}
		rec, creationOnly = &Row{Place: Place{Home: true}, Partner: *c}, true
	}
	var current *cityPlan
	if pl.st.homeID != 0 {
		if c := pl.st.byID[pl.st.homeID]; c != nil {
			current = pl.existing(c)
		}
	}
	switch {
	case rec == nil && current == nil:
		pl.probs.add(Place{}, "", "import.error.no_home_city")
		pl.home = pl.newCity()
		return
	case rec == nil:
		pl.home = current
		return
	}
	m := pl.find(&rec.Partner)
	if current != nil && m != current {
		pl.probs.add(Place{Home: true}, "", "import.error.home_city_mismatch",
			"file", rec.Partner.Name("en"), "site", current.after.Name("en"))
		pl.home = current
		return
	}
	if m == nil {
		m = pl.newCity()
		m.row = rec
		mergeCity(m.after, rec, pl.opts.StatsAsOf)
	} else if !creationOnly {
		m.row = rec
		mergeCity(m.after, rec, pl.opts.StatsAsOf)
	}
	pl.home = m
	pl.index(m)
}

func (pl *importPlan) planRow(r *Row) {
	m := pl.find(&r.Partner)
	switch {
	case m != nil && m == pl.home:
		pl.probs.add(r.Place, r.fieldLabel(namePrefix+"en"), "validation.same_city")
		return
	case m == nil:
		m = pl.newCity()
		m.row = r
		mergeCity(m.after, r, pl.opts.StatsAsOf)
		pl.cities = append(pl.cities, m)
	case m.row == nil:
		m.row = r
		mergeCity(m.after, r, pl.opts.StatsAsOf)
		pl.cities = append(pl.cities, m)
	default:
		// A second row about the same city (a friendship later raised to sister city) must
		// describe it as the first did; otherwise which of the two wins would depend on order.
		trial := cloneCity(m.after)
		mergeCity(trial, r, pl.opts.StatsAsOf)
		if d := cityDiff(m.after, trial); len(d) > 0 {
			pl.probs.add(r.Place, r.fieldLabel(d[0]), "import.error.city_conflict", "where", m.row.Where())
		}
	}
	pl.index(m)

	key := partnershipKey{m, r.Partnership.Type}
	if prev := pl.seen[key]; prev != nil {
		pl.probs.add(r.Place, r.fieldLabel(fType), "import.error.duplicate_row", "where", prev.row.Where())
		return
	}
	pp := &partnershipPlan{row: r, city: m}
	pl.seen[key] = pp
	if pl.home.before != nil && m.before != nil {
		pp.before = pl.st.partnerships[storedKey{m.before.ID, r.Partnership.Type}]
	}
	if pp.before != nil {
		pp.after = clonePartnership(pp.before)
	} else {
		pp.after = &Partnership{Type: r.Partnership.Type, Status: StatusActive}
	}
	mergePartnership(pp.after, r)
	for _, side := range []string{sideHome, sidePartner} {
		field := fClaimOn
		if side == sideHome {
			field = fHomeClaimOn
		}
		if !r.gives(field) {
			continue
		}
		if pp.claims == nil {
			pp.claims = map[string]*DateClaim{}
		}
		if c, ok := r.claims[side]; ok && (!c.ClaimedOn.IsZero() || c.Source != "") {
			pp.claims[side] = &c
		} else {
			pp.claims[side] = nil
		}
	}
	pl.rows = append(pl.rows, pp)
}

// validate checks every record as it would be stored and notes the problems against the row
// that describes it, under the field name the file uses.
func (pl *importPlan) validate() {
	check := func(r *Row, field string, m i18n.Msg) {
		switch {
		case field == "name":
			field = namePrefix + "en"
		case field == "partner_city_id":
			field = namePrefix + "en"
		}
		if r.bad[field] {
			return // already reported as unreadable
		}
		if m.Key == "validation.stats_as_of_required" {
			if !r.gives(fStatsAsOf) {
				// The file has no such column: one message for the file, not one per row.
				pl.probs.add(Place{}, fStatsAsOf, "import.error.stats_as_of_option")
				return
			}
			m = i18n.M("import.error.stats_as_of")
		}
		pl.probs.addMsg(r.Place, r.fieldLabel(field), m)
	}
	for _, c := range append([]*cityPlan{pl.home}, pl.cities...) {
		if c.row == nil {
			continue
		}
		// Validate accepts a name in any language; matching needs the English one.
		if t, ok := c.after.text("en"); !ok || strings.TrimSpace(t.Name) == "" {
			check(c.row, namePrefix+"en", i18n.M("validation.required"))
		}
		for _, fe := range c.after.Validate(pl.today) {
			check(c.row, fe.Field, fe.Msg)
		}
	}
	for _, pp := range pl.rows {
		p := *pp.after
		p.HomeCityID, p.PartnerCityID = pl.home.id(), pp.city.id()
		for _, fe := range p.Validate(pl.today) {
			check(pp.row, fe.Field, fe.Msg)
		}
		for _, h := range pp.row.Partnership.History {
			if !slices.Contains(Statuses, h.Status) {
				check(pp.row, fHistory, i18n.M("import.error.unknown_value", "value", h.Status, "values", strings.Join(Statuses, ", ")))
			}
			if h.ChangedOn.IsZero() {
				check(pp.row, fHistory, i18n.M("validation.required"))
			}
			for _, m := range dateProblems(h.ChangedOn, earliest, pl.today) {
				check(pp.row, fHistory, m)
			}
			for _, l := range h.Reason.Langs() {
				if utf8.RuneCountInString(h.Reason[l]) > maxText {
					check(pp.row, fHistory, i18n.M("validation.too_long", "count", maxText))
				}
			}
			if len(h.Reason.CheckLangs()) > 0 {
				check(pp.row, fHistory, i18n.M("validation.language_tag"))
			}
		}
		for side, c := range pp.claims {
			if c == nil {
				continue
			}
			onField, srcField := fClaimOn, fClaimSource
			if side == sideHome {
				onField, srcField = fHomeClaimOn, fHomeClaimSrc
			}
			if c.ClaimedOn.IsZero() {
				check(pp.row, onField, i18n.M("validation.required"))
			}
			for _, m := range dateProblems(c.ClaimedOn, earliest, pl.today) {
				check(pp.row, onField, m)
			}
			if strings.TrimSpace(c.Source) == "" {
				check(pp.row, srcField, i18n.M("validation.required"))
			}
			if utf8.RuneCountInString(c.Source) > maxShort {
				check(pp.row, srcField, i18n.M("validation.too_long", "count", maxShort))
			}
		}
	}
}

// dateProblems checks that d, when known, lies between min and max, as checkDate does.
func dateProblems(d, min, max civil.Date) []i18n.Msg {
	var f problem.Fields
	checkDate(&f, "", d, min, max)
	out := make([]i18n.Msg, len(f))
	for i, fe := range f {
		out[i] = fe.Msg
	}
	return out
}

// result works out what each record's import does.
func (pl *importPlan) result(rows int) *ImportResult {
	res := &ImportResult{Rows: rows}
	for _, c := range append([]*cityPlan{pl.home}, pl.cities...) {
		switch {
		case c.before == nil:
			c.action = Created
			res.CitiesCreated++
		case c.row == nil:
			c.action = Unchanged // the site's home city, which the file does not describe
		default:
			c.fields = cityDiff(c.before, c.after)
			if len(c.fields) == 0 {
				c.action = Unchanged
				res.CitiesUnchanged++
			} else {
				c.action = Updated
				res.CitiesUpdated++
			}
		}
	}
	for _, pp := range pl.rows {
		ch := RowChange{Place: pp.row.Place, Partner: pp.city.after, Type: pp.after.Type, City: pp.city.action}
		if pp.before == nil {
			pp.action = Created
			res.PartnershipsCreated++
		} else {
			pp.fields = partnershipDiff(pp.before, pp.after)
			pp.core = len(pp.fields) > 0
			pp.fields = append(pp.fields, pl.claimDiff(pp)...)
			if pp.row.gives(fHistory) && !sameHistory(pp.before.History, pp.row.Partnership.History) {
				pp.fields = append(pp.fields, fHistory)
			}
			if len(pp.fields) == 0 {
				pp.action = Unchanged
				res.PartnershipsUnchanged++
			} else {
				pp.action = Updated
				res.PartnershipsUpdated++
			}
		}
		ch.Partnership = pp.action
		if pp.city.row == pp.row {
			ch.Fields = append(ch.Fields, pp.city.fields...)
		}
		ch.Fields = append(ch.Fields, pp.fields...)
		res.Changes = append(res.Changes, ch)
	}
	return res
}

func (pl *importPlan) claimDiff(pp *partnershipPlan) []string {
	var out []string
	for _, side := range []string{sidePartner, sideHome} {
		want, given := pp.claims[side]
		if !given {
			continue
		}
		cur := storedClaim(pp.before, pl.sideCityID(pp, side))
		if !sameClaim(cur, want) {
			if side == sidePartner {
				out = append(out, fClaimOn)
			} else {
				out = append(out, fHomeClaimOn)
			}
		}
	}
	return out
}

func (pl *importPlan) sideCityID(pp *partnershipPlan, side string) int64 {
	if side == sideHome {
		return pl.home.after.ID
	}
	return pp.city.after.ID
}

func storedClaim(p *Partnership, cityID int64) *DateClaim {
	if p == nil || cityID == 0 {
		return nil
	}
	for i := range p.DateClaims {
		if p.DateClaims[i].CityID == cityID {
			return &p.DateClaims[i]
		}
	}
	return nil
}

func sameClaim(a, b *DateClaim) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.ClaimedOn == b.ClaimedOn && a.Source == b.Source
}

// apply writes the plan.
func (pl *importPlan) apply(ctx context.Context, tx *sql.Tx) error {
	for _, c := range append([]*cityPlan{pl.home}, pl.cities...) {
		switch c.action {
		case Created:
			if err := CreateCity(ctx, tx, c.after); err != nil {
				return err
			}
		case Updated:
			if err := UpdateCity(ctx, tx, c.after); err != nil {
				return err
			}
		}
	}
	if pl.st.homeID != pl.home.after.ID {
		if err := SetHomeCity(ctx, tx, pl.home.after.ID); err != nil {
			return err
		}
	}
	for _, pp := range pl.rows {
		p := pp.after
		p.HomeCityID, p.PartnerCityID = pl.home.after.ID, pp.city.after.ID
		switch {
		case pp.action == Created:
			if err := CreatePartnership(ctx, tx, p, pl.opts.UserID); err != nil {
				return err
			}
		case pp.action == Updated && pp.core:
			if err := UpdatePartnership(ctx, tx, p, pl.today, nil, pl.opts.UserID); err != nil {
				return err
			}
		}
		if pp.action == Unchanged {
			continue
		}
		for side, want := range pp.claims {
			cityID := pl.sideCityID(pp, side)
			cur := storedClaim(pp.before, cityID)
			switch {
			case sameClaim(cur, want):
			case want == nil:
				if err := DeleteDateClaim(ctx, tx, p.ID, cur.ID); err != nil {
					return err
				}
			default:
				if err := SetDateClaim(ctx, tx, p.ID, DateClaim{CityID: cityID, ClaimedOn: want.ClaimedOn, Source: want.Source}); err != nil {
					return err
				}
			}
		}
		if pp.row.gives(fHistory) {
			if err := syncHistory(ctx, tx, p.ID, pp.row.Partnership.History, pl.opts.UserID); err != nil {
				return err
			}
		}
	}
	return nil
}

// syncHistory makes a partnership's status history the entries of want, keeping the stored
// entries that match (and with them who recorded them and when).
func syncHistory(ctx context.Context, tx *sql.Tx, partnershipID int64, want []StatusChange, userID int64) error {
	type stored struct {
		id int64
		h  StatusChange
	}
	var have []stored
	reasons, err := LoadReasons(ctx, tx, "partnership_status_reasons",
		"WHERE history_id IN (SELECT id FROM partnership_status_history WHERE partnership_id = $1)", partnershipID)
	if err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, status, changed_on FROM partnership_status_history
		WHERE partnership_id = $1 ORDER BY changed_on, id`, partnershipID)
	if err != nil {
		return fmt.Errorf("register: partnership %d history: %w", partnershipID, err)
	}
	for rows.Next() {
		var s stored
		err := rows.Scan(&s.id, &s.h.Status, &s.h.ChangedOn)
		s.h.Reason = reasons[s.id]
		if err != nil {
			rows.Close()
			return fmt.Errorf("register: partnership %d history: %w", partnershipID, err)
		}
		have = append(have, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("register: partnership %d history: %w", partnershipID, err)
	}
	missing := slices.Clone(want)
	for _, s := range have {
		i := slices.IndexFunc(missing, func(h StatusChange) bool { return sameStatusChange(h, s.h) })
		if i >= 0 {
			missing = slices.Delete(missing, i, i+1)
			continue
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM partnership_status_history WHERE id = $1", s.id); err != nil {
			return fmt.Errorf("register: partnership %d history: %w", partnershipID, err)
		}
	}
	for _, h := range missing {
		if err := addHistory(ctx, tx, partnershipID, h, userID); err != nil {
			return err
		}
	}
	return nil
}

func sameStatusChange(a, b StatusChange) bool {
	return a.Status == b.Status && a.ChangedOn == b.ChangedOn && langtext.Equal(a.Reason, b.Reason)
}

// sameHistory compares two histories as sets of entries, whatever their order.
func sameHistory(a, b []StatusChange) bool {
	if len(a) != len(b) {
		return false
	}
	rest := slices.Clone(b)
	for _, h := range a {
		i := slices.IndexFunc(rest, func(x StatusChange) bool { return sameStatusChange(h, x) })
		if i < 0 {
			return false
		}
		rest = slices.Delete(rest, i, i+1)
	}
	return true
}

// mergeCity sets on dst the fields r gives. A row that gives a population or an area without
// stats_as_of takes statsAsOf.
func mergeCity(dst *City, r *Row, statsAsOf civil.Date) {
	src := &r.Partner
	if r.given == nil {
		id, version := dst.ID, dst.Version
		*dst = *cloneCity(src)
		dst.ID, dst.Version = id, version
	} else {
		for field := range r.given {
			switch field {
			case fCountry:
				dst.Country = src.Country
			case fKind:
				dst.Kind = src.Kind
			case fPopulation:
				dst.Population = src.Population
			case fArea:
				dst.AreaKm2 = src.AreaKm2
			case fStatsAsOf:
				dst.StatsAsOf = src.StatsAsOf
			case fFoundedOn:
				dst.FoundedOn = src.FoundedOn
			case fFoundingNote:
				dst.FoundingNote = src.FoundingNote
			case fCityDayRule:
				dst.CityDayRule = src.CityDayRule
			case fTimezone:
				dst.Timezone = src.Timezone
			case fWikidata:
				dst.Wikidata = src.Wikidata
			case fContacts:
				dst.Contacts = slices.Clone(src.Contacts)
			}
		}
		langs := map[string]bool{}
		for field := range r.given {
			if lang, ok := strings.CutPrefix(field, namePrefix); ok {
				langs[lang] = true
			} else if lang, ok := strings.CutPrefix(field, descPrefix); ok {
				langs[lang] = true
			}
		}
		for lang := range langs {
			cur, _ := dst.text(lang)
			in, _ := src.text(lang)
			if r.given[namePrefix+lang] {
				cur.Name = in.Name
			}
			if r.given[descPrefix+lang] {
				cur.Description = in.Description
			}
			dst.SetText(lang, cur.Name, cur.Description)
		}
	}
	sortTexts(dst)
	figures := (r.gives(fPopulation) && src.Population != nil) || (r.gives(fArea) && src.AreaKm2 != nil)
	if figures && src.StatsAsOf.IsZero() && !statsAsOf.IsZero() {
		dst.StatsAsOf = statsAsOf
	}
}

func sortTexts(c *City) {
	slices.SortFunc(c.Texts, func(a, b Text) int { return strings.Compare(a.Lang, b.Lang) })
}

// mergePartnership sets on dst the fields r gives.
func mergePartnership(dst *Partnership, r *Row) {
	src := &r.Partnership
	dst.Type = src.Type
	for _, field := range []string{fSignedOn, fSignedAt, fStatus, fApprovedOn, fCouncilNote, fNote, fAreas, fSignatories} {
		if !r.gives(field) {
			continue
		}
		switch field {
		case fSignedOn:
			dst.SignedOn = src.SignedOn
		case fSignedAt:
			dst.SignedAt = mergeTexts(dst.SignedAt, src.SignedAt, r.signedAtLangs)
		case fStatus:
			dst.Status = src.Status
		case fApprovedOn:
			dst.CouncilApprovedOn = src.CouncilApprovedOn
		case fCouncilNote:
			dst.CouncilNote = src.CouncilNote
		case fNote:
			dst.Note = src.Note
		case fAreas:
			dst.Areas = normaliseAreas(src.Areas)
		case fSignatories:
			dst.Signatories = CloneSignatories(src.Signatories)
		}
	}
}

// mergeTexts is have with the languages langs set from give, or give itself when langs is nil.
func mergeTexts(have, give langtext.Texts, langs []string) langtext.Texts {
	if langs == nil {
		return give.Clone()
	}
	out := have.Clone()
	if out == nil {
		out = langtext.Texts{}
	}
	for _, l := range langs {
		out.Set(l, give[l])
	}
	return out
}

func normaliseAreas(areas []string) []string {
	out := slices.Clone(areas)
	slices.Sort(out)
	return slices.Compact(out)
}

func cloneCity(c *City) *City {
	n := *c
	n.Texts = slices.Clone(c.Texts)
	n.Contacts = slices.Clone(c.Contacts)
	if c.Population != nil {
		v := *c.Population
		n.Population = &v
	}
	if c.AreaKm2 != nil {
		v := *c.AreaKm2
		n.AreaKm2 = &v
	}
	return &n
}

func clonePartnership(p *Partnership) *Partnership {
	n := *p
	n.Signatories = CloneSignatories(p.Signatories)
	n.SignedAt = p.SignedAt.Clone()
	n.Areas = slices.Clone(p.Areas)
	n.History = slices.Clone(p.History)
	n.DateClaims = slices.Clone(p.DateClaims)
	n.Documents = nil
	return &n
}

// cityDiff names the fields in which a and b differ.
func cityDiff(a, b *City) []string {
	var out []string
	add := func(differ bool, field string) {
		if differ {
			out = append(out, field)
		}
	}
	langs := map[string]bool{}
	for _, t := range append(slices.Clone(a.Texts), b.Texts...) {
		langs[t.Lang] = true
	}
	sorted := make([]string, 0, len(langs))
	for l := range langs {
		sorted = append(sorted, l)
	}
	slices.Sort(sorted)
	for _, l := range sorted {
		ta, _ := a.text(l)
		tb, _ := b.text(l)
		add(ta.Name != tb.Name, namePrefix+l)
		add(ta.Description != tb.Description, descPrefix+l)
	}
	add(a.Country != b.Country, fCountry)
	add(a.Kind != b.Kind, fKind)
	add(!equalPtr(a.Population, b.Population), fPopulation)
	add(!equalPtr(a.AreaKm2, b.AreaKm2), fArea)
	add(a.StatsAsOf != b.StatsAsOf, fStatsAsOf)
	add(a.FoundedOn != b.FoundedOn, fFoundedOn)
	add(a.FoundingNote != b.FoundingNote, fFoundingNote)
	add(a.CityDayRule != b.CityDayRule, fCityDayRule)
	add(a.Timezone != b.Timezone, fTimezone)
	add(a.Wikidata != b.Wikidata, fWikidata)
	add(!slices.Equal(a.Contacts, b.Contacts), fContacts)
	return out
}

// partnershipDiff names the fields of the partnership itself in which a and b differ.
func partnershipDiff(a, b *Partnership) []string {
	var out []string
	add := func(differ bool, field string) {
		if differ {
			out = append(out, field)
		}
	}
	add(a.SignedOn != b.SignedOn, fSignedOn)
	add(!langtext.Equal(a.SignedAt, b.SignedAt), fSignedAt)
	add(a.Status != b.Status, fStatus)
	add(a.CouncilApprovedOn != b.CouncilApprovedOn, fApprovedOn)
	add(a.CouncilNote != b.CouncilNote, fCouncilNote)
	add(a.Note != b.Note, fNote)
	add(!slices.Equal(normaliseAreas(a.Areas), normaliseAreas(b.Areas)), fAreas)
	add(!EqualSignatories(a.Signatories, b.Signatories), fSignatories)
	return out
}

func equalPtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}
