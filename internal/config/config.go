// Package config reads sistercity's configuration from command-line flags, SISTERCITY_*
// environment variables and an optional TOML file (--config) into one typed Config. A flag given
// on the command line wins over the environment, which wins over the file, which wins over the
// default.
package config

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"net"
	"net/mail"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is the whole configuration of a sistercity process.
type Config struct {
	// File is the TOML configuration file read by LoadFile; empty reads none.
	File string

	Listen      string // address for the HTTP server
	DataDir     string // everything of the embedded setup: database, media, documents
	DatabaseURL string // postgres://… or empty for SQLite in DataDir
	MediaURL    string // where media and documents are stored: file://DIR, s3://BUCKET?…, or empty for DataDir/media
	Demo        bool   // load the demo data at start
	BaseURL     string // public URL of the site, for links in feeds and federation
	LogFormat   string // text or json
	LogLevel    string // debug, info, warn, error

	SessionLifetime time.Duration
	// PublicMaxAge is how long browsers and caches may keep a public page before they ask
	// again; an edit shows after at most this long.
	PublicMaxAge time.Duration
	// PageCacheBytes bounds the memory of the rendered public pages serve keeps (with their
	// compressed forms); 0 turns the page cache off.
	PageCacheBytes int64
	// MaxDocumentBytes limits one uploaded partnership document.
	MaxDocumentBytes int64
	// SecureCookies marks cookies Secure; on by default when BaseURL is https.
	SecureCookies bool

	// Workers is how many jobs this process runs at once; 0 makes it only enqueue.
	Workers int
	// JobTimeout cancels a job's context after this long.
	JobTimeout time.Duration
	// RescueAfter is how long a job may stay running before it counts as abandoned (its
	// process died) and is retried; at least JobTimeout, or live jobs would run twice.
	RescueAfter time.Duration
	// EncodeHeartbeat is how often a running encode records that it is alive; an encode
	// silent for EncodeStaleAfter is taken as dead (its process was killed) and queued anew.
	EncodeHeartbeat, EncodeStaleAfter time.Duration

	// MaxUploadBytes limits one uploaded video source.
	MaxUploadBytes int64
	// StorageQuota limits the bytes of all stored media (sources, renditions, documents,
	// uploads in progress); 0 means no quota beyond the free space of the disk.
	StorageQuota int64
	// UploadExpiry is how long an unfinished upload is kept before it is deleted.
	UploadExpiry time.Duration
	// UploadIdleExpiry is how long an upload that has received no byte is kept.
	UploadIdleExpiry time.Duration
	// UploadReservePerUser bounds the declared sizes of one user's unfinished uploads
	// together; 0 in the flag is twice MaxUploadBytes.
	UploadReservePerUser int64

	// TranslateURL is the LibreTranslate-compatible endpoint offered for machine translation
	// of subtitles; empty turns the step off.
	TranslateURL string
	// TranslateKey is the API key sent to TranslateURL; never logged.
	TranslateKey string

	// TrustedProxies lists the CIDRs (comma-separated) of reverse proxies whose
	// ForwardedHeader is believed for the client's address; empty believes no one.
	TrustedProxies string
	// ForwardedHeader is the header the trusted proxies set: X-Forwarded-For or Forwarded.
	ForwardedHeader string
	// Proxies is TrustedProxies parsed, filled by Validate.
	Proxies []netip.Prefix
	// FedAllowPrivate lists the CIDRs (comma-separated) that outbound federation requests may
	// reach although they are loopback, private or link-local (a partner on the same LAN; the
	// tests' servers on 127.0.0.1); empty allows only public addresses.
	FedAllowPrivate string
	// FedAllowed is FedAllowPrivate parsed, filled by Validate.
	FedAllowed []netip.Prefix
	// BodyTimeout bounds the reading of a request's body; UploadBodyTimeout replaces it for
	// tus upload chunks and for multipart forms once their sender's role and CSRF token have
	// been checked.
	BodyTimeout       time.Duration
	UploadBodyTimeout time.Duration
	// MaxLargeBodies caps the multipart and JSON bodies read at once; one more is answered 503.
	MaxLargeBodies int
	// MetricsToken turns /metrics on, for requests with "Authorization: Bearer TOKEN"; empty
	// leaves /metrics off.
	MetricsToken string

	// SMTPHost turns outgoing e-mail on (the reason of a rejected citizen's message, when the
	// editor asks for it); empty leaves mail off. The other SMTP settings say how to reach it.
	SMTPHost     string
	SMTPPort     int
	SMTPUsername string
	// SMTPPassword is never logged nor shown.
	SMTPPassword string
	// SMTPFrom is the sender, "Name <address>" or an address.
	SMTPFrom string
	// SMTPTLS is starttls, tls (implicit, port 465) or none (a relay on this machine).
	SMTPTLS     string
	SMTPTimeout time.Duration

	envErrs []error // malformed SISTERCITY_* values, reported by Validate
}

