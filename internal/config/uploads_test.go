package config

import (
	"strings"
	"testing"
	"time"
)

func TestUploadReservationFlags(t *testing.T) {
	cfg, err := parseJobFlags(t)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.UploadIdleExpiry != 2*time.Hour || cfg.UploadReservePerUser != 2*cfg.MaxUploadBytes {
		t.Errorf("defaults: idle expiry %s, reserve per user %d", cfg.UploadIdleExpiry, cfg.UploadReservePerUser)
	}
	t.Setenv("SISTERCITY_UPLOAD_IDLE_EXPIRY", "30m")
	cfg, err = parseJobFlags(t, "--upload-reserve-per-user", "5000000000")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.UploadIdleExpiry != 30*time.Minute || cfg.UploadReservePerUser != 5000000000 {
		t.Errorf("set: idle expiry %s, reserve per user %d", cfg.UploadIdleExpiry, cfg.UploadReservePerUser)
	}
	for _, args := range [][]string{{"--upload-idle-expiry", "10s"}, {"--upload-reserve-per-user", "-1"}} {
		if _, err := parseJobFlags(t, args...); err == nil || !strings.Contains(err.Error(), args[0]) {
			t.Errorf("%v: error %v", args, err)
		}
	}
}
