package messages

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"sistercity/internal/civil"
	"sistercity/internal/db"
)

// ErrStale is returned when a call changed since the editor loaded it; it is a db.ErrStale.
var ErrStale = fmt.Errorf("messages: call %w", db.ErrStale)

const callColumns = `id, activity_id, opens_on, closes_on, accepts_photo, max_photo_bytes, retention_days,
	consent_version, version, accepts_video, max_video_bytes, max_video_seconds, curated`

func scanCall(row interface{ Scan(...any) error }) (*Call, error) {
	var c Call
	err := row.Scan(&c.ID, &c.ActivityID, &c.OpensOn, &c.ClosesOn, &c.AcceptsPhoto, &c.MaxPhotoBytes, &c.RetentionDays,
		&c.ConsentVersion, &c.Version, &c.AcceptsVideo, &c.MaxVideoBytes, &c.MaxVideoSeconds, &c.Curated)
	return &c, err
}

// GetCall returns one call with its texts, current consent wordings and invited cities.
func GetCall(ctx context.Context, q db.Querier, id int64) (*Call, error) {
	c, err := scanCall(q.QueryRowContext(ctx, "SELECT "+callColumns+" FROM message_calls WHERE id = $1", id))
	if err != nil {
		return nil, db.NotFound(err, fmt.Sprintf("messages: call %d", id))
	}
	if err := loadCallParts(ctx, q, c); err != nil {
		return nil, err
	}
	return c, nil
}

// Calls returns every call, the latest closing first; with activityID or cityID not 0, only
// the calls of that activity or inviting that city.
func Calls(ctx context.Context, q db.Querier, activityID, cityID int64) ([]*Call, error) {
	query := "SELECT " + callColumns + " FROM message_calls WHERE ($1 = 0 OR activity_id = $1) AND ($2 = 0 OR id IN (SELECT call_id FROM message_call_cities WHERE city_id = $2)) ORDER BY closes_on DESC, id DESC"
	calls, err := db.Collect(ctx, q, query, []any{activityID, cityID}, scanCall)
	if err != nil {
		return nil, fmt.Errorf("messages: calls: %w", err)
	}
	for _, c := range calls {
		if err := loadCallParts(ctx, q, c); err != nil {
			return nil, err
		}
	}
	return calls, nil
}

// OpenCalls returns the calls open on today, of the activity or city when not 0.
func OpenCalls(ctx context.Context, q db.Querier, today civil.Date, activityID, cityID int64) ([]*Call, error) {
	all, err := Calls(ctx, q, activityID, cityID)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(c *Call) bool { return !c.Open(today) }), nil
}

func loadCallParts(ctx context.Context, q db.Querier, c *Call) error {
	err := db.Each(ctx, q, "SELECT lang, title, invitation, rules FROM message_call_texts WHERE call_id = $1 ORDER BY lang",
		[]any{c.ID}, func(rows *sql.Rows) error {
			var t CallText
			if err := rows.Scan(&t.Lang, &t.Title, &t.Invitation, &t.Rules); err != nil {
				return err
			}
			c.Texts = append(c.Texts, t)
			return nil
		})
	if err != nil {
		return fmt.Errorf("messages: call %d texts: %w", c.ID, err)
	}
	err = db.Each(ctx, q, "SELECT lang, purpose, wording FROM message_call_consents WHERE call_id = $1 AND version = $2 ORDER BY lang, purpose",
		[]any{c.ID, c.ConsentVersion}, func(rows *sql.Rows) error {
			var w Wording
			if err := rows.Scan(&w.Lang, &w.Purpose, &w.Text); err != nil {
				return err
			}
			c.Consents = append(c.Consents, w)
			return nil
		})
	if err != nil {
		return fmt.Errorf("messages: call %d consents: %w", c.ID, err)
	}
	err = db.Each(ctx, q, "SELECT city_id FROM message_call_cities WHERE call_id = $1 ORDER BY city_id", []any{c.ID},
		func(rows *sql.Rows) error {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			c.Cities = append(c.Cities, id)
			return nil
		})
	if err != nil {
		return fmt.Errorf("messages: call %d cities: %w", c.ID, err)
	}
	return nil
}

