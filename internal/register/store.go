package register

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"

	"sistercity/internal/attach"
	"sistercity/internal/civil"
	"sistercity/internal/db"
	"sistercity/internal/langtext"
)

// ErrStale is returned when a record changed since the editor loaded it; it is a db.ErrStale.
var ErrStale = fmt.Errorf("register: record %w", db.ErrStale)

// ErrInUse is returned when a city still takes part in partnerships.
var ErrInUse = errors.New("register: city is in use")

// ErrDuplicate is returned when the same two cities already have a partnership of that type.
var ErrDuplicate = errors.New("register: duplicate partnership")

// ErrNoHomeCity is returned when the instance has no home city yet.
var ErrNoHomeCity = errors.New("register: no home city set")

func itoa(n int) string { return strconv.Itoa(n) }

// HomeCityID returns the id of the city this instance speaks for.
func HomeCityID(ctx context.Context, q db.Querier) (int64, error) {
	var v string
	err := q.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = 'home_city_id'").Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNoHomeCity
	}
	if err != nil {
		return 0, fmt.Errorf("register: home city: %w", err)
	}
	return strconv.ParseInt(v, 10, 64)
}

// SetHomeCity makes id the city this instance speaks for.
func SetHomeCity(ctx context.Context, tx *sql.Tx, id int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('home_city_id', $1)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, strconv.FormatInt(id, 10))
	if err != nil {
		return fmt.Errorf("register: set home city: %w", err)
	}
	return nil
}

const cityColumns = `id, country, kind, population, area_km2, stats_as_of, founded_on, founding_note,
	city_day_rule, timezone, wikidata, version`

func scanCity(row interface{ Scan(...any) error }) (*City, error) {
	var c City
	var pop sql.NullInt64
	var area sql.NullFloat64
	if err := row.Scan(&c.ID, &c.Country, &c.Kind, &pop, &area, &c.StatsAsOf, &c.FoundedOn, &c.FoundingNote,
		&c.CityDayRule, &c.Timezone, &c.Wikidata, &c.Version); err != nil {
		return nil, err
	}
	if pop.Valid {
		c.Population = &pop.Int64
	}
	if area.Valid {
		c.AreaKm2 = &area.Float64
	}
	return &c, nil
}

// Cities returns every city with its texts, contacts not loaded.
func Cities(ctx context.Context, q db.Querier) ([]*City, error) {
	cities, err := db.Collect(ctx, q, "SELECT "+cityColumns+" FROM cities ORDER BY id", nil, scanCity)
	if err != nil {
		return nil, fmt.Errorf("register: list cities: %w", err)
	}
	byID := map[int64]*City{}
	for _, c := range cities {
		byID[c.ID] = c
	}
	if err := loadTexts(ctx, q, byID, ""); err != nil {
		return nil, err
	}
	return cities, nil
}

// CitiesMatching returns the ids of the cities whose name, in any language, contains search
// (case-insensitive): the admin lists' search of cities and of partnerships.
func CitiesMatching(ctx context.Context, q db.Querier, search string) (map[int64]bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT city_id FROM city_texts WHERE sc_fold(name) LIKE $1 ESCAPE '\'`,
		db.ContainsPattern(search))
	if err != nil {
		return nil, fmt.Errorf("register: search cities: %w", err)
	}
	defer rows.Close()
	out := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("register: search cities: %w", err)
		}
		out[id] = true
	}
	return out, rows.Err()
}

