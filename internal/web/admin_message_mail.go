package web

import (
	"net/url"

	"sistercity/internal/config"
	"sistercity/internal/email"
	"sistercity/internal/i18n"
	"sistercity/internal/messages"
)

// NotifyDeps completes base for the rejection mail's worker (messages.RegisterNotify): the SMTP
// server of cfg (none when --smtp-host is unset), the site's address for the status link, and the
// catalog's strings in the sender's language. serve and worker both register it.
func NotifyDeps(cat *i18n.Catalog, cfg config.Config, base messages.NotifyDeps) messages.NotifyDeps {
	base.BaseURL = cfg.BaseURL
	base.Texts = func(lang string) messages.Texts { return cat.Localizer(lang) }
	if cfg.MailOn() {
		hello := ""
		if u, err := url.Parse(cfg.BaseURL); err == nil {
			hello = u.Hostname()
		}
		base.Mail = &email.Settings{Host: cfg.SMTPHost, Port: cfg.SMTPPort, Username: cfg.SMTPUsername, Password: cfg.SMTPPassword,
			From: cfg.SMTPFrom, TLS: cfg.SMTPTLS, Timeout: cfg.SMTPTimeout, HelloName: hello}
	}
	return base
}
