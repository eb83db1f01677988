package fed

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"golang.org/x/net/html"
)

// InboxError is a refused delivery: Status is what the sender is answered.
type InboxError struct {
	Status int
	Err    error
}

func (e *InboxError) Error() string { return fmt.Sprintf("fed: inbox %d: %v", e.Status, e.Err) }
func (e *InboxError) Unwrap() error { return e.Err }

func refuse(status int, err error) error { return &InboxError{Status: status, Err: err} }

// Refuse is the refusal of an activity that the sender is answered status for, for the
// inbox's other takers (Partners).
func Refuse(status int, err error) error { return refuse(status, err) }

// Incoming is an activity as the inbox passes it on, its signature and actor checked.
type Incoming struct {
	ID     string
	Type   string
	Object json.RawMessage
}

// Partners takes the activities of partner instances' actors that the sister portals (package
// portal) keep: Accept and Reject of our follows, and Create, Update and Delete of their videos.
type Partners interface {
	// Receive handles a from signer, whose key and actor are verified and not blocked; handled
	// false leaves it to the inbox's own rules.
	Receive(ctx context.Context, signer *RemoteActor, a Incoming) (handled bool, err error)
}

// SetPartners makes p take partner activities; set once, before the inbox serves.
func (s *Service) SetPartners(p Partners) { s.partners = p }

// ErrForeignObject is an object whose id is on another host than its actor's.
var ErrForeignObject = errors.New("fed: object id on another host than its actor")

// activity is the part of an incoming activity we read.
type activity struct {
	ID     string          `json:"id"`
	Type   string          `json:"type"`
	Actor  json.RawMessage `json:"actor"`
	Object json.RawMessage `json:"object"`
}

// object is an activity's object, given in full or as its id alone.
type object struct {
	ID           string `json:"id"`
	Type         string `json:"type"`
	Actor        string `json:"actor"`
	Object       any    `json:"object"`
	InReplyTo    any    `json:"inReplyTo"`
	AttributedTo any    `json:"attributedTo"`
	Content      string `json:"content"`
	URL          any    `json:"url"`
}

func parseObject(raw json.RawMessage) (object, error) {
	var o object
	if len(raw) == 0 {
		return o, errors.New("no object")
	}
	var id string
	if json.Unmarshal(raw, &id) == nil {
		o.ID = id
		return o, nil
	}
	err := json.Unmarshal(raw, &o)
	return o, err
}

// idOf reads an id given as a string or as an object with an id.
func idOf(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		s, _ := x["id"].(string)
		return s
	case []any:
		if len(x) > 0 {
			return idOf(x[0])
		}
	}
	return ""
}

// ServeInbox receives a POST to the actor's inbox or the shared inbox. It answers 202 for
// what it took or ignores, and refuses bad input with 4xx, logged once; never 500 for what a
// remote server sends (a failure of our own database is 503, to be retried).
func (s *Service) ServeInbox(w http.ResponseWriter, r *http.Request) {
	err := s.receive(r)
	var ie *InboxError
	switch {
	case err == nil:
		w.WriteHeader(http.StatusAccepted)
	case errors.As(err, &ie):
		s.log.Info("inbox: refused", "status", ie.Status, "from", r.RemoteAddr, "reason", bound(ie.Err.Error(), 300))
		http.Error(w, http.StatusText(ie.Status), ie.Status)
	default:
		s.log.Error("inbox", "err", err)
		http.Error(w, http.StatusText(http.StatusServiceUnavailable), http.StatusServiceUnavailable)
	}
}