// Default returns the configuration used when nothing is set.
func Default() Config {
	return Config{
		Listen:           ":8080",
		DataDir:          "./data",
		LogFormat:        "text",
		LogLevel:         "info",
		SessionLifetime:  12 * time.Hour,
		PublicMaxAge:     time.Minute,
		PageCacheBytes:   8 << 20,
		MaxDocumentBytes: 20 << 20,
		Workers:          2,
		JobTimeout:       2 * time.Hour,
		RescueAfter:      2*time.Hour + 15*time.Minute,
		EncodeHeartbeat:  30 * time.Second,
		EncodeStaleAfter: 2 * time.Minute,
		MaxUploadBytes:   10 << 30,
		UploadExpiry:     24 * time.Hour,
		UploadIdleExpiry: 2 * time.Hour,

		ForwardedHeader:   "X-Forwarded-For",
		BodyTimeout:       time.Minute,
		UploadBodyTimeout: 15 * time.Minute,
		MaxLargeBodies:    8,

		SMTPPort:    587,
		SMTPTLS:     "starttls",
		SMTPTimeout: 30 * time.Second,
	}
}

// Bind registers the flags of cfg on fs, each with its environment variable as default.
// Call Load after fs.Parse.
func Bind(fs *flag.FlagSet, cfg *Config) {
	fs.StringVar(&cfg.File, "config", env("CONFIG", cfg.File), "TOML file of settings, keys named as these flags; flags and SISTERCITY_* win over it (SISTERCITY_CONFIG)")
	fs.StringVar(&cfg.Listen, "listen", env("LISTEN", cfg.Listen), "address to listen on (SISTERCITY_LISTEN)")
	fs.StringVar(&cfg.DataDir, "data-dir", env("DATA_DIR", cfg.DataDir), "directory for the embedded database and media (SISTERCITY_DATA_DIR)")
	fs.StringVar(&cfg.DatabaseURL, "database-url", env("DATABASE_URL", cfg.DatabaseURL), "postgres://… to use PostgreSQL; empty for SQLite in the data directory (SISTERCITY_DATABASE_URL)")
	fs.StringVar(&cfg.MediaURL, "media-url", env("MEDIA_URL", cfg.MediaURL), "where media and documents are stored: file://DIR or s3://BUCKET?endpoint=…&region=…; empty for media/ in the data directory (SISTERCITY_MEDIA_URL)")
	fs.BoolVar(&cfg.Demo, "demo", envBool(cfg, "DEMO", cfg.Demo), "load the demo data (SISTERCITY_DEMO)")
	fs.StringVar(&cfg.BaseURL, "base-url", env("BASE_URL", cfg.BaseURL), "public URL of the site, e.g. https://sister.example.org (SISTERCITY_BASE_URL)")
	fs.StringVar(&cfg.LogFormat, "log-format", env("LOG_FORMAT", cfg.LogFormat), "log format: text or json (SISTERCITY_LOG_FORMAT)")
	fs.StringVar(&cfg.LogLevel, "log-level", env("LOG_LEVEL", cfg.LogLevel), "log level: debug, info, warn, error (SISTERCITY_LOG_LEVEL)")
	fs.DurationVar(&cfg.SessionLifetime, "session-lifetime", envDuration(cfg, "SESSION_LIFETIME", cfg.SessionLifetime), "how long a sign-in lasts (SISTERCITY_SESSION_LIFETIME)")
	fs.DurationVar(&cfg.PublicMaxAge, "public-max-age", envDuration(cfg, "PUBLIC_MAX_AGE", cfg.PublicMaxAge), "how long browsers and caches may keep a public page (SISTERCITY_PUBLIC_MAX_AGE)")
	fs.Int64Var(&cfg.PageCacheBytes, "page-cache-bytes", envInt(cfg, "PAGE_CACHE_BYTES", cfg.PageCacheBytes), "memory for rendered public pages, 0 for none (SISTERCITY_PAGE_CACHE_BYTES)")
	fs.Int64Var(&cfg.MaxDocumentBytes, "max-document-bytes", envInt(cfg, "MAX_DOCUMENT_BYTES", cfg.MaxDocumentBytes), "largest partnership document accepted (SISTERCITY_MAX_DOCUMENT_BYTES)")
	fs.BoolVar(&cfg.SecureCookies, "secure-cookies", envBool(cfg, "SECURE_COOKIES", cfg.SecureCookies), "mark cookies Secure (SISTERCITY_SECURE_COOKIES; on when --base-url is https)")
	fs.IntVar(&cfg.Workers, "workers", envParse(cfg, "WORKERS", cfg.Workers, strconv.Atoi), "jobs run at once by this process; 0 = only enqueue (SISTERCITY_WORKERS)")
	fs.DurationVar(&cfg.JobTimeout, "job-timeout", envDuration(cfg, "JOB_TIMEOUT", cfg.JobTimeout), "longest a job may run before it is cancelled (SISTERCITY_JOB_TIMEOUT)")
	fs.Int64Var(&cfg.MaxUploadBytes, "max-upload-bytes", envInt(cfg, "MAX_UPLOAD_BYTES", cfg.MaxUploadBytes), "largest video source accepted for upload (SISTERCITY_MAX_UPLOAD_BYTES)")
	fs.Int64Var(&cfg.StorageQuota, "storage-quota", envInt(cfg, "STORAGE_QUOTA", cfg.StorageQuota), "bytes all stored media may take; 0 = no quota beyond free disk space (SISTERCITY_STORAGE_QUOTA)")
	fs.DurationVar(&cfg.UploadExpiry, "upload-expiry", envDuration(cfg, "UPLOAD_EXPIRY", cfg.UploadExpiry), "an unfinished upload untouched this long is deleted (SISTERCITY_UPLOAD_EXPIRY)")
	fs.DurationVar(&cfg.UploadIdleExpiry, "upload-idle-expiry", envDuration(cfg, "UPLOAD_IDLE_EXPIRY", cfg.UploadIdleExpiry), "an upload that has received no byte this long after it was started is deleted (SISTERCITY_UPLOAD_IDLE_EXPIRY)")
	fs.Int64Var(&cfg.UploadReservePerUser, "upload-reserve-per-user", envInt(cfg, "UPLOAD_RESERVE_PER_USER", cfg.UploadReservePerUser), "bytes one user's unfinished uploads may declare together; 0 = twice --max-upload-bytes (SISTERCITY_UPLOAD_RESERVE_PER_USER)")
	fs.StringVar(&cfg.TranslateURL, "translate-url", env("TRANSLATE_URL", cfg.TranslateURL), "LibreTranslate-compatible endpoint for machine translation of subtitles; empty = off (SISTERCITY_TRANSLATE_URL)")
	fs.StringVar(&cfg.TranslateKey, "translate-key", env("TRANSLATE_KEY", cfg.TranslateKey), "API key for --translate-url (SISTERCITY_TRANSLATE_KEY)")
	fs.DurationVar(&cfg.EncodeHeartbeat, "encode-heartbeat", envDuration(cfg, "ENCODE_HEARTBEAT", cfg.EncodeHeartbeat), "how often a running encode records that it is alive (SISTERCITY_ENCODE_HEARTBEAT)")
	fs.DurationVar(&cfg.EncodeStaleAfter, "encode-stale-after", envDuration(cfg, "ENCODE_STALE_AFTER", cfg.EncodeStaleAfter), "an encode silent this long is taken as dead and queued anew; a few heartbeats (SISTERCITY_ENCODE_STALE_AFTER)")
	fs.StringVar(&cfg.TrustedProxies, "trusted-proxies", env("TRUSTED_PROXIES", cfg.TrustedProxies), "comma-separated CIDRs of reverse proxies whose --forwarded-header gives the client's address; empty = none (SISTERCITY_TRUSTED_PROXIES)")
	fs.StringVar(&cfg.FedAllowPrivate, "fed-allow-private", env("FED_ALLOW_PRIVATE", cfg.FedAllowPrivate), "comma-separated CIDRs that outbound federation requests may reach although private or loopback; empty = public addresses only (SISTERCITY_FED_ALLOW_PRIVATE)")
	fs.StringVar(&cfg.ForwardedHeader, "forwarded-header", env("FORWARDED_HEADER", cfg.ForwardedHeader), "header the trusted proxies set: X-Forwarded-For or Forwarded (SISTERCITY_FORWARDED_HEADER)")
	fs.DurationVar(&cfg.BodyTimeout, "body-timeout", envDuration(cfg, "BODY_TIMEOUT", cfg.BodyTimeout), "longest wait for a request body (SISTERCITY_BODY_TIMEOUT)")
	fs.DurationVar(&cfg.UploadBodyTimeout, "upload-body-timeout", envDuration(cfg, "UPLOAD_BODY_TIMEOUT", cfg.UploadBodyTimeout), "longest wait for an upload chunk or a checked file form (SISTERCITY_UPLOAD_BODY_TIMEOUT)")
	fs.IntVar(&cfg.MaxLargeBodies, "max-large-bodies", envParse(cfg, "MAX_LARGE_BODIES", cfg.MaxLargeBodies, strconv.Atoi), "file forms and JSON bodies read at once; more get 503 (SISTERCITY_MAX_LARGE_BODIES)")
	fs.StringVar(&cfg.MetricsToken, "metrics-token", env("METRICS_TOKEN", cfg.MetricsToken), "serve /metrics to requests with this bearer token; empty = /metrics off (SISTERCITY_METRICS_TOKEN)")
	fs.StringVar(&cfg.SMTPHost, "smtp-host", env("SMTP_HOST", cfg.SMTPHost), "SMTP server for outgoing e-mail; empty = no e-mail (SISTERCITY_SMTP_HOST)")
	fs.IntVar(&cfg.SMTPPort, "smtp-port", envParse(cfg, "SMTP_PORT", cfg.SMTPPort, strconv.Atoi), "port of --smtp-host: 587 for starttls, 465 for tls (SISTERCITY_SMTP_PORT)")
	fs.StringVar(&cfg.SMTPUsername, "smtp-username", env("SMTP_USERNAME", cfg.SMTPUsername), "user for AUTH PLAIN at --smtp-host; empty = no authentication (SISTERCITY_SMTP_USERNAME)")
	fs.StringVar(&cfg.SMTPPassword, "smtp-password", env("SMTP_PASSWORD", cfg.SMTPPassword), "password of --smtp-username; never logged (SISTERCITY_SMTP_PASSWORD)")
	fs.StringVar(&cfg.SMTPFrom, "smtp-from", env("SMTP_FROM", cfg.SMTPFrom), "sender of outgoing e-mail, e.g. \"Busan City <noreply@busan.example>\" (SISTERCITY_SMTP_FROM)")
	fs.StringVar(&cfg.SMTPTLS, "smtp-tls", env("SMTP_TLS", cfg.SMTPTLS), "starttls, tls (implicit) or none (plain text; only without a password or to this machine) (SISTERCITY_SMTP_TLS)")
	fs.DurationVar(&cfg.SMTPTimeout, "smtp-timeout", envDuration(cfg, "SMTP_TIMEOUT", cfg.SMTPTimeout), "longest one delivery to --smtp-host may take (SISTERCITY_SMTP_TIMEOUT)")
	fs.DurationVar(&cfg.RescueAfter, "rescue-after", envDuration(cfg, "RESCUE_AFTER", cfg.RescueAfter), "a job running this long is taken as abandoned by a dead process and retried; at least --job-timeout (SISTERCITY_RESCUE_AFTER)")
}