// CreateCall inserts c (validated by the caller) with its consent wordings as version 1.
func CreateCall(ctx context.Context, tx *sql.Tx, c *Call) error {
	now := time.Now().UTC()
	c.ConsentVersion, c.Version = 1, 1
	err := tx.QueryRowContext(ctx, `INSERT INTO message_calls (activity_id, opens_on, closes_on, accepts_photo, max_photo_bytes,
		retention_days, consent_version, version, created_at, updated_at, accepts_video, max_video_bytes, max_video_seconds, curated)
		VALUES ($1, $2, $3, $4, $5, $6, 1, 1, $7, $7, $8, $9, $10, $11) RETURNING id`,
		c.ActivityID, c.OpensOn, c.ClosesOn, c.AcceptsPhoto, c.MaxPhotoBytes, c.RetentionDays, now,
		c.AcceptsVideo, c.videoBytes(), c.videoSeconds(), c.Curated).Scan(&c.ID)
	if err != nil {
		return fmt.Errorf("messages: create call: %w", err)
	}
	return saveCallParts(ctx, tx, c, true)
}

// UpdateCall saves c if nobody changed it since c.Version was read. Changed consent wordings
// become a new version; the messages keep the wording they were sent with.
func UpdateCall(ctx context.Context, tx *sql.Tx, c *Call) error {
	old, err := GetCall(ctx, tx, c.ID)
	if err != nil {
		return err
	}
	newWording := !sameWordings(old.Consents, c.Consents)
	c.ConsentVersion = old.ConsentVersion
	if newWording {
		c.ConsentVersion++
	}
	res, err := tx.ExecContext(ctx, `UPDATE message_calls SET activity_id = $1, opens_on = $2, closes_on = $3, accepts_photo = $4,
		max_photo_bytes = $5, retention_days = $6, consent_version = $7, version = version + 1, updated_at = $8,
		accepts_video = $11, max_video_bytes = $12, max_video_seconds = $13
		WHERE id = $9 AND version = $10`,
		c.ActivityID, c.OpensOn, c.ClosesOn, c.AcceptsPhoto, c.MaxPhotoBytes, c.RetentionDays, c.ConsentVersion,
		time.Now().UTC(), c.ID, c.Version, c.AcceptsVideo, c.videoBytes(), c.videoSeconds())
	if err != nil {
		return fmt.Errorf("messages: update call %d: %w", c.ID, err)
	}
	if err := db.OneRow(ctx, tx, res, "message_calls", c.ID, ErrStale); err != nil {
		return err
	}
	c.Version++
	for _, table := range []string{"message_call_texts", "message_call_cities"} {
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+table+" WHERE call_id = $1", c.ID); err != nil {
			return fmt.Errorf("messages: update call %d: %w", c.ID, err)
		}
	}
	return saveCallParts(ctx, tx, c, newWording)
}

func sameWordings(a, b []Wording) bool {
	key := func(ws []Wording) map[string]string {
		m := map[string]string{}
		for _, w := range ws {
			if w.Text != "" {
				m[w.Lang+"/"+w.Purpose] = w.Text
			}
		}
		return m
	}
	ka, kb := key(a), key(b)
	if len(ka) != len(kb) {
		return false
	}
	for k, v := range ka {
		if kb[k] != v {
			return false
		}
	}
	return true
}

