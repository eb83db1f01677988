package messages

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"sistercity/internal/db"
	"sistercity/internal/email"
	"sistercity/internal/jobs"
)

// A rejected message's sender may be told the reason by e-mail, when they left an address and
// the editor asks for it: the job messages.notify_rejection, enqueued with the rejection, reads
// the address only when it runs — an address purged at the end of its retention, or a message
// withdrawn meanwhile, sends nothing — and writes the mail in the message's language with the
// call's title, the reason and a private status link. A temporary refusal (SMTP 4xx, a server
// out of reach) is tried again with the queue's backoff; a permanent one (5xx) ends it. The
// message's MailStatus tells the editors what became of it.

// States of a message's e-mail (Message.MailStatus); "" when none was asked for.
const (
	MailQueued   = "queued"
	MailRetrying = "retrying"
	MailSent     = "sent"
	MailFailed   = "failed"
	MailUnsent   = "unsent"
)

// NotifyArgs is the job that e-mails the reason of message MessageID's rejection to its sender.
type NotifyArgs struct {
	MessageID int64 `json:"message_id" river:"unique"`
}

// Kind names the job in the queue.
func (NotifyArgs) Kind() string { return "messages.notify_rejection" }

// notifyAttempts is how many times a mail is tried: with the queue's backoff (n⁴ s) about eleven
// hours of a busy or unreachable server.
const notifyAttempts = 12

// Texts are the catalog's strings in one language, as the mail needs them.
type Texts interface {
	T(key string, args ...any) string
	Date(t time.Time) string
}

