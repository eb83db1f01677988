package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"sistercity/internal/blob"
	"sistercity/internal/config"
	"sistercity/internal/db"
	"sistercity/internal/email"
	"sistercity/internal/i18n"
	"sistercity/internal/media"
	"sistercity/internal/register"
	"sistercity/internal/video"
)

// The doctor checks, one line each, what a deployment needs, and says for each problem what to
// do. It changes nothing but a probe file and a test object, which it removes; it neither
// creates nor migrates the database.

// verdict is how a check came out; any failure makes doctor exit non-zero.
type verdict int

const (
	verdictOK verdict = iota
	verdictWarning
	verdictFailed
)

// finding is a check's result: what was found and, for a warning or failure, what to do.
type finding struct {
	verdict verdict
	msg     i18n.Msg
	fix     i18n.Msg // Key "" when there is nothing to do
}

func ok(key string, args ...any) finding {
	return finding{verdict: verdictOK, msg: i18n.M(key, args...)}
}

func warn(fix i18n.Msg, key string, args ...any) finding {
	return finding{verdict: verdictWarning, msg: i18n.M(key, args...), fix: fix}
}

func fail(fix i18n.Msg, key string, args ...any) finding {
	return finding{verdict: verdictFailed, msg: i18n.M(key, args...), fix: fix}
}

// counted makes f's message a plural one for n.
func counted(f finding, n int) finding {
	f.msg.Count = &n
	return f
}

// doctorCheck is one line of the report; name is its catalog key.
type doctorCheck struct {
	name string
	run  func(ctx context.Context) finding
}

// doctorFlags are the doctor's own settings, beside the configuration it checks.
type doctorFlags struct {
	lang         string
	timeout      time.Duration // per check
	minFree      int64         // warn below this many free bytes
	backlogAfter time.Duration // an available job waiting longer is a backlog
	maxSkew      time.Duration // warn when the clock differs from the database's by more
}

// doctor holds what the checks share: the configuration and the database, opened once.
type doctor struct {
	cfg   config.Config
	flags doctorFlags
	// mu guards db and closed: a check that overran its time may still be opening the database.
	mu     sync.Mutex
	db     *db.DB
	closed bool
	// mailTLS, when not nil, is what the SMTP server's certificate is checked with instead of
	// the system's roots (tests trust their own server with it).
	mailTLS *tls.Config
}

func runDoctor(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var df doctorFlags
	fs.StringVar(&df.lang, "lang", os.Getenv("SISTERCITY_LANG"), "language of the report: en, ko or ru; empty = from LC_ALL, LC_MESSAGES or LANG (SISTERCITY_LANG)")
	fs.DurationVar(&df.timeout, "check-timeout", 15*time.Second, "longest one check may take")
	fs.Int64Var(&df.minFree, "min-free-bytes", 5<<30, "warn when less than this is free in the data directory or local media directory")
	fs.DurationVar(&df.backlogAfter, "backlog-after", 10*time.Minute, "warn about jobs waiting longer than this for a worker")
	fs.DurationVar(&df.maxSkew, "max-clock-skew", 5*time.Second, "warn when this machine's clock and the database server's differ by more")
	cfg, err := parseConfig(fs, args)
	if err != nil {
		return err
	}
	if df.timeout <= 0 {
		return errors.New("--check-timeout must be positive")
	}
	cat, err := i18n.Load()
	if err != nil {
		return err
	}
	l := cat.Localizer(operatorLang(cat, df.lang))
	d := &doctor{cfg: cfg, flags: df}
	defer d.close()
	failed, warned := 0, 0
	for _, c := range d.checks() {
		f := d.run(ctx, c)
		word := map[verdict]string{verdictOK: "doctor.ok", verdictWarning: "doctor.warning", verdictFailed: "doctor.failed"}[f.verdict]
		fmt.Fprintf(stdout, "%-8s %s: %s\n", l.T(word), l.T(c.name), l.Msg(f.msg))
		if f.fix.Key != "" {
			fmt.Fprintf(stdout, "         → %s\n", l.Msg(f.fix))
		}
		switch f.verdict {
		case verdictFailed:
			failed++
		case verdictWarning:
			warned++
		}
	}
	if failed > 0 {
		return errors.New(l.N("doctor.summary.failed", failed))
	}
	if warned > 0 {
		fmt.Fprintln(stdout, l.N("doctor.summary.warnings", warned))
	} else {
		fmt.Fprintln(stdout, l.T("doctor.summary.ok"))
	}
	return nil
}

