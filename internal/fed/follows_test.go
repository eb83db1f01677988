package fed

import (
	"context"
	"database/sql"
	"testing"
	"time"
)

// An Undo of a follow ends the one it names — by the Follow's id, else by the actor it followed,
// else the remote's only follow — and leaves the remote's other follows alone; an Undo that
// names neither, from a remote with two follows, ends none.
func TestUndoFollowEndsOnlyItsFollow(t *testing.T) {
	t.Parallel()
	s := newTestService(t, nil)
	ctx := context.Background()
	const remote = "https://social.example/users/ana"
	city, channel, account := s.ActorID(), s.base+ChannelPath, s.base+AccountPath
	follow := func(tx *sql.Tx, followed, id string) {
		t.Helper()
		if _, err := tx.ExecContext(ctx, `INSERT INTO fed_followers (actor_id, follow_id, inbox, shared_inbox, state, created_at, followed)
			VALUES ($1, $2, $3, '', 'accepted', $4, $5)`, remote, id, remote+"/inbox", time.Now().UTC(), followed); err != nil {
			t.Fatal(err)
		}
	}
	undo := func(o object) bool {
		t.Helper()
		var undone bool
		if err := s.db.InTxQuiet(ctx, func(tx *sql.Tx) error {
			var err error
			undone, err = s.undoFollow(ctx, tx, remote, o)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return undone
	}
	counts := func(want map[string]int64) {
		t.Helper()
		for followed, n := range want {
			if got, err := FollowerCount(ctx, s.db.R, followed); err != nil || got != n {
				t.Fatalf("followers of %q: %d (%v), want %d", followed, got, err, n)
			}
		}
	}
	if err := s.db.InTxQuiet(ctx, func(tx *sql.Tx) error {
		follow(tx, "", remote+"#f/city")
		follow(tx, channel, remote+"#f/channel")
		follow(tx, account, remote+"#f/account")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	counts(map[string]int64{"": 1, channel: 1, account: 1})

	if !undo(object{ID: remote + "#f/channel", Type: "Follow"}) {
		t.Fatal("undo by the Follow's id: nothing undone")
	}
	counts(map[string]int64{"": 1, channel: 0, account: 1})
	if !undo(object{ID: remote + "#f/unknown", Type: "Follow", Object: account}) {
		t.Fatal("undo naming the account: nothing undone")
	}
	counts(map[string]int64{"": 1, channel: 0, account: 0})
	// Not ours to end: a follow of another actor, or a Like's id.
	if undo(object{ID: remote + "#f/other", Type: "Follow", Object: "https://elsewhere.example/users/x"}) ||
		undo(object{ID: remote + "#likes/1"}) {
		t.Fatal("an Undo of something else ended a follow")
	}
	counts(map[string]int64{"": 1})

	// With the city's follow its only one, an Undo that names no actor ends it; with two, none.
	if err := s.db.InTxQuiet(ctx, func(tx *sql.Tx) error { follow(tx, channel, remote+"#f/channel2"); return nil }); err != nil {
		t.Fatal(err)
	}
	if undo(object{ID: remote + "#f/vague", Type: "Follow"}) {
		t.Fatal("a vague Undo ended one of two follows")
	}
	if !undo(object{ID: remote + "#f/channel2", Type: "Follow", Object: city}) {
		t.Fatal("undo by id: nothing undone")
	}
	if !undo(object{ID: remote + "#f/vague", Type: "Follow"}) {
		t.Fatal("a vague Undo did not end the only follow")
	}
	counts(map[string]int64{"": 0, channel: 0, account: 0})
}
