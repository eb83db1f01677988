package video

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"sistercity/internal/outbox"
)

// kinds lists video id's outbox activities, oldest first.
func kinds(t *testing.T, f *workflowFixture, id int64) []string {
	t.Helper()
	rows, err := f.deps.DB.R.QueryContext(context.Background(), "SELECT kind FROM ap_outbox WHERE video_id = $1 ORDER BY id", id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		out = append(out, k)
	}
	return out
}

func sameKinds(got []string, want ...string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

// TestOutboxFollowsTheWorkflow: publishing records a Create, an edit and a move to unlisted
// an Update, a withdrawal a Delete, all in the transaction of the change; an edit of a
// withdrawn video records nothing, and a publication again is a Create of the same object
// (same uuid). A change that is rolled back leaves no activity.
func TestOutboxFollowsTheWorkflow(t *testing.T) {
	t.Parallel()
	f := newWorkflowFixture(t)
	ctx := context.Background()
	v := f.video(t, StateInReview, true)

	// An edit before publication is not on the fediverse.
	if err := f.inTx(func(ctx context.Context, tx *sql.Tx) error { return Edit(ctx, tx, f.q, v, f.editor) }); err != nil {
		t.Fatal(err)
	}
	if got := kinds(t, f, v.ID); len(got) != 0 {
		t.Fatalf("before publication: %v", got)
	}
	// A publication whose transaction fails records nothing.
	boom := errors.New("boom")
	err := f.inTx(func(ctx context.Context, tx *sql.Tx) error {
		if err := Publish(ctx, tx, f.change(f.get(t, v.ID))); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) || len(kinds(t, f, v.ID)) != 0 {
		t.Fatalf("rolled back publication: %v %v", err, kinds(t, f, v.ID))
	}
	if _, err := outbox.Get(ctx, f.deps.DB.R, v.ID); err == nil {
		t.Fatal("a rolled-back publication left a uuid")
	}

	if err := f.inTx(func(ctx context.Context, tx *sql.Tx) error { return Publish(ctx, tx, f.change(f.get(t, v.ID))) }); err != nil {
		t.Fatal(err)
	}
	o, err := outbox.Get(ctx, f.deps.DB.R, v.ID)
	if err != nil || !o.Live() || len(o.UUID) != 36 {
		t.Fatalf("after publication: %+v %v", o, err)
	}
	uuid := o.UUID
	v = f.get(t, v.ID)
	v.Texts[0].Title = "Видео (исправлено)"
	if err := f.inTx(func(ctx context.Context, tx *sql.Tx) error { return Edit(ctx, tx, f.q, v, f.editor) }); err != nil {
		t.Fatal(err)
	}
	if err := f.inTx(func(ctx context.Context, tx *sql.Tx) error {
		return Move(ctx, tx, f.change(f.get(t, v.ID)), StateUnlisted)
	}); err != nil {
		t.Fatal(err)
	}
	if err := f.inTx(func(ctx context.Context, tx *sql.Tx) error { return Withdraw(ctx, tx, f.change(f.get(t, v.ID))) }); err != nil {
		t.Fatal(err)
	}
	if got := kinds(t, f, v.ID); !sameKinds(got, outbox.Create, outbox.Update, outbox.Update, outbox.Delete) {
		t.Fatalf("activities %v", got)
	}
	if o, err := outbox.Get(ctx, f.deps.DB.R, v.ID); err != nil || o.Live() {
		t.Fatalf("after withdrawal: %+v %v", o, err)
	}
	// Edited while withdrawn: nothing to update on the fediverse.
	v = f.get(t, v.ID)
	v.Texts[0].Title = "Видео (снова)"
	if err := f.inTx(func(ctx context.Context, tx *sql.Tx) error { return Edit(ctx, tx, f.q, v, f.editor) }); err != nil {
		t.Fatal(err)
	}
	// Back through review and published again: a new Create of the same object.
	for _, st := range []string{StateDraft, StateInReview, StatePublished} {
		if err := f.inTx(func(ctx context.Context, tx *sql.Tx) error { return Move(ctx, tx, f.change(f.get(t, v.ID)), st) }); err != nil {
			t.Fatal(st, err)
		}
	}
	if got := kinds(t, f, v.ID); !sameKinds(got, outbox.Create, outbox.Update, outbox.Update, outbox.Delete, outbox.Create) {
		t.Fatalf("activities %v", got)
	}
	if o, err := outbox.Get(ctx, f.deps.DB.R, v.ID); err != nil || !o.Live() || o.UUID != uuid {
		t.Fatalf("published again: %+v %v (uuid was %s)", o, err, uuid)
	}
	// The outbox lists the live Create once.
	list, total, err := outbox.Page(ctx, f.deps.DB.R, 10, 0)
	if err != nil || total != 1 || len(list) != 1 || list[0].VideoID != v.ID || list[0].Kind != outbox.Create {
		t.Fatalf("outbox page: %+v %d %v", list, total, err)
	}
}
