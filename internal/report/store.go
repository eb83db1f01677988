package report

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"sistercity/internal/civil"
	"sistercity/internal/db"
	"sistercity/internal/problem"
)

func itoa(n int) string { return strconv.Itoa(n) }

// ErrNotFound is what a reader gets for a report that does not exist or that is not theirs to
// read: the two are not told apart.
var ErrNotFound = db.ErrNotFound

// Reader is who asks for reports: the office's staff read every report; a partner liaison
// reads only the shared reports whose partnerships include the city it is bound to.
type Reader struct {
	Staff  bool
	CityID int64 // the liaison's partner city; 0 reads nothing
}

// visibleClause is the SQL condition, on reports aliased r, of what reader may read, and its
// arguments numbered from n.
func (rd Reader) visibleClause(n int) (string, []any) {
	if rd.Staff {
		return "1 = 1", nil
	}
	p := "$" + strconv.Itoa(n)
	return `r.status = 'shared' AND r.remote_id IS NULL AND EXISTS (SELECT 1 FROM report_shares s JOIN partnerships p ON p.id = s.partnership_id
		WHERE s.report_id = r.id AND (p.partner_city_id = ` + p + ` OR p.home_city_id = ` + p + `))`, []any{rd.CityID}
}

// Situations lists the situations reports can be about.
func Situations(ctx context.Context, q db.Querier) ([]*Situation, error) {
	byID := map[int64]*Situation{}
	var out []*Situation
	err := db.Each(ctx, q, "SELECT id, key, metrics FROM situations ORDER BY id", nil, func(rows *sql.Rows) error {
		s := &Situation{Names: map[string]string{}}
		var metrics string
		if err := rows.Scan(&s.ID, &s.Key, &metrics); err != nil {
			return err
		}
		if metrics != "" {
			s.Metrics = strings.Split(metrics, ",")
		}
		byID[s.ID] = s
		out = append(out, s)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("report: situations: %w", err)
	}
	err = db.Each(ctx, q, "SELECT situation_id, lang, name FROM situation_names", nil, func(rows *sql.Rows) error {
		var id int64
		var lang, name string
		if err := rows.Scan(&id, &lang, &name); err != nil {
			return err
		}
		if s := byID[id]; s != nil {
			s.Names[lang] = name
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("report: situation names: %w", err)
	}
	return out, nil
}

// SituationByKey returns the situation called key (covid-19).
func SituationByKey(ctx context.Context, q db.Querier, key string) (*Situation, error) {
	all, err := Situations(ctx, q)
	if err != nil {
		return nil, err
	}
	for _, s := range all {
		if s.Key == key {
			return s, nil
		}
	}
	return nil, fmt.Errorf("report: situation %s: %w", key, ErrNotFound)
}

// inPartnership tells whether a city is one side of a partnership.
func inPartnership(ctx context.Context, q db.Querier, cityID int64) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM partnerships WHERE home_city_id = $1 OR partner_city_id = $1`,
		cityID).Scan(&n)
	return n > 0, err
}

// Create saves a new report as a draft, with everything it holds, after checking it. A report
// is about a city of some partnership: there is no one else to share it with.
func Create(ctx context.Context, tx *sql.Tx, r *Report, today civil.Date, userID int64) error {
	if f := r.Validate(today); len(f) > 0 {
		return f
	}
	ok, err := inPartnership(ctx, tx, r.CityID)
	if err != nil {
		return fmt.Errorf("report: partnership of city %d: %w", r.CityID, err)
	}
	if !ok {
		var f problem.Fields
		f.Add("city", "reports.error.no_partnership")
		return f
	}
	now := time.Now().UTC()
	r.Status, r.UpdatedAt = StatusDraft, now
	err = tx.QueryRowContext(ctx, `INSERT INTO reports (situation_id, city_id, as_of, period_start, period_end, source_org,
		status, demo, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id`,
		r.SituationID, r.CityID, r.AsOf, r.PeriodStart, r.PeriodEnd, r.SourceOrg, r.Status, r.Demo, now).Scan(&r.ID)
	if err != nil {
		return fmt.Errorf("report: create: %w", err)
	}
	for _, t := range r.Texts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO report_texts (report_id, lang, measures, follow_up) VALUES ($1, $2, $3, $4)`,
			r.ID, t.Lang, t.Measures, t.FollowUp); err != nil {
			return fmt.Errorf("report %d: text %s: %w", r.ID, t.Lang, err)
		}
	}
	if err := insertValues(ctx, tx, r.ID, r.Values); err != nil {
		return err
	}
	for _, b := range r.Beds {
		if err := insertBed(ctx, tx, r.ID, b); err != nil {
			return err
		}
	}
	for _, a := range r.Activities {
		if err := LinkActivity(ctx, tx, r.ID, a); err != nil {
			return err
		}
	}
	return addHistory(ctx, tx, r.ID, StatusDraft, now, userID)
}

// insertValues writes values in batches: an OWID year is a few thousand rows.
func insertValues(ctx context.Context, tx *sql.Tx, id int64, values []Value) error {
	const batch = 200
	for start := 0; start < len(values); start += batch {
		part := values[start:min(start+batch, len(values))]
		var sb strings.Builder
		sb.WriteString("INSERT INTO report_values (report_id, day, metric, value) VALUES ")
		args := make([]any, 0, 4*len(part))
		for i, v := range part {
			if i > 0 {
				sb.WriteString(", ")
			}
			n := 4 * i
			fmt.Fprintf(&sb, "($%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4)
			args = append(args, id, v.Day, v.Metric, v.Value)
		}
		if _, err := tx.ExecContext(ctx, sb.String(), args...); err != nil {
			return fmt.Errorf("report %d: values: %w", id, err)
		}
	}
	return nil
}

func insertBed(ctx context.Context, tx *sql.Tx, id int64, b Bed) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO report_beds (report_id, bed_type, unit, baseline, available, occupied,
		add_24h, add_72h, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		id, b.Type, b.Unit, b.Baseline, b.Available, b.Occupied, b.Add24h, b.Add72h, b.Status)
	if err != nil {
		return fmt.Errorf("report %d: bed %s: %w", id, b.Type, err)
	}
	return nil
}

func addHistory(ctx context.Context, tx *sql.Tx, id int64, status string, at time.Time, userID int64) error {
	var user any
	if userID != 0 {
		user = userID
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO report_history (report_id, status, changed_at, user_id) VALUES ($1, $2, $3, $4)`,
		id, status, at, user); err != nil {
		return fmt.Errorf("report %d: history: %w", id, err)
	}
	return nil
}

// ErrReceived refuses a change to a report received from a partner's instance: it is the
// partner's to change.
var ErrReceived = problem.New(http.StatusConflict, "reports.error.received")

// own returns the office's own report id for a change; ErrReceived for a received one.
func own(ctx context.Context, tx *sql.Tx, id int64) (*Report, error) {
	r, err := Get(ctx, tx, Reader{Staff: true}, id)
	if err != nil {
		return nil, err
	}
	if r.Received() {
		return nil, ErrReceived
	}
	return r, nil
}

// SetBed adds or replaces a bed row of a draft report, after checking it.
func SetBed(ctx context.Context, tx *sql.Tx, id int64, b Bed) error {
	if f := b.Validate(0); len(f) > 0 {
		return f
	}
	r, err := own(ctx, tx, id)
	if err != nil {
		return err
	}
	if r.Status != StatusDraft {
		return problem.New(http.StatusConflict, "reports.error.not_draft")
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM report_beds WHERE report_id = $1 AND bed_type = $2", id, b.Type); err != nil {
		return fmt.Errorf("report %d: bed %s: %w", id, b.Type, err)
	}
	if err := insertBed(ctx, tx, id, b); err != nil {
		return err
	}
	return touch(ctx, tx, id)
}

func touch(ctx context.Context, tx *sql.Tx, id int64) error {
	_, err := tx.ExecContext(ctx, "UPDATE reports SET updated_at = $1 WHERE id = $2", time.Now().UTC(), id)
	return err
}

// LinkActivity records that a report was discussed at an activity (a video conference).
func LinkActivity(ctx context.Context, tx *sql.Tx, id, activityID int64) error {
	if _, err := own(ctx, tx, id); err != nil {
		return err
	}
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM activities WHERE id = $1", activityID).Scan(&n); err != nil {
		return fmt.Errorf("report %d: activity %d: %w", id, activityID, err)
	}
	if n == 0 {
		var f problem.Fields
		f.Add("activity", "reports.error.activity")
		return f
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO report_activities (report_id, activity_id) VALUES ($1, $2)
		ON CONFLICT DO NOTHING`, id, activityID)
	if err != nil {
		return fmt.Errorf("report %d: link activity %d: %w", id, activityID, err)
	}
	return nil
}

// Share shares a report with the chosen partnerships, and with them only: it replaces the
// earlier choice. At least one partnership must be chosen.
func Share(ctx context.Context, tx *sql.Tx, id int64, partnerships []int64, userID int64) error {
	r, err := own(ctx, tx, id)
	if err != nil {
		return err
	}
	if len(partnerships) == 0 {
		var f problem.Fields
		f.Add("partnerships", "reports.error.share_none")
		return f
	}
	slices.Sort(partnerships)
	partnerships = slices.Compact(partnerships)
	if _, err := tx.ExecContext(ctx, "DELETE FROM report_shares WHERE report_id = $1", id); err != nil {
		return fmt.Errorf("report %d: shares: %w", id, err)
	}
	for _, p := range partnerships {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM partnerships WHERE id = $1", p).Scan(&n); err != nil {
			return fmt.Errorf("report %d: partnership %d: %w", id, p, err)
		}
		if n == 0 {
			var f problem.Fields
			f.Add("partnerships", "validation.choice")
			return f
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO report_shares (report_id, partnership_id) VALUES ($1, $2)", id, p); err != nil {
			return fmt.Errorf("report %d: share with %d: %w", id, p, err)
		}
	}
	return setStatus(ctx, tx, r, StatusShared, userID)
}

