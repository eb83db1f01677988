package email_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"testing"
	"time"

	"sistercity/internal/email"
	"sistercity/internal/email/smtptest"
)

var when = time.Date(2020, 7, 10, 12, 0, 0, 0, time.UTC)

// parse reads a received message back with net/mail, as a mail client would.
func parse(t *testing.T, data []byte) (*mail.Message, string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a message: %v\n%s", err, data)
	}
	body, err := io.ReadAll(msg.Body)
	if err != nil {
		t.Fatal(err)
	}
	return msg, string(body)
}

func TestSendModes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts smtptest.Options
		mode string
	}{
		{"starttls with auth", smtptest.Options{Username: "city", Password: "pa55 word"}, email.TLSStartTLS},
		{"implicit tls", smtptest.Options{Implicit: true}, email.TLSImplicit},
		{"plain to localhost", smtptest.Options{}, email.TLSNone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := smtptest.Start(t, tc.opts)
			s := srv.Settings(tc.mode, "Busan City <noreply@busan.example>")
			err := email.Send(context.Background(), s, email.Message{To: "anna@example.org", ToName: "Анна",
				Subject: "Ваше послание «Послания Пусану»", Body: "Здравствуйте!\nПричина: не по теме.\n.\nКонец."}, when)
			if err != nil {
				t.Fatal(err)
			}
			got := srv.Received()
			if len(got) != 1 {
				t.Fatalf("%d messages received", len(got))
			}
			r := got[0]
			if r.From != "noreply@busan.example" || len(r.To) != 1 || r.To[0] != "anna@example.org" {
				t.Errorf("envelope %q → %q", r.From, r.To)
			}
			if r.TLS != (tc.mode != email.TLSNone) || r.Auth != tc.opts.Username {
				t.Errorf("tls %v, auth %q", r.TLS, r.Auth)
			}
			msg, body := parse(t, r.Data)
			subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
			if err != nil || subject != "Ваше послание «Послания Пусану»" {
				t.Errorf("subject %q (%v)", subject, err)
			}
			to, err := msg.Header.AddressList("To")
			if err != nil || len(to) != 1 || to[0].Name != "Анна" || to[0].Address != "anna@example.org" {
				t.Errorf("To %v (%v)", to, err)
			}
			for _, h := range []string{"Date", "Message-ID", "From"} {
				if msg.Header.Get(h) == "" {
					t.Errorf("no %s header", h)
				}
			}
			if ct := msg.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if !strings.HasSuffix(msg.Header.Get("Message-ID"), "@busan.example>") {
				t.Errorf("Message-ID %q", msg.Header.Get("Message-ID"))
			}
			decoded, _ := io.ReadAll(quotedPrintable(body))
			if want := "Здравствуйте!\r\nПричина: не по теме.\r\n.\r\nКонец."; strings.TrimSpace(string(decoded)) != want {
				t.Errorf("body %q, want %q", decoded, want)
			}
		})
	}
}

// TestHeaderInjection: line breaks in the name and the subject stay inside their header.
func TestHeaderInjection(t *testing.T) {
	t.Parallel()
	from, _ := mail.ParseAddress("noreply@busan.example")
	raw, err := email.Build(from, email.Message{To: "anna@example.org", ToName: "Anna\r\nBcc: victim@example.org",
		Subject: "Hello\r\nX-Injected: yes\n\nbody", Body: "text"}, when)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := parse(t, raw)
	for _, h := range []string{"Bcc", "X-Injected"} {
		if v := msg.Header.Get(h); v != "" {
			t.Errorf("injected header %s: %q", h, v)
		}
	}
	if s := msg.Header.Get("Subject"); !strings.Contains(s, "X-Injected") {
		t.Errorf("subject %q: the typed text should stay in it", s)
	}
	for _, to := range []string{"anna@example.org\r\nBcc: victim@example.org", "Anna <anna@example.org>", "not an address"} {
		if _, err := email.Build(from, email.Message{To: to, Subject: "x", Body: "x"}, when); !errors.Is(err, email.ErrAddress) {
			t.Errorf("recipient %q: %v, want ErrAddress", to, err)
		}
	}
}

