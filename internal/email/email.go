// Package email sends sistercity's few outgoing e-mails (a rejected citizen's message's reason)
// through an SMTP server: it builds one plain-text MIME message in UTF-8 and hands it over with
// net/smtp from the standard library, which is all a relay needs (STARTTLS or implicit TLS,
// AUTH PLAIN). It knows nothing of the database; the job that decides what to send is in the
// feature package.
//
// Header values never carry a line break: every value a person typed is cleaned of control
// characters before it is encoded (RFC 2047 for non-ASCII), so a name or a subject cannot add a
// header or start the body.
package email

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// TLS modes of the connection to the SMTP server.
const (
	// TLSStartTLS connects in plain text and upgrades with STARTTLS before anything else
	// (submission, port 587); a server that does not offer it is an error.
	TLSStartTLS = "starttls"
	// TLSImplicit speaks TLS from the first byte (submissions, port 465).
	TLSImplicit = "tls"
	// TLSNone sends in plain text: a relay on the same machine.
	TLSNone = "none"
)

// Settings say how to reach the SMTP server and whom the mail is from.
type Settings struct {
	Host string
	Port int
	// Username and Password authenticate with AUTH PLAIN when Username is set. The password
	// is never logged nor put in an error.
	Username, Password string
	// From is the sender, "Name <address>" or a bare address.
	From string
	// TLS is TLSStartTLS, TLSImplicit or TLSNone.
	TLS string
	// Timeout bounds one whole delivery: connecting, the dialogue and the message.
	Timeout time.Duration
	// HelloName is the name given in EHLO; empty says "localhost".
	HelloName string
	// TLSConfig, when not nil, replaces the one made from Host (a server whose certificate a
	// private authority signed; tests trust their own server with it).
	TLSConfig *tls.Config
}

// Message is one e-mail to one recipient.
type Message struct {
	// To is the recipient's address; ToName, when not empty, the name shown with it.
	To, ToName string
	Subject    string
	// Body is plain text; line breaks may be "\n".
	Body string
}

// Errors.
var (
	// ErrAddress is a recipient or sender that is not one plain address.
	ErrAddress = errors.New("email: not a valid address")
	// ErrNoStartTLS is a server that does not offer STARTTLS in the starttls mode.
	ErrNoStartTLS = errors.New("email: the SMTP server does not offer STARTTLS")
)

// Permanent tells whether err is a refusal that sending again will not cure: an SMTP reply of
// 5xx (no such mailbox, message refused), or an address that cannot be used. Anything else — a
// 4xx reply (mailbox busy, greylisting), a timeout, a refused connection — may pass later.
func Permanent(err error) bool {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code >= 500 && te.Code < 600
	}
	return errors.Is(err, ErrAddress)
}

// Mask shows an address in logs without giving it away: "anna@example.org" is "a…@example.org".
func Mask(addr string) string {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || local == "" {
		return "…"
	}
	r := []rune(local)
	return string(r[0]) + "…@" + domain
}

// Send delivers m through the server of s, within s.Timeout and ctx. Its error never holds the
// recipient's whole address, not even where the server's reply repeats it.
func Send(ctx context.Context, s Settings, m Message, now time.Time) error {
	err := send(ctx, s, m, now)
	if err != nil && m.To != "" && strings.Contains(err.Error(), m.To) {
		return &redacted{err: err, msg: strings.ReplaceAll(err.Error(), m.To, Mask(m.To))}
	}
	return err
}

// redacted is an error whose message hides an address; errors.As still finds the SMTP reply.
type redacted struct {
	err error
	msg string
}

func (e *redacted) Error() string { return e.msg }
func (e *redacted) Unwrap() error { return e.err }

func send(ctx context.Context, s Settings, m Message, now time.Time) error {
	from, err := mail.ParseAddress(s.From)
	if err != nil || hasControl(s.From) {
		return fmt.Errorf("email: sender: %w", ErrAddress)
	}
	raw, err := Build(from, m, now)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout())
	defer cancel()
	c, addr, closeConn, err := s.open(ctx)
	if err != nil {
		return err
	}
	defer closeConn()
	if err := c.Mail(from.Address); err != nil {
		return fmt.Errorf("email: %s: MAIL FROM: %w", addr, err)
	}
	if err := c.Rcpt(m.To); err != nil {
		return fmt.Errorf("email: %s: RCPT TO %s: %w", addr, Mask(m.To), err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("email: %s: DATA: %w", addr, err)
	}
	if _, err := w.Write(raw); err != nil {
		return fmt.Errorf("email: %s: message: %w", addr, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("email: %s: message: %w", addr, err)
	}
	// The message is accepted once DATA's end is; a failing QUIT changes nothing.
	_ = c.Quit()
	return nil
}

// Check opens a session with the server of s as Send would — connect, EHLO, STARTTLS in that
// mode, AUTH when s has a user — then says NOOP and QUIT, within s.Timeout and ctx; it sends
// nothing. Its error never holds the password.
func Check(ctx context.Context, s Settings) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout())
	defer cancel()
	c, addr, closeConn, err := s.open(ctx)
	if err != nil {
		return err
	}
	defer closeConn()
	if err := c.Noop(); err != nil {
		return fmt.Errorf("email: %s: NOOP: %w", addr, err)
	}
	if err := c.Quit(); err != nil {
		return fmt.Errorf("email: %s: QUIT: %w", addr, err)
	}
	return nil
}

