package main

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"log/slog"

	"sistercity/internal/db"
	"sistercity/internal/i18n"
	"sistercity/internal/identity"
)

// The demo's site identity: Busan Metropolitan City's name in the site's languages, a logo and
// favicon drawn for the demo (the sun over the harbour's waves; no artwork of the city's), its
// blue as the accent, a footer and the city's web site. Set once: an identity an
// administrator changed is left as it is.
//
//go:embed demo/busan-logo.svg demo/busan-favicon.svg
var demoIdentityFiles embed.FS

var busanIdentity = identity.Identity{
	Names: map[string]string{"ko": "부산광역시", "ru": "Пусан", "en": "Busan Metropolitan City"},
	Footers: map[string]string{
		"ko": "부산광역시 국제교류 — 자매·우호도시와 함께하는 교류 기록",
		"ru": "Пусан — международное сотрудничество с городами-побратимами и городами-партнёрами",
		"en": "Busan Metropolitan City — international exchanges with its sister and friendship cities",
	},
	Accent:   "#00539f",
	Contacts: []string{"https://www.busan.go.kr", "https://english.busan.go.kr"},
}

func loadIdentityDemo(ctx context.Context, d *db.DB, log *slog.Logger) error {
	cat, err := i18n.Load()
	if err != nil {
		return err
	}
	id := busanIdentity
	if f := identity.Check(&id, cat.Languages()); len(f) > 0 {
		return fmt.Errorf("demo: identity: %w", f)
	}
	assets := map[string]identity.Asset{}
	for kind, name := range map[string]string{identity.KindLogo: "demo/busan-logo.svg", identity.KindFavicon: "demo/busan-favicon.svg"} {
		body, err := demoIdentityFiles.ReadFile(name)
		if err != nil {
			return err
		}
		a, err := identity.CheckImage(kind, body)
		if err != nil {
			return fmt.Errorf("demo: %s: %w", name, err)
		}
		assets[kind] = a
	}
	set := false
	err = d.InTx(ctx, func(tx *sql.Tx) error {
		current, err := identity.Load(ctx, tx)
		if err != nil {
			return err
		}
		if len(current.Names) > 0 || current.Logo != nil || current.Accent != "" {
			return nil
		}
		set = true
		if err := identity.Save(ctx, tx, id); err != nil {
			return err
		}
		for kind, a := range assets {
			if err := identity.SaveAsset(ctx, tx, kind, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("demo: identity: %w", err)
	}
	log.Info("demo data", "identity_set", set)
	return nil
}
