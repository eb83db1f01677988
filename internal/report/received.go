package report

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"sistercity/internal/civil"
)

// SaveReceived stores a report a partner city's instance sent (its object remoteID, sent by
// actor) as a report of cityID, or replaces the one stored under remoteID: the partner's
// figures, beds and texts, shared with nobody here, read by staff only. r's UpdatedAt is the
// partner's; a report older than the one stored is left alone (deliveries may arrive out of
// order), and so is one whose remoteID another actor sent. today bounds the as-of date; it is
// the latest today anywhere, the partner being in another time zone. stored tells whether it
// was saved.
func SaveReceived(ctx context.Context, tx *sql.Tx, r *Report, remoteID, actor string, cityID int64, today civil.Date) (stored bool, err error) {
	r.CityID = cityID
	r.Activities, r.SharedWith, r.History = nil, nil, nil
	if f := r.Validate(today); len(f) > 0 {
		return false, f
	}
	// A version from before the partner withdrew the report stays out; one shared again
	// after it comes in and ends the withdrawal's record.
	var deletedAt time.Time
	err = tx.QueryRowContext(ctx, "SELECT deleted_at FROM received_report_deletions WHERE remote_id = $1 AND remote_actor = $2",
		remoteID, actor).Scan(&deletedAt)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return false, fmt.Errorf("report: receive %s: %w", remoteID, err)
	case !r.UpdatedAt.After(deletedAt):
		return false, nil
	default:
		if _, err := tx.ExecContext(ctx, "DELETE FROM received_report_deletions WHERE remote_id = $1", remoteID); err != nil {
			return false, fmt.Errorf("report: receive %s: %w", remoteID, err)
		}
	}
	var id int64
	var prevActor string
	var prevUpdated time.Time
	err = tx.QueryRowContext(ctx, "SELECT id, remote_actor, updated_at FROM reports WHERE remote_id = $1", remoteID).
		Scan(&id, &prevActor, &prevUpdated)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		now := time.Now().UTC()
		err = tx.QueryRowContext(ctx, `INSERT INTO reports (situation_id, city_id, as_of, period_start, period_end, source_org,
			status, demo, created_at, updated_at, remote_id, remote_actor) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
			RETURNING id`, r.SituationID, r.CityID, r.AsOf, r.PeriodStart, r.PeriodEnd, r.SourceOrg, StatusShared, r.Demo, now,
			r.UpdatedAt.UTC(), remoteID, actor).Scan(&id)
		if err != nil {
			return false, fmt.Errorf("report: receive %s: %w", remoteID, err)
		}
	case err != nil:
		return false, fmt.Errorf("report: receive %s: %w", remoteID, err)
	case prevActor != actor || r.UpdatedAt.Before(prevUpdated):
		return false, nil
	default:
		if _, err := tx.ExecContext(ctx, `UPDATE reports SET situation_id = $1, city_id = $2, as_of = $3, period_start = $4,
			period_end = $5, source_org = $6, demo = $7, updated_at = $8 WHERE id = $9`, r.SituationID, r.CityID, r.AsOf,
			r.PeriodStart, r.PeriodEnd, r.SourceOrg, r.Demo, r.UpdatedAt.UTC(), id); err != nil {
			return false, fmt.Errorf("report: receive %s: %w", remoteID, err)
		}
		for _, q := range []string{"DELETE FROM report_texts WHERE report_id = $1", "DELETE FROM report_values WHERE report_id = $1",
			"DELETE FROM report_beds WHERE report_id = $1"} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return false, fmt.Errorf("report: receive %s: %w", remoteID, err)
			}
		}
	}
	r.ID, r.Status, r.RemoteID, r.RemoteActor = id, StatusShared, remoteID, actor
	for _, t := range r.Texts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO report_texts (report_id, lang, measures, follow_up) VALUES ($1, $2, $3, $4)`,
			id, t.Lang, t.Measures, t.FollowUp); err != nil {
			return false, fmt.Errorf("report %d: text %s: %w", id, t.Lang, err)
		}
	}
	if err := insertValues(ctx, tx, id, r.Values); err != nil {
		return false, err
	}
	for _, b := range r.Beds {
		if err := insertBed(ctx, tx, id, b); err != nil {
			return false, err
		}
	}
	return true, nil
}

// DeleteReceived removes the report actor sent as remoteID (the partner no longer shares it, as
// of at on its clock), and tells whether there was one. The withdrawal is remembered, so that a
// version from before it arriving late is not stored (SaveReceived).
func DeleteReceived(ctx context.Context, tx *sql.Tx, remoteID, actor string, at time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, "DELETE FROM reports WHERE remote_id = $1 AND remote_actor = $2", remoteID, actor)
	if err != nil {
		return false, fmt.Errorf("report: delete received %s: %w", remoteID, err)
	}
	n, _ := res.RowsAffected()
	// Another actor's object is not this actor's to withdraw: the row keeps its own.
	if _, err := tx.ExecContext(ctx, `INSERT INTO received_report_deletions (remote_id, remote_actor, deleted_at) VALUES ($1, $2, $3)
		ON CONFLICT (remote_id) DO UPDATE SET deleted_at = excluded.deleted_at
		WHERE received_report_deletions.remote_actor = excluded.remote_actor AND received_report_deletions.deleted_at < excluded.deleted_at`,
		remoteID, actor, at.UTC()); err != nil {
		return false, fmt.Errorf("report: delete received %s: %w", remoteID, err)
	}
	return n > 0, nil
}
