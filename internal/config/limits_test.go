package config

import (
	"flag"
	"io"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLimitsSettings(t *testing.T) {
	parse := func(args ...string) (Config, error) {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		cfg := Default()
		Bind(fs, &cfg)
		if err := fs.Parse(args); err != nil {
			return cfg, err
		}
		return cfg, cfg.Validate()
	}
	cfg, err := parse()
	if err != nil || len(cfg.Proxies) != 0 || cfg.MetricsToken != "" || cfg.ForwardedHeader != "X-Forwarded-For" {
		t.Fatalf("default: no proxy is trusted and /metrics is off: %+v %v", cfg, err)
	}
	t.Setenv("SISTERCITY_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1")
	t.Setenv("SISTERCITY_FORWARDED_HEADER", "forwarded")
	cfg, err = parse("--body-timeout", "2s")
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32")}
	if err != nil || !slices.Equal(cfg.Proxies, want) || cfg.ForwardedHeader != "Forwarded" || cfg.BodyTimeout != 2*time.Second {
		t.Fatalf("from the environment and flags: %v %q %s %v", cfg.Proxies, cfg.ForwardedHeader, cfg.BodyTimeout, err)
	}
	for _, args := range [][]string{
		{"--trusted-proxies", "10.0.0.0/33"},
		{"--trusted-proxies", "proxy.internal"},
		{"--forwarded-header", "X-Real-IP"},
		{"--body-timeout", "1ms"},
		{"--upload-body-timeout", "1s", "--body-timeout", "1m"},
		{"--max-large-bodies", "0"},
	} {
		if _, err := parse(args...); err == nil || !strings.Contains(err.Error(), args[0]) {
			t.Errorf("%v: %v, want an error naming %s", args, err, args[0])
		}
	}
}