func (s *Service) receive(r *http.Request) error {
	ctx := r.Context()
	if !s.rate.allow(signerHost(r)) {
		return refuse(http.StatusTooManyRequests, errors.New("rate limit"))
	}
	if r.ContentLength > MaxBodyBytes {
		return refuse(http.StatusRequestEntityTooLarge, errors.New("body over 1 MiB"))
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return refuse(http.StatusBadRequest, err)
	}
	if len(body) > MaxBodyBytes {
		return refuse(http.StatusRequestEntityTooLarge, errors.New("body over 1 MiB"))
	}
	if err := s.refuseBlockedSigner(ctx, r); err != nil {
		return err
	}
	signer, err := s.Verify(ctx, r, body)
	if err != nil {
		return refuse(http.StatusUnauthorized, err)
	}
	if err := s.checkSigner(ctx, signer); err != nil {
		return err
	}
	var a activity
	if err := json.Unmarshal(body, &a); err != nil || a.Type == "" {
		return refuse(http.StatusBadRequest, fmt.Errorf("malformed activity: %v", err))
	}
	var actor any
	_ = json.Unmarshal(a.Actor, &actor)
	if idOf(actor) != signer.ID {
		return refuse(http.StatusUnauthorized, fmt.Errorf("activity's actor is not the signer %s", signer.ID))
	}
	if a.ID != "" && hostOf(a.ID) != signer.Host {
		return refuse(http.StatusForbidden, ErrForeignObject)
	}
	// The host answers: deliveries to it may go on (see deliver.go).
	if err := s.hostAnswered(ctx, signer.Host); err != nil {
		return err
	}
	if s.partners != nil {
		handled, err := s.partners.Receive(ctx, signer, Incoming{ID: a.ID, Type: a.Type, Object: a.Object})
		if handled || err != nil {
			return err
		}
	}
	switch a.Type {
	case "Follow":
		return s.onFollow(ctx, signer, a)
	case "Undo":
		return s.onUndo(ctx, signer, a)
	case "Like", "Announce":
		return s.onReaction(ctx, signer, a)
	case "Create":
		return s.onCreate(ctx, signer, a)
	case "Delete":
		return s.onDelete(ctx, signer, a)
	}
	return nil // anything else: accepted and ignored
}

// signerHost is the host in the signature's keyId, read before any check, for the rate limit.
func signerHost(r *http.Request) string {
	sig := r.Header.Get("Signature")
	if i := strings.Index(sig, `keyId="`); i >= 0 {
		rest := sig[i+len(`keyId="`):]
		if j := strings.IndexByte(rest, '"'); j >= 0 {
			if h := hostOf(rest[:j]); h != "" {
				return h
			}
		}
	}
	return "unsigned " + r.RemoteAddr
}

func (s *Service) onFollow(ctx context.Context, signer *RemoteActor, a activity) error {
	o, err := parseObject(a.Object)
	if err != nil {
		return refuse(http.StatusBadRequest, err)
	}
	followed, ok := s.followable(o.ID)
	if !ok || a.ID == "" || len(a.ID) > maxURL {
		return nil // a follow of someone else, or without an id to accept
	}
	return s.db.InTxQuiet(ctx, func(tx *sql.Tx) error {
		st, err := LoadSettings(ctx, tx)
		if err != nil {
			return err
		}
		// One follow per remote actor and followed actor: a follow of the channel beside one
		// of the city is a second follow, with its own Accept and its own Undo.
		var state string
		err = tx.QueryRowContext(ctx, "SELECT state FROM fed_followers WHERE actor_id = $1 AND followed = $2", signer.ID, followed).Scan(&state)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			state = "accepted"
			if st.ManuallyApproves {
				state = "pending"
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO fed_followers (actor_id, follow_id, inbox, shared_inbox, state, created_at, followed)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, signer.ID, a.ID, signer.Inbox, signer.SharedInbox, state, s.now().UTC(), followed); err != nil {
				return fmt.Errorf("fed: store follower: %w", err)
			}
		case err != nil:
			return fmt.Errorf("fed: follower: %w", err)
		default:
			// A repeated Follow (the remote lost our Accept): take its new id, accept again.
			if _, err := tx.ExecContext(ctx, "UPDATE fed_followers SET follow_id = $1, inbox = $2, shared_inbox = $3 WHERE actor_id = $4 AND followed = $5",
				a.ID, signer.Inbox, signer.SharedInbox, signer.ID, followed); err != nil {
				return fmt.Errorf("fed: update follower: %w", err)
			}
		}
		if state != "accepted" {
			return nil
		}
		return s.enqueueAnswer(ctx, tx, "Accept", signer.ID, a.ID, followed, signer.Inbox)
	})
}

