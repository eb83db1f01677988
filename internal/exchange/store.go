package exchange

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"sistercity/internal/attach"
	"sistercity/internal/civil"
	"sistercity/internal/db"
	"sistercity/internal/i18n"
	"sistercity/internal/langtext"
	"sistercity/internal/problem"
	"sistercity/internal/register"
	"sistercity/internal/video"
)

// ErrStale is returned when a record changed since the editor loaded it; it is a db.ErrStale.
var ErrStale = fmt.Errorf("exchange: record %w", db.ErrStale)

var errUnknownZone = errors.New("exchange: unknown time zone")

func itoa(n int) string { return strconv.Itoa(n) }

const activityColumns = `id, kind, COALESCE(parent_id, 0), organiser_kind, organiser_name, mode, first_mode, status, visibility,
	planned_start_on, planned_start_at, planned_start_tz, planned_end_on, planned_end_at, planned_end_tz,
	actual_start_on, actual_start_at, actual_start_tz, actual_end_on, actual_end_at, actual_end_tz, version, updated_at`

// momentScan reads the three columns of a Moment.
type momentScan struct {
	on   civil.Date
	at   sql.NullTime
	zone string
}

func (m *momentScan) targets() []any { return []any{&m.on, &m.at, &m.zone} }

func (m *momentScan) moment() Moment {
	out := Moment{Date: m.on, Zone: m.zone}
	if m.at.Valid {
		out.At = m.at.Time.UTC()
	}
	return out
}

// momentArgs are the three column values of a Moment.
func momentArgs(m Moment) []any {
	var at any
	if m.Timed() {
		at = m.At.UTC()
	}
	zone := m.Zone
	if !m.Timed() {
		zone = "" // an all-day entry has no zone to keep
	}
	return []any{m.Date, at, zone}
}

func scanActivity(row interface{ Scan(...any) error }) (*Activity, error) {
	var a Activity
	var ms [4]momentScan
	targets := []any{&a.ID, &a.Kind, &a.ParentID, &a.OrganiserKind, &a.OrganiserName, &a.Mode, &a.FirstMode, &a.Status, &a.Visibility}
	for i := range ms {
		targets = append(targets, ms[i].targets()...)
	}
	targets = append(targets, &a.Version, &a.UpdatedAt)
	if err := row.Scan(targets...); err != nil {
		return nil, err
	}
	a.Planned = Span{Start: ms[0].moment(), End: ms[1].moment()}
	a.Actual = Span{Start: ms[2].moment(), End: ms[3].moment()}
	a.UpdatedAt = a.UpdatedAt.UTC()
	return &a, nil
}

// Matching returns the ids of the activities whose title or summary, in any language, contains
// search (case-insensitive): the admin list's search, which the list then filters by.
func Matching(ctx context.Context, q db.Querier, search string) (map[int64]bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT activity_id FROM activity_texts
		WHERE sc_fold(title) LIKE $1 ESCAPE '\' OR sc_fold(summary) LIKE $1 ESCAPE '\'`, db.ContainsPattern(search))
	if err != nil {
		return nil, fmt.Errorf("exchange: search activities: %w", err)
	}
	defer rows.Close()
	out := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("exchange: search activities: %w", err)
		}
		out[id] = true
	}
	return out, rows.Err()
}

// List returns every activity with its texts, partnerships, topics and status history (not its
// participants or documents), by start date.
func List(ctx context.Context, q db.Querier) ([]*Activity, error) {
	list, err := db.Collect(ctx, q, "SELECT "+activityColumns+" FROM activities", nil, scanActivity)
	if err != nil {
		return nil, fmt.Errorf("exchange: list activities: %w", err)
	}
	byID := map[int64]*Activity{}
	for _, a := range list {
		byID[a.ID] = a
	}
	if err := loadLists(ctx, q, byID, ""); err != nil {
		return nil, err
	}
	SortByDate(list)
	return list, nil
}

// SortByDate orders activities by when they happen, then by id.
func SortByDate(list []*Activity) {
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i].When().Start, list[j].When().Start
		if a.Date != b.Date {
			return a.Date.Before(b.Date)
		}
		if !a.At.Equal(b.At) {
			return a.At.Before(b.At)
		}
		return list[i].ID < list[j].ID
	})
}

