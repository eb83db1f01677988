package track_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"sistercity/internal/outbox"
	"sistercity/internal/track"
)

// TestTrackStepsUpdateTheVideoOnTheFediverse: approving a track of a video that is on the
// fediverse records an Update of the video, as does taking it back and deleting an approved
// track; a draft's life records nothing, and nothing is recorded for a video never federated.
func TestTrackStepsUpdateTheVideoOnTheFediverse(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newWorkflowFixture(t)
	count := func() int {
		t.Helper()
		var n int
		if err := f.d.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM ap_outbox WHERE video_id = $1 AND kind = $2",
			f.video, outbox.Update).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// Not federated yet: an approval records nothing.
	early := f.track(t, warningVTT, track.StatusInReview)
	if err := f.step(track.Approve, early, ""); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 0 {
		t.Fatalf("%d updates before the video is federated", n)
	}
	if err := f.d.InTx(ctx, func(tx *sql.Tx) error { return outbox.Published(ctx, tx, f.video, time.Now()) }); err != nil {
		t.Fatal(err)
	}

	tr := f.track(t, warningVTT, track.StatusDraft)
	if err := f.step(track.Submit, tr, ""); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 0 {
		t.Fatalf("%d updates for a draft and its submission", n)
	}
	if err := f.step(track.Approve, tr, ""); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 1 {
		t.Fatalf("%d updates after the approval, want 1", n)
	}
	if err := f.step(track.Reopen, tr, ""); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 2 {
		t.Fatalf("%d updates after reopening, want 2", n)
	}
	if err := f.d.InTx(ctx, func(tx *sql.Tx) error { return track.Delete(ctx, tx, early.ID) }); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 3 {
		t.Fatalf("%d updates after deleting an approved track, want 3", n)
	}
	if err := f.d.InTx(ctx, func(tx *sql.Tx) error { return track.Delete(ctx, tx, tr.ID) }); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 3 {
		t.Fatalf("%d updates after deleting a draft, want still 3", n)
	}
}
