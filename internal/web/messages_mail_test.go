package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"sistercity/internal/config"
	"sistercity/internal/email"
	"sistercity/internal/email/smtptest"
	"sistercity/internal/i18n"
	"sistercity/internal/jobs"
	"sistercity/internal/messages"
	"sistercity/internal/polltest"
)

// TestRejectionMailModeration: with SMTP set up, the queue offers the box only for a sender who
// left an address; rejecting with it sends exactly one mail, through a real SMTP server, in the
// sender's language with the reason and a status link that opens the message's page; the queue
// shows the mail as sent. Without the box no mail goes; without SMTP the box is disabled, says
// why, and a request ticking it all the same is refused.
func TestRejectionMailModeration(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{})
	settings := srv.Settings(email.TLSStartTLS, "Busan City <noreply@busan.example>")
	e := messageEnvOn(t, newLimitsEnv(t, func(c *config.Config) {
		c.SMTPHost, c.SMTPPort, c.SMTPFrom, c.SMTPTLS = settings.Host, settings.Port, settings.From, settings.TLS
	}, nil))
	call := e.createCall("2020-07-01", "2020-07-31")
	send := func(body, address string) int64 {
		t.Helper()
		f := url.Values{"name": {"Анна"}, "city": {"Владивосток"}, "lang": {"ru"}, "body": {body}, "consent_publish": {"on"}, "email": {address}}
		if resp, page, _ := e.send(e.client(), "ru", call, f, true, nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("send: %d\n%s", resp.StatusCode, page)
		}
		var id int64
		if err := e.db.R.QueryRow("SELECT id FROM citizen_messages WHERE body = $1", body).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	withAddress, without, quiet := send("Держитесь!", "anna@example.org"), send("Без адреса", ""), send("Без письма", "quiet@example.org")
	queuePath := fmt.Sprintf("/admin/messages/%d/queue", call)
	_, page := e.editor.get(queuePath)
	article := func(page string, id int64) string {
		t.Helper()
		m := regexp.MustCompile(fmt.Sprintf(`(?s)<article[^>]*id="message-%d".*?</article>`, id)).FindString(page)
		if m == "" {
			t.Fatalf("message %d not in the queue", id)
		}
		return m
	}
	if a := article(page, withAddress); !strings.Contains(a, `name="notify"`) || strings.Contains(a, "disabled") {
		t.Error("the box is not offered for the sender with an address")
	}
	if a := article(page, without); strings.Contains(a, `name="notify"`) || !strings.Contains(a, "left no e-mail address") {
		t.Error("the sender without an address: the box is offered, or the note is missing")
	}

	reject := func(id int64, form url.Values) {
		t.Helper()
		form.Set("reason", "Не по теме.")
		if resp, body := e.editor.post(fmt.Sprintf("%s/%d/reject", queuePath, id), form); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("reject %d: %d\n%s", id, resp.StatusCode, body)
		}
	}
	reject(withAddress, url.Values{"notify": {"on"}})
	reject(quiet, url.Values{})

	// A worker process, with the same settings.
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.srv.cfg
	cfg.BaseURL = e.ts.URL
	q, err := jobs.New(e.db, jobs.Config{Workers: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	deps := NotifyDeps(cat, cfg, messages.NotifyDeps{DB: e.db, Log: slog.New(slog.DiscardHandler)})
	deps.Mail = &settings // trusts the test server's certificate
	if err := messages.RegisterNotify(q, deps); err != nil {
		t.Fatal(err)
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = q.Stop(ctx)
	})
	polltest.Until(t, "the mail sent", func() (bool, string) {
		_, page := e.editor.get(queuePath)
		a := article(page, withAddress)
		return strings.Contains(a, `data-mail-status="sent"`), a
	})
	got := srv.Received()
	if len(got) != 1 || got[0].To[0] != "anna@example.org" {
		t.Fatalf("received %d mails (%v), want one to anna", len(got), got)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(got[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
	body := string(raw)
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if !strings.Contains(subject, "Послания Пусану") || !strings.Contains(body, "Здравствуйте, Анна!") || !strings.Contains(body, "Не по теме.") {
		t.Errorf("not the Russian mail with the reason: %q\n%s", subject, body)
	}
	link := regexp.MustCompile(regexp.QuoteMeta(e.ts.URL) + `/ru/messages/\d+/status/[A-Za-z0-9_-]{32}`).FindString(body)
	if link == "" {
		t.Fatalf("no status link in the mail:\n%s", body)
	}
	resp, status := e.client().get(strings.TrimPrefix(link, e.ts.URL))
	if resp.StatusCode != http.StatusOK || !strings.Contains(status, "Не по теме.") {
		t.Errorf("the mailed link: %d", resp.StatusCode)
	}
	_, page = e.editor.get(queuePath)
	if a := article(page, quiet); strings.Contains(a, "data-mail-status") {
		t.Error("a rejection without the box shows a mail")
	}

	// Without SMTP: the box is disabled with the reason, and ticking it is refused.
	off := newMessageEnv(t)
	offCall := off.createCall("2020-07-01", "2020-07-31")
	f := url.Values{"name": {"Анна"}, "lang": {"ru"}, "body": {"Держитесь!"}, "consent_publish": {"on"}, "email": {"anna@example.org"}}
	if resp, page, _ := off.send(off.client(), "ru", offCall, f, true, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("send: %d\n%s", resp.StatusCode, page)
	}
	var id int64
	_ = off.db.R.QueryRow("SELECT id FROM citizen_messages").Scan(&id)
	offQueue := fmt.Sprintf("/admin/messages/%d/queue", offCall)
	_, page = off.editor.get(offQueue)
	if a := article(page, id); !regexp.MustCompile(`name="notify"[^>]*disabled`).MatchString(a) || !strings.Contains(a, "E-mail is not set up") {
		t.Errorf("without SMTP the box is not disabled with its reason:\n%s", a)
	}
	resp, body = off.editor.post(fmt.Sprintf("%s/%d/reject", offQueue, id), url.Values{"reason": {"x"}, "notify": {"on"}})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "E-mail is not set up") {
		t.Errorf("ticked without SMTP: %d", resp.StatusCode)
	}
	var state string
	_ = off.db.R.QueryRow("SELECT status FROM citizen_messages WHERE id = $1", id).Scan(&state)
	if state != messages.StatusWaiting {
		t.Errorf("refused, yet the message is %s", state)
	}
}
