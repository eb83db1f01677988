package portal

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"sistercity/internal/civil"
	"sistercity/internal/fed"
	"sistercity/internal/problem"
	"sistercity/internal/report"
)

// Situation reports between sister instances (issue 14, item 3). A report shared with a
// partnership whose partner actor is set goes to that actor alone — addressed to it, never to
// Public nor to the followers, posted to its own inbox through fed's delivery queue — as a
// Create, an Update when it changes or is shared again, and a Delete when it is no longer
// shared with it. The partner's instance keeps it as a received report of the partner city,
// for its staff only; only an actor that one of its partnerships names may send one.
//
// Only a report of the partnership's home city (this office's own city) is sent: a report
// this office keeps of the partner city is the partner's own business.

// ReportType is the type of a report object. ActivityStreams has none; the context maps it
// into sistercity's namespace, and other servers ignore what they do not know.
const ReportType = "SituationReport"

// reportContext is the JSON-LD context of a report's activities.
var reportContext = []any{"https://www.w3.org/ns/activitystreams",
	map[string]any{"sc": "https://sistercity.example/ns#", ReportType: "sc:SituationReport",
		"situation": "sc:situation", "report": "sc:report"}}

// ReportPathPrefix is where the ids of report objects lie under the base URL. Nothing answers
// there: a report is never served to whoever asks, only delivered to its partner.
const ReportPathPrefix = "/ap/reports/"

// reportObject is a report as an activity's object.
type reportObject struct {
	ID           string         `json:"id"`
	Type         string         `json:"type"`
	AttributedTo string         `json:"attributedTo,omitempty"`
	To           []string       `json:"to,omitempty"`
	Situation    string         `json:"situation,omitempty"`
	Report       *report.Report `json:"report,omitempty"`
	// Deleted is when a Delete's report stopped being shared with the partner, on the sender's
	// clock (ActivityStreams' Tombstone property): a version from before it that arrives
	// late is not stored.
	Deleted *time.Time `json:"deleted,omitempty"`
}

// ReportObjectID is the id of report id's object.
func (s *Service) ReportObjectID(id int64) string {
	return strings.TrimSuffix(s.fed.ActorID(), fed.ActorPath) + ReportPathPrefix + strconv.FormatInt(id, 10)
}

// partnerInbox is a partnership's partner actor and its inbox, when one is set and known.
type partnerInbox struct {
	actor, inbox string
}

// partnerInboxes returns, per partnership among ids whose home city is cityID, its partner
// actor with its own inbox; partnerships without a partner actor are left out.
func (s *Service) partnerInboxes(ctx context.Context, tx *sql.Tx, ids []int64, cityID int64) (map[string]partnerInbox, error) {
	out := map[string]partnerInbox{}
	for _, id := range ids {
		var pi partnerInbox
		err := tx.QueryRowContext(ctx, `SELECT a.actor_id, COALESCE(r.inbox, '') FROM partner_actors a
			JOIN partnerships p ON p.id = a.partnership_id
			LEFT JOIN fed_remote_actors r ON r.id = a.actor_id
			WHERE a.partnership_id = $1 AND p.home_city_id = $2`, id, cityID).Scan(&pi.actor, &pi.inbox)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("portal: partner of %d: %w", id, err)
		}
		if pi.inbox == "" {
			s.log.Warn("report not delivered: partner actor unknown", "partnership", id, "actor", pi.actor)
			continue
		}
		out[pi.actor] = pi
	}
	return out, nil
}

// DeliverReport sends, in tx, what a change to report id means to the partner instances: the
// report as it now is to the partner actors of the partnerships it is shared with, and a
// Delete to those it was shared with before the change (before: the partnerships, when it was
// shared then) and is no longer.
func (s *Service) DeliverReport(ctx context.Context, tx *sql.Tx, id int64, before []int64) error {
	rep, err := report.Get(ctx, tx, report.Reader{Staff: true}, id)
	if err != nil {
		return err
	}
	if rep.Received() {
		return nil
	}
	var situation string
	if err := tx.QueryRowContext(ctx, "SELECT key FROM situations WHERE id = $1", rep.SituationID).Scan(&situation); err != nil {
		return fmt.Errorf("portal: situation of report %d: %w", id, err)
	}
	var now []int64
	if rep.Status == report.StatusShared {
		now = rep.SharedWith
	}
	to, err := s.partnerInboxes(ctx, tx, now, rep.CityID)
	if err != nil {
		return err
	}
	had, err := s.partnerInboxes(ctx, tx, before, rep.CityID)
	if err != nil {
		return err
	}
	oid := s.ReportObjectID(rep.ID)
	for actor, pi := range had {
		if _, still := to[actor]; still {
			continue
		}
		deleted := rep.UpdatedAt.UTC()
		del := s.reportActivity("Delete", actor, reportObject{ID: oid, Type: ReportType, Deleted: &deleted})
		if err := s.fed.Deliver(ctx, tx, del, []string{pi.inbox}); err != nil {
			return err
		}
	}
	// What the partner reads: the figures, beds and texts; not who here changed what, which
	// activities here it was linked to, nor which other partners it is shared with.
	sent := *rep
	sent.ID, sent.Activities, sent.SharedWith, sent.History, sent.Status = 0, nil, nil, nil, ""
	for actor, pi := range to {
		typ := "Create"
		if _, was := had[actor]; was {
			typ = "Update"
		}
		obj := reportObject{ID: oid, Type: ReportType, AttributedTo: s.fed.ActorID(), To: []string{actor},
			Situation: situation, Report: &sent}
		if err := s.fed.Deliver(ctx, tx, s.reportActivity(typ, actor, obj), []string{pi.inbox}); err != nil {
			return err
		}
	}
	return nil
}