func TestSendRefusals(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{})
	s := srv.Settings(email.TLSStartTLS, "noreply@busan.example")
	m := email.Message{To: "anna@example.org", Subject: "x", Body: "x"}
	srv.Reply("", "RCPT", "451 4.2.1 mailbox busy, try later")
	err := email.Send(context.Background(), s, m, when)
	if err == nil || email.Permanent(err) {
		t.Errorf("4xx: %v, want a temporary error", err)
	}
	if strings.Contains(err.Error(), "anna@") {
		t.Errorf("the error gives the address away: %v", err)
	}
	srv.Reply("anna@example.org", "DATA", "554 5.7.1 message to <anna@example.org> refused")
	err = email.Send(context.Background(), s, m, when)
	if !email.Permanent(err) {
		t.Errorf("5xx: %v, want a permanent error", err)
	}
	if strings.Contains(err.Error(), "anna@example.org") || !strings.Contains(err.Error(), "a…@example.org") {
		t.Errorf("the server's reply puts the address in the error: %v", err)
	}
	if n := len(srv.Received()); n != 0 {
		t.Errorf("%d messages accepted", n)
	}
	// Nothing listens: temporary, within the timeout.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s.Port = port
	if err := email.Send(context.Background(), s, m, when); err == nil || email.Permanent(err) {
		t.Errorf("no server: %v, want a temporary error", err)
	}
	// A wrong password is refused (535, permanent) and never appears in the error.
	auth := smtptest.Start(t, smtptest.Options{Username: "city", Password: "right"})
	s = auth.Settings(email.TLSStartTLS, "noreply@busan.example")
	s.Password = "wrong-secret"
	err = email.Send(context.Background(), s, m, when)
	if !email.Permanent(err) || strings.Contains(err.Error(), "wrong-secret") {
		t.Errorf("wrong password: %v", err)
	}
}

func TestMask(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"anna@example.org": "a…@example.org", "юля@пример.рф": "ю…@пример.рф", "x": "…"} {
		if got := email.Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}

func quotedPrintable(s string) io.Reader { return quotedprintable.NewReader(strings.NewReader(s)) }

// TestCheck: Check opens a session as Send would, in every TLS mode and with AUTH, and sends
// nothing; a wrong password, a server without STARTTLS, an untrusted certificate and a server
// that never greets are errors, the last within the timeout.
func TestCheck(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	plain := smtptest.Start(t, smtptest.Options{Username: "city", Password: "right"})
	implicit := smtptest.Start(t, smtptest.Options{Implicit: true})
	for name, s := range map[string]email.Settings{
		"starttls with AUTH": plain.Settings(email.TLSStartTLS, "noreply@busan.example"),
		"none with AUTH":     plain.Settings(email.TLSNone, "noreply@busan.example"),
		"implicit TLS":       implicit.Settings(email.TLSImplicit, "noreply@busan.example"),
	} {
		if err := email.Check(ctx, s); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if n := len(plain.Received()) + len(implicit.Received()); n != 0 {
		t.Errorf("%d messages sent by a check", n)
	}

	s := plain.Settings(email.TLSStartTLS, "noreply@busan.example")
	s.Password = "wrong-secret"
	if err := email.Check(ctx, s); err == nil || strings.Contains(err.Error(), "wrong-secret") || !strings.Contains(err.Error(), "535") {
		t.Errorf("wrong password: %v", err)
	}
	s = implicit.Settings(email.TLSStartTLS, "noreply@busan.example") // it speaks TLS: no greeting in plain text
	s.Timeout = 300 * time.Millisecond
	if err := email.Check(ctx, s); err == nil {
		t.Error("STARTTLS to an implicit TLS server: no error")
	}
	s = plain.Settings(email.TLSStartTLS, "noreply@busan.example")
	s.TLSConfig = nil // the system's roots do not know the test server's certificate
	if err := email.Check(ctx, s); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("untrusted certificate: %v", err)
	}

	// A server that accepts and never says a word.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	s = email.Settings{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, TLS: email.TLSNone, Timeout: 200 * time.Millisecond}
	start := time.Now()
	if err := email.Check(ctx, s); err == nil || !strings.Contains(err.Error(), "greeting") {
		t.Errorf("silent server: %v", err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("silent server: took %v with a timeout of 200ms", d)
	}
}