func saveCallParts(ctx context.Context, tx *sql.Tx, c *Call, wordings bool) error {
	for _, t := range c.Texts {
		if t.Title == "" && t.Invitation == "" && t.Rules == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO message_call_texts (call_id, lang, title, invitation, rules) VALUES ($1, $2, $3, $4, $5)",
			c.ID, t.Lang, t.Title, t.Invitation, t.Rules); err != nil {
			return fmt.Errorf("messages: call %d texts: %w", c.ID, err)
		}
	}
	if wordings {
		for _, w := range c.Consents {
			if w.Text == "" {
				continue
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO message_call_consents (call_id, version, lang, purpose, wording) VALUES ($1, $2, $3, $4, $5)",
				c.ID, c.ConsentVersion, w.Lang, w.Purpose, w.Text); err != nil {
				return fmt.Errorf("messages: call %d consents: %w", c.ID, err)
			}
		}
	}
	for _, id := range c.Cities {
		if _, err := tx.ExecContext(ctx, "INSERT INTO message_call_cities (call_id, city_id) VALUES ($1, $2)", c.ID, id); err != nil {
			return fmt.Errorf("messages: call %d cities: %w", c.ID, err)
		}
	}
	return nil
}

// DeleteCall removes a call and its messages, returning the keys of their photos for the
// caller to delete from the store once the transaction is committed.
func DeleteCall(ctx context.Context, tx *sql.Tx, id int64) ([]string, error) {
	keys, err := db.Collect(ctx, tx, "SELECT photo_key FROM citizen_messages WHERE call_id = $1 AND photo_key <> ''", []any{id},
		func(row interface{ Scan(...any) error }) (string, error) {
			var k string
			return k, row.Scan(&k)
		})
	if err != nil {
		return nil, fmt.Errorf("messages: delete call %d: %w", id, err)
	}
	res, err := tx.ExecContext(ctx, "DELETE FROM message_calls WHERE id = $1", id)
	if err != nil {
		return nil, fmt.Errorf("messages: delete call %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, fmt.Errorf("messages: call %d: %w", id, db.ErrNotFound)
	}
	return keys, nil
}

// Spend records that a proof of work with this signature was used, until it expires. A
// signature used before is ErrReplayed. Expired ones are forgotten on the way.
func Spend(ctx context.Context, tx *sql.Tx, signature string, expires, now time.Time) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM altcha_spent WHERE expires_at < $1", now.UTC()); err != nil {
		return fmt.Errorf("messages: spent challenges: %w", err)
	}
	var one int
	err := tx.QueryRowContext(ctx, "SELECT 1 FROM altcha_spent WHERE signature = $1", signature).Scan(&one)
	if err == nil {
		return ErrReplayed
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("messages: spent challenges: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO altcha_spent (signature, expires_at) VALUES ($1, $2)", signature, expires.UTC()); err != nil {
		if db.IsUniqueViolation(err) {
			return ErrReplayed
		}
		return fmt.Errorf("messages: spend challenge: %w", err)
	}
	return nil
}