// reportActivity is an activity of typ about a report, addressed to actor alone.
func (s *Service) reportActivity(typ, actor string, obj reportObject) map[string]any {
	return map[string]any{
		"@context": reportContext,
		"id":       s.fed.ActorID() + "#reports/" + randomID(),
		"type":     typ,
		"actor":    s.fed.ActorID(),
		"to":       []string{actor},
		"object":   obj,
	}
}

// reportLangs are the languages a received report's texts may be in.
var reportLangs = []string{"en", "ko", "ru"}

// receiveReport takes a partner's Create, Update or Delete of a report. The signer must be the
// partner actor of one of our partnerships: the report is then its partner city's. Anything
// else is refused and nothing is stored.
func (s *Service) receiveReport(ctx context.Context, signer *fed.RemoteActor, typ string, raw json.RawMessage) error {
	var o reportObject
	if json.Unmarshal(raw, &o.ID) != nil {
		if err := json.Unmarshal(raw, &o); err != nil {
			return fed.Refuse(http.StatusBadRequest, err)
		}
	}
	if fedHost(o.ID) != signer.Host || len(o.ID) > 2048 {
		return fed.Refuse(http.StatusForbidden, fed.ErrForeignObject)
	}
	var cityID int64
	err := s.db.R.QueryRowContext(ctx, `SELECT p.partner_city_id FROM partner_actors a JOIN partnerships p ON p.id = a.partnership_id
		WHERE a.actor_id = $1 ORDER BY p.id LIMIT 1`, signer.ID).Scan(&cityID)
	if errors.Is(err, sql.ErrNoRows) {
		return fed.Refuse(http.StatusForbidden, errors.New("report from an actor no partnership names"))
	}
	if err != nil {
		return fmt.Errorf("portal: partner %s: %w", signer.ID, err)
	}
	if typ == "Delete" {
		// Without a time, or with one ahead of ours, the withdrawal counts from now.
		at := s.now()
		if o.Deleted != nil && !o.Deleted.After(at.Add(time.Hour)) {
			at = *o.Deleted
		}
		return s.db.InTxQuiet(ctx, func(tx *sql.Tx) error {
			_, err := report.DeleteReceived(ctx, tx, o.ID, signer.ID, at)
			return err
		})
	}
	r := o.Report
	if r == nil {
		return fed.Refuse(http.StatusUnprocessableEntity, errors.New("report object without its report"))
	}
	sit, err := report.SituationByKey(ctx, s.db.R, o.Situation)
	if errors.Is(err, report.ErrNotFound) {
		return fed.Refuse(http.StatusUnprocessableEntity, fmt.Errorf("unknown situation %q", o.Situation))
	}
	if err != nil {
		return err
	}
	r.SituationID = sit.ID
	if err := checkReceived(r); err != nil {
		return fed.Refuse(http.StatusUnprocessableEntity, err)
	}
	if r.UpdatedAt.IsZero() || r.UpdatedAt.After(s.now().Add(time.Hour)) {
		r.UpdatedAt = s.now()
	}
	// The partner's today may be a day ahead of ours.
	today := civil.Of(s.now().UTC().Add(14 * time.Hour))
	return s.db.InTxQuiet(ctx, func(tx *sql.Tx) error {
		_, err := report.SaveReceived(ctx, tx, r, o.ID, signer.ID, cityID, today)
		if f, isFields := problem.AsFields(err); isFields {
			return fed.Refuse(http.StatusUnprocessableEntity, fmt.Errorf("report refused: %v", f))
		}
		return err
	})
}

// checkReceived refuses what the report rules leave to the forms: texts in languages we do
// not know or given twice, a figure given twice for a day.
func checkReceived(r *report.Report) error {
	seen := map[string]bool{}
	for _, t := range r.Texts {
		if !slices.Contains(reportLangs, t.Lang) || seen[t.Lang] {
			return fmt.Errorf("text in %q", t.Lang)
		}
		seen[t.Lang] = true
	}
	days := map[string]bool{}
	for _, v := range r.Values {
		k := v.Day.String() + " " + v.Metric
		if days[k] {
			return fmt.Errorf("value %s twice", k)
		}
		days[k] = true
	}
	return nil
}

// isReport tells whether an activity's object is a report object: one given in full with the
// report type, or an id alone under the report path (a Delete may give only that).
func isReport(raw json.RawMessage) bool {
	o, err := parseObject(raw)
	if err != nil {
		return false
	}
	if o.Type != nil {
		return o.isType(ReportType)
	}
	u, err := url.Parse(o.ID)
	return err == nil && strings.HasPrefix(u.Path, ReportPathPrefix)
}
