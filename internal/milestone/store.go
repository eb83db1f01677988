package milestone

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"sistercity/internal/db"
	"sistercity/internal/register"
	"sistercity/internal/visibility"
)

// ErrStale is returned when a record changed since the editor loaded it; it is a db.ErrStale.
var ErrStale = fmt.Errorf("milestone: record %w", db.ErrStale)

// ErrDuplicate is returned when the two countries already have a relation recorded.
var ErrDuplicate = errors.New("milestone: duplicate relation")

// Load reads everything milestones are derived from.
func Load(ctx context.Context, q db.Querier) (*Sources, error) {
	ps, err := register.Partnerships(ctx, q)
	if err != nil {
		return nil, err
	}
	var home *register.City
	if id, err := register.HomeCityID(ctx, q); err == nil {
		if home, err = register.GetCity(ctx, q, id); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, register.ErrNoHomeCity) {
		return nil, err
	}
	// Partnerships loads the cities with all their columns: founding dates and city-day rules
	// come with them.
	rels, err := Relations(ctx, q)
	if err != nil {
		return nil, err
	}
	ms, err := Milestones(ctx, q)
	if err != nil {
		return nil, err
	}
	return NewSources(home, ps, rels, ms), nil
}

// Relations returns every recorded relation, oldest first.
func Relations(ctx context.Context, q db.Querier) ([]*Relation, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, country_a, country_b, established_on, note, version
		FROM diplomatic_relations ORDER BY established_on, id`)
	if err != nil {
		return nil, fmt.Errorf("milestone: relations: %w", err)
	}
	defer rows.Close()
	var out []*Relation
	for rows.Next() {
		var r Relation
		if err := rows.Scan(&r.ID, &r.CountryA, &r.CountryB, &r.EstablishedOn, &r.Note, &r.Version); err != nil {
			return nil, fmt.Errorf("milestone: relations: %w", err)
		}
		out = append(out, &r)
	}
	return out, rows.Err()
}

// GetRelation returns one relation.
func GetRelation(ctx context.Context, q db.Querier, id int64) (*Relation, error) {
	var r Relation
	err := q.QueryRowContext(ctx, `SELECT id, country_a, country_b, established_on, note, version
		FROM diplomatic_relations WHERE id = $1`, id).Scan(&r.ID, &r.CountryA, &r.CountryB, &r.EstablishedOn, &r.Note, &r.Version)
	if err != nil {
		return nil, db.NotFound(err, fmt.Sprintf("milestone: relation %d", id))
	}
	return &r, nil
}

// FindRelation returns the relation between two countries, or db.ErrNotFound.
func FindRelation(ctx context.Context, q db.Querier, a, b string) (*Relation, error) {
	r := Relation{CountryA: a, CountryB: b}
	r.Normalize()
	var id int64
	err := q.QueryRowContext(ctx, "SELECT id FROM diplomatic_relations WHERE country_a = $1 AND country_b = $2",
		r.CountryA, r.CountryB).Scan(&id)
	if err != nil {
		return nil, db.NotFound(err, "milestone: relation "+r.CountryA+"–"+r.CountryB)
	}
	return GetRelation(ctx, q, id)
}

// CreateRelation inserts r (normalized and validated by the caller) and sets its ID.
func CreateRelation(ctx context.Context, tx *sql.Tx, r *Relation) error {
	now := time.Now().UTC()
	err := tx.QueryRowContext(ctx, `INSERT INTO diplomatic_relations (country_a, country_b, established_on, note, version,
		created_at, updated_at) VALUES ($1, $2, $3, $4, 1, $5, $5) RETURNING id`,
		r.CountryA, r.CountryB, r.EstablishedOn, r.Note, now).Scan(&r.ID)
	if db.IsUniqueViolation(err) {
		return ErrDuplicate
	}
	if err != nil {
		return fmt.Errorf("milestone: create relation: %w", err)
	}
	r.Version = 1
	return nil
}

// UpdateRelation saves r if nobody changed it since r.Version was read.
func UpdateRelation(ctx context.Context, tx *sql.Tx, r *Relation) error {
	res, err := tx.ExecContext(ctx, `UPDATE diplomatic_relations SET country_a = $1, country_b = $2, established_on = $3,
		note = $4, version = version + 1, updated_at = $5 WHERE id = $6 AND version = $7`,
		r.CountryA, r.CountryB, r.EstablishedOn, r.Note, time.Now().UTC(), r.ID, r.Version)
	if db.IsUniqueViolation(err) {
		return ErrDuplicate
	}
	if err != nil {
		return fmt.Errorf("milestone: update relation %d: %w", r.ID, err)
	}
	if err := db.OneRow(ctx, tx, res, "diplomatic_relations", r.ID, ErrStale); err != nil {
		return err
	}
	r.Version++
	return nil
}

// DeleteRelation removes a relation.
func DeleteRelation(ctx context.Context, tx *sql.Tx, id int64) error {
	return deleteRow(ctx, tx, "diplomatic_relations", id)
}

// Milestones returns every milestone kept by hand, by date.
func Milestones(ctx context.Context, q db.Querier) ([]*Milestone, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, on_date, yearly, COALESCE(partnership_id, 0), visibility, version FROM milestones ORDER BY on_date, id`)
	if err != nil {
		return nil, fmt.Errorf("milestone: list: %w", err)
	}
	defer rows.Close()
	var out []*Milestone
	byID := map[int64]*Milestone{}
	for rows.Next() {
		var m Milestone
		if err := rows.Scan(&m.ID, &m.On, &m.Yearly, &m.PartnershipID, &m.Visibility, &m.Version); err != nil {
			return nil, fmt.Errorf("milestone: list: %w", err)
		}
		out = append(out, &m)
		byID[m.ID] = &m
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("milestone: list: %w", err)
	}
	rows.Close()
	if err := loadTexts(ctx, q, byID, ""); err != nil {
		return nil, err
	}
	return out, nil
}