// followable tells whether id is one of the city's actors a remote may follow — the city, its
// channel (the Group PeerTube users follow) or the channel's account — and returns what
// fed_followers.followed keeps for it: "" for the city, the id for the others.
func (s *Service) followable(id string) (string, bool) {
	switch id {
	case s.ActorID():
		return "", true
	case s.base + ChannelPath, s.base + AccountPath:
		return id, true
	}
	return "", false
}

// enqueueAnswer delivers an Accept or a Reject (typ) of the Follow followID to the follower's
// own inbox, from the actor it followed (followed as fed_followers keeps it) and signed under
// that actor's key id: Mastodon and PeerTube take the answer from the actor they asked.
func (s *Service) enqueueAnswer(ctx context.Context, tx *sql.Tx, typ, follower, followID, followed, inbox string) error {
	actor, keyID := s.ActorID(), ""
	if followed != "" {
		actor, keyID = followed, followed+"#main-key"
	}
	answer := map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams",
		"id":       actor + "#" + strings.ToLower(typ) + "s/" + randomID(),
		"type":     typ,
		"actor":    actor,
		"to":       []string{follower},
		"object":   map[string]any{"id": followID, "type": "Follow", "actor": follower, "object": actor},
	}
	return s.deliverAll(ctx, tx, answer, []string{inbox}, 0, "", keyID)
}

