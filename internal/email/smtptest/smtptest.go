// Package smtptest is a small SMTP server for tests: a real TCP listener on 127.0.0.1 that
// speaks enough of RFC 5321 for a client to deliver to it (EHLO/HELO, STARTTLS, AUTH PLAIN,
// MAIL, RCPT, DATA, RSET, NOOP, QUIT) and keeps what it received. A test can make it answer a
// step with a temporary (4xx) or permanent (5xx) refusal, as a real server would.
package smtptest

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"sistercity/internal/email"
)

// Received is one message the server accepted.
type Received struct {
	From string
	To   []string
	// Data is the message as sent, dot-unstuffed, with CRLF line ends.
	Data []byte
	// TLS tells whether the connection was encrypted when the message came; Auth is the user
	// who authenticated, "" for none.
	TLS  bool
	Auth string
}

// Server is a running SMTP server.
type Server struct {
	Host string
	Port int
	// TLS is the configuration a client needs to trust the server's certificate.
	TLS *tls.Config

	ln        net.Listener
	serverTLS *tls.Config
	user, pwd string

	mu       sync.Mutex
	received []Received
	replies  map[string][]string
	attempts map[string]int
}

// Options of Start.
type Options struct {
	// Username and Password, when set, make the server offer AUTH PLAIN and require it.
	Username, Password string
	// Implicit speaks TLS from the first byte instead of offering STARTTLS.
	Implicit bool
}

// Start starts a server on 127.0.0.1; it stops when the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	cert, pool := certificate(t)
	s := &Server{Host: "127.0.0.1", user: o.Username, pwd: o.Password, replies: map[string][]string{}, attempts: map[string]int{},
		serverTLS: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		TLS:       &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if o.Implicit {
		ln = tls.NewListener(ln, s.serverTLS)
	}
	s.ln, s.Port = ln, ln.Addr().(*net.TCPAddr).Port
	var wg sync.WaitGroup
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.serve(conn, o.Implicit)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return s
}

// Settings are the settings that reach s, from the sender from; mode is email.TLSStartTLS for a
// server started without Implicit (its certificate is trusted), email.TLSImplicit with it, or
// email.TLSNone.
func (s *Server) Settings(mode, from string) email.Settings {
	return email.Settings{Host: s.Host, Port: s.Port, Username: s.user, Password: s.pwd, From: from, TLS: mode,
		Timeout: 20 * time.Second, TLSConfig: s.TLS}
}

// Reply makes the server answer the next time it reaches step ("MAIL", "RCPT" or "DATA", the
// latter at the end of the message) with reply, e.g. "451 4.3.0 try again later"; replies
// queued for one step are used in order, one per time. With to not empty, only a message to
// that recipient gets it (not at "MAIL", where no recipient is known yet).
func (s *Server) Reply(to, step, reply string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replies[step+" "+to] = append(s.replies[step+" "+to], reply)
}

// Received returns the messages accepted so far.
func (s *Server) Received() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.received...)
}

// Attempts counts how many times a client reached step ("DATA": sent a whole message) for the
// recipient to ("" counts every one; not at "MAIL"), accepted or not.
func (s *Server) Attempts(to, step string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts[step+" "+to]
}

// reply returns the queued refusal for step and the recipient to, or ok.
func (s *Server) reply(step, to, ok string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts[step+" "]++
	if to != "" {
		s.attempts[step+" "+to]++
	}
	for _, key := range []string{step + " " + to, step + " "} {
		if q := s.replies[key]; len(q) > 0 {
			s.replies[key] = q[1:]
			return q[0]
		}
	}
	return ok
}

// maxMessage bounds what one DATA may carry.
const maxMessage = 10 << 20

