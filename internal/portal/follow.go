package portal

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"sistercity/internal/db"
	"sistercity/internal/fed"
)

// Errors of SetPartner, each a refusal the editor is told about in their language.
var (
	// ErrNotActor is an address that gives no actor we can follow (not found, not ActivityPub,
	// no key, unreachable).
	ErrNotActor = errors.New("portal: no actor there")
	// ErrSelf is our own actor.
	ErrSelf = errors.New("portal: our own actor")
)

// Resolve reads what an editor typed — an @user@host handle (found by WebFinger) or an actor's
// URL — and fetches the actor, through the safe client; fed's ErrBadActor when it is neither
// form, ErrNotActor when nothing answers as an actor, fed's ErrBlocked for a blocked server.
func (s *Service) Resolve(ctx context.Context, in string) (*fed.RemoteActor, error) {
	id, err := s.fed.ResolveActor(ctx, in)
	if errors.Is(err, fed.ErrUnknownUser) {
		return nil, ErrNotActor
	}
	if err != nil {
		return nil, err
	}
	if id == s.fed.ActorID() {
		return nil, ErrSelf
	}
	bl, err := fed.LoadBlocks(ctx, s.db.R)
	if err != nil {
		return nil, err
	}
	if bl.Rejects(id) {
		return nil, fed.ErrBlocked
	}
	a, err := s.fed.RemoteActorByID(ctx, id)
	if errors.Is(err, fed.ErrBlocked) {
		return nil, err
	}
	if err != nil {
		s.log.Info("partner actor not resolved", "actor", id, "err", err)
		return nil, ErrNotActor
	}
	return a, nil
}

func randomID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// SetPartner makes actor the partner actor of partnership id in tx and follows it (a signed
// Follow through the delivery queue). Setting the actor already set sends the Follow again,
// which also asks a partner that refused once. The actor it replaces is unfollowed, and its
// videos go unless another partnership follows it too.
func (s *Service) SetPartner(ctx context.Context, tx *sql.Tx, partnershipID int64, actor *fed.RemoteActor) error {
	if err := s.ClearPartner(ctx, tx, partnershipID); err != nil && !errors.Is(err, db.ErrNotFound) {
		return err
	}
	followID := s.fed.ActorID() + "#follows/" + randomID()
	if _, err := tx.ExecContext(ctx, `INSERT INTO partner_actors (partnership_id, actor_id, follow_id, state, set_at)
		VALUES ($1, $2, $3, $4, $5)`, partnershipID, actor.ID, followID, StatePending, s.now().UTC()); err != nil {
		return fmt.Errorf("portal: set partner of %d: %w", partnershipID, err)
	}
	follow := map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams",
		"id":       followID,
		"type":     "Follow",
		"actor":    s.fed.ActorID(),
		"object":   actor.ID,
	}
	return s.fed.Deliver(ctx, tx, follow, []string{actor.Inbox})
}

// ClearPartner removes the partner actor of partnership id in tx: an Undo of the follow goes to
// it, and its videos go unless another partnership follows it. db.ErrNotFound when none was set.
func (s *Service) ClearPartner(ctx context.Context, tx *sql.Tx, partnershipID int64) error {
	var actorID, followID string
	err := tx.QueryRowContext(ctx, "SELECT actor_id, follow_id FROM partner_actors WHERE partnership_id = $1", partnershipID).Scan(&actorID, &followID)
	if errors.Is(err, sql.ErrNoRows) {
		return db.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("portal: clear partner of %d: %w", partnershipID, err)
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM partner_actors WHERE partnership_id = $1", partnershipID); err != nil {
		return fmt.Errorf("portal: clear partner of %d: %w", partnershipID, err)
	}
	var others int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM partner_actors WHERE actor_id = $1", actorID).Scan(&others); err != nil {
		return fmt.Errorf("portal: clear partner of %d: %w", partnershipID, err)
	}
	if others > 0 {
		return nil
	}
	for _, q := range []string{"DELETE FROM remote_videos WHERE actor_id = $1", "DELETE FROM remote_video_deletions WHERE actor_id = $1"} {
		if _, err := tx.ExecContext(ctx, q, actorID); err != nil {
			return fmt.Errorf("portal: clear partner of %d: %w", partnershipID, err)
		}
	}
	// The posters stay in the store: a key is never reused, and a later sweep may take them.
	var inbox string
	err = tx.QueryRowContext(ctx, "SELECT inbox FROM fed_remote_actors WHERE id = $1", actorID).Scan(&inbox)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // blocked and purged since: nothing to tell it
	}
	if err != nil {
		return fmt.Errorf("portal: clear partner of %d: %w", partnershipID, err)
	}
	undo := map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams",
		"id":       s.fed.ActorID() + "#undo/" + randomID(),
		"type":     "Undo",
		"actor":    s.fed.ActorID(),
		"object":   map[string]any{"id": followID, "type": "Follow", "actor": s.fed.ActorID(), "object": actorID},
	}
	return s.fed.Deliver(ctx, tx, undo, []string{inbox})
}

