package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestConfigFile(t *testing.T) {
	path := writeFile(t, `
listen = "127.0.0.1:9000"
workers = 5
demo = true
session-lifetime = "2h"
log-level = "debug"
`)
	cfg, err := parseJobFlags(t, "--config", path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:9000" || cfg.Workers != 5 || !cfg.Demo || cfg.SessionLifetime != 2*time.Hour || cfg.LogLevel != "debug" {
		t.Errorf("from the file: %+v", cfg)
	}
	if cfg.DataDir != "./data" {
		t.Errorf("a setting the file lacks keeps its default: %q", cfg.DataDir)
	}

	// The environment wins over the file, a flag over both.
	t.Setenv("SISTERCITY_WORKERS", "7")
	t.Setenv("SISTERCITY_LOG_LEVEL", "warn")
	if cfg, err = parseJobFlags(t, "--config", path, "--log-level", "error"); err != nil {
		t.Fatal(err)
	}
	if cfg.Workers != 7 || cfg.LogLevel != "error" || cfg.Listen != "127.0.0.1:9000" {
		t.Errorf("precedence: workers %d (want the environment's 7), log level %q (want the flag's error), listen %q (the file's)", cfg.Workers, cfg.LogLevel, cfg.Listen)
	}

	// SISTERCITY_CONFIG names the file too.
	t.Setenv("SISTERCITY_CONFIG", path)
	if cfg, err = parseJobFlags(t); err != nil || cfg.Listen != "127.0.0.1:9000" {
		t.Errorf("SISTERCITY_CONFIG: listen %q, %v", cfg.Listen, err)
	}
}

func TestConfigFileErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{`lisen = ":80"`, `unknown setting "lisen"`},
		{`config = "/etc/other.toml"`, `unknown setting "config"`},
		{`workers = "many"`, `workers = "many"`},
		{`workers = 1.5`, `workers: want a string, a number or true/false`},
		{"[server]\nlisten = \":80\"", `unknown setting "server"`},
		{`listen = `, `--config`},
		{`session-lifetime = "10s"`, `--session-lifetime must be at least 1m`},
	} {
		_, err := parseJobFlags(t, "--config", writeFile(t, tc.text))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one with %q", tc.text, err, tc.want)
		}
	}
	missing := filepath.Join(t.TempDir(), "none.toml")
	if _, err := parseJobFlags(t, "--config", missing); err == nil || !strings.Contains(err.Error(), "none.toml") {
		t.Errorf("missing file: %v", err)
	}
}