func (s *Server) serve(conn net.Conn, encrypted bool) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Minute))
	r, w := bufio.NewReader(conn), bufio.NewWriter(conn)
	say := func(lines ...string) {
		for _, l := range lines {
			w.WriteString(l + "\r\n")
		}
		w.Flush()
	}
	say("220 smtptest ESMTP")
	var cur Received
	authed := ""
	for {
		line, err := readLine(r)
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			ext := []string{"250-smtptest", "250-8BITMIME"}
			if !encrypted {
				ext = append(ext, "250-STARTTLS")
			}
			if s.user != "" {
				ext = append(ext, "250-AUTH PLAIN")
			}
			say(append(ext, "250 SIZE "+strconv.Itoa(maxMessage))...)
		case "HELO", "NOOP":
			say("250 ok")
		case "STARTTLS":
			if encrypted {
				say("503 already encrypted")
				continue
			}
			say("220 go ahead")
			tc := tls.Server(conn, s.serverTLS)
			if tc.Handshake() != nil {
				return
			}
			conn, encrypted = tc, true
			r, w = bufio.NewReader(conn), bufio.NewWriter(conn)
			cur, authed = Received{}, ""
		case "AUTH":
			mech, resp, _ := strings.Cut(arg, " ")
			b, err := base64.StdEncoding.DecodeString(resp)
			parts := bytes.Split(b, []byte{0})
			if !strings.EqualFold(mech, "PLAIN") || err != nil || len(parts) != 3 ||
				string(parts[1]) != s.user || string(parts[2]) != s.pwd || s.user == "" {
				say("535 5.7.8 authentication failed")
				continue
			}
			authed = s.user
			say("235 2.7.0 authenticated")
		case "MAIL":
			if s.user != "" && authed == "" {
				say("530 5.7.0 authentication required")
				continue
			}
			cur = Received{From: addrOf(arg), TLS: encrypted, Auth: authed}
			say(s.reply("MAIL", "", "250 ok"))
		case "RCPT":
			rep := s.reply("RCPT", addrOf(arg), "250 ok")
			if rep[0] == '2' {
				cur.To = append(cur.To, addrOf(arg))
			}
			say(rep)
		case "DATA":
			if len(cur.To) == 0 {
				say("554 no valid recipients")
				continue
			}
			say("354 end with <CRLF>.<CRLF>")
			data, err := readData(r)
			if err != nil {
				return
			}
			rep := s.reply("DATA", cur.To[0], "250 ok: queued")
			if rep[0] == '2' {
				cur.Data = data
				s.mu.Lock()
				s.received = append(s.received, cur)
				s.mu.Unlock()
			}
			cur = Received{TLS: encrypted, Auth: authed}
			say(rep)
		case "RSET":
			cur = Received{TLS: encrypted, Auth: authed}
			say("250 ok")
		case "QUIT":
			say("221 bye")
			return
		default:
			say("502 5.5.2 command not recognised")
		}
	}
}

// readLine reads one command line without its CRLF; lines are bounded as RFC 5321 bounds them.
func readLine(r *bufio.Reader) (string, error) {
	var b []byte
	for {
		part, more, err := r.ReadLine()
		if err != nil {
			return "", err
		}
		b = append(b, part...)
		if len(b) > 4096 {
			return "", bufio.ErrTooLong
		}
		if !more {
			return string(b), nil
		}
	}
}

// readData reads a message up to the line ".", undoing the dot-stuffing.
func readData(r *bufio.Reader) ([]byte, error) {
	var out bytes.Buffer
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		if line == ".\r\n" {
			return out.Bytes(), nil
		}
		line = strings.TrimPrefix(line, ".")
		out.WriteString(line)
		if out.Len() > maxMessage {
			return nil, bufio.ErrTooLong
		}
	}
}

// addrOf takes the address out of "FROM:<a@b> SIZE=…" or "TO:<a@b>".
func addrOf(arg string) string {
	_, rest, _ := strings.Cut(arg, "<")
	addr, _, _ := strings.Cut(rest, ">")
	return addr
}

// certificate makes a self-signed certificate for 127.0.0.1 and the pool that trusts it.
func certificate(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtptest"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