// operatorLang is the report's language: the flag, else the locale of the environment.
func operatorLang(cat *i18n.Catalog, flagLang string) string {
	for _, v := range []string{flagLang, os.Getenv("LC_ALL"), os.Getenv("LC_MESSAGES"), os.Getenv("LANG")} {
		if v == "" || v == "C" || v == "POSIX" {
			continue
		}
		// ko_KR.UTF-8 → ko-KR
		v, _, _ = strings.Cut(v, ".")
		v, _, _ = strings.Cut(v, "@")
		return cat.Match(strings.ReplaceAll(v, "_", "-"))
	}
	return i18n.DefaultLang
}

// run runs one check within the check timeout, even if the check itself ignores its context.
func (d *doctor) run(ctx context.Context, c doctorCheck) finding {
	ctx, cancel := context.WithTimeout(ctx, d.flags.timeout)
	defer cancel()
	done := make(chan finding, 1)
	go func() { done <- c.run(ctx) }()
	select {
	case f := <-done:
		return f
	case <-ctx.Done():
		return fail(i18n.M("doctor.fix.timeout"), "doctor.timeout", "timeout", d.flags.timeout.String())
	}
}

func (d *doctor) checks() []doctorCheck {
	return []doctorCheck{
		{"doctor.check.database", d.checkDatabase},
		{"doctor.check.data_dir", d.checkDataDir},
		{"doctor.check.media", d.checkMedia},
		{"doctor.check.ffmpeg", func(ctx context.Context) finding { return checkTool(ctx, "ffmpeg") }},
		{"doctor.check.ffprobe", func(ctx context.Context) finding { return checkTool(ctx, "ffprobe") }},
		{"doctor.check.encoders", checkEncoders},
		{"doctor.check.libass", checkLibass},
		{"doctor.check.font", checkFont},
		{"doctor.check.timezone", d.checkTimeZone},
		{"doctor.check.queue", d.checkQueue},
		{"doctor.check.clock", d.checkClock},
		{"doctor.check.base_url", d.checkBaseURL},
		{"doctor.check.mail", d.checkMail},
	}
}

func (d *doctor) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	if d.db != nil {
		d.db.Close()
		d.db = nil
	}
}

// --- database

func (d *doctor) checkDatabase(ctx context.Context) finding {
	if d.cfg.DatabaseURL == "" {
		// db.Open would create an empty database; the doctor only looks.
		path := filepath.Join(d.cfg.DataDir, db.SQLiteFile)
		if _, err := os.Stat(path); err != nil {
			return fail(i18n.M("doctor.fix.migrate"), "doctor.db.no_sqlite", "path", path)
		}
	}
	conn, err := db.Open(ctx, d.cfg.DatabaseURL, d.cfg.DataDir)
	if err != nil {
		return fail(i18n.M("doctor.fix.db_unreachable"), "doctor.db.unreachable", "err", err.Error())
	}
	st, err := conn.Migrations(ctx)
	if err != nil {
		conn.Close()
		return fail(i18n.M("doctor.fix.db_unreachable"), "doctor.db.unreachable", "err", err.Error())
	}
	d.mu.Lock()
	if d.closed { // the report is done: this check overran its time
		d.mu.Unlock()
		conn.Close()
		return fail(i18n.M("doctor.fix.timeout"), "doctor.timeout", "timeout", d.flags.timeout.String())
	}
	d.db = conn
	d.mu.Unlock()
	kind := "SQLite"
	if conn.Dialect == db.Postgres {
		kind = "PostgreSQL"
	}
	switch {
	case len(st.Unknown) > 0:
		return fail(i18n.M("doctor.fix.newer_db"), "doctor.db.newer", "names", strings.Join(st.Unknown, ", "))
	case len(st.Missing) > 0:
		return fail(i18n.M("doctor.fix.migrate"), "doctor.db.missing", "names", strings.Join(st.Missing, ", "))
	}
	return counted(ok("doctor.db.ok", "db", kind, "latest", st.Latest), st.Applied)
}

