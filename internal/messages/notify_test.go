package messages

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"time"

	"sistercity/internal/civil"
	"sistercity/internal/db/dbtest"
	"sistercity/internal/email"
	"sistercity/internal/email/smtptest"
	"sistercity/internal/exchange"
	"sistercity/internal/i18n"
	"sistercity/internal/jobs"
	"sistercity/internal/jobs/jobstest"
	"sistercity/internal/polltest"
)

// TestRejectionMail: the reason goes by e-mail, through a real SMTP server, in the sender's
// language with the call's title and a working status link; a line break typed into the name or
// the reason adds no header; a temporary refusal is tried again, a permanent one is not; no
// address, an address purged or a message withdrawn before the job runs sends nothing.
func TestRejectionMail(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	ctx := context.Background()
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2020, 7, 10, 12, 0, 0, 0, time.UTC)
	in := func(fn func(tx *sql.Tx) error) {
		t.Helper()
		if err := d.InTx(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	c := &Call{OpensOn: civil.MustParse("2020-07-01"), ClosesOn: civil.MustParse("2020-07-31"), MaxPhotoBytes: 1 << 20, RetentionDays: 30,
		Texts: []CallText{{Lang: "en", Title: "Messages to Busan"}, {Lang: "ru", Title: "Послания Пусану"}, {Lang: "ko", Title: "부산에 보내는 메시지"}},
		Consents: []Wording{{Lang: "en", Purpose: PurposePublish, Text: "I agree."}, {Lang: "ru", Purpose: PurposePublish, Text: "Согласен."},
			{Lang: "ko", Purpose: PurposePublish, Text: "동의합니다."}}}
	in(func(tx *sql.Tx) error {
		a := &exchange.Activity{Kind: exchange.KindCampaign, Status: exchange.StatusConfirmed, Mode: exchange.ModeOnline,
			FirstMode: exchange.ModeOnline, OrganiserKind: exchange.OrganiserCity, Texts: []exchange.Text{{Lang: "en", Title: "Campaign"}},
			Planned: exchange.Span{Start: exchange.OnDate(civil.MustParse("2020-07-01"))}}
		if err := exchange.Create(ctx, tx, a, civil.MustParse("2020-06-01"), nil, 0); err != nil {
			return err
		}
		c.ActivityID = a.ID
		return CreateCall(ctx, tx, c)
	})
	// Jobs are enqueued first, by a process that only enqueues; the purge and the withdrawal
	// happen before any worker runs, as they may between a rejection and its mail.
	inserter, err := jobs.New(d, jobs.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	type sender struct {
		name, lang, email, reason string
		queued                    bool
	}
	senders := map[string]*sender{
		"ru":        {name: "Анна", lang: "ru", email: "anna@example.org", reason: "Не по теме.\r\nBcc: victim@example.org\r\n\r\nВторая строка."},
		"busy":      {name: "민준", lang: "ko", email: "minjun@example.org", reason: "주제와 맞지 않습니다."},
		"refused":   {name: "John", lang: "en", email: "john@example.org", reason: "Off topic."},
		"none":      {name: "Олег", lang: "ru", reason: "Не по теме."},
		"purged":    {lang: "en", email: "purged@example.org", reason: "Off topic."},
		"withdrawn": {lang: "en", email: "withdrawn@example.org", reason: "Off topic."},
	}
	ids, tokens := map[string]int64{}, map[string]string{}
	for key, s := range senders {
		in(func(tx *sql.Tx) error {
			m, token, err := Submit(ctx, tx, c, &Submission{Name: s.name, Lang: s.lang, Body: "Hello", Email: s.email, Consents: []string{PurposePublish}}, "", now)
			if err != nil {
				return err
			}
			ids[key], tokens[key] = m.ID, token
			if _, err := Decide(ctx, tx, m.ID, StatusRejected, s.reason, now); err != nil {
				return err
			}
			s.queued, err = QueueRejectionMail(ctx, tx, inserter, m.ID)
			return err
		})
		if s.queued != (s.email != "") {
			t.Errorf("%s: queued %v with address %q", key, s.queued, s.email)
		}
	}
	// A name can hold no line break when it is sent; one put in the database all the same must
	// not add a header.
	in(func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE citizen_messages SET name = $1 WHERE id = $2", "Анна\r\nBcc: victim@example.org", ids["ru"])
		return err
	})
	in(func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE citizen_message_contacts SET delete_after = $1 WHERE message_id = $2", now.Add(-time.Hour), ids["purged"])
		if err == nil {
			_, err = PurgeContacts(ctx, tx, now)
		}
		return err
	})
	in(func(tx *sql.Tx) error {
		m, err := GetMessage(ctx, tx, ids["withdrawn"])
		if err == nil {
			_, err = Withdraw(ctx, tx, m, now)
		}
		return err
	})

	srv := smtptest.Start(t, smtptest.Options{Username: "city", Password: "pa55"})
	srv.Reply("minjun@example.org", "RCPT", "451 4.2.1 mailbox busy, try again later")
	srv.Reply("john@example.org", "DATA", "550 5.7.1 message refused")
	settings := srv.Settings(email.TLSStartTLS, "Busan City <noreply@busan.example>")
	q, err := jobs.New(d, jobs.Config{Workers: 2, Backoff: func(int) time.Duration { return 100 * time.Millisecond }}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := RegisterNotify(q, NotifyDeps{DB: d, Mail: &settings, BaseURL: "https://busan.example",
		Texts: func(lang string) Texts { return cat.Localizer(lang) }, Now: func() time.Time { return now }}); err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = q.Stop(stop)
	})

	status := func(key string) string {
		var s string
		if err := d.R.QueryRowContext(ctx, "SELECT mail_status FROM citizen_messages WHERE id = $1", ids[key]).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	want := map[string]string{"ru": MailSent, "busy": MailSent, "refused": MailFailed, "none": MailUnsent, "purged": MailUnsent, "withdrawn": MailUnsent}
	polltest.Until(t, "every mail sent, failed or found unsendable", func() (bool, string) {
		got := map[string]string{}
		for key := range want {
			got[key] = status(key)
		}
		return fmt.Sprint(got) == fmt.Sprint(want), fmt.Sprint(got)
	})

	received := srv.Received()
	to := map[string]smtptest.Received{}
	for _, r := range received {
		if len(r.To) != 1 {
			t.Errorf("a mail to %q: one recipient each", r.To)
		}
		if _, dup := to[r.To[0]]; dup {
			t.Errorf("two mails to %s", r.To[0])
		}
		to[r.To[0]] = r
	}
	if len(received) != 2 || to["anna@example.org"].Data == nil || to["minjun@example.org"].Data == nil {
		t.Fatalf("received mails to %v, want one to anna and one to minjun", to)
	}
	if !to["anna@example.org"].TLS || to["anna@example.org"].Auth != "city" {
		t.Error("the mail did not go over STARTTLS with AUTH")
	}
	if n := srv.Attempts("minjun@example.org", "RCPT"); n != 2 {
		t.Errorf("the busy mailbox was tried %d times, want 2 (refused for now, then accepted)", n)
	}
	if n := srv.Attempts("john@example.org", "DATA"); n != 1 {
		t.Errorf("the permanently refused mail was tried %d times, want 1", n)
	}

	msg, body := readMail(t, to["anna@example.org"].Data)
	if v := msg.Header.Get("Bcc"); v != "" {
		t.Errorf("a line break in the name added Bcc: %q", v)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	ru := cat.Localizer("ru")
	if subject != ru.T("mail.rejection.subject", "title", "Послания Пусану") {
		t.Errorf("subject %q, want the Russian one with the call's Russian title", subject)
	}
	for _, want := range []string{"Здравствуйте, Анна Bcc: victim@example.org!", "Не по теме.\r\nBcc: victim@example.org\r\n\r\nВторая строка.",
		ru.T("mail.rejection.retention", "date", ru.Date(time.Date(2020, 8, 30, 0, 0, 0, 0, time.UTC)))} {
		if !strings.Contains(body, want) {
			t.Errorf("the mail lacks %q:\n%s", want, body)
		}
	}
	link := regexp.MustCompile(`https://busan\.example/ru/messages/(\d+)/status/([A-Za-z0-9_-]{32})`).FindStringSubmatch(body)
	if link == nil || link[1] != fmt.Sprint(c.ID) {
		t.Fatalf("no status link in the mail:\n%s", body)
	}
	for _, token := range []string{link[2], tokens["ru"]} {
		if m, err := ByToken(ctx, d.R, token); err != nil || m.ID != ids["ru"] {
			t.Errorf("status link %s: %v", token, err)
		}
	}
	_, ko := readMail(t, to["minjun@example.org"].Data)
	if !strings.Contains(ko, cat.Localizer("ko").T("mail.rejection.intro", "title", "부산에 보내는 메시지")) {
		t.Errorf("the Korean sender's mail is not in Korean:\n%s", ko)
	}
	// The refused mail's job ended without more attempts; the others completed. A job's
	// mail_status is written by its work, its state by the queue after the work returns: on a
	// busy machine the last job can still read "running" here, so wait for the states.
	jq := jobstest.Must(t, d)
	polltest.Until(t, "the mail jobs' end: 4 completed, 1 cancelled", func() (bool, string) {
		page, err := jq.List(ctx, jobstest.Filter{Kinds: []string{NotifyArgs{}.Kind()}})
		if err != nil {
			t.Fatal(err)
		}
		states := map[jobstest.State]int{}
		for _, j := range page.Jobs {
			states[j.State]++
		}
		return len(page.Jobs) == 5 && states[jobstest.StateCompleted] == 4 && states[jobstest.StateCancelled] == 1, fmt.Sprint(states)
	})
}

// readMail parses a received mail and decodes its quoted-printable body.
func readMail(t *testing.T, data []byte) (*mail.Message, string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a mail: %v", err)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	return msg, string(body)
}