// object is the part of an activity's object the portal reads; given as an id alone, only ID.
type object struct {
	ID   string          `json:"id"`
	Type json.RawMessage `json:"type"`
}

func parseObject(raw json.RawMessage) (object, error) {
	var o object
	if len(raw) == 0 {
		return o, errors.New("no object")
	}
	if json.Unmarshal(raw, &o.ID) == nil {
		return o, nil
	}
	err := json.Unmarshal(raw, &o)
	return o, err
}

// isType tells whether an object's type (a string or a list) is typ.
func (o object) isType(typ string) bool {
	var one string
	if json.Unmarshal(o.Type, &one) == nil {
		return one == typ
	}
	var many []string
	if json.Unmarshal(o.Type, &many) == nil {
		for _, t := range many {
			if t == typ {
				return true
			}
		}
	}
	return false
}

// Receive takes what a partner actor sends (fed.Partners): Accept or Reject of our follow,
// Create, Update or Delete of its videos, and of the situation reports it shares with us
// (reports.go), which anyone else is refused. Anything from an actor no partnership names, and
// anything else, is left to fed.
func (s *Service) Receive(ctx context.Context, signer *fed.RemoteActor, a fed.Incoming) (bool, error) {
	switch a.Type {
	case "Accept", "Reject", "Create", "Update", "Delete":
	default:
		return false, nil
	}
	if a.Type != "Accept" && a.Type != "Reject" && isReport(a.Object) {
		return true, s.receiveReport(ctx, signer, a.Type, a.Object)
	}
	var n int
	if err := s.db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM partner_actors WHERE actor_id = $1 AND state <> $2",
		signer.ID, StateRejected).Scan(&n); err != nil {
		return false, fmt.Errorf("portal: partner %s: %w", signer.ID, err)
	}
	if n == 0 && a.Type != "Accept" {
		return false, nil // not a partner (a Create from another actor is not a partner video)
	}
	o, err := parseObject(a.Object)
	if err != nil {
		return true, fed.Refuse(http.StatusBadRequest, err)
	}
	switch a.Type {
	case "Accept", "Reject":
		return s.onAnswer(ctx, signer, a.Type, o)
	case "Create", "Update":
		if o.Type != nil && !o.isType("Video") {
			return false, nil // a Note, a reply: fed's
		}
		if fedHost(o.ID) != signer.Host {
			return true, fed.Refuse(http.StatusForbidden, fed.ErrForeignObject)
		}
		return true, s.db.InTxQuiet(ctx, func(tx *sql.Tx) error {
			_, err := s.queue.Insert(ctx, tx, FetchArgs{ActorID: signer.ID, ObjectID: o.ID}, nil)
			return err
		})
	default: // Delete
		gone, err := s.remove(ctx, signer.ID, o.ID)
		return gone, err // not a video of ours: a reply, the actor itself — fed's
	}
}

// onAnswer records the partner's Accept or Reject of our follow; on Accept its videos
// published so far are fetched (a backfill job).
func (s *Service) onAnswer(ctx context.Context, signer *fed.RemoteActor, typ string, o object) (bool, error) {
	state := StateAccepted
	if typ == "Reject" {
		state = StateRejected
	}
	handled := false
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE partner_actors SET state = $1, accepted_at = $2
			WHERE actor_id = $3 AND follow_id = $4`, state, s.now().UTC(), signer.ID, o.ID)
		if err != nil {
			return fmt.Errorf("portal: %s: %w", typ, err)
		}
		n, _ := res.RowsAffected()
		if handled = n > 0; !handled || state != StateAccepted {
			return nil
		}
		_, err = s.queue.Insert(ctx, tx, BackfillArgs{ActorID: signer.ID}, nil)
		return err
	})
	return handled, err
}