func loadTexts(ctx context.Context, q db.Querier, byID map[int64]*Milestone, where string, args ...any) error {
	rows, err := q.QueryContext(ctx, "SELECT milestone_id, lang, title, note FROM milestone_texts "+where+" ORDER BY milestone_id, lang", args...)
	if err != nil {
		return fmt.Errorf("milestone: texts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var t Text
		if err := rows.Scan(&id, &t.Lang, &t.Title, &t.Note); err != nil {
			return fmt.Errorf("milestone: texts: %w", err)
		}
		if m := byID[id]; m != nil {
			m.Texts = append(m.Texts, t)
		}
	}
	return rows.Err()
}

// Get returns one milestone.
func Get(ctx context.Context, q db.Querier, id int64) (*Milestone, error) {
	var m Milestone
	err := q.QueryRowContext(ctx, `SELECT id, on_date, yearly, COALESCE(partnership_id, 0), visibility, version FROM milestones WHERE id = $1`, id).
		Scan(&m.ID, &m.On, &m.Yearly, &m.PartnershipID, &m.Visibility, &m.Version)
	if err != nil {
		return nil, db.NotFound(err, fmt.Sprintf("milestone: %d", id))
	}
	if err := loadTexts(ctx, q, map[int64]*Milestone{id: &m}, "WHERE milestone_id = $1", id); err != nil {
		return nil, err
	}
	return &m, nil
}

// Create inserts m and sets its ID. The caller validates first, the partnership included.
func Create(ctx context.Context, tx *sql.Tx, m *Milestone) error {
	now := time.Now().UTC()
	if m.Visibility == "" {
		m.Visibility = visibility.Public
	}
	err := tx.QueryRowContext(ctx, `INSERT INTO milestones (on_date, yearly, partnership_id, visibility, version, created_at, updated_at)
		VALUES ($1, $2, $3, $4, 1, $5, $5) RETURNING id`, m.On, m.Yearly, db.NullID(m.PartnershipID), m.Visibility, now).Scan(&m.ID)
	if err != nil {
		return fmt.Errorf("milestone: create: %w", err)
	}
	m.Version = 1
	return writeTexts(ctx, tx, m)
}

// Update saves m if nobody changed it since m.Version was read. An empty Visibility keeps the
// stored one.
func Update(ctx context.Context, tx *sql.Tx, m *Milestone) error {
	res, err := tx.ExecContext(ctx, `UPDATE milestones SET on_date = $1, yearly = $2, partnership_id = $3,
		visibility = COALESCE(NULLIF($7, ''), visibility), version = version + 1, updated_at = $4 WHERE id = $5 AND version = $6`,
		m.On, m.Yearly, db.NullID(m.PartnershipID), time.Now().UTC(), m.ID, m.Version, m.Visibility)
	if err != nil {
		return fmt.Errorf("milestone: update %d: %w", m.ID, err)
	}
	if err := db.OneRow(ctx, tx, res, "milestones", m.ID, ErrStale); err != nil {
		return err
	}
	m.Version++
	if _, err := tx.ExecContext(ctx, "DELETE FROM milestone_texts WHERE milestone_id = $1", m.ID); err != nil {
		return fmt.Errorf("milestone: update %d: %w", m.ID, err)
	}
	return writeTexts(ctx, tx, m)
}

func writeTexts(ctx context.Context, tx *sql.Tx, m *Milestone) error {
	for _, t := range m.Texts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO milestone_texts (milestone_id, lang, title, note) VALUES ($1, $2, $3, $4)`,
			m.ID, t.Lang, t.Title, t.Note); err != nil {
			return fmt.Errorf("milestone: %d text %s: %w", m.ID, t.Lang, err)
		}
	}
	return nil
}

// Delete removes a milestone.
func Delete(ctx context.Context, tx *sql.Tx, id int64) error {
	return deleteRow(ctx, tx, "milestones", id)
}

func deleteRow(ctx context.Context, tx *sql.Tx, table string, id int64) error {
	res, err := tx.ExecContext(ctx, "DELETE FROM "+table+" WHERE id = $1", id)
	if err != nil {
		return fmt.Errorf("milestone: delete %s %d: %w", table, id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("milestone: %s %d: %w", table, id, db.ErrNotFound)
	}
	return nil
}

// LastChange returns when anything milestones are derived from last changed: the register's
// partnerships and cities, the relations and the milestones kept by hand. Calendar feeds stamp
// derived items with it.
func LastChange(ctx context.Context, q db.Querier) (time.Time, error) {
	var last time.Time
	for _, table := range []string{"partnerships", "cities", "diplomatic_relations", "milestones"} {
		var t time.Time
		err := q.QueryRowContext(ctx, "SELECT updated_at FROM "+table+" ORDER BY updated_at DESC LIMIT 1").Scan(&t)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return time.Time{}, fmt.Errorf("milestone: last change of %s: %w", table, err)
		}
		if t.After(last) {
			last = t
		}
	}
	return last.UTC(), nil
}