// Validate checks cfg and fills derived values.
func (c *Config) Validate() error {
	errs := append([]error(nil), c.envErrs...)
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("--listen %q: want HOST:PORT or :PORT", c.Listen))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("--data-dir must not be empty"))
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		errs = append(errs, errors.New("--database-url: want postgres://… (or leave it empty for SQLite)"))
	}
	// Only the scheme is checked here; blob.Open checks the rest when serve starts. The value
	// is not echoed: an s3:// URL typed with credentials in it would put them in a log.
	if c.MediaURL != "" && !strings.HasPrefix(c.MediaURL, "file://") && !strings.HasPrefix(c.MediaURL, "s3://") {
		errs = append(errs, errors.New("--media-url: want file://DIR or s3://BUCKET?endpoint=…&region=… (or leave it empty for media/ in the data directory)"))
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("--log-format %q: want text or json", c.LogFormat))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("--log-level %q: want debug, info, warn or error", c.LogLevel))
	}
	if c.SessionLifetime < time.Minute {
		errs = append(errs, errors.New("--session-lifetime must be at least 1m"))
	}
	if c.PublicMaxAge < 0 || c.PublicMaxAge > 24*time.Hour {
		errs = append(errs, errors.New("--public-max-age must be between 0s and 24h"))
	}
	if c.PageCacheBytes < 0 || c.PageCacheBytes > 4<<30 {
		errs = append(errs, errors.New("--page-cache-bytes must be between 0 and 4 GiB"))
	}
	if c.MaxDocumentBytes <= 0 {
		errs = append(errs, errors.New("--max-document-bytes must be positive"))
	}
	if c.Workers < 0 || c.Workers > 1000 {
		errs = append(errs, errors.New("--workers must be between 0 and 1000"))
	}
	if c.JobTimeout < time.Second {
		errs = append(errs, errors.New("--job-timeout must be at least 1s"))
	}
	if c.RescueAfter < c.JobTimeout {
		errs = append(errs, fmt.Errorf("--rescue-after (%s) must be at least --job-timeout (%s): a job still running would be rescued and run twice", c.RescueAfter, c.JobTimeout))
	}
	if c.EncodeHeartbeat < 100*time.Millisecond || c.EncodeStaleAfter < 2*c.EncodeHeartbeat {
		errs = append(errs, fmt.Errorf("--encode-heartbeat (%s) must be at least 100ms and --encode-stale-after (%s) at least two heartbeats", c.EncodeHeartbeat, c.EncodeStaleAfter))
	}
	if c.MaxUploadBytes <= 0 {
		errs = append(errs, errors.New("--max-upload-bytes must be positive"))
	}
	if c.StorageQuota < 0 {
		errs = append(errs, errors.New("--storage-quota must not be negative"))
	}
	if c.UploadExpiry < time.Minute {
		errs = append(errs, errors.New("--upload-expiry must be at least 1m"))
	}
	if c.UploadIdleExpiry < time.Minute {
		errs = append(errs, errors.New("--upload-idle-expiry must be at least 1m"))
	}
	if c.UploadReservePerUser < 0 {
		errs = append(errs, errors.New("--upload-reserve-per-user must not be negative"))
	}
	if c.UploadReservePerUser == 0 && c.MaxUploadBytes > 0 {
		c.UploadReservePerUser = 2 * min(c.MaxUploadBytes, math.MaxInt64/2)
	}
	if c.TranslateURL != "" && !strings.HasPrefix(c.TranslateURL, "http://") && !strings.HasPrefix(c.TranslateURL, "https://") {
		errs = append(errs, errors.New("--translate-url: want http://… or https://… (or leave it empty)"))
	}
	errs = append(errs, c.validateLimits()...)
	errs = append(errs, c.validateSMTP()...)
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if strings.HasPrefix(c.BaseURL, "https://") {
		c.SecureCookies = true
	}
	return errors.Join(errs...)
}

