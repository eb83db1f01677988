package web

import (
	"github.com/alexedwards/scs/v2"

	"sistercity/internal/auth"
	"sistercity/internal/config"
	"sistercity/internal/db"
)

func newSessions(d *db.DB, cfg config.Config) *scs.SessionManager {
	return auth.NewSessionManager(d, cfg.SessionLifetime, cfg.SecureCookies)
}
