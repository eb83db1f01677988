package report

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"slices"

	"sistercity/internal/civil"
	"sistercity/internal/problem"
)

// Edit is what the edit form changes of a report: its dates, source, texts and the figures of
// its as-of date. A metric absent from Figures keeps its figure; a nil one is removed.
type Edit struct {
	AsOf, PeriodStart, PeriodEnd civil.Date
	SourceOrg                    string
	Texts                        []Text
	Figures                      map[string]*float64
}

// Apply changes report id as e says, after checking the whole report by its rules. A draft
// or shared report may change (a shared one's partners then read the new figures); a
// withdrawn or received one may not. It returns the report as it was.
func Apply(ctx context.Context, tx *sql.Tx, id int64, e Edit, today civil.Date) (*Report, error) {
	before, err := own(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if before.Status == StatusWithdrawn {
		return nil, problem.New(http.StatusConflict, "reports.error.withdrawn")
	}
	r := *before
	r.AsOf, r.PeriodStart, r.PeriodEnd, r.SourceOrg = e.AsOf, e.PeriodStart, e.PeriodEnd, e.SourceOrg
	r.Texts = slices.DeleteFunc(slices.Clone(e.Texts), func(t Text) bool { return t.Measures == "" && t.FollowUp == "" })
	r.Values = slices.DeleteFunc(slices.Clone(before.Values), func(v Value) bool {
		_, changed := e.Figures[v.Metric]
		return changed && v.Day == e.AsOf
	})
	for _, m := range Metrics {
		if v := e.Figures[m.Name]; v != nil {
			r.Values = append(r.Values, Value{Day: e.AsOf, Metric: m.Name, Value: *v})
		}
	}
	if f := r.Validate(today); len(f) > 0 {
		return nil, f
	}
	if _, err := tx.ExecContext(ctx, `UPDATE reports SET as_of = $1, period_start = $2, period_end = $3, source_org = $4
		WHERE id = $5`, r.AsOf, r.PeriodStart, r.PeriodEnd, r.SourceOrg, id); err != nil {
		return nil, fmt.Errorf("report %d: edit: %w", id, err)
	}
	for _, q := range []string{"DELETE FROM report_texts WHERE report_id = $1", "DELETE FROM report_values WHERE report_id = $1"} {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return nil, fmt.Errorf("report %d: edit: %w", id, err)
		}
	}
	for _, t := range r.Texts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO report_texts (report_id, lang, measures, follow_up) VALUES ($1, $2, $3, $4)`,
			id, t.Lang, t.Measures, t.FollowUp); err != nil {
			return nil, fmt.Errorf("report %d: text %s: %w", id, t.Lang, err)
		}
	}
	if err := insertValues(ctx, tx, id, r.Values); err != nil {
		return nil, err
	}
	return before, touch(ctx, tx, id)
}
