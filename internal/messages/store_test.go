package messages

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"sistercity/internal/civil"
	"sistercity/internal/db/dbtest"
	"sistercity/internal/exchange"
)

// TestMessagesStore: an e-mail address is deleted once the retention after the call's close has
// passed, not before; a proof of work is taken once until it expires.
func TestMessagesStore(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	ctx := context.Background()
	now := time.Date(2020, 7, 10, 12, 0, 0, 0, time.UTC)
	in := func(fn func(tx *sql.Tx) error) {
		t.Helper()
		if err := d.InTx(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	c := &Call{OpensOn: civil.MustParse("2020-07-01"), ClosesOn: civil.MustParse("2020-07-31"), MaxPhotoBytes: 1 << 20, RetentionDays: 30,
		Texts:    []CallText{{Lang: "en", Title: "Messages to Busan"}},
		Consents: []Wording{{Lang: "en", Purpose: PurposePublish, Text: "I agree."}}}
	in(func(tx *sql.Tx) error {
		a := &exchange.Activity{Kind: exchange.KindCampaign, Status: exchange.StatusConfirmed, Mode: exchange.ModeOnline,
			FirstMode: exchange.ModeOnline, OrganiserKind: exchange.OrganiserCity, Texts: []exchange.Text{{Lang: "en", Title: "Campaign"}},
			Planned: exchange.Span{Start: exchange.OnDate(civil.MustParse("2020-07-01"))}}
		if err := exchange.Create(ctx, tx, a, civil.MustParse("2020-06-01"), nil, 0); err != nil {
			return err
		}
		c.ActivityID = a.ID
		if errs := c.Validate([]string{"en", "ko", "ru"}); len(errs) > 0 {
			return errs
		}
		if err := CreateCall(ctx, tx, c); err != nil {
			return err
		}
		_, token, err := Submit(ctx, tx, c, &Submission{Lang: "en", Body: "Hello", Email: "a@example.org", Consents: []string{PurposePublish}}, "", now)
		if err != nil {
			return err
		}
		if m, err := ByToken(ctx, tx, token); err != nil || m.Consents[0].Wording != "I agree." || m.Consents[0].Version != 1 {
			t.Errorf("by token: %+v, %v", m, err)
		}
		return nil
	})
	purge := func(at time.Time) (n int64) {
		in(func(tx *sql.Tx) (err error) { n, err = PurgeContacts(ctx, tx, at); return err })
		return n
	}
	if n := purge(time.Date(2020, 8, 29, 0, 0, 0, 0, time.UTC)); n != 0 {
		t.Errorf("deleted %d addresses before the retention ended", n)
	}
	if n := purge(time.Date(2020, 8, 31, 0, 0, 1, 0, time.UTC)); n != 1 {
		t.Errorf("deleted %d addresses after the retention ended, want 1", n)
	}
	spend := func(at time.Time) error {
		return d.InTx(ctx, func(tx *sql.Tx) error { return Spend(ctx, tx, "sig", now.Add(20*time.Minute), at) })
	}
	if err := spend(now); err != nil {
		t.Fatal(err)
	}
	if err := spend(now.Add(time.Minute)); !errors.Is(err, ErrReplayed) {
		t.Errorf("replayed: %v", err)
	}
	if err := spend(now.Add(time.Hour)); err != nil {
		t.Errorf("an expired record is forgotten, the challenge itself refused by its expiry: %v", err)
	}
}