// needDB returns the database, or the finding of a check that needs it when it could not be
// opened.
func (d *doctor) needDB() (*db.DB, finding, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.db != nil {
		return d.db, finding{}, true
	}
	return nil, fail(i18n.M("doctor.fix.see_database"), "doctor.db.needed"), false
}

// --- storage

// probe writes, reads back and deletes a small file in dir.
func probe(dir string) error {
	f, err := os.CreateTemp(dir, ".doctor-probe-*")
	if err != nil {
		return err
	}
	name := f.Name()
	defer os.Remove(name)
	want := []byte("sistercity doctor probe\n")
	_, err = f.Write(want)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	got, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, want) {
		return errors.New("read back different bytes")
	}
	return os.Remove(name)
}

func (d *doctor) checkDataDir(_ context.Context) finding {
	dir := d.cfg.DataDir
	if err := probe(dir); err != nil {
		return fail(i18n.M("doctor.fix.data_dir", "path", dir), "doctor.storage.unwritable", "path", dir, "err", err.Error())
	}
	return d.freeSpace(dir, "doctor.storage.dir_ok")
}

// freeSpace is okKey's finding for dir, or a warning when little space is left.
func (d *doctor) freeSpace(dir, okKey string) finding {
	free, known := diskFree(dir)
	if !known {
		return ok(okKey, "path", dir, "free", "?")
	}
	gib := fmt.Sprintf("%.1f GiB", float64(free)/(1<<30))
	if free < uint64(d.flags.minFree) {
		floor := fmt.Sprintf("%.1f GiB", float64(d.flags.minFree)/(1<<30))
		return warn(i18n.M("doctor.fix.free_space"), "doctor.storage.low", "path", dir, "free", gib, "min", floor)
	}
	return ok(okKey, "path", dir, "free", gib)
}

func (d *doctor) checkMedia(ctx context.Context) finding {
	store, err := blob.Open(ctx, d.cfg.MediaURL, d.cfg.DataDir)
	if errors.Is(err, blob.ErrUnavailable) {
		return d.bucketUnreachable(err)
	}
	if err != nil {
		return fail(i18n.M("doctor.fix.media"), "doctor.storage.media_open", "err", err.Error())
	}
	defer store.Close()
	var b [8]byte
	_, _ = rand.Read(b[:])
	// At the top: a local store would leave the directory of a deeper key behind.
	key := "doctor-probe-" + hex.EncodeToString(b[:])
	want := []byte("sistercity doctor probe\n")
	err = func() error {
		if err := store.Put(ctx, key, bytes.NewReader(want)); err != nil {
			return err
		}
		r, err := store.Open(ctx, key)
		if err != nil {
			return err
		}
		got, err := io.ReadAll(io.LimitReader(r, 1<<10))
		r.Close()
		if err != nil {
			return err
		}
		if !bytes.Equal(got, want) {
			return errors.New("read back different bytes")
		}
		return nil
	}()
	// Deleted whatever happened, under its own short deadline if ctx has run out.
	delCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if derr := store.Delete(delCtx, key); err == nil {
		err = derr
	}
	if strings.HasPrefix(d.cfg.MediaURL, "s3://") {
		bucket := "?"
		if u, perr := url.Parse(d.cfg.MediaURL); perr == nil {
			bucket = u.Host
		}
		if errors.Is(err, blob.ErrUnavailable) {
			return d.bucketUnreachable(err)
		}
		if err != nil {
			return fail(i18n.M("doctor.fix.bucket"), "doctor.storage.bucket_failed", "bucket", bucket, "err", err.Error())
		}
		return ok("doctor.storage.bucket_ok", "bucket", bucket)
	}
	dir := mediaDir(d.cfg)
	if err != nil {
		return fail(i18n.M("doctor.fix.data_dir", "path", dir), "doctor.storage.unwritable", "path", dir, "err", err.Error())
	}
	return d.freeSpace(dir, "doctor.storage.dir_ok")
}