func loadTexts(ctx context.Context, q db.Querier, byID map[int64]*City, where string, args ...any) error {
	rows, err := q.QueryContext(ctx, "SELECT city_id, lang, name, description FROM city_texts "+where+" ORDER BY city_id, lang", args...)
	if err != nil {
		return fmt.Errorf("register: city texts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var t Text
		if err := rows.Scan(&id, &t.Lang, &t.Name, &t.Description); err != nil {
			return fmt.Errorf("register: city texts: %w", err)
		}
		if c := byID[id]; c != nil {
			c.Texts = append(c.Texts, t)
		}
	}
	return rows.Err()
}

// GetCity returns one city with texts and contacts.
func GetCity(ctx context.Context, q db.Querier, id int64) (*City, error) {
	c, err := scanCity(q.QueryRowContext(ctx, "SELECT "+cityColumns+" FROM cities WHERE id = $1", id))
	if err != nil {
		return nil, db.NotFound(err, fmt.Sprintf("register: city %d", id))
	}
	if err := loadTexts(ctx, q, map[int64]*City{id: c}, "WHERE city_id = $1", id); err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT name, role, department, email, phone FROM city_contacts
		WHERE city_id = $1 ORDER BY position`, id)
	if err != nil {
		return nil, fmt.Errorf("register: city %d contacts: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var ct Contact
		if err := rows.Scan(&ct.Name, &ct.Role, &ct.Department, &ct.Email, &ct.Phone); err != nil {
			return nil, fmt.Errorf("register: city %d contacts: %w", id, err)
		}
		c.Contacts = append(c.Contacts, ct)
	}
	return c, rows.Err()
}

// CreateCity inserts c and sets its ID. The caller validates first.
func CreateCity(ctx context.Context, tx *sql.Tx, c *City) error {
	now := time.Now().UTC()
	err := tx.QueryRowContext(ctx, `INSERT INTO cities (country, kind, population, area_km2, stats_as_of, founded_on,
		founding_note, city_day_rule, timezone, wikidata, version, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $11) RETURNING id`,
		c.Country, c.Kind, c.Population, c.AreaKm2, c.StatsAsOf, c.FoundedOn, c.FoundingNote, c.CityDayRule,
		c.Timezone, c.Wikidata, now).Scan(&c.ID)
	if err != nil {
		return fmt.Errorf("register: create city: %w", err)
	}
	c.Version = 1
	return writeCityChildren(ctx, tx, c)
}

// UpdateCity saves c if nobody changed it since c.Version was read.
func UpdateCity(ctx context.Context, tx *sql.Tx, c *City) error {
	res, err := tx.ExecContext(ctx, `UPDATE cities SET country = $1, kind = $2, population = $3, area_km2 = $4,
		stats_as_of = $5, founded_on = $6, founding_note = $7, city_day_rule = $8, timezone = $9, wikidata = $10,
		version = version + 1, updated_at = $11 WHERE id = $12 AND version = $13`,
		c.Country, c.Kind, c.Population, c.AreaKm2, c.StatsAsOf, c.FoundedOn, c.FoundingNote, c.CityDayRule,
		c.Timezone, c.Wikidata, time.Now().UTC(), c.ID, c.Version)
	if err != nil {
		return fmt.Errorf("register: update city %d: %w", c.ID, err)
	}
	if err := db.OneRow(ctx, tx, res, "cities", c.ID, ErrStale); err != nil {
		return err
	}
	c.Version++
	for _, table := range []string{"city_texts", "city_contacts"} {
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+table+" WHERE city_id = $1", c.ID); err != nil {
			return fmt.Errorf("register: update city %d: %w", c.ID, err)
		}
	}
	return writeCityChildren(ctx, tx, c)
}

func writeCityChildren(ctx context.Context, tx *sql.Tx, c *City) error {
	for _, t := range c.Texts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO city_texts (city_id, lang, name, description) VALUES ($1, $2, $3, $4)`,
			c.ID, t.Lang, t.Name, t.Description); err != nil {
			return fmt.Errorf("register: city %d text %s: %w", c.ID, t.Lang, err)
		}
	}
	for i, ct := range c.Contacts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO city_contacts (city_id, position, name, role, department, email, phone)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, c.ID, i, ct.Name, ct.Role, ct.Department, ct.Email, ct.Phone); err != nil {
			return fmt.Errorf("register: city %d contact: %w", c.ID, err)
		}
	}
	return nil
}

