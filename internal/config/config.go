// Package config reads sistercity's configuration from command-line flags and SISTERCITY_*
// environment variables into one typed Config. A flag given on the command line wins over the
// environment, which wins over the default.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is the whole configuration of a sistercity process.
type Config struct {
	Listen      string // address for the HTTP server
	DataDir     string // everything of the embedded setup: database, media, documents
	DatabaseURL string // postgres://… or empty for SQLite in DataDir
	Demo        bool   // load the demo data at start
	BaseURL     string // public URL of the site, for links in feeds and federation
	LogFormat   string // text or json
	LogLevel    string // debug, info, warn, error

	SessionLifetime time.Duration
	// MaxDocumentBytes limits one uploaded partnership document.
	MaxDocumentBytes int64
	// SecureCookies marks cookies Secure; on by default when BaseURL is https.
	SecureCookies bool

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
		MaxDocumentBytes: 20 << 20,
	}
}

// Bind registers the flags of cfg on fs, each with its environment variable as default.
// Call Load after fs.Parse.
func Bind(fs *flag.FlagSet, cfg *Config) {
	fs.StringVar(&cfg.Listen, "listen", env("LISTEN", cfg.Listen), "address to listen on (SISTERCITY_LISTEN)")
	fs.StringVar(&cfg.DataDir, "data-dir", env("DATA_DIR", cfg.DataDir), "directory for the embedded database and media (SISTERCITY_DATA_DIR)")
	fs.StringVar(&cfg.DatabaseURL, "database-url", env("DATABASE_URL", cfg.DatabaseURL), "postgres://… to use PostgreSQL; empty for SQLite in the data directory (SISTERCITY_DATABASE_URL)")
	fs.BoolVar(&cfg.Demo, "demo", envBool(cfg, "DEMO", cfg.Demo), "load the demo data (SISTERCITY_DEMO)")
	fs.StringVar(&cfg.BaseURL, "base-url", env("BASE_URL", cfg.BaseURL), "public URL of the site, e.g. https://sister.example.org (SISTERCITY_BASE_URL)")
	fs.StringVar(&cfg.LogFormat, "log-format", env("LOG_FORMAT", cfg.LogFormat), "log format: text or json (SISTERCITY_LOG_FORMAT)")
	fs.StringVar(&cfg.LogLevel, "log-level", env("LOG_LEVEL", cfg.LogLevel), "log level: debug, info, warn, error (SISTERCITY_LOG_LEVEL)")
	fs.DurationVar(&cfg.SessionLifetime, "session-lifetime", envDuration(cfg, "SESSION_LIFETIME", cfg.SessionLifetime), "how long a sign-in lasts (SISTERCITY_SESSION_LIFETIME)")
	fs.Int64Var(&cfg.MaxDocumentBytes, "max-document-bytes", envInt(cfg, "MAX_DOCUMENT_BYTES", cfg.MaxDocumentBytes), "largest partnership document accepted (SISTERCITY_MAX_DOCUMENT_BYTES)")
	fs.BoolVar(&cfg.SecureCookies, "secure-cookies", envBool(cfg, "SECURE_COOKIES", cfg.SecureCookies), "mark cookies Secure (SISTERCITY_SECURE_COOKIES; on when --base-url is https)")
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
	if c.MaxDocumentBytes <= 0 {
		errs = append(errs, errors.New("--max-document-bytes must be positive"))
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if strings.HasPrefix(c.BaseURL, "https://") {
		c.SecureCookies = true
	}
	return errors.Join(errs...)
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