// Withdraw takes a shared report back: no partner reads it any more.
func Withdraw(ctx context.Context, tx *sql.Tx, id int64, userID int64) error {
	r, err := own(ctx, tx, id)
	if err != nil {
		return err
	}
	if r.Status != StatusShared {
		return problem.New(http.StatusConflict, "reports.error.not_shared")
	}
	return setStatus(ctx, tx, r, StatusWithdrawn, userID)
}

func setStatus(ctx context.Context, tx *sql.Tx, r *Report, status string, userID int64) error {
	now := time.Now().UTC()
	if _, err := tx.ExecContext(ctx, "UPDATE reports SET status = $1, updated_at = $2 WHERE id = $3", status, now, r.ID); err != nil {
		return fmt.Errorf("report %d: status: %w", r.ID, err)
	}
	if r.Status == status {
		return nil
	}
	return addHistory(ctx, tx, r.ID, status, now, userID)
}

const reportColumns = `r.id, r.situation_id, r.city_id, r.as_of, r.period_start, r.period_end, r.source_org, r.status, r.demo,
	r.updated_at, COALESCE(r.remote_id, ''), COALESCE(r.remote_actor, '')`

func scanReport(row interface{ Scan(...any) error }) (*Report, error) {
	var r Report
	err := row.Scan(&r.ID, &r.SituationID, &r.CityID, &r.AsOf, &r.PeriodStart, &r.PeriodEnd, &r.SourceOrg, &r.Status, &r.Demo,
		&r.UpdatedAt, &r.RemoteID, &r.RemoteActor)
	return &r, err
}