// DeleteCity removes a city that takes part in no partnership.
func DeleteCity(ctx context.Context, tx *sql.Tx, id int64) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM partnerships WHERE home_city_id = $1 OR partner_city_id = $1`, id).Scan(&n); err != nil {
		return fmt.Errorf("register: delete city %d: %w", id, err)
	}
	if home, err := HomeCityID(ctx, tx); err == nil && home == id {
		n++
	}
	if n > 0 {
		return ErrInUse
	}
	res, err := tx.ExecContext(ctx, "DELETE FROM cities WHERE id = $1", id)
	if err != nil {
		return fmt.Errorf("register: delete city %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("register: city %d: %w", id, db.ErrNotFound)
	}
	return nil
}

const partnershipColumns = `id, home_city_id, partner_city_id, type, signed_on, council_approved_on,
	council_note, status, note, version`

func scanPartnership(row interface{ Scan(...any) error }) (*Partnership, error) {
	var p Partnership
	err := row.Scan(&p.ID, &p.HomeCityID, &p.PartnerCityID, &p.Type, &p.SignedOn, &p.CouncilApprovedOn,
		&p.CouncilNote, &p.Status, &p.Note, &p.Version)
	return &p, err
}

// loadPlaces fills the place of signing of the partnerships in byID, in every language.
func loadPlaces(ctx context.Context, q db.Querier, byID map[int64]*Partnership, where string, args ...any) error {
	return db.Each(ctx, q, "SELECT partnership_id, lang, signed_at FROM partnership_texts "+where, args, func(r *sql.Rows) error {
		var id int64
		var lang, at string
		if err := r.Scan(&id, &lang, &at); err != nil {
			return err
		}
		if p := byID[id]; p != nil {
			if p.SignedAt == nil {
				p.SignedAt = langtext.Texts{}
			}
			p.SignedAt.Set(lang, at)
		}
		return nil
	})
}

// loadSignatories fills the signatories of the partnerships in byID: the rows of one position
// are one person, a row per language.
func loadSignatories(ctx context.Context, q db.Querier, byID map[int64]*Partnership, where string, args ...any) error {
	type key struct {
		id  int64
		pos int
	}
	index := map[key]int{}
	return db.Each(ctx, q, `SELECT partnership_id, position, side, lang, name, title FROM partnership_signatories `+where+
		` ORDER BY partnership_id, position, lang`, args, func(r *sql.Rows) error {
		var k key
		var side, lang, name, title string
		if err := r.Scan(&k.id, &k.pos, &side, &lang, &name, &title); err != nil {
			return err
		}
		p := byID[k.id]
		if p == nil {
			return nil
		}
		i, ok := index[k]
		if !ok {
			i = len(p.Signatories)
			index[k] = i
			p.Signatories = append(p.Signatories, Signatory{Side: side, Name: langtext.Texts{}, Title: langtext.Texts{}})
		}
		p.Signatories[i].Name.Set(lang, name)
		p.Signatories[i].Title.Set(lang, title)
		return nil
	})
}

// LoadReasons returns the reasons of status changes by history id, in every language, from
// table (partnership_status_reasons or activity_status_reasons).
func LoadReasons(ctx context.Context, q db.Querier, table, where string, args ...any) (map[int64]langtext.Texts, error) {
	return LoadTexts(ctx, q, table, "history_id", "reason", where, args...)
}

// LoadTexts reads the per-language texts of a table of (idCol, lang, textCol) rows, by id;
// where narrows the rows.
func LoadTexts(ctx context.Context, q db.Querier, table, idCol, textCol, where string, args ...any) (map[int64]langtext.Texts, error) {
	out := map[int64]langtext.Texts{}
	err := db.Each(ctx, q, "SELECT "+idCol+", lang, "+textCol+" FROM "+table+" "+where, args, func(r *sql.Rows) error {
		var id int64
		var lang, reason string
		if err := r.Scan(&id, &lang, &reason); err != nil {
			return err
		}
		if out[id] == nil {
			out[id] = langtext.Texts{}
		}
		out[id].Set(lang, reason)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("register: %s: %w", table, err)
	}
	return out, nil
}

// WriteReason stores the reason of status change historyID in every language it has.
func WriteReason(ctx context.Context, tx *sql.Tx, table string, historyID int64, reason langtext.Texts) error {
	return WriteTexts(ctx, tx, table, "history_id", "reason", historyID, reason)
}

// WriteTexts inserts the per-language texts t of id into a table of (idCol, lang, textCol) rows.
func WriteTexts(ctx context.Context, tx *sql.Tx, table, idCol, textCol string, id int64, t langtext.Texts) error {
	for _, lang := range t.Langs() {
		if _, err := tx.ExecContext(ctx, "INSERT INTO "+table+" ("+idCol+", lang, "+textCol+") VALUES ($1, $2, $3)",
			id, lang, t[lang]); err != nil {
			return fmt.Errorf("register: %s %d: %w", table, id, err)
		}
	}
	return nil
}

// Partnerships returns every partnership with both cities loaded (texts only), oldest first.
func Partnerships(ctx context.Context, q db.Querier) ([]*Partnership, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+partnershipColumns+" FROM partnerships")
	if err != nil {
		return nil, fmt.Errorf("register: list partnerships: %w", err)
	}
	defer rows.Close()
	var ps []*Partnership
	for rows.Next() {
		p, err := scanPartnership(rows)
		if err != nil {
			return nil, fmt.Errorf("register: list partnerships: %w", err)
		}
		ps = append(ps, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("register: list partnerships: %w", err)
	}
	rows.Close()
	cities, err := Cities(ctx, q)
	if err != nil {
		return nil, err
	}
	byID := map[int64]*City{}
	for _, c := range cities {
		byID[c.ID] = c
	}
	for _, p := range ps {
		p.HomeCity, p.PartnerCity = byID[p.HomeCityID], byID[p.PartnerCityID]
	}
	byPID := map[int64]*Partnership{}
	for _, p := range ps {
		byPID[p.ID] = p
	}
	if err := loadPlaces(ctx, q, byPID, ""); err != nil {
		return nil, fmt.Errorf("register: list partnerships: %w", err)
	}
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i].SignedOn, ps[j].SignedOn
		if a == b {
			return ps[i].ID < ps[j].ID
		}
		if a.IsZero() != b.IsZero() {
			return b.IsZero()
		}
		return a.Before(b)
	})
	return ps, nil
}

// GetPartnership returns one partnership with everything that belongs to it.
func GetPartnership(ctx context.Context, q db.Querier, id int64) (*Partnership, error) {
	p, err := scanPartnership(q.QueryRowContext(ctx, "SELECT "+partnershipColumns+" FROM partnerships WHERE id = $1", id))
	if err != nil {
		return nil, db.NotFound(err, fmt.Sprintf("register: partnership %d", id))
	}
	if p.HomeCity, err = GetCity(ctx, q, p.HomeCityID); err != nil {
		return nil, err
	}
	if p.PartnerCity, err = GetCity(ctx, q, p.PartnerCityID); err != nil {
		return nil, err
	}
	one := map[int64]*Partnership{id: p}
	err = loadPlaces(ctx, q, one, "WHERE partnership_id = $1", id)
	if err == nil {
		err = loadSignatories(ctx, q, one, "WHERE partnership_id = $1", id)
	}
	if err == nil {
		err = db.Each(ctx, q, `SELECT area FROM partnership_areas WHERE partnership_id = $1 ORDER BY area`, []any{id}, func(r *sql.Rows) error {
			var a string
			err := r.Scan(&a)
			p.Areas = append(p.Areas, a)
			return err
		})
	}
	if err == nil {
		var reasons map[int64]langtext.Texts
		reasons, err = LoadReasons(ctx, q, "partnership_status_reasons",
			"WHERE history_id IN (SELECT id FROM partnership_status_history WHERE partnership_id = $1)", id)
		if err == nil {
			err = db.Each(ctx, q, `SELECT id, status, changed_on, recorded_at FROM partnership_status_history
			WHERE partnership_id = $1 ORDER BY changed_on, id`, []any{id}, func(r *sql.Rows) error {
				var h StatusChange
				var hid int64
				err := r.Scan(&hid, &h.Status, &h.ChangedOn, &h.RecordedAt)
				h.Reason = reasons[hid]
				p.History = append(p.History, h)
				return err
			})
		}
	}
	if err == nil {
		p.Documents, err = attach.List(ctx, q, attach.Partnership, id)
	}
	if err == nil {
		err = db.Each(ctx, q, `SELECT id, city_id, claimed_on, source FROM partnership_date_claims
			WHERE partnership_id = $1 ORDER BY claimed_on`, []any{id}, func(r *sql.Rows) error {
			var c DateClaim
			err := r.Scan(&c.ID, &c.CityID, &c.ClaimedOn, &c.Source)
			p.DateClaims = append(p.DateClaims, c)
			return err
		})
	}
	if err != nil {
		return nil, fmt.Errorf("register: partnership %d: %w", id, err)
	}
	return p, nil
}

// CreatePartnership inserts p with its first status entry and sets its ID.
func CreatePartnership(ctx context.Context, tx *sql.Tx, p *Partnership, userID int64) error {
	now := time.Now().UTC()
	err := tx.QueryRowContext(ctx, `INSERT INTO partnerships (home_city_id, partner_city_id, type, signed_on,
		council_approved_on, council_note, status, note, version, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9) RETURNING id`,
		p.HomeCityID, p.PartnerCityID, p.Type, p.SignedOn, p.CouncilApprovedOn, p.CouncilNote,
		p.Status, p.Note, now).Scan(&p.ID)
	if db.IsUniqueViolation(err) {
		return ErrDuplicate
	}
	if err != nil {
		return fmt.Errorf("register: create partnership: %w", err)
	}
	p.Version = 1
	since := p.SignedOn
	if since.IsZero() {
		since = civil.Of(now)
	}
	if err := addHistory(ctx, tx, p.ID, StatusChange{Status: p.Status, ChangedOn: since}, userID); err != nil {
		return err
	}
	return writePartnershipChildren(ctx, tx, p)
}

// UpdatePartnership saves p if nobody changed it since p.Version was read. A change of status
// is recorded in the history with reason, dated changedOn.
func UpdatePartnership(ctx context.Context, tx *sql.Tx, p *Partnership, changedOn civil.Date, reason langtext.Texts, userID int64) error {
	var oldStatus string
	if err := tx.QueryRowContext(ctx, "SELECT status FROM partnerships WHERE id = $1", p.ID).Scan(&oldStatus); err != nil {
		return db.NotFound(err, fmt.Sprintf("register: partnership %d", p.ID))
	}
	res, err := tx.ExecContext(ctx, `UPDATE partnerships SET partner_city_id = $1, type = $2, signed_on = $3,
		council_approved_on = $4, council_note = $5, status = $6, note = $7, version = version + 1, updated_at = $8
		WHERE id = $9 AND version = $10`,
		p.PartnerCityID, p.Type, p.SignedOn, p.CouncilApprovedOn, p.CouncilNote, p.Status, p.Note,
		time.Now().UTC(), p.ID, p.Version)
	if db.IsUniqueViolation(err) {
		return ErrDuplicate
	}
	if err != nil {
		return fmt.Errorf("register: update partnership %d: %w", p.ID, err)
	}
	if err := db.OneRow(ctx, tx, res, "partnerships", p.ID, ErrStale); err != nil {
		return err
	}
	p.Version++
	if oldStatus != p.Status {
		if err := addHistory(ctx, tx, p.ID, StatusChange{Status: p.Status, ChangedOn: changedOn, Reason: reason}, userID); err != nil {
			return err
		}
	}
	for _, table := range []string{"partnership_texts", "partnership_signatories", "partnership_areas"} {
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+table+" WHERE partnership_id = $1", p.ID); err != nil {
			return fmt.Errorf("register: update partnership %d: %w", p.ID, err)
		}
	}
	return writePartnershipChildren(ctx, tx, p)
}

func addHistory(ctx context.Context, tx *sql.Tx, id int64, h StatusChange, userID int64) error {
	var hid int64
	err := tx.QueryRowContext(ctx, `INSERT INTO partnership_status_history (partnership_id, status, changed_on, recorded_at, user_id)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, id, h.Status, h.ChangedOn, time.Now().UTC(), db.NullID(userID)).Scan(&hid)
	if err != nil {
		return fmt.Errorf("register: partnership %d history: %w", id, err)
	}
	return WriteReason(ctx, tx, "partnership_status_reasons", hid, h.Reason)
}