// NotifyDeps is what the job needs.
type NotifyDeps struct {
	DB *db.DB
	// Mail reaches the SMTP server; nil when this process has none configured, and then the job
	// waits for its retries (the operator may yet configure it).
	Mail *email.Settings
	// BaseURL is the site's public URL, for the status link.
	BaseURL string
	// Texts gives the catalog in a language: "mail.rejection.*".
	Texts func(lang string) Texts
	Log   *slog.Logger
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// HasContact tells which messages of call callID have an e-mail address kept.
func HasContact(ctx context.Context, q db.Querier, callID int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	err := db.Each(ctx, q, `SELECT c.message_id FROM citizen_message_contacts c JOIN citizen_messages m ON m.id = c.message_id
		WHERE m.call_id = $1`, []any{callID}, func(rows *sql.Rows) error {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		out[id] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("messages: contacts of call %d: %w", callID, err)
	}
	return out, nil
}

// contact returns message id's e-mail address and when it is deleted; db.ErrNotFound when none
// is kept.
func contact(ctx context.Context, q db.Querier, id int64) (addr string, until time.Time, err error) {
	err = q.QueryRowContext(ctx, "SELECT email, delete_after FROM citizen_message_contacts WHERE message_id = $1", id).Scan(&addr, &until)
	if err != nil {
		return "", time.Time{}, db.NotFound(err, fmt.Sprintf("messages: contact of %d", id))
	}
	return addr, until, nil
}

// QueueRejectionMail enqueues, in tx, the e-mail of the reason to the sender of rejected message
// id, and marks it queued. A sender who left no address gets none: the mail is marked unsent
// and false returned.
func QueueRejectionMail(ctx context.Context, tx *sql.Tx, q *jobs.Queue, id int64) (bool, error) {
	if _, _, err := contact(ctx, tx, id); errors.Is(err, db.ErrNotFound) {
		return false, setMailStatus(ctx, tx, id, MailUnsent)
	} else if err != nil {
		return false, err
	}
	if _, err := q.Insert(ctx, tx, NotifyArgs{MessageID: id}, &jobs.InsertOpts{Unique: true, MaxAttempts: notifyAttempts}); err != nil {
		return false, fmt.Errorf("messages: enqueue the mail of %d: %w", id, err)
	}
	return true, setMailStatus(ctx, tx, id, MailQueued)
}

func setMailStatus(ctx context.Context, tx *sql.Tx, id int64, status string) error {
	if _, err := tx.ExecContext(ctx, "UPDATE citizen_messages SET mail_status = $1 WHERE id = $2", status, id); err != nil {
		return fmt.Errorf("messages: mail status of %d: %w", id, err)
	}
	return nil
}

// RegisterNotify adds the rejection mail's worker to q.
func RegisterNotify(q *jobs.Queue, deps NotifyDeps) error {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Log == nil {
		deps.Log = slog.New(slog.DiscardHandler)
	}
	return jobs.Register(q, jobs.WorkFunc[NotifyArgs](func(ctx context.Context, job *jobs.Job[NotifyArgs]) error {
		return notify(ctx, deps, job)
	}))
}

// rejectionMail is what the job read in its first transaction.
type rejectionMail struct {
	m       *Message
	title   string
	to      string
	until   time.Time
	token   string
	nothing bool // the address is gone or the message no longer rejected: nothing to send
}

func notify(ctx context.Context, deps NotifyDeps, job *jobs.Job[NotifyArgs]) error {
	id := job.Args.MessageID
	if deps.Mail == nil {
		err := errors.New("messages: no SMTP server is configured in this process (--smtp-host)")
		if !job.LastAttempt() {
			return err
		}
		if serr := deps.DB.InTx(ctx, func(tx *sql.Tx) error { return setMailStatus(ctx, tx, id, MailFailed) }); serr != nil {
			return errors.Join(err, serr)
		}
		return jobs.Permanent(err)
	}
	var rm rejectionMail
	err := deps.DB.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		if rm, err = readRejection(ctx, tx, id); err != nil || !rm.nothing {
			return err
		}
		if err := setMailStatus(ctx, tx, id, MailUnsent); err != nil {
			return err
		}
		return jobs.CompleteTx(ctx, tx, job)
	})
	if errors.Is(err, db.ErrNotFound) {
		// The message itself is gone (its call was deleted).
		return jobs.Permanent(err)
	}
	if err != nil || rm.nothing {
		return err
	}
	lang := rm.m.Lang
	l := deps.Texts(lang)
	link := deps.BaseURL + "/" + lang + "/messages/" + strconv.FormatInt(rm.m.CallID, 10) + "/status/" + rm.token
	body := l.T("mail.rejection.greeting_anonymous")
	if rm.m.Name != "" {
		// One line, whatever the database holds.
		body = l.T("mail.rejection.greeting", "name", strings.Join(strings.Fields(rm.m.Name), " "))
	}
	body += "\n\n" + l.T("mail.rejection.intro", "title", rm.title) + "\n\n"
	if rm.m.Reason != "" {
		body += l.T("mail.rejection.reason") + "\n\n" + rm.m.Reason + "\n\n"
	}
	body += l.T("mail.rejection.link") + "\n" + link + "\n\n" + l.T("mail.rejection.retention", "date", l.Date(rm.until)) + "\n"
	err = email.Send(ctx, *deps.Mail, email.Message{To: rm.to, ToName: rm.m.Name, Subject: l.T("mail.rejection.subject", "title", rm.title),
		Body: body}, deps.Now())
	status := MailSent
	switch {
	case err == nil:
		deps.Log.Info("messages: rejection mail sent", "message", id, "to", email.Mask(rm.to))
	case email.Permanent(err) || job.LastAttempt():
		status = MailFailed
		deps.Log.Warn("messages: rejection mail not sent", "message", id, "to", email.Mask(rm.to), "attempt", job.Attempt, "err", err)
	default:
		status = MailRetrying
		deps.Log.Info("messages: rejection mail refused for now, tried again later", "message", id, "to", email.Mask(rm.to), "attempt", job.Attempt, "err", err)
	}
	if serr := deps.DB.InTx(ctx, func(tx *sql.Tx) error {
		if err := setMailStatus(ctx, tx, id, status); err != nil || status != MailSent {
			return err
		}
		return jobs.CompleteTx(ctx, tx, job)
	}); serr != nil {
		return errors.Join(err, serr)
	}
	if status == MailFailed {
		return jobs.Permanent(err)
	}
	return err
}

// readRejection reads what the mail of message id says, and gives it a new status link: the
// token of the first one is kept only as a hash. Each attempt replaces the mailed link of the
// one before, which sent nothing (or, rarely, sent a link that then no longer works; the first
// one still does).
func readRejection(ctx context.Context, tx *sql.Tx, id int64) (rejectionMail, error) {
	var rm rejectionMail
	m, err := GetMessage(ctx, tx, id)
	if err != nil {
		return rm, err
	}
	rm.m = m
	if m.Status != StatusRejected {
		rm.nothing = true
		return rm, nil
	}
	if rm.to, rm.until, err = contact(ctx, tx, id); errors.Is(err, db.ErrNotFound) {
		rm.nothing = true
		return rm, nil
	} else if err != nil {
		return rm, err
	}
	c, err := GetCall(ctx, tx, m.CallID)
	if err != nil {
		return rm, err
	}
	rm.title = c.Text(m.Lang).Title
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return rm, err
	}
	rm.token = base64.RawURLEncoding.EncodeToString(b[:])
	if _, err := tx.ExecContext(ctx, "UPDATE citizen_messages SET mail_token_hash = $1 WHERE id = $2", hashToken(rm.token), id); err != nil {
		return rm, fmt.Errorf("messages: mail link of %d: %w", id, err)
	}
	return rm, nil
}