func (s Settings) timeout() time.Duration {
	if s.Timeout <= 0 {
		return 30 * time.Second
	}
	return s.Timeout
}

// open connects to the server of s and goes as far as a session ready for MAIL: the greeting,
// EHLO, STARTTLS in that mode, AUTH when s has a user. The dialogue ends when ctx does. done
// ends the session and the connection.
func (s Settings) open(ctx context.Context) (c *smtp.Client, addr string, done func(), err error) {
	addr = net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, addr, nil, fmt.Errorf("email: connect to %s: %w", addr, err)
	}
	// The dialogue ends when ctx does: the deadline moves to now, and every read and write fails.
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	fail := func(err error) (*smtp.Client, string, func(), error) {
		stop()
		if c != nil {
			c.Close()
		}
		conn.Close()
		return nil, addr, nil, err
	}
	tc := s.tls()
	if s.TLS == TLSImplicit {
		conn = tls.Client(conn, tc)
	}
	c, err = smtp.NewClient(conn, s.Host)
	if err != nil {
		return fail(fmt.Errorf("email: %s: greeting: %w", addr, err))
	}
	hello := s.HelloName
	if hello == "" {
		hello = "localhost"
	}
	if err := c.Hello(hello); err != nil {
		return fail(fmt.Errorf("email: %s: EHLO: %w", addr, err))
	}
	if s.TLS == TLSStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return fail(ErrNoStartTLS)
		}
		if err := c.StartTLS(tc); err != nil {
			return fail(fmt.Errorf("email: %s: STARTTLS: %w", addr, err))
		}
	}
	if s.Username != "" {
		// net/smtp's PlainAuth refuses to send the password unencrypted to anything but localhost.
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, s.Host)); err != nil {
			return fail(fmt.Errorf("email: %s: AUTH as %s: %w", addr, s.Username, err))
		}
	}
	return c, addr, func() {
		stop()
		c.Close()
		conn.Close()
	}, nil
}

func (s Settings) tls() *tls.Config {
	if s.TLSConfig != nil {
		return s.TLSConfig
	}
	return &tls.Config{ServerName: s.Host, MinVersion: tls.VersionTLS12}
}

// Build returns m as the bytes of a MIME message from from, dated now: UTF-8 plain text,
// quoted-printable, with a subject encoded per RFC 2047. A recipient that is not one plain
// address is ErrAddress.
func Build(from *mail.Address, m Message, now time.Time) ([]byte, error) {
	if hasControl(m.To) {
		return nil, fmt.Errorf("email: recipient: %w", ErrAddress)
	}
	to, err := mail.ParseAddress(m.To)
	if err != nil || to.Address != m.To {
		return nil, fmt.Errorf("email: recipient: %w", ErrAddress)
	}
	to.Name = clean(m.ToName)
	var id [16]byte
	_, _ = rand.Read(id[:])
	_, domain, _ := strings.Cut(from.Address, "@")
	var b bytes.Buffer
	header := func(name, value string) { b.WriteString(name + ": " + value + "\r\n") }
	header("From", (&mail.Address{Name: clean(from.Name), Address: from.Address}).String())
	header("To", to.String())
	header("Subject", encodeHeader(clean(m.Subject)))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", "<"+hex.EncodeToString(id[:])+"@"+domain+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	// An automatic message (RFC 3834): auto-responders do not answer it.
	header("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	body := strings.ReplaceAll(strings.ReplaceAll(m.Body, "\r\n", "\n"), "\r", "\n")
	if _, err := qp.Write([]byte(body)); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		b.WriteString("\r\n")
	}
	return b.Bytes(), nil
}

// encodeHeader encodes a value per RFC 2047 when it is not plain ASCII, folding between the
// encoded words so that no line grows past the limit of RFC 5322.
func encodeHeader(s string) string {
	enc := mime.BEncoding.Encode("utf-8", s)
	return strings.ReplaceAll(enc, "?= =?", "?=\r\n =?")
}

// clean makes s one line: control characters (line breaks among them) become spaces.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "")
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s))
}

func hasControl(s string) bool {
	return strings.IndexFunc(s, unicode.IsControl) >= 0
}
