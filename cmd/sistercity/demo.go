package main

import (
	"bytes"
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io"
	"log/slog"

	"sistercity/internal/auth"
	"sistercity/internal/civil"
	"sistercity/internal/db"
	"sistercity/internal/register"
)

// The demo data: Busan's sister and friendship cities as the city publishes them (as of January
// 2022, copied unchanged from the project's shared data), and the facts of the 2020 press
// release the project comes from — Vladivostok's and Saint Petersburg's founding dates, city
// days and time zones, and the date Los Angeles records for its partnership with Busan.
//
//go:embed demo/busan-partners.csv demo/story.csv
var demoFiles embed.FS

// busan is the demo's home city.
var busan = register.City{
	Country:  "KR",
	Kind:     register.KindCity,
	Timezone: "Asia/Seoul",
	Wikidata: "Q16520",
	// Resident registration at the end of 2019, which the situation reports' comparison per
	// 100,000 inhabitants divides by.
	Population: &busanPopulation,
	StatsAsOf:  civil.Date{Year: 2019, Month: 12, Day: 31},
	Texts: []register.Text{
		{Lang: "en", Name: "Busan", Description: "Korea's second city and largest port"},
		{Lang: "ko", Name: "부산", Description: "대한민국 제2의 도시이자 최대의 항구도시"},
		{Lang: "ru", Name: "Пусан", Description: "Второй по величине город и крупнейший порт Кореи"},
	},
}

var busanPopulation int64 = 3413841

// figuresAsOf dates the population and area figures of busan-partners.csv.
var figuresAsOf = civil.Date{Year: 2022, Month: 1, Day: 1}

// loadDemo loads the demo data; running it again changes nothing.
func loadDemo(ctx context.Context, d *db.DB, stdout io.Writer, log *slog.Logger) error {
	for _, name := range []string{"demo/busan-partners.csv", "demo/story.csv"} {
		body, err := demoFiles.ReadFile(name)
		if err != nil {
			return err
		}
		f, err := register.ReadCSV(bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("demo: %s: %w", name, explain(err))
		}
		addDemoPopulations(f)
		home := busan
		var res *register.ImportResult
		err = d.InTx(ctx, func(tx *sql.Tx) error {
			res, err = register.Import(ctx, tx, f, register.ImportOptions{HomeCity: &home, StatsAsOf: figuresAsOf})
			if err != nil {
				return err
			}
			if res.CitiesCreated+res.CitiesUpdated+res.PartnershipsCreated+res.PartnershipsUpdated == 0 {
				return nil
			}
			return auth.Audit(ctx, tx, nil, auth.ActionImport, auth.EntityRegister, 0, nil, res.Summary())
		})
		if err != nil {
			return fmt.Errorf("demo: %s: %w", name, explain(err))
		}
		log.Info("demo data", "file", name, "cities_created", res.CitiesCreated, "cities_updated", res.CitiesUpdated,
			"partnerships_created", res.PartnershipsCreated, "partnerships_updated", res.PartnershipsUpdated)
	}
	if err := loadExchangeDemo(ctx, d, log); err != nil {
		return err
	}
	if err := loadIdentityDemo(ctx, d, log); err != nil {
		return err
	}
	if err := loadMessagesDemo(ctx, d, log); err != nil {
		return err
	}
	if err := ensureAdmin(ctx, d, stdout, log); err != nil {
		return err
	}
	// After the admin: that account is made only while there is none.
	return loadReportsDemo(ctx, d, stdout, log)
}

// ensureAdmin creates the account "admin" when the instance has no account yet, and prints its
// password once: it is stored only as a hash.
func ensureAdmin(ctx context.Context, d *db.DB, stdout io.Writer, log *slog.Logger) error {
	users, err := auth.Users(ctx, d.R)
	if err != nil {
		return err
	}
	if len(users) > 0 {
		return nil
	}
	password := auth.RandomPassword()
	err = d.InTx(ctx, func(tx *sql.Tx) error {
		u, err := auth.CreateUser(ctx, tx, "admin", "Administrator", password, auth.RoleAdmin)
		if err != nil {
			return err
		}
		return auth.Audit(ctx, tx, nil, auth.ActionCreate, auth.EntityUser, u.ID, nil, map[string]string{"username": "admin", "role": "admin"})
	})
	if err != nil {
		return fmt.Errorf("demo: create admin: %w", err)
	}
	log.Info("created the demo admin account", "username", "admin")
	fmt.Fprintf(stdout, "\n  Sign in at /admin/ as admin with the password: %s\n  (shown only this once)\n\n", password)
	return nil
}
