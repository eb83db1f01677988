package messages

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"sistercity/internal/civil"
	"sistercity/internal/db"
	"sistercity/internal/db/dbtest"
	"sistercity/internal/exchange"
	"sistercity/internal/jobs"
	"sistercity/internal/jobs/jobstest"
	"sistercity/internal/polltest"
)

// TestPurgeJobAcrossReplicas: the purge runs as a periodic job of two queues on one database,
// as two worker processes would have it, with no message sent meanwhile: the address whose
// retention ended goes, the one still within its retention stays.
func TestPurgeJobAcrossReplicas(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	ctx := context.Background()
	for _, closes := range []string{"2020-07-31", "2090-07-31"} {
		if err := d.InTx(ctx, func(tx *sql.Tx) error {
			a := &exchange.Activity{Kind: exchange.KindCampaign, Status: exchange.StatusConfirmed, Mode: exchange.ModeOnline,
				FirstMode: exchange.ModeOnline, OrganiserKind: exchange.OrganiserCity, Texts: []exchange.Text{{Lang: "en", Title: "Campaign " + closes}},
				Planned: exchange.Span{Start: exchange.OnDate(civil.MustParse("2020-07-01"))}}
			if err := exchange.Create(ctx, tx, a, civil.MustParse("2020-06-01"), nil, 0); err != nil {
				return err
			}
			c := &Call{ActivityID: a.ID, OpensOn: civil.MustParse("2020-07-01"), ClosesOn: civil.MustParse(closes), MaxPhotoBytes: 1 << 20, RetentionDays: 30,
				Texts:    []CallText{{Lang: "en", Title: "Messages to Busan"}},
				Consents: []Wording{{Lang: "en", Purpose: PurposePublish, Text: "I agree."}}}
			if errs := c.Validate([]string{"en", "ko", "ru"}); len(errs) > 0 {
				return errs
			}
			if err := CreateCall(ctx, tx, c); err != nil {
				return err
			}
			_, _, err := Submit(ctx, tx, c, &Submission{Lang: "en", Body: "Hello", Email: "sender-" + closes + "@example.org",
				Consents: []string{PurposePublish}}, "", time.Date(2020, 7, 10, 12, 0, 0, 0, time.UTC))
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	emails := func() (out []string) {
		rows, err := d.R.QueryContext(ctx, "SELECT email FROM citizen_message_contacts ORDER BY email")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var e string
			if err := rows.Scan(&e); err != nil {
				t.Fatal(err)
			}
			out = append(out, e)
		}
		return out
	}
	if got := emails(); len(got) != 2 {
		t.Fatalf("before the purge: %v, want both addresses", got)
	}
	for _, h := range []*db.DB{d, dbtest.Reopen(t, d)} {
		jobstest.StartQueue(t, h, func(q *jobs.Queue) error { return RegisterPurge(q, h, nil, time.Hour) })
	}
	polltest.Until(t, "the purge job at the leader's start", func() (bool, string) {
		got := emails()
		return len(got) == 1, fmt.Sprint(got)
	})
	if got := emails(); got[0] != "sender-2090-07-31@example.org" {
		t.Errorf("left: %v, want the address still within its retention", got)
	}
}