// List returns the reports reader may read, newest first, without their values and rows.
func List(ctx context.Context, q db.Querier, reader Reader) ([]*Report, error) {
	where, args := reader.visibleClause(1)
	rs, err := db.Collect(ctx, q, "SELECT "+reportColumns+" FROM reports r WHERE "+where+" ORDER BY r.as_of DESC, r.id DESC",
		args, scanReport)
	if err != nil {
		return nil, fmt.Errorf("report: list: %w", err)
	}
	return rs, nil
}

// Get returns a report with everything it holds, when reader may read it; ErrNotFound
// otherwise.
func Get(ctx context.Context, q db.Querier, reader Reader, id int64) (*Report, error) {
	where, args := reader.visibleClause(2)
	r, err := scanReport(q.QueryRowContext(ctx, "SELECT "+reportColumns+" FROM reports r WHERE r.id = $1 AND "+where,
		append([]any{id}, args...)...))
	if err != nil {
		return nil, db.NotFound(err, fmt.Sprintf("report %d", id))
	}
	if err := loadChildren(ctx, q, r); err != nil {
		return nil, err
	}
	return r, nil
}

func loadChildren(ctx context.Context, q db.Querier, r *Report) error {
	args := []any{r.ID}
	var err error
	r.Texts, err = db.Collect(ctx, q, "SELECT lang, measures, follow_up FROM report_texts WHERE report_id = $1 ORDER BY lang", args,
		func(row interface{ Scan(...any) error }) (Text, error) {
			var t Text
			return t, row.Scan(&t.Lang, &t.Measures, &t.FollowUp)
		})
	if err != nil {
		return fmt.Errorf("report %d: texts: %w", r.ID, err)
	}
	r.Values, err = db.Collect(ctx, q, "SELECT day, metric, value FROM report_values WHERE report_id = $1 ORDER BY day, metric", args,
		func(row interface{ Scan(...any) error }) (Value, error) {
			var v Value
			return v, row.Scan(&v.Day, &v.Metric, &v.Value)
		})
	if err != nil {
		return fmt.Errorf("report %d: values: %w", r.ID, err)
	}
	r.Beds, err = db.Collect(ctx, q, `SELECT bed_type, unit, baseline, available, occupied, add_24h, add_72h, status
		FROM report_beds WHERE report_id = $1`, args,
		func(row interface{ Scan(...any) error }) (Bed, error) {
			var b Bed
			return b, row.Scan(&b.Type, &b.Unit, &b.Baseline, &b.Available, &b.Occupied, &b.Add24h, &b.Add72h, &b.Status)
		})
	if err != nil {
		return fmt.Errorf("report %d: beds: %w", r.ID, err)
	}
	slices.SortFunc(r.Beds, func(a, b Bed) int { return slices.Index(BedTypes, a.Type) - slices.Index(BedTypes, b.Type) })
	scanID := func(row interface{ Scan(...any) error }) (int64, error) {
		var n int64
		return n, row.Scan(&n)
	}
	if r.Activities, err = db.Collect(ctx, q, "SELECT activity_id FROM report_activities WHERE report_id = $1 ORDER BY activity_id", args, scanID); err != nil {
		return fmt.Errorf("report %d: activities: %w", r.ID, err)
	}
	if r.SharedWith, err = db.Collect(ctx, q, "SELECT partnership_id FROM report_shares WHERE report_id = $1 ORDER BY partnership_id", args, scanID); err != nil {
		return fmt.Errorf("report %d: shares: %w", r.ID, err)
	}
	r.History, err = db.Collect(ctx, q, "SELECT status, changed_at, COALESCE(user_id, 0) FROM report_history WHERE report_id = $1 ORDER BY id", args,
		func(row interface{ Scan(...any) error }) (StatusChange, error) {
			var h StatusChange
			return h, row.Scan(&h.Status, &h.At, &h.UserID)
		})
	if err != nil {
		return fmt.Errorf("report %d: history: %w", r.ID, err)
	}
	return nil
}