func (s *Service) onUndo(ctx context.Context, signer *RemoteActor, a activity) error {
	o, err := parseObject(a.Object)
	if err != nil {
		return refuse(http.StatusBadRequest, err)
	}
	return s.db.InTxQuiet(ctx, func(tx *sql.Tx) error {
		if o.Type == "Follow" || o.Type == "" {
			undone, err := s.undoFollow(ctx, tx, signer.ID, o)
			if err != nil || undone {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM fed_reactions WHERE activity_id = $1 AND actor_id = $2", o.ID, signer.ID); err != nil {
			return fmt.Errorf("fed: undo reaction: %w", err)
		}
		return nil
	})
}

// undoFollow ends the follow of actor that an Undo's object o names: by the Follow's id, or,
// for a Follow whose id we do not have (some servers send a new one), by the actor it
// followed, or the actor's only follow when it names none. Its other follows stay. undone
// false: o is no follow of ours.
func (s *Service) undoFollow(ctx context.Context, tx *sql.Tx, actor string, o object) (undone bool, err error) {
	res, err := tx.ExecContext(ctx, "DELETE FROM fed_followers WHERE actor_id = $1 AND follow_id = $2", actor, o.ID)
	if err != nil {
		return false, fmt.Errorf("fed: undo follow: %w", err)
	}
	if n, _ := res.RowsAffected(); n > 0 || o.Type != "Follow" {
		return n > 0, nil
	}
	if target := idOf(o.Object); target != "" {
		followed, ok := s.followable(target)
		if !ok {
			return false, nil
		}
		res, err = tx.ExecContext(ctx, "DELETE FROM fed_followers WHERE actor_id = $1 AND followed = $2", actor, followed)
	} else {
		res, err = tx.ExecContext(ctx, `DELETE FROM fed_followers WHERE actor_id = $1
			AND (SELECT COUNT(*) FROM fed_followers WHERE actor_id = $1) = 1`, actor)
	}
	if err != nil {
		return false, fmt.Errorf("fed: undo follow: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

func (s *Service) onReaction(ctx context.Context, signer *RemoteActor, a activity) error {
	o, err := parseObject(a.Object)
	if err != nil {
		return refuse(http.StatusBadRequest, err)
	}
	if !strings.HasPrefix(o.ID, s.base+VideoPathPrefix) || a.ID == "" || len(a.ID) > maxURL || len(o.ID) > maxURL {
		return nil // not one of our videos
	}
	kind := "like"
	if a.Type == "Announce" {
		kind = "announce"
	}
	return s.db.InTxQuiet(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO fed_reactions (activity_id, kind, actor_id, object_id, created_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (activity_id) DO NOTHING`, a.ID, kind, signer.ID, o.ID, s.now().UTC())
		if err != nil {
			return fmt.Errorf("fed: store %s: %w", kind, err)
		}
		return nil
	})
}

func (s *Service) onCreate(ctx context.Context, signer *RemoteActor, a activity) error {
	o, err := parseObject(a.Object)
	if err != nil {
		return refuse(http.StatusBadRequest, err)
	}
	reply := idOf(o.InReplyTo)
	if o.Type != "Note" || !strings.HasPrefix(reply, s.base+VideoPathPrefix) || len(reply) > maxURL {
		return nil // only replies to our videos are kept
	}
	if hostOf(o.ID) != signer.Host || len(o.ID) > maxURL {
		return refuse(http.StatusForbidden, ErrForeignObject)
	}
	if by := idOf(o.AttributedTo); by != "" && by != signer.ID {
		return refuse(http.StatusForbidden, errors.New("note attributed to another actor"))
	}
	link := idOf(o.URL)
	if !sameHostURL(link, signer.Host) || len(link) > maxURL {
		link = ""
	}
	return s.db.InTxQuiet(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO fed_replies (note_id, actor_id, in_reply_to, content, url, received_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (note_id) DO NOTHING`,
			o.ID, signer.ID, reply, bound(plainText(o.Content), maxContent), link, s.now().UTC())
		if err != nil {
			return fmt.Errorf("fed: store reply: %w", err)
		}
		return nil
	})
}

func (s *Service) onDelete(ctx context.Context, signer *RemoteActor, a activity) error {
	o, err := parseObject(a.Object)
	if err != nil {
		return refuse(http.StatusBadRequest, err)
	}
	return s.db.InTxQuiet(ctx, func(tx *sql.Tx) error {
		if o.ID != signer.ID {
			// A deleted note: its reply goes, if it was one.
			_, err := tx.ExecContext(ctx, "DELETE FROM fed_replies WHERE note_id = $1 AND actor_id = $2", o.ID, signer.ID)
			return err
		}
		for _, q := range []string{
			"DELETE FROM fed_followers WHERE actor_id = $1",
			"DELETE FROM fed_reactions WHERE actor_id = $1",
			"DELETE FROM fed_replies WHERE actor_id = $1",
			"DELETE FROM fed_remote_actors WHERE id = $1",
		} {
			if _, err := tx.ExecContext(ctx, q, signer.ID); err != nil {
				return fmt.Errorf("fed: delete actor: %w", err)
			}
		}
		return nil
	})
}

// plainText is the text of a remote HTML fragment: tags dropped, paragraphs and line breaks
// kept as new lines. The admin shows it escaped, never as HTML.
func plainText(fragment string) string {
	var b strings.Builder
	skip := false // inside script or style, whose text is not for reading
	z := html.NewTokenizer(strings.NewReader(fragment))
	for b.Len() < 4*maxContent {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return strings.TrimSpace(b.String())
		case html.TextToken:
			if !skip {
				b.Write(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style":
				skip = tt == html.StartTagToken
			case "br":
				b.WriteByte('\n')
			case "p":
				if tt == html.StartTagToken && b.Len() > 0 {
					b.WriteByte('\n')
				}
			}
		}
	}
	return strings.TrimSpace(b.String())
}