// hashToken is how a status link's token is kept: a reader of the database cannot use it.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Submit stores s as a waiting message of c, with the consents ticked in the wording of the
// call's current version in the sender's language, and the e-mail apart until the retention
// ends. It returns the message and the token of its private status link, shown only once.
func Submit(ctx context.Context, tx *sql.Tx, c *Call, s *Submission, photoKey string, now time.Time) (*Message, string, error) {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, "", err
	}
	token := base64.RawURLEncoding.EncodeToString(b[:])
	now = now.UTC()
	m := &Message{CallID: c.ID, Name: s.Name, City: s.City, Lang: s.Lang, Body: s.Body, PhotoKey: photoKey,
		Status: StatusWaiting, CreatedAt: now}
	err := tx.QueryRowContext(ctx, `INSERT INTO citizen_messages (call_id, name, city, lang, body, photo_key, status, token_hash, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		m.CallID, m.Name, m.City, m.Lang, m.Body, m.PhotoKey, m.Status, hashToken(token), now).Scan(&m.ID)
	if err != nil {
		return nil, "", fmt.Errorf("messages: submit: %w", err)
	}
	for _, p := range Purposes {
		if !slices.Contains(s.Consents, p) {
			continue
		}
		// The wording shown was the sender's language's, or English when the call has none in it.
		lang := s.Lang
		w := c.Wording(lang, p)
		if w == "" {
			lang, w = "en", c.Wording("en", p)
		}
		con := Consent{Purpose: p, Lang: lang, Wording: w, Version: c.ConsentVersion, GivenAt: now}
		if _, err := tx.ExecContext(ctx, `INSERT INTO citizen_message_consents (message_id, purpose, version, lang, wording, given_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, m.ID, con.Purpose, con.Version, con.Lang, con.Wording, con.GivenAt); err != nil {
			return nil, "", fmt.Errorf("messages: submit consents: %w", err)
		}
		m.Consents = append(m.Consents, con)
	}
	if s.Email != "" {
		// The retention runs from the call's close, or from now for a message sent later.
		from := c.ClosesOn.Time()
		if from.Before(now) {
			from = now
		}
		until := from.AddDate(0, 0, c.RetentionDays)
		if _, err := tx.ExecContext(ctx, "INSERT INTO citizen_message_contacts (message_id, email, delete_after) VALUES ($1, $2, $3)",
			m.ID, s.Email, until.UTC()); err != nil {
			return nil, "", fmt.Errorf("messages: submit contact: %w", err)
		}
	}
	return m, token, nil
}

const messageColumns = "id, call_id, name, city, lang, body, photo_key, status, reason, created_at, decided_at, video_id, position, mail_status"

func scanMessage(row interface{ Scan(...any) error }) (*Message, error) {
	var m Message
	var decided sql.NullTime
	var vid sql.NullInt64
	if err := row.Scan(&m.ID, &m.CallID, &m.Name, &m.City, &m.Lang, &m.Body, &m.PhotoKey, &m.Status, &m.Reason,
		&m.CreatedAt, &decided, &vid, &m.Position, &m.MailStatus); err != nil {
		return nil, err
	}
	m.DecidedAt, m.VideoID = decided.Time, vid.Int64
	return &m, nil
}

// ByToken returns the message whose status link has token: the link shown when it was sent, or
// the one mailed with its rejection.
func ByToken(ctx context.Context, q db.Querier, token string) (*Message, error) {
	if len(token) != 32 {
		return nil, fmt.Errorf("messages: token: %w", db.ErrNotFound)
	}
	m, err := scanMessage(q.QueryRowContext(ctx, "SELECT "+messageColumns+" FROM citizen_messages WHERE token_hash = $1 OR mail_token_hash = $1", hashToken(token)))
	if err != nil {
		return nil, db.NotFound(err, "messages: by token")
	}
	return m, loadMessageParts(ctx, q, []*Message{m})
}

// GetMessage returns one message with its consents and translations.
func GetMessage(ctx context.Context, q db.Querier, id int64) (*Message, error) {
	m, err := scanMessage(q.QueryRowContext(ctx, "SELECT "+messageColumns+" FROM citizen_messages WHERE id = $1", id))
	if err != nil {
		return nil, db.NotFound(err, fmt.Sprintf("messages: message %d", id))
	}
	return m, loadMessageParts(ctx, q, []*Message{m})
}

// List returns a call's messages in status (all when ""), newest first, with their consents
// and translations.
func List(ctx context.Context, q db.Querier, callID int64, status string) ([]*Message, error) {
	ms, err := db.Collect(ctx, q, "SELECT "+messageColumns+" FROM citizen_messages WHERE call_id = $1 AND ($2 = '' OR status = $2) ORDER BY created_at DESC, id DESC",
		[]any{callID, status}, scanMessage)
	if err != nil {
		return nil, fmt.Errorf("messages: list: %w", err)
	}
	return ms, loadMessageParts(ctx, q, ms)
}

