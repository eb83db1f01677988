package config

import (
	"strings"
	"testing"
	"time"
)

func TestSMTPSettings(t *testing.T) {
	cfg, err := parseJobFlags(t)
	if err != nil || cfg.MailOn() {
		t.Fatalf("default: mail off, no error: %v", err)
	}
	path := writeFile(t, `
base-url = "https://busan.example"
smtp-host = "mail.busan.example"
smtp-port = 465
smtp-tls = "tls"
smtp-username = "city"
smtp-from = "Busan City <noreply@busan.example>"
smtp-timeout = "10s"
`)
	t.Setenv("SISTERCITY_SMTP_PASSWORD", "s3cret-pa55")
	cfg, err = parseJobFlags(t, "--config", path)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.MailOn() || cfg.SMTPPort != 465 || cfg.SMTPTLS != "tls" || cfg.SMTPPassword != "s3cret-pa55" || cfg.SMTPTimeout != 10*time.Second {
		t.Errorf("from the file and the environment: %+v", cfg)
	}
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"no base url":    {[]string{"--smtp-host", "mail.example", "--smtp-from", "a@example.org"}, "--base-url"},
		"no sender":      {[]string{"--base-url", "https://x.example", "--smtp-host", "mail.example"}, "--smtp-from"},
		"sender with CR": {[]string{"--base-url", "https://x.example", "--smtp-host", "mail.example", "--smtp-from", "a@example.org\r\nBcc: b@example.org"}, "--smtp-from"},
		"port in host":   {[]string{"--base-url", "https://x.example", "--smtp-host", "mail.example:25", "--smtp-from", "a@example.org"}, "--smtp-port"},
		"bad mode":       {[]string{"--base-url", "https://x.example", "--smtp-host", "mail.example", "--smtp-from", "a@example.org", "--smtp-tls", "ssl"}, "--smtp-tls"},
		"password in clear": {[]string{"--base-url", "https://x.example", "--smtp-host", "mail.example", "--smtp-from", "a@example.org", "--smtp-tls", "none",
			"--smtp-username", "u", "--smtp-password", "hunter2-secret"}, "unencrypted"},
		"short timeout": {[]string{"--base-url", "https://x.example", "--smtp-host", "mail.example", "--smtp-from", "a@example.org", "--smtp-timeout", "10ms"}, "--smtp-timeout"},
	} {
		_, err := parseJobFlags(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error about %s", name, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2-secret") {
			t.Errorf("%s: the password is in the error: %v", name, err)
		}
	}
	// A relay on this machine may be reached in plain text, with a password.
	if _, err := parseJobFlags(t, "--base-url", "https://x.example", "--smtp-host", "127.0.0.1", "--smtp-port", "25", "--smtp-from", "a@example.org",
		"--smtp-tls", "none", "--smtp-username", "u", "--smtp-password", "p"); err != nil {
		t.Errorf("loopback relay: %v", err)
	}
}