// bucketUnreachable is the finding for a media bucket whose S3 service cannot be reached: the
// S3 client's bounded timeouts and retries end it well within --check-timeout.
func (d *doctor) bucketUnreachable(err error) finding {
	bucket := "?"
	if u, perr := url.Parse(d.cfg.MediaURL); perr == nil {
		bucket = u.Host
	}
	return fail(i18n.M("doctor.fix.bucket"), "doctor.storage.bucket_unreachable", "bucket", bucket, "err", err.Error())
}

// mediaDir is the directory of local media storage, as blob.Open resolves it.
func mediaDir(cfg config.Config) string {
	if cfg.MediaURL == "" {
		return filepath.Join(cfg.DataDir, "media")
	}
	dir := filepath.FromSlash(strings.TrimPrefix(cfg.MediaURL, "file://"))
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(cfg.DataDir, dir)
	}
	return dir
}

// --- ffmpeg

// toolOutput runs a tool with args and returns its standard output.
func toolOutput(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = 2 * time.Second
	var out bytes.Buffer
	cmd.Stdout = &out
	err := cmd.Run()
	return out.String(), err
}

func checkTool(ctx context.Context, name string) finding {
	path, err := exec.LookPath(name)
	if err != nil {
		return fail(i18n.M("doctor.fix.ffmpeg"), "doctor.ffmpeg.missing", "tool", name)
	}
	out, err := toolOutput(ctx, path, "-hide_banner", "-version")
	if err != nil {
		return fail(i18n.M("doctor.fix.ffmpeg"), "doctor.ffmpeg.broken", "tool", path, "err", err.Error())
	}
	first, _, _ := strings.Cut(out, "\n")
	first, _, _ = strings.Cut(first, " Copyright")
	return ok("doctor.ffmpeg.ok", "tool", path, "version", strings.TrimSpace(first))
}

// neededEncoders are the encoders internal/media uses: H.264 and AAC for renditions and burned
// versions, MJPEG for posters and thumbnails.
var neededEncoders = []string{"libx264", "aac", "mjpeg"}

// listed returns which of names ffmpeg's -encoders or -filters output lacks.
func listed(out string, names []string) (missing []string) {
	have := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) >= 2 {
			have[f[1]] = true
		}
	}
	for _, n := range names {
		if !have[n] {
			missing = append(missing, n)
		}
	}
	return missing
}

func checkEncoders(ctx context.Context) finding {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		return fail(i18n.M("doctor.fix.ffmpeg"), "doctor.ffmpeg.missing", "tool", "ffmpeg")
	}
	out, err := toolOutput(ctx, "ffmpeg", "-hide_banner", "-encoders")
	if err != nil {
		return fail(i18n.M("doctor.fix.ffmpeg"), "doctor.ffmpeg.broken", "tool", "ffmpeg", "err", err.Error())
	}
	if m := listed(out, neededEncoders); len(m) > 0 {
		return fail(i18n.M("doctor.fix.encoders"), "doctor.encoders.missing", "names", strings.Join(m, ", "))
	}
	return ok("doctor.encoders.ok", "names", strings.Join(neededEncoders, ", "))
}

func checkLibass(ctx context.Context) finding {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		return fail(i18n.M("doctor.fix.ffmpeg"), "doctor.ffmpeg.missing", "tool", "ffmpeg")
	}
	out, err := toolOutput(ctx, "ffmpeg", "-hide_banner", "-filters")
	if err != nil {
		return fail(i18n.M("doctor.fix.ffmpeg"), "doctor.ffmpeg.broken", "tool", "ffmpeg", "err", err.Error())
	}
	if len(listed(out, []string{"subtitles"})) > 0 {
		return fail(i18n.M("doctor.fix.libass"), "doctor.libass.missing")
	}
	return ok("doctor.libass.ok")
}

