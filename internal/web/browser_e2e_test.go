package web

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"sistercity/internal/auth"
	"sistercity/internal/register"
	"sistercity/internal/web/webtest"
)

// TestBrowserCreatePartnership is the office's first task in a real browser: sign in, add a
// partner city and its partnership through the admin's forms, and find the partnership on the
// public partner list in Russian with its age.
func TestBrowserCreatePartnership(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	home := &register.City{Country: "KR", Kind: register.KindCity, Texts: []register.Text{{Lang: "en", Name: "Busan"}, {Lang: "ru", Name: "Пусан"}}}
	e.inTx(func(tx *sql.Tx) error {
		if err := register.CreateCity(ctx, tx, home); err != nil {
			return err
		}
		if err := register.SetHomeCity(ctx, tx, home.ID); err != nil {
			return err
		}
		_, err := auth.CreateUser(ctx, tx, "officer", "Officer", testPassword, auth.RoleEditor)
		return err
	})
	b := webtest.Browser(t)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(b, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	step("sign in",
		chromedp.Navigate(e.ts.URL+"/admin/sign-in?lang=ru"),
		chromedp.SendKeys(css("#username"), "officer"),
		chromedp.SendKeys(css("#password"), testPassword),
		chromedp.Click(css("main form button[type=submit]")),
		chromedp.WaitVisible(css(`a[href="/admin/partnerships"]`)),
	)
	step("add the partner city",
		chromedp.Navigate(e.ts.URL+"/admin/cities/new"),
		chromedp.SendKeys(css("#f-name_en"), "Nakhodka"),
		chromedp.SendKeys(css("#f-name_ru"), "Находка"),
		chromedp.SendKeys(css("#f-name_ko"), "나홋카"),
		chromedp.SetValue(css("#f-country"), "RU"),
		chromedp.Click(css("main form.form button[type=submit]")),
		chromedp.WaitVisible(css("p.notice")),
	)
	cities, err := register.Cities(ctx, e.db.R)
	if err != nil || len(cities) != 2 {
		t.Fatalf("after adding a city: %d cities, %v", len(cities), err)
	}
	partner := cities[1]
	step("add the partnership",
		chromedp.Navigate(e.ts.URL+"/admin/partnerships/new"),
		chromedp.SetValue(css("#f-partner_city_id"), strconv.FormatInt(partner.ID, 10)),
		chromedp.SetValue(css("#f-type"), register.TypeSister),
		chromedp.SetValue(css("#f-signed_on"), "1991-09-20"),
		chromedp.Click(css("main form.form button[type=submit]")),
		chromedp.WaitVisible(css("p.notice")),
	)
	step("open the Russian partner list", chromedp.Navigate(e.ts.URL+"/ru/partners"), chromedp.WaitVisible(css("main h1")))
	text, err := chromedp.Run(b, chromedp.Text(css("main")))
	if err != nil {
		t.Fatal(err)
	}
	// The test clock stands on 2020-07-10: 28 years since 1991-09-20.
	for _, want := range []string{"Находка", "Партнёры уже 28 лет", "Подписано 20 сентября 1991 г."} {
		if !strings.Contains(text, want) {
			t.Errorf("/ru/partners in the browser lacks %q:\n%s", want, text)
		}
	}
}
