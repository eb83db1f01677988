package main

import (
	"context"
	"crypto/tls"
	"flag"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"sistercity/internal/blob/blobtest"
	"sistercity/internal/db"
	"sistercity/internal/db/dbtest"
	"sistercity/internal/email/smtptest"
	"sistercity/internal/i18n"
)

// doctorLines are the names of every check, as the English report prints them.
var doctorLines = []string{"database", "data directory", "media storage", "ffmpeg", "ffprobe", "encoders",
	"subtitle burning (libass)", "subtitle font", "time zone", "job queue", "clock", "base URL",
	"outgoing e-mail"}

// verdictOf returns the verdict word the report gives the check name, or "" when it has none.
func verdictOf(out, name string) string {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) > 1 && strings.HasPrefix(strings.TrimSpace(strings.TrimPrefix(line, f[0])), name+":") {
			return f[0]
		}
	}
	return ""
}

// TestDoctor runs doctor on one deployment through its faults, in steps: healthy, a job
// waiting too long, a stuck job, a missing and an unknown migration, ffmpeg gone from PATH, and
// an unwritable data directory.
func TestDoctor(t *testing.T) {
	dataDir := t.TempDir()
	dbFlags := []string{"--data-dir", dataDir, "--log-level", "warn"}
	if u := dbtest.URL(t); u != "" {
		dbFlags = append(dbFlags, "--database-url", u)
	}
	if code, out, errOut := sistercity(t, dbFlags, "migrate"); code != 0 {
		t.Fatalf("migrate: exit %d\n%s%s", code, out, errOut)
	}
	// The site's own address answers /healthz (the real handler is tested in internal/web).
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	}))
	defer site.Close()
	// --min-free-bytes 1: the test machine's free space is not what is tested here; nor is its
	// speed: a busy machine's slow ffmpeg or database round trip is neither a failed check
	// (--check-timeout) nor a clock that is off (--max-clock-skew).
	doctor := func(extra ...string) (int, string, string) {
		t.Helper()
		args := append([]string{"doctor", "--lang", "en", "--min-free-bytes", "1", "--base-url", site.URL,
			"--check-timeout", "2m", "--max-clock-skew", "1m"}, extra...)
		return sistercity(t, dbFlags, args...)
	}
	sql := func(t *testing.T, query string) {
		t.Helper()
		d, err := db.Open(context.Background(), urlFlag(dbFlags), dataDir)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		if _, err := d.W.ExecContext(context.Background(), query); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
	postgres := urlFlag(dbFlags) != ""
	ago := func(what string) string { // SQL for a moment what ago, in River's time format
		if postgres {
			return "now() - interval '" + what + "'"
		}
		return "datetime('now', '-" + what + "')"
	}
	// A job row as River would have it: args have no default on PostgreSQL.
	job := func(cols, values string) string {
		if postgres {
			cols, values = "args, "+cols, "'{}', "+values
		}
		return "INSERT INTO river_job (" + cols + ") VALUES (" + values + ")"
	}

	t.Run("healthy", func(t *testing.T) {
		code, out, errOut := doctor()
		if code != 0 {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
		for _, name := range doctorLines {
			if v := verdictOf(out, name); v != "ok" {
				t.Errorf("%s: %q, want ok\n%s", name, v, out)
			}
		}
		if !strings.Contains(out, "Everything a deployment needs is in place.") {
			t.Errorf("no summary:\n%s", out)
		}
		// The probe file and the test object are gone.
		for _, dir := range []string{dataDir, filepath.Join(dataDir, "media")} {
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if strings.Contains(e.Name(), "doctor") {
					t.Errorf("left behind: %s", filepath.Join(dir, e.Name()))
				}
			}
		}
		// In the operator's language, from the environment.
		t.Setenv("LANG", "ko_KR.UTF-8")
		code, out, _ = sistercity(t, dbFlags, "doctor", "--min-free-bytes", "1")
		if code != 0 || verdictOf(out, "데이터베이스") != "정상" || !strings.Contains(out, "작업 대기열") {
			t.Errorf("in Korean: exit %d\n%s", code, out)
		}
	})

	t.Run("little free space", func(t *testing.T) {
		code, out, errOut := doctor("--min-free-bytes", "1000000000000000000") // about 888 PiB
		if code != 0 || verdictOf(out, "data directory") != "warning" || verdictOf(out, "media storage") != "warning" ||
			!strings.Contains(out, "only ") || !strings.Contains(out, "No failures, 2 warnings.") {
			t.Errorf("exit %d\n%s%s", code, out, errOut)
		}
	})

	t.Run("base URL down", func(t *testing.T) {
		down := httptest.NewServer(http.NotFoundHandler())
		down.Close()
		code, out, errOut := doctor("--base-url", down.URL)
		if code != 1 || verdictOf(out, "base URL") != "failed" || !strings.Contains(out, down.URL+"/healthz cannot be reached") {
			t.Errorf("exit %d\n%s%s", code, out, errOut)
		}
	})

	t.Run("backlog", func(t *testing.T) {
		sql(t, job("kind, max_attempts, state, scheduled_at", "'video.process', 5, 'available', "+ago("1 hours")))
		defer sql(t, "DELETE FROM river_job")
		code, out, errOut := doctor()
		if code != 0 || verdictOf(out, "job queue") != "warning" ||
			!strings.Contains(out, "1 job has waited more than 10m0s for a worker") || !strings.Contains(out, "No failures, 1 warning.") {
			t.Errorf("exit %d\n%s%s", code, out, errOut)
		}
	})

	t.Run("stuck job", func(t *testing.T) {
		sql(t, job("kind, max_attempts, state, attempt, attempted_at", "'video.process', 5, 'running', 1, "+ago("3 hours")))
		defer sql(t, "DELETE FROM river_job")
		code, out, errOut := doctor()
		if code != 1 || verdictOf(out, "job queue") != "failed" ||
			!strings.Contains(out, "1 job has been running for more than 2h15m0s (--rescue-after): its process died") ||
			!strings.Contains(out, "sistercity worker") || !strings.Contains(errOut, "1 check failed") {
			t.Errorf("exit %d\n%s%s", code, out, errOut)
		}
	})

	t.Run("missing migration", func(t *testing.T) {
		sql(t, "DELETE FROM schema_migrations WHERE version = 10")
		code, out, errOut := doctor()
		if code != 1 || verdictOf(out, "database") != "failed" ||
			!strings.Contains(out, "migrations not applied yet: 0010_video_views") || !strings.Contains(out, "sistercity migrate") {
			t.Errorf("exit %d\n%s%s", code, out, errOut)
		}
		// migrate puts it back (the table exists already, so the step fails: put the row back).
		sql(t, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (10, 'migrations/x/0010_video_views.sql', CURRENT_TIMESTAMP)")
	})

	t.Run("missing River migration", func(t *testing.T) {
		sql(t, "DELETE FROM river_migration WHERE version = 1")
		code, out, errOut := doctor()
		if code != 1 || verdictOf(out, "database") != "failed" || !strings.Contains(out, "migrations not applied yet: river_001_") {
			t.Errorf("exit %d\n%s%s", code, out, errOut)
		}
		sql(t, "INSERT INTO river_migration (line, version) VALUES ('main', 1)")
	})

	t.Run("newer database", func(t *testing.T) {
		sql(t, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'migrations/x/9999_from_the_future.sql', CURRENT_TIMESTAMP)")
		defer sql(t, "DELETE FROM schema_migrations WHERE version = 9999")
		code, out, errOut := doctor()
		if code != 1 || verdictOf(out, "database") != "failed" ||
			!strings.Contains(out, "the database has migrations this binary does not know: 9999_from_the_future") {
			t.Errorf("exit %d\n%s%s", code, out, errOut)
		}
	})

	t.Run("no ffmpeg", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		code, out, errOut := doctor()
		for _, name := range []string{"ffmpeg", "ffprobe", "encoders", "subtitle burning (libass)"} {
			if v := verdictOf(out, name); v != "failed" {
				t.Errorf("%s: %q, want failed", name, v)
			}
		}
		if code != 1 || !strings.Contains(out, "ffmpeg was not found on PATH") ||
			!strings.Contains(out, "Install ffmpeg (Debian: apt install ffmpeg)") || !strings.Contains(errOut, "4 checks failed") {
			t.Errorf("exit %d\n%s%s", code, out, errOut)
		}
	})

	t.Run("unwritable data directory", func(t *testing.T) {
		readOnly(t, dataDir)
		code, out, errOut := doctor()
		if code != 1 || verdictOf(out, "data directory") != "failed" ||
			!strings.Contains(out, dataDir+" cannot be written") || !strings.Contains(out, "writable for the user that runs sistercity") {
			t.Errorf("exit %d\n%s%s", code, out, errOut)
		}
	})
}