// MailOn tells whether outgoing e-mail is configured.
func (c *Config) MailOn() bool { return c.SMTPHost != "" }

// validateSMTP checks the outgoing e-mail's settings when --smtp-host is set. The password is
// never echoed.
func (c *Config) validateSMTP() []error {
	if c.SMTPHost == "" {
		return nil
	}
	var errs []error
	if strings.ContainsAny(c.SMTPHost, " /:@\r\n") && net.ParseIP(c.SMTPHost) == nil {
		errs = append(errs, fmt.Errorf("--smtp-host %q: want a host name or an IP address, without a port (see --smtp-port)", c.SMTPHost))
	}
	if c.SMTPPort < 1 || c.SMTPPort > 65535 {
		errs = append(errs, fmt.Errorf("--smtp-port %d: want 1 to 65535", c.SMTPPort))
	}
	if a, err := mail.ParseAddress(c.SMTPFrom); err != nil || strings.ContainsAny(c.SMTPFrom, "\r\n") || !strings.Contains(a.Address, "@") {
		errs = append(errs, fmt.Errorf("--smtp-from %q: want an address, e.g. noreply@example.org or \"City <noreply@example.org>\"", c.SMTPFrom))
	}
	switch c.SMTPTLS {
	case "starttls", "tls":
	case "none":
		// Plain text carries the password in the clear: only to a relay on this machine.
		if c.SMTPUsername != "" && !loopbackHost(c.SMTPHost) {
			errs = append(errs, fmt.Errorf("--smtp-tls none sends the password unencrypted: use starttls or tls for %s, or a relay on this machine", c.SMTPHost))
		}
	default:
		errs = append(errs, fmt.Errorf("--smtp-tls %q: want starttls, tls or none", c.SMTPTLS))
	}
	if c.SMTPUsername == "" && c.SMTPPassword != "" {
		errs = append(errs, errors.New("--smtp-password is set without --smtp-username"))
	}
	if c.SMTPTimeout < time.Second || c.SMTPTimeout > 10*time.Minute {
		errs = append(errs, errors.New("--smtp-timeout must be between 1s and 10m"))
	}
	// The mail links to the sender's private status page: it needs the site's public address.
	if c.BaseURL == "" {
		errs = append(errs, errors.New("--smtp-host needs --base-url: the e-mails link to the site"))
	}
	return errs
}