// BindLiaison binds a liaison account to the partner city whose shared reports it reads. The
// city must be the partner of some partnership.
func BindLiaison(ctx context.Context, tx *sql.Tx, userID, cityID int64) error {
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM partnerships WHERE partner_city_id = $1", cityID).Scan(&n); err != nil {
		return fmt.Errorf("report: liaison city %d: %w", cityID, err)
	}
	if n == 0 {
		var f problem.Fields
		f.Add("city", "reports.error.no_partnership")
		return f
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO liaisons (user_id, city_id) VALUES ($1, $2)
		ON CONFLICT (user_id) DO UPDATE SET city_id = excluded.city_id`, userID, cityID)
	if err != nil {
		return fmt.Errorf("report: bind liaison %d: %w", userID, err)
	}
	return nil
}

// LiaisonCity returns the partner city a liaison account is bound to; ErrNotFound when it is
// bound to none (it then reads nothing).
func LiaisonCity(ctx context.Context, q db.Querier, userID int64) (int64, error) {
	var city int64
	err := q.QueryRowContext(ctx, "SELECT city_id FROM liaisons WHERE user_id = $1", userID).Scan(&city)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("report: liaison %d: %w", userID, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("report: liaison %d: %w", userID, err)
	}
	return city, nil
}

// Liaisons returns the partner city each bound liaison account is bound to, by account.
func Liaisons(ctx context.Context, q db.Querier) (map[int64]int64, error) {
	out := map[int64]int64{}
	err := db.Each(ctx, q, "SELECT user_id, city_id FROM liaisons", nil, func(rows *sql.Rows) error {
		var u, c int64
		if err := rows.Scan(&u, &c); err != nil {
			return err
		}
		out[u] = c
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("report: liaisons: %w", err)
	}
	return out, nil
}