// checkFont looks where burning looks: the Noto CJK directories, then fontconfig.
func checkFont(ctx context.Context) finding {
	if dir := media.FontsDir(); dir != "" {
		return ok("doctor.font.ok", "font", media.DefaultBurnFont, "where", dir)
	}
	if _, err := exec.LookPath("fc-list"); err == nil {
		out, err := toolOutput(ctx, "fc-list", ":family="+media.DefaultBurnFont, "file")
		if err == nil && strings.TrimSpace(out) != "" {
			first, _, _ := strings.Cut(strings.TrimSpace(out), "\n")
			return ok("doctor.font.ok", "font", media.DefaultBurnFont, "where", strings.TrimSuffix(first, ":"))
		}
	}
	return fail(i18n.M("doctor.fix.font"), "doctor.font.missing", "font", media.DefaultBurnFont)
}

// --- what needs the database

func (d *doctor) checkTimeZone(ctx context.Context) finding {
	conn, f, ready := d.needDB()
	if !ready {
		return f
	}
	id, err := register.HomeCityID(ctx, conn.R)
	if errors.Is(err, register.ErrNoHomeCity) {
		return ok("doctor.tz.no_home")
	}
	if err != nil {
		return fail(i18n.M("doctor.fix.see_database"), "doctor.db.query", "err", err.Error())
	}
	c, err := register.GetCity(ctx, conn.R, id)
	if err != nil {
		return fail(i18n.M("doctor.fix.see_database"), "doctor.db.query", "err", err.Error())
	}
	if c.Timezone == "" {
		return warn(i18n.M("doctor.fix.tz_unset"), "doctor.tz.unset")
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return fail(i18n.M("doctor.fix.tz"), "doctor.tz.failed", "zone", c.Timezone, "err", err.Error())
	}
	return ok("doctor.tz.ok", "zone", c.Timezone, "now", time.Now().In(loc).Format("2006-01-02 15:04 MST"))
}

// ageOver is SQL that holds when the timestamp column col is more than $1 seconds in the past
// by the database's clock. River writes its SQLite times as text in UTC, which julianday reads.
func ageOver(dialect db.Dialect, col string) string {
	if dialect == db.Postgres {
		return col + " < now() - make_interval(secs => $1)"
	}
	return "(julianday('now') - julianday(" + col + ")) * 86400 > $1"
}

func (d *doctor) checkQueue(ctx context.Context) finding {
	conn, f, ready := d.needDB()
	if !ready {
		return f
	}
	count := func(query string, args ...any) (int, error) {
		var n int
		err := conn.R.QueryRowContext(ctx, query, args...).Scan(&n)
		return n, err
	}
	waiting, err := count("SELECT COUNT(*) FROM river_job WHERE state = 'available'")
	if err != nil {
		return fail(i18n.M("doctor.fix.see_database"), "doctor.db.query", "err", err.Error())
	}
	late, err := count("SELECT COUNT(*) FROM river_job WHERE state = 'available' AND "+ageOver(conn.Dialect, "scheduled_at"),
		d.flags.backlogAfter.Seconds())
	if err != nil {
		return fail(i18n.M("doctor.fix.see_database"), "doctor.db.query", "err", err.Error())
	}
	// A job running past --rescue-after was abandoned by a process that died, and no running
	// worker has rescued it; an encode silent past --encode-stale-after likewise.
	stuck, err := count("SELECT COUNT(*) FROM river_job WHERE state = 'running' AND "+ageOver(conn.Dialect, "attempted_at"),
		d.cfg.RescueAfter.Seconds())
	if err != nil {
		return fail(i18n.M("doctor.fix.see_database"), "doctor.db.query", "err", err.Error())
	}
	silent, err := count("SELECT COUNT(*) FROM videos WHERE processing = $1 AND (heartbeat_at IS NULL OR heartbeat_at < $2)",
		video.ProcProcessing, time.Now().UTC().Add(-d.cfg.EncodeStaleAfter))
	if err != nil {
		return fail(i18n.M("doctor.fix.see_database"), "doctor.db.query", "err", err.Error())
	}
	switch {
	case stuck > 0:
		return counted(fail(i18n.M("doctor.fix.stuck"), "doctor.queue.stuck", "after", d.cfg.RescueAfter.String()), stuck)
	case silent > 0:
		return counted(fail(i18n.M("doctor.fix.stuck"), "doctor.queue.silent", "after", d.cfg.EncodeStaleAfter.String()), silent)
	case late > 0:
		return counted(warn(i18n.M("doctor.fix.backlog"), "doctor.queue.backlog", "after", d.flags.backlogAfter.String()), late)
	}
	return counted(ok("doctor.queue.ok"), waiting)
}