func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func env(name, def string) string {
	if v, ok := os.LookupEnv("SISTERCITY_" + name); ok {
		return v
	}
	return def
}

func envBool(cfg *Config, name string, def bool) bool {
	return envParse(cfg, name, def, strconv.ParseBool)
}

func envInt(cfg *Config, name string, def int64) int64 {
	return envParse(cfg, name, def, func(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) })
}

func envDuration(cfg *Config, name string, def time.Duration) time.Duration {
	return envParse(cfg, name, def, time.ParseDuration)
}

func envParse[T any](cfg *Config, name string, def T, parse func(string) (T, error)) T {
	v, ok := os.LookupEnv("SISTERCITY_" + name)
	if !ok {
		return def
	}
	x, err := parse(v)
	if err != nil {
		cfg.envErrs = append(cfg.envErrs, fmt.Errorf("SISTERCITY_%s=%q: %v", name, v, err))
		return def
	}
	return x
}

// validateLimits checks the settings of the client address and the request limits, and parses
// TrustedProxies into Proxies.
func (c *Config) validateLimits() []error {
	var errs []error
	c.Proxies, errs = parsePrefixes("--trusted-proxies", c.TrustedProxies, errs)
	c.FedAllowed, errs = parsePrefixes("--fed-allow-private", c.FedAllowPrivate, errs)
	switch strings.ToLower(c.ForwardedHeader) {
	case "x-forwarded-for":
		c.ForwardedHeader = "X-Forwarded-For"
	case "forwarded":
		c.ForwardedHeader = "Forwarded"
	default:
		errs = append(errs, fmt.Errorf("--forwarded-header %q: want X-Forwarded-For or Forwarded", c.ForwardedHeader))
	}
	if c.BodyTimeout < 100*time.Millisecond {
		errs = append(errs, errors.New("--body-timeout must be at least 100ms"))
	}
	if c.UploadBodyTimeout < c.BodyTimeout {
		errs = append(errs, errors.New("--upload-body-timeout must be at least --body-timeout"))
	}
	if c.MaxLargeBodies < 1 {
		errs = append(errs, errors.New("--max-large-bodies must be at least 1"))
	}
	return errs
}

// parsePrefixes reads a comma-separated list of CIDRs or single addresses for the flag named.
func parsePrefixes(flag, list string, errs []error) ([]netip.Prefix, []error) {
	var out []netip.Prefix
	for part := range strings.SplitSeq(list, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			a, aerr := netip.ParseAddr(part)
			if aerr != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not a CIDR (e.g. 10.0.0.0/8) or an address", flag, part))
				continue
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, errs
}