// loadLists fills texts, partnerships, topics and history of the activities in byID; where, with its
// argument, narrows the query to one activity.
func loadLists(ctx context.Context, q db.Querier, byID map[int64]*Activity, where string, args ...any) error {
	err := db.Each(ctx, q, "SELECT activity_id, lang, title, summary, outcomes FROM activity_texts "+where+" ORDER BY activity_id, lang",
		args, func(r *sql.Rows) error {
			var id int64
			var t Text
			if err := r.Scan(&id, &t.Lang, &t.Title, &t.Summary, &t.Outcomes); err != nil {
				return err
			}
			if a := byID[id]; a != nil {
				a.Texts = append(a.Texts, t)
			}
			return nil
		})
	if err == nil {
		err = db.Each(ctx, q, "SELECT activity_id, partnership_id FROM activity_partnerships "+where+" ORDER BY activity_id, partnership_id",
			args, func(r *sql.Rows) error {
				var id, p int64
				if err := r.Scan(&id, &p); err != nil {
					return err
				}
				if a := byID[id]; a != nil {
					a.Partnerships = append(a.Partnerships, p)
				}
				return nil
			})
	}
	if err == nil {
		err = db.Each(ctx, q, "SELECT activity_id, topic FROM activity_topics "+where+" ORDER BY activity_id, position",
			args, func(r *sql.Rows) error {
				var id int64
				var t string
				if err := r.Scan(&id, &t); err != nil {
					return err
				}
				if a := byID[id]; a != nil {
					a.Topics = append(a.Topics, t)
				}
				return nil
			})
	}
	if err == nil {
		var venues map[int64]langtext.Texts
		venues, err = register.LoadTexts(ctx, q, "activity_venues", "activity_id", "venue", where, args...)
		if err != nil {
			return err
		}
		for id, t := range venues {
			if a := byID[id]; a != nil {
				a.Venue = t
			}
		}
		var reasons map[int64]langtext.Texts
		reasons, err = register.LoadReasons(ctx, q, "activity_status_reasons",
			"WHERE history_id IN (SELECT id FROM activity_status_history "+where+")", args...)
		if err != nil {
			return err
		}
		err = db.Each(ctx, q, `SELECT id, activity_id, status, changed_on, recorded_at FROM activity_status_history `+where+
			` ORDER BY activity_id, changed_on, id`, args, func(r *sql.Rows) error {
			var id, hid int64
			var h StatusChange
			if err := r.Scan(&hid, &id, &h.Status, &h.ChangedOn, &h.RecordedAt); err != nil {
				return err
			}
			h.Reason = reasons[hid]
			if a := byID[id]; a != nil {
				a.History = append(a.History, h)
			}
			return nil
		})
	}
	if err == nil {
		err = loadVideos(ctx, q, byID, where, args)
	}
	if err != nil {
		return fmt.Errorf("exchange: activity details: %w", err)
	}
	return nil
}

// loadVideos fills Activity.Videos of the activities in byID from activity_videos, with each
// video's state and texts; where narrows it to one activity as in loadLists.
func loadVideos(ctx context.Context, q db.Querier, byID map[int64]*Activity, where string, args []any) error {
	where = strings.ReplaceAll(where, "activity_id", "av.activity_id")
	type key struct{ activity, video int64 }
	at := map[key]int{}
	err := db.Each(ctx, q, "SELECT av.activity_id, v.id, v.state, v.original_lang FROM activity_videos av JOIN videos v ON v.id = av.video_id "+
		where+" ORDER BY av.activity_id, v.id", args, func(r *sql.Rows) error {
		var id int64
		var v VideoRef
		if err := r.Scan(&id, &v.ID, &v.State, &v.OriginalLang); err != nil {
			return err
		}
		if a := byID[id]; a != nil {
			at[key{id, v.ID}] = len(a.Videos)
			a.Videos = append(a.Videos, v)
		}
		return nil
	})
	if err != nil || len(at) == 0 {
		return err
	}
	return db.Each(ctx, q, "SELECT av.activity_id, t.video_id, t.lang, t.title FROM activity_videos av JOIN video_texts t ON t.video_id = av.video_id "+
		where+" ORDER BY av.activity_id, t.video_id, t.lang", args, func(r *sql.Rows) error {
		var id, vid int64
		var t video.Text
		if err := r.Scan(&id, &vid, &t.Lang, &t.Title); err != nil {
			return err
		}
		if i, ok := at[key{id, vid}]; ok {
			byID[id].Videos[i].Texts = append(byID[id].Videos[i].Texts, t)
		}
		return nil
	})
}

