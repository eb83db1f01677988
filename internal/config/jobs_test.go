package config

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

func parseJobFlags(t *testing.T, args ...string) (Config, error) {
	t.Helper()
	cfg := Default()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	Bind(fs, &cfg)
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if err := LoadFile(fs); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

func TestJobFlags(t *testing.T) {
	cfg, err := parseJobFlags(t)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Workers != 2 || cfg.JobTimeout != 2*time.Hour || cfg.RescueAfter != 2*time.Hour+15*time.Minute {
		t.Errorf("defaults: workers %d, job timeout %s, rescue after %s", cfg.Workers, cfg.JobTimeout, cfg.RescueAfter)
	}

	t.Setenv("SISTERCITY_WORKERS", "0")
	t.Setenv("SISTERCITY_JOB_TIMEOUT", "30m")
	cfg, err = parseJobFlags(t, "--rescue-after", "45m")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Workers != 0 || cfg.JobTimeout != 30*time.Minute || cfg.RescueAfter != 45*time.Minute {
		t.Errorf("from environment and flags: workers %d, job timeout %s, rescue after %s", cfg.Workers, cfg.JobTimeout, cfg.RescueAfter)
	}
	if cfg, _ = parseJobFlags(t, "--workers", "3"); cfg.Workers != 3 {
		t.Errorf("a flag does not win over the environment: workers %d", cfg.Workers)
	}
}

func TestJobFlagsValidation(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--workers", "-1"}, "--workers"},
		{[]string{"--job-timeout", "0s"}, "--job-timeout"},
		{[]string{"--job-timeout", "3h"}, "--rescue-after (2h15m0s) must be at least --job-timeout (3h0m0s)"},
		{[]string{"--rescue-after", "1h"}, "--rescue-after"},
	} {
		_, err := parseJobFlags(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one about %s", tc.args, err, tc.want)
		}
	}
	// Equal is allowed: River's own rule.
	if _, err := parseJobFlags(t, "--job-timeout", "1h", "--rescue-after", "1h"); err != nil {
		t.Errorf("rescue-after equal to job-timeout: %v", err)
	}
	t.Setenv("SISTERCITY_WORKERS", "two")
	if _, err := parseJobFlags(t); err == nil || !strings.Contains(err.Error(), "SISTERCITY_WORKERS") {
		t.Errorf("malformed SISTERCITY_WORKERS: %v", err)
	}
}