func (d *doctor) checkClock(ctx context.Context) finding {
	conn, f, ready := d.needDB()
	if !ready {
		return f
	}
	if conn.Dialect != db.Postgres {
		return ok("doctor.clock.sqlite", "now", time.Now().UTC().Format(time.RFC3339))
	}
	before := time.Now()
	var server time.Time
	if err := conn.R.QueryRowContext(ctx, "SELECT now()").Scan(&server); err != nil {
		return fail(i18n.M("doctor.fix.see_database"), "doctor.db.query", "err", err.Error())
	}
	after := time.Now()
	// The server read its clock somewhere in the round trip; the middle is the best guess.
	skew := server.Sub(before.Add(after.Sub(before) / 2)).Round(time.Millisecond)
	if skew.Abs() > d.flags.maxSkew {
		return warn(i18n.M("doctor.fix.clock"), "doctor.clock.skew", "skew", skew.String(), "max", d.flags.maxSkew.String())
	}
	return ok("doctor.clock.ok", "skew", skew.String())
}

// --- the site itself

func (d *doctor) checkBaseURL(ctx context.Context) finding {
	if d.cfg.BaseURL == "" {
		return ok("doctor.base_url.unset")
	}
	u, err := url.Parse(d.cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fail(i18n.M("doctor.fix.base_url"), "doctor.base_url.bad")
	}
	target := d.cfg.BaseURL + "/healthz"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return fail(i18n.M("doctor.fix.base_url"), "doctor.base_url.bad")
	}
	// Its own address: a private one is expected here, so the client is the plain one, with a
	// short bound of its own below the check's.
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return fail(i18n.M("doctor.fix.base_url"), "doctor.base_url.unreachable", "url", target, "err", err.Error())
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<10))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fail(i18n.M("doctor.fix.base_url"), "doctor.base_url.status", "url", target, "status", resp.Status)
	}
	return ok("doctor.base_url.ok", "url", target)
}

// --- outgoing e-mail

// checkMail opens a session with the SMTP server as the rejection mail would — connect, EHLO,
// STARTTLS in that mode, AUTH with the configured user — and ends it with NOOP and QUIT,
// sending nothing, within --smtp-timeout. The password is in no message.
func (d *doctor) checkMail(ctx context.Context) finding {
	if !d.cfg.MailOn() {
		return ok("doctor.mail.off")
	}
	s := email.Settings{Host: d.cfg.SMTPHost, Port: d.cfg.SMTPPort, Username: d.cfg.SMTPUsername, Password: d.cfg.SMTPPassword,
		From: d.cfg.SMTPFrom, TLS: d.cfg.SMTPTLS, Timeout: d.cfg.SMTPTimeout, TLSConfig: d.mailTLS}
	if u, err := url.Parse(d.cfg.BaseURL); err == nil {
		s.HelloName = u.Hostname()
	}
	server := net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
	mode := "--smtp-tls=" + s.TLS
	if err := email.Check(ctx, s); err != nil {
		msg := err.Error()
		if s.Password != "" {
			msg = strings.ReplaceAll(msg, s.Password, "…")
		}
		return fail(i18n.M("doctor.fix.mail"), "doctor.mail.failed", "server", server, "mode", mode, "err", msg)
	}
	if s.Username != "" {
		return ok("doctor.mail.ok_auth", "server", server, "mode", mode, "user", s.Username)
	}
	return ok("doctor.mail.ok", "server", server, "mode", mode)
}