// LinkVideo links a video to an activity; linking it again changes nothing. It reports whether a
// link was made, and db.ErrNotFound when either does not exist.
func LinkVideo(ctx context.Context, tx *sql.Tx, activityID, videoID int64) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, "SELECT (SELECT COUNT(*) FROM activities WHERE id = $1) + (SELECT COUNT(*) FROM videos WHERE id = $2)",
		activityID, videoID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("exchange: link video %d to activity %d: %w", videoID, activityID, err)
	}
	if n != 2 {
		return false, fmt.Errorf("exchange: link video %d to activity %d: %w", videoID, activityID, db.ErrNotFound)
	}
	res, err := tx.ExecContext(ctx, "INSERT INTO activity_videos (activity_id, video_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
		activityID, videoID)
	if err != nil {
		return false, fmt.Errorf("exchange: link video %d to activity %d: %w", videoID, activityID, err)
	}
	made, _ := res.RowsAffected()
	return made > 0, nil
}

// UnlinkVideo removes the link between a video and an activity; db.ErrNotFound when there is none.
func UnlinkVideo(ctx context.Context, tx *sql.Tx, activityID, videoID int64) error {
	res, err := tx.ExecContext(ctx, "DELETE FROM activity_videos WHERE activity_id = $1 AND video_id = $2", activityID, videoID)
	if err != nil {
		return fmt.Errorf("exchange: unlink video %d from activity %d: %w", videoID, activityID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("exchange: video %d of activity %d: %w", videoID, activityID, db.ErrNotFound)
	}
	return nil
}

// Get returns one activity with everything that belongs to it but its checklist.
func Get(ctx context.Context, q db.Querier, id int64) (*Activity, error) {
	a, err := scanActivity(q.QueryRowContext(ctx, "SELECT "+activityColumns+" FROM activities WHERE id = $1", id))
	if err != nil {
		return nil, db.NotFound(err, fmt.Sprintf("exchange: activity %d", id))
	}
	if err := loadLists(ctx, q, map[int64]*Activity{id: a}, "WHERE activity_id = $1", id); err != nil {
		return nil, err
	}
	args := []any{id}
	err = db.Each(ctx, q, `SELECT name, role, organisation FROM activity_participants WHERE activity_id = $1 ORDER BY position`,
		args, func(r *sql.Rows) error {
			var p Participant
			err := r.Scan(&p.Name, &p.Role, &p.Organisation)
			a.Participants = append(a.Participants, p)
			return err
		})
	if err == nil {
		a.Documents, err = attach.List(ctx, q, attach.Activity, id)
	}
	if err != nil {
		return nil, fmt.Errorf("exchange: activity %d: %w", id, err)
	}
	return a, nil
}

// Children returns the ids of the activities a campaign groups.
func Children(ctx context.Context, q db.Querier, id int64) ([]int64, error) {
	var ids []int64
	err := db.Each(ctx, q, "SELECT id FROM activities WHERE parent_id = $1 ORDER BY id", []any{id}, func(r *sql.Rows) error {
		var c int64
		err := r.Scan(&c)
		ids = append(ids, c)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("exchange: children of %d: %w", id, err)
	}
	return ids, nil
}

// CheckLinks checks a's links against what is stored, inside the transaction that saves it:
// each partnership exists and had not ended by the activity's start (an ended partnership keeps
// the activities it had); the parent is a campaign and not a's own descendant; a campaign that
// groups activities stays a campaign. l names cities and writes dates in the reader's language.
func CheckLinks(ctx context.Context, q db.Querier, a *Activity, l *i18n.Localizer) (problem.Fields, error) {
	var f problem.Fields
	start := a.When().Start.Date
	for _, pid := range a.Partnerships {
		p, err := register.GetPartnership(ctx, q, pid)
		if errors.Is(err, db.ErrNotFound) {
			f.Add("partnerships", "validation.choice")
			continue
		}
		if err != nil {
			return nil, err
		}
		if p.Status != register.StatusEnded {
			continue
		}
		var ended civil.Date
		for _, h := range p.History {
			if h.Status == register.StatusEnded {
				ended = h.ChangedOn
			}
		}
		name := ""
		if p.PartnerCity != nil {
			name = p.PartnerCity.Name(l.Lang)
		}
		switch {
		case ended.IsZero():
			f.Add("partnerships", "exchange.validation.partnership_ended_undated", "city", name)
		case start.IsZero() || !start.Before(ended):
			f.Add("partnerships", "exchange.validation.partnership_ended", "city", name, "date", l.Date(ended.Time()))
		}
	}
	if a.ParentID != 0 && a.ParentID != a.ID {
		seen := map[int64]bool{}
		for id := a.ParentID; id != 0; {
			if id == a.ID || seen[id] {
				f.Add("parent_id", "exchange.validation.parent_cycle")
				break
			}
			seen[id] = true
			var kind string
			var parent int64
			err := q.QueryRowContext(ctx, "SELECT kind, COALESCE(parent_id, 0) FROM activities WHERE id = $1", id).Scan(&kind, &parent)
			if errors.Is(err, sql.ErrNoRows) {
				f.Add("parent_id", "validation.choice")
				break
			}
			if err != nil {
				return nil, fmt.Errorf("exchange: check parent: %w", err)
			}
			if id == a.ParentID && kind != KindCampaign {
				f.Add("parent_id", "exchange.validation.parent_campaign")
				break
			}
			id = parent
		}
	}
	if a.ID != 0 && a.Kind != KindCampaign {
		children, err := Children(ctx, q, a.ID)
		if err != nil {
			return nil, err
		}
		if len(children) > 0 {
			f.Add("kind", "exchange.validation.campaign_has_children", "count", len(children))
		}
	}
	return f, nil
}

// Create inserts a with the first entry of its status history, dated changedOn, and sets its ID.
// The caller validates first.
func Create(ctx context.Context, tx *sql.Tx, a *Activity, changedOn civil.Date, reason langtext.Texts, userID int64) error {
	now := time.Now().UTC()
	if a.Visibility == "" {
		a.Visibility = DefaultVisibility(a.Status)
	}
	args := []any{a.Kind, db.NullID(a.ParentID), a.OrganiserKind, a.OrganiserName, a.Mode, a.FirstMode, a.Status}
	for _, m := range []Moment{a.Planned.Start, a.Planned.End, a.Actual.Start, a.Actual.End} {
		args = append(args, momentArgs(m)...)
	}
	args = append(args, now, a.Visibility)
	err := tx.QueryRowContext(ctx, `INSERT INTO activities (kind, parent_id, organiser_kind, organiser_name, mode,
		first_mode, status, planned_start_on, planned_start_at, planned_start_tz, planned_end_on, planned_end_at,
		planned_end_tz, actual_start_on, actual_start_at, actual_start_tz, actual_end_on, actual_end_at, actual_end_tz,
		version, created_at, updated_at, visibility)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, 1, $20, $20, $21)
		RETURNING id`, args...).Scan(&a.ID)
	if err != nil {
		return fmt.Errorf("exchange: create activity: %w", err)
	}
	a.Version, a.UpdatedAt = 1, now
	if err := addHistory(ctx, tx, a.ID, StatusChange{Status: a.Status, ChangedOn: changedOn, Reason: reason}, userID); err != nil {
		return err
	}
	return writeChildren(ctx, tx, a)
}

// Update saves a if nobody changed it since a.Version was read. A change of status is recorded
// in the history with reason, dated changedOn. An empty Visibility keeps the stored one: a
// change of status never publishes an activity by itself.
func Update(ctx context.Context, tx *sql.Tx, a *Activity, changedOn civil.Date, reason langtext.Texts, userID int64) error {
	var oldStatus, oldVisibility string
	if err := tx.QueryRowContext(ctx, "SELECT status, visibility FROM activities WHERE id = $1", a.ID).Scan(&oldStatus, &oldVisibility); err != nil {
		return db.NotFound(err, fmt.Sprintf("exchange: activity %d", a.ID))
	}
	if a.Visibility == "" {
		a.Visibility = oldVisibility
	}
	now := time.Now().UTC()
	args := []any{a.Kind, db.NullID(a.ParentID), a.OrganiserKind, a.OrganiserName, a.Mode, a.FirstMode, a.Status}
	for _, m := range []Moment{a.Planned.Start, a.Planned.End, a.Actual.Start, a.Actual.End} {
		args = append(args, momentArgs(m)...)
	}
	args = append(args, now, a.ID, a.Version, a.Visibility)
	res, err := tx.ExecContext(ctx, `UPDATE activities SET kind = $1, parent_id = $2, organiser_kind = $3,
		organiser_name = $4, mode = $5, first_mode = $6, status = $7,
		planned_start_on = $8, planned_start_at = $9, planned_start_tz = $10,
		planned_end_on = $11, planned_end_at = $12, planned_end_tz = $13,
		actual_start_on = $14, actual_start_at = $15, actual_start_tz = $16,
		actual_end_on = $17, actual_end_at = $18, actual_end_tz = $19,
		visibility = $23, version = version + 1, updated_at = $20 WHERE id = $21 AND version = $22`, args...)
	if err != nil {
		return fmt.Errorf("exchange: update activity %d: %w", a.ID, err)
	}
	if err := db.OneRow(ctx, tx, res, "activities", a.ID, ErrStale); err != nil {
		return err
	}
	a.Version++
	a.UpdatedAt = now
	if oldStatus != a.Status {
		if err := addHistory(ctx, tx, a.ID, StatusChange{Status: a.Status, ChangedOn: changedOn, Reason: reason}, userID); err != nil {
			return err
		}
	}
	for _, table := range []string{"activity_texts", "activity_venues", "activity_partnerships", "activity_participants", "activity_topics"} {
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+table+" WHERE activity_id = $1", a.ID); err != nil {
			return fmt.Errorf("exchange: update activity %d: %w", a.ID, err)
		}
	}
	return writeChildren(ctx, tx, a)
}

func addHistory(ctx context.Context, tx *sql.Tx, id int64, h StatusChange, userID int64) error {
	var hid int64
	err := tx.QueryRowContext(ctx, `INSERT INTO activity_status_history (activity_id, status, changed_on, recorded_at, user_id)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, id, h.Status, h.ChangedOn, time.Now().UTC(), db.NullID(userID)).Scan(&hid)
	if err != nil {
		return fmt.Errorf("exchange: activity %d history: %w", id, err)
	}
	return register.WriteReason(ctx, tx, "activity_status_reasons", hid, h.Reason)
}

func writeChildren(ctx context.Context, tx *sql.Tx, a *Activity) error {
	if err := register.WriteTexts(ctx, tx, "activity_venues", "activity_id", "venue", a.ID, a.Venue); err != nil {
		return err
	}
	for _, t := range a.Texts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO activity_texts (activity_id, lang, title, summary, outcomes)
			VALUES ($1, $2, $3, $4, $5)`, a.ID, t.Lang, t.Title, t.Summary, t.Outcomes); err != nil {
			return fmt.Errorf("exchange: activity %d text %s: %w", a.ID, t.Lang, err)
		}
	}
	links := slices.Clone(a.Partnerships)
	slices.Sort(links)
	for _, p := range slices.Compact(links) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO activity_partnerships (activity_id, partnership_id) VALUES ($1, $2)`,
			a.ID, p); err != nil {
			return fmt.Errorf("exchange: activity %d partnership %d: %w", a.ID, p, err)
		}
	}
	for i, p := range a.Participants {
		if _, err := tx.ExecContext(ctx, `INSERT INTO activity_participants (activity_id, position, name, role, organisation)
			VALUES ($1, $2, $3, $4, $5)`, a.ID, i, p.Name, p.Role, p.Organisation); err != nil {
			return fmt.Errorf("exchange: activity %d participant: %w", a.ID, err)
		}
	}
	for i, t := range a.Topics {
		if _, err := tx.ExecContext(ctx, `INSERT INTO activity_topics (activity_id, position, topic) VALUES ($1, $2, $3)`,
			a.ID, i, t); err != nil {
			return fmt.Errorf("exchange: activity %d topic: %w", a.ID, err)
		}
	}
	return nil
}

// Delete removes an activity and everything that belongs to it; the activities of a campaign
// stay, without their parent. It returns the storage keys of its documents, for the caller to
// remove once the transaction commits.
func Delete(ctx context.Context, tx *sql.Tx, id int64) ([]string, error) {
	keys, err := attach.Keys(ctx, tx, attach.Activity, id)
	if err != nil {
		return nil, fmt.Errorf("exchange: delete activity %d: %w", id, err)
	}
	// Said explicitly rather than left to ON DELETE SET NULL, which SQLite applies only with
	// foreign keys on.
	if _, err := tx.ExecContext(ctx, "UPDATE activities SET parent_id = NULL WHERE parent_id = $1", id); err != nil {
		return nil, fmt.Errorf("exchange: delete activity %d: %w", id, err)
	}
	res, err := tx.ExecContext(ctx, "DELETE FROM activities WHERE id = $1", id)
	if err != nil {
		return nil, fmt.Errorf("exchange: delete activity %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, fmt.Errorf("exchange: activity %d: %w", id, db.ErrNotFound)
	}
	return keys, nil
}

// FindByTitle returns the id of an activity with this title in lang, or db.ErrNotFound. The
// demo data uses it to stay idempotent.
func FindByTitle(ctx context.Context, q db.Querier, lang, title string) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, "SELECT activity_id FROM activity_texts WHERE lang = $1 AND title = $2 ORDER BY activity_id LIMIT 1",
		lang, title).Scan(&id)
	if err != nil {
		return 0, db.NotFound(err, "exchange: activity titled "+strconv.Quote(title))
	}
	return id, nil
}