// urlFlag returns the --database-url of flags, "" for SQLite.
func urlFlag(flags []string) string {
	for i, f := range flags {
		if f == "--database-url" && i+1 < len(flags) {
			return flags[i+1]
		}
	}
	return ""
}

// readOnly makes dir unwritable until the test ends: by its mode, and, for root (whom modes do
// not stop), by the immutable attribute.
func readOnly(t *testing.T, dir string) {
	t.Helper()
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(dir, 0o755) })
	if os.Geteuid() != 0 {
		return
	}
	if out, err := exec.Command("chattr", "+i", dir).CombinedOutput(); err != nil {
		t.Fatalf("chattr +i %s (root writes through modes): %v\n%s", dir, err, out)
	}
	t.Cleanup(func() { _ = exec.Command("chattr", "-i", dir).Run() })
}

// TestDoctorS3 checks media storage in a bucket: a test object is written, read and deleted,
// and a bucket that does not exist, or an S3 service that is down, fails the check.
func TestDoctorS3(t *testing.T) {
	t.Parallel()
	srv := blobtest.Start(t)
	dataDir := t.TempDir()
	dbFlags := []string{"--data-dir", dataDir, "--log-level", "warn"}
	if u := dbtest.URL(t); u != "" {
		dbFlags = append(dbFlags, "--database-url", u)
	}
	if code, out, errOut := sistercity(t, dbFlags, "migrate"); code != 0 {
		t.Fatalf("migrate: exit %d\n%s%s", code, out, errOut)
	}
	bucket := srv.Bucket(t)
	code, out, errOut := sistercity(t, dbFlags, "doctor", "--lang", "en", "--min-free-bytes", "1", "--media-url", bucket)
	if code != 0 || verdictOf(out, "media storage") != "ok" || !strings.Contains(out, "a test object was written, read back and deleted") {
		t.Fatalf("bucket: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = sistercity(t, dbFlags, "doctor", "--lang", "en", "--min-free-bytes", "1", "--media-url", srv.URL("no-such-bucket"))
	if code != 1 || verdictOf(out, "media storage") != "failed" || !strings.Contains(out, "--media-url") {
		t.Fatalf("missing bucket: exit %d\n%s%s", code, out, errOut)
	}
	// The S3 service is down: the check fails saying so, within the check's bound.
	srv.Kill(t)
	code, out, errOut = sistercity(t, dbFlags, "doctor", "--lang", "en", "--min-free-bytes", "1", "--media-url", bucket)
	if code != 1 || verdictOf(out, "media storage") != "failed" || !strings.Contains(out, "cannot be reached") ||
		!strings.Contains(out, "connection refused") {
		t.Fatalf("S3 service down: exit %d\n%s%s", code, out, errOut)
	}
}

// TestDoctorCheckTimeout: a check that does not return within --check-timeout fails with the
// bound in its message, and the report goes on.
func TestDoctorCheckTimeout(t *testing.T) {
	t.Parallel()
	d := &doctor{flags: doctorFlags{timeout: 50 * time.Millisecond}}
	release := make(chan struct{})
	defer close(release)
	f := d.run(context.Background(), doctorCheck{"doctor.check.media", func(context.Context) finding {
		<-release // ignores its context, as a hung file system call would
		return ok("doctor.libass.ok")
	}})
	if f.verdict != verdictFailed || f.msg.Key != "doctor.timeout" || f.fix.Key != "doctor.fix.timeout" {
		t.Errorf("%+v", f)
	}
}

// TestDoctorMail checks outgoing e-mail when --smtp-host is set: a session with the server
// (STARTTLS, AUTH) that sends nothing; a wrong password, a server that does not answer within
// --smtp-timeout, and nothing listening fail with what to do, and the password is never printed.
func TestDoctorMail(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{Username: "city", Password: "s3cret-pw"})
	base := []string{"--smtp-host", srv.Host, "--smtp-port", strconv.Itoa(srv.Port), "--smtp-from", "noreply@busan.example",
		"--smtp-username", "city", "--base-url", "https://sister.busan.example"}
	report := func(t *testing.T, mailTLS *tls.Config, lang string, extra ...string) (finding, string) {
		t.Helper()
		cfg, err := parseConfig(flag.NewFlagSet("doctor", flag.ContinueOnError), append(append([]string{}, base...), extra...))
		if err != nil {
			t.Fatal(err)
		}
		d := &doctor{cfg: cfg, flags: doctorFlags{timeout: time.Minute}, mailTLS: mailTLS}
		f := d.run(context.Background(), doctorCheck{"doctor.check.mail", d.checkMail})
		cat, err := i18n.Load()
		if err != nil {
			t.Fatal(err)
		}
		l := cat.Localizer(lang)
		text := l.Msg(f.msg)
		if f.fix.Key != "" {
			text += "\n" + l.Msg(f.fix)
		}
		if strings.Contains(text, "s3cret-pw") || strings.Contains(text, "wrong-pw") {
			t.Errorf("the password is shown: %s", text)
		}
		return f, text
	}

	f, text := report(t, srv.TLS, "en", "--smtp-password", "s3cret-pw")
	if f.verdict != verdictOK || !strings.Contains(text, "accepted a session and the sign-in as city; nothing was sent") ||
		!strings.Contains(text, "--smtp-tls=starttls") {
		t.Errorf("healthy: %v %s", f.verdict, text)
	}
	if n := len(srv.Received()); n != 0 {
		t.Errorf("the check sent %d messages", n)
	}
	// The certificate is checked: the system's roots do not know the test server's.
	f, text = report(t, nil, "en", "--smtp-password", "s3cret-pw")
	if f.verdict != verdictFailed || !strings.Contains(text, "STARTTLS") || !strings.Contains(text, "Check --smtp-host") {
		t.Errorf("untrusted certificate: %v %s", f.verdict, text)
	}
	f, text = report(t, srv.TLS, "ko", "--smtp-password", "wrong-pw")
	if f.verdict != verdictFailed || !strings.Contains(text, "535") || !strings.Contains(text, "--smtp-password가 맞는지") {
		t.Errorf("wrong password: %v %s", f.verdict, text)
	}

	// A server that accepts and never answers: failed within --smtp-timeout.
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
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	f, text = report(t, srv.TLS, "ru", "--smtp-port", port, "--smtp-timeout", "1s", "--smtp-password", "s3cret-pw")
	if f.verdict != verdictFailed || f.msg.Key != "doctor.mail.failed" || !strings.Contains(text, "Проверьте --smtp-host") {
		t.Errorf("silent server: %v %s", f.verdict, text)
	}
	ln.Close()
	f, text = report(t, srv.TLS, "en", "--smtp-port", port, "--smtp-password", "s3cret-pw")
	if f.verdict != verdictFailed || !strings.Contains(text, "connect to 127.0.0.1:"+port) {
		t.Errorf("nothing listening: %v %s", f.verdict, text)
	}

	// Through the command: the line is in the report, and a failure fails doctor.
	code, out, errOut := sistercity(t, []string{"--data-dir", t.TempDir(), "--log-level", "warn"}, append([]string{"doctor", "--lang", "en",
		"--min-free-bytes", "1", "--smtp-password", "wrong-pw"}, base...)...)
	if code != 1 || verdictOf(out, "outgoing e-mail") != "failed" || strings.Contains(out+errOut, "wrong-pw") {
		t.Errorf("doctor: exit %d\n%s%s", code, out, errOut)
	}
}
