package config

import (
	"flag"
	"io"
	"strings"
	"testing"
)

func TestMediaURL(t *testing.T) {
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
	if cfg, err := parse(); err != nil || cfg.MediaURL != "" {
		t.Fatalf("default: %q %v", cfg.MediaURL, err)
	}
	t.Setenv("SISTERCITY_MEDIA_URL", "file:///srv/media")
	if cfg, err := parse(); err != nil || cfg.MediaURL != "file:///srv/media" {
		t.Fatalf("from the environment: %q %v", cfg.MediaURL, err)
	}
	const s3 = "s3://media?endpoint=https://s3.example.org&region=eu-central-1"
	if cfg, err := parse("--media-url", s3); err != nil || cfg.MediaURL != s3 {
		t.Fatalf("the flag over the environment: %q %v", cfg.MediaURL, err)
	}
	// A wrong scheme is refused, without echoing what may hold a secret.
	_, err := parse("--media-url", "https://key:secret@s3.example.org/media")
	if err == nil || !strings.Contains(err.Error(), "--media-url") || strings.Contains(err.Error(), "secret") {
		t.Fatalf("a wrong scheme: %v", err)
	}
}