func writePartnershipChildren(ctx context.Context, tx *sql.Tx, p *Partnership) error {
	for _, lang := range p.SignedAt.Langs() {
		if _, err := tx.ExecContext(ctx, `INSERT INTO partnership_texts (partnership_id, lang, signed_at) VALUES ($1, $2, $3)`,
			p.ID, lang, p.SignedAt[lang]); err != nil {
			return fmt.Errorf("register: partnership %d place of signing: %w", p.ID, err)
		}
	}
	for i, s := range p.Signatories {
		langs := s.Name.Langs()
		for _, l := range s.Title.Langs() {
			if !slices.Contains(langs, l) {
				langs = append(langs, l)
			}
		}
		for _, lang := range langs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO partnership_signatories (partnership_id, position, side, lang, name, title)
			VALUES ($1, $2, $3, $4, $5, $6)`, p.ID, i, s.Side, lang, s.Name[lang], s.Title[lang]); err != nil {
				return fmt.Errorf("register: partnership %d signatory: %w", p.ID, err)
			}
		}
	}
	seen := map[string]bool{}
	for _, a := range p.Areas {
		if seen[a] {
			continue
		}
		seen[a] = true
		if _, err := tx.ExecContext(ctx, `INSERT INTO partnership_areas (partnership_id, area) VALUES ($1, $2)`, p.ID, a); err != nil {
			return fmt.Errorf("register: partnership %d area: %w", p.ID, err)
		}
	}
	return nil
}

// DeletePartnership removes a partnership and everything that belongs to it. It returns the
// storage keys of its documents, for the caller to remove once the transaction commits.
func DeletePartnership(ctx context.Context, tx *sql.Tx, id int64) ([]string, error) {
	keys, err := attach.Keys(ctx, tx, attach.Partnership, id)
	if err != nil {
		return nil, fmt.Errorf("register: delete partnership %d: %w", id, err)
	}
	res, err := tx.ExecContext(ctx, "DELETE FROM partnerships WHERE id = $1", id)
	if err != nil {
		return nil, fmt.Errorf("register: delete partnership %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, fmt.Errorf("register: partnership %d: %w", id, db.ErrNotFound)
	}
	return keys, nil
}

// SetDateClaim records (or replaces) the date cityID gives for a partnership.
func SetDateClaim(ctx context.Context, tx *sql.Tx, partnershipID int64, c DateClaim) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO partnership_date_claims (partnership_id, city_id, claimed_on, source)
		VALUES ($1, $2, $3, $4) ON CONFLICT (partnership_id, city_id) DO UPDATE SET claimed_on = excluded.claimed_on, source = excluded.source`,
		partnershipID, c.CityID, c.ClaimedOn, c.Source)
	if err != nil {
		return fmt.Errorf("register: date claim for partnership %d: %w", partnershipID, err)
	}
	return nil
}

// DeleteDateClaim removes a date claim.
func DeleteDateClaim(ctx context.Context, tx *sql.Tx, partnershipID, id int64) error {
	res, err := tx.ExecContext(ctx, "DELETE FROM partnership_date_claims WHERE id = $1 AND partnership_id = $2", id, partnershipID)
	if err != nil {
		return fmt.Errorf("register: delete date claim %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("register: date claim %d: %w", id, db.ErrNotFound)
	}
	return nil
}
