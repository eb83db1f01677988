package config

import (
	"strings"
	"testing"
	"time"
)

func TestPublicMaxAge(t *testing.T) {
	cfg, err := parseJobFlags(t)
	if err != nil || cfg.PublicMaxAge != time.Minute {
		t.Fatalf("default: %s, %v", cfg.PublicMaxAge, err)
	}
	t.Setenv("SISTERCITY_PUBLIC_MAX_AGE", "10s")
	if cfg, err = parseJobFlags(t); err != nil || cfg.PublicMaxAge != 10*time.Second {
		t.Fatalf("from the environment: %s, %v", cfg.PublicMaxAge, err)
	}
	if cfg, err = parseJobFlags(t, "--public-max-age", "0s"); err != nil || cfg.PublicMaxAge != 0 {
		t.Fatalf("flag: %s, %v", cfg.PublicMaxAge, err)
	}
	for _, bad := range []string{"-1s", "25h"} {
		if _, err := parseJobFlags(t, "--public-max-age", bad); err == nil || !strings.Contains(err.Error(), "--public-max-age") {
			t.Errorf("--public-max-age %s: %v", bad, err)
		}
	}
}

func TestPageCacheBytes(t *testing.T) {
	cfg, err := parseJobFlags(t)
	if err != nil || cfg.PageCacheBytes != 8<<20 {
		t.Fatalf("default: %d, %v", cfg.PageCacheBytes, err)
	}
	t.Setenv("SISTERCITY_PAGE_CACHE_BYTES", "1048576")
	if cfg, err = parseJobFlags(t); err != nil || cfg.PageCacheBytes != 1<<20 {
		t.Fatalf("from the environment: %d, %v", cfg.PageCacheBytes, err)
	}
	if cfg, err = parseJobFlags(t, "--page-cache-bytes", "0"); err != nil || cfg.PageCacheBytes != 0 {
		t.Fatalf("flag: %d, %v", cfg.PageCacheBytes, err)
	}
	if _, err := parseJobFlags(t, "--page-cache-bytes", "-1"); err == nil || !strings.Contains(err.Error(), "--page-cache-bytes") {
		t.Errorf("--page-cache-bytes -1: %v", err)
	}
}