// RequestedTranslation is a translation an editor asked for and nobody has finished yet.
type RequestedTranslation struct {
	MessageID, CallID int64
	From, Lang        string // the message's language and the one asked for
	Body              string // the message's text
}

// RequestedTranslations lists the translations asked for and not yet done, of messages not
// withdrawn, oldest message first: the translators' share of the moderation.
func RequestedTranslations(ctx context.Context, q db.Querier) ([]RequestedTranslation, error) {
	var out []RequestedTranslation
	err := db.Each(ctx, q, `SELECT m.id, m.call_id, m.lang, t.lang, m.body FROM citizen_message_translations t
		JOIN citizen_messages m ON m.id = t.message_id WHERE t.state = 'requested' AND m.status <> $1 ORDER BY m.created_at, m.id, t.lang`,
		[]any{StatusWithdrawn}, func(rows *sql.Rows) error {
			var r RequestedTranslation
			if err := rows.Scan(&r.MessageID, &r.CallID, &r.From, &r.Lang, &r.Body); err != nil {
				return err
			}
			out = append(out, r)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("messages: requested translations: %w", err)
	}
	return out, nil
}

// Published returns the approved messages of a call whose senders consented to publication.
func Published(ctx context.Context, q db.Querier, callID int64) ([]*Message, error) {
	ms, err := List(ctx, q, callID, StatusApproved)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(ms, func(m *Message) bool { return !m.Gave(PurposePublish) }), nil
}

// Waiting counts the messages waiting for moderation, per call.
func Waiting(ctx context.Context, q db.Querier) (map[int64]int, error) {
	out := map[int64]int{}
	err := db.Each(ctx, q, "SELECT call_id, COUNT(*) FROM citizen_messages WHERE status = $1 GROUP BY call_id", []any{StatusWaiting},
		func(rows *sql.Rows) error {
			var id int64
			var n int
			if err := rows.Scan(&id, &n); err != nil {
				return err
			}
			out[id] = n
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("messages: waiting: %w", err)
	}
	return out, nil
}

func loadMessageParts(ctx context.Context, q db.Querier, ms []*Message) error {
	for _, m := range ms {
		err := db.Each(ctx, q, "SELECT purpose, version, lang, wording, given_at FROM citizen_message_consents WHERE message_id = $1",
			[]any{m.ID}, func(rows *sql.Rows) error {
				var c Consent
				if err := rows.Scan(&c.Purpose, &c.Version, &c.Lang, &c.Wording, &c.GivenAt); err != nil {
					return err
				}
				m.Consents = append(m.Consents, c)
				return nil
			})
		if err != nil {
			return fmt.Errorf("messages: consents of %d: %w", m.ID, err)
		}
		slices.SortFunc(m.Consents, func(a, b Consent) int { return slices.Index(Purposes, a.Purpose) - slices.Index(Purposes, b.Purpose) })
		err = db.Each(ctx, q, "SELECT lang, body, state FROM citizen_message_translations WHERE message_id = $1 ORDER BY lang",
			[]any{m.ID}, func(rows *sql.Rows) error {
				var t Translation
				var state string
				if err := rows.Scan(&t.Lang, &t.Body, &state); err != nil {
					return err
				}
				t.Done = state == "done"
				m.Translations = append(m.Translations, t)
				return nil
			})
		if err != nil {
			return fmt.Errorf("messages: translations of %d: %w", m.ID, err)
		}
	}
	return nil
}

// Leftovers are the files a message no longer keeps, for the caller to delete from the store
// once the transaction is committed: the photo's key and the video's id (video.DeleteFiles).
type Leftovers struct {
	PhotoKey string
	VideoID  int64
}

// Decide approves or rejects a message (with a reason the sender sees on their status page).
// A withdrawn message stays withdrawn. A rejected message keeps no file: its photo and video
// are returned for the caller to delete.
func Decide(ctx context.Context, tx *sql.Tx, id int64, status, reason string, now time.Time) (Leftovers, error) {
	var left Leftovers
	m, err := GetMessage(ctx, tx, id)
	if err != nil {
		return left, err
	}
	if m.Status == StatusWithdrawn {
		return left, ErrWithdrawn
	}
	if status == StatusRejected {
		left.PhotoKey = m.PhotoKey
		if left.VideoID, err = dropVideo(ctx, tx, m); err != nil {
			return left, err
		}
	}
	_, err = tx.ExecContext(ctx, "UPDATE citizen_messages SET status = $1, reason = $2, decided_at = $3, photo_key = CASE WHEN $4 THEN '' ELSE photo_key END WHERE id = $5",
		status, reason, now.UTC(), left.PhotoKey != "", id)
	if err != nil {
		return left, fmt.Errorf("messages: decide %d: %w", id, err)
	}
	return left, nil
}

// Withdraw withdraws a message at its sender's request: it leaves the site, its e-mail
// address and translations are deleted, the compilations it is part of are marked as needing
// a new one, and its photo and video are returned for the caller to delete from the store.
// The text is kept no more: what stays is that a message was withdrawn.
func Withdraw(ctx context.Context, tx *sql.Tx, m *Message, now time.Time) (Leftovers, error) {
	left := Leftovers{PhotoKey: m.PhotoKey}
	if m.Status == StatusWithdrawn {
		return Leftovers{}, ErrWithdrawn
	}
	for _, q := range []string{"DELETE FROM citizen_message_contacts WHERE message_id = $1", "DELETE FROM citizen_message_translations WHERE message_id = $1"} {
		if _, err := tx.ExecContext(ctx, q, m.ID); err != nil {
			return left, fmt.Errorf("messages: withdraw %d: %w", m.ID, err)
		}
	}
	if err := markStale(ctx, tx, m.ID); err != nil {
		return left, err
	}
	var err error
	if left.VideoID, err = dropVideo(ctx, tx, m); err != nil {
		return left, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE citizen_messages SET status = $1, body = '', name = '', city = '', photo_key = '', decided_at = $2
		WHERE id = $3`, StatusWithdrawn, now.UTC(), m.ID); err != nil {
		return left, fmt.Errorf("messages: withdraw %d: %w", m.ID, err)
	}
	return left, nil
}

// RequestTranslation asks for the message's text in lang; body, when not empty (the machine
// translation's draft, or the editor's own), is kept as the draft.
func RequestTranslation(ctx context.Context, tx *sql.Tx, id int64, lang, body string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO citizen_message_translations (message_id, lang, body, state) VALUES ($1, $2, $3, 'requested')
		ON CONFLICT (message_id, lang) DO UPDATE SET body = CASE WHEN excluded.body <> '' THEN excluded.body ELSE citizen_message_translations.body END`,
		id, lang, body)
	if err != nil {
		return fmt.Errorf("messages: request translation of %d: %w", id, err)
	}
	return nil
}

// SaveTranslation stores a finished translation of the message into lang, shown to readers of
// lang as a translation.
func SaveTranslation(ctx context.Context, tx *sql.Tx, id int64, lang, body string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO citizen_message_translations (message_id, lang, body, state) VALUES ($1, $2, $3, 'done')
		ON CONFLICT (message_id, lang) DO UPDATE SET body = excluded.body, state = 'done'`, id, lang, body)
	if err != nil {
		return fmt.Errorf("messages: translation of %d: %w", id, err)
	}
	return nil
}

// PurgeContacts deletes the e-mail addresses whose retention ended before now.
func PurgeContacts(ctx context.Context, tx *sql.Tx, now time.Time) (int64, error) {
	res, err := tx.ExecContext(ctx, "DELETE FROM citizen_message_contacts WHERE delete_after < $1", now.UTC())
	if err != nil {
		return 0, fmt.Errorf("messages: purge contacts: %w", err)
	}
	return res.RowsAffected()
}
