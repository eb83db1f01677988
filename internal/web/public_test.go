package web

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"sistercity/internal/civil"
	"sistercity/internal/config"
	"sistercity/internal/langtext"
	"sistercity/internal/register"
)

// seedVladivostok registers Busan as home and Vladivostok as its sister city since 1992-06-30.
func seedVladivostok(t testing.TB, e *testEnv) (home, partner *register.City, p *register.Partnership) {
	t.Helper()
	ctx := context.Background()
	home = &register.City{Country: "KR", Kind: register.KindCity,
		Texts: []register.Text{{Lang: "en", Name: "Busan"}, {Lang: "ko", Name: "부산"}, {Lang: "ru", Name: "Пусан"}}}
	partner = &register.City{Country: "RU", Kind: register.KindCity, FoundedOn: civil.MustParse("1860-07-02"),
		Texts: []register.Text{{Lang: "en", Name: "Vladivostok"}, {Lang: "ko", Name: "블라디보스토크"}, {Lang: "ru", Name: "Владивосток"}}}
	e.inTx(func(tx *sql.Tx) error {
		if err := register.CreateCity(ctx, tx, home); err != nil {
			return err
		}
		if err := register.SetHomeCity(ctx, tx, home.ID); err != nil {
			return err
		}
		if err := register.CreateCity(ctx, tx, partner); err != nil {
			return err
		}
		p = &register.Partnership{HomeCityID: home.ID, PartnerCityID: partner.ID, Type: register.TypeSister,
			SignedOn: civil.MustParse("1992-06-30"), SignedAt: langtext.Texts{"en": "Vladivostok", "ru": "Владивосток"}, Status: register.StatusActive}
		return register.CreatePartnership(ctx, tx, p, 0)
	})
	return home, partner, p
}

func TestPartnerListShowsAgeInEachLanguage(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, partner, _ := seedVladivostok(t, e)
	c := e.client()
	// The test clock stands on 2020-07-10, the day of the press release: 28 years.
	for lang, want := range map[string][]string{
		"ru": {"Владивосток", "28 лет", `lang="ru"`},
		"en": {"Vladivostok", "28 years"},
		"ko": {"블라디보스토크", "28년"},
	} {
		resp, body := c.get("/" + lang + "/partners")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", lang, resp.StatusCode)
		}
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("/%s/partners lacks %q", lang, w)
			}
		}
		for _, other := range []string{"ko", "ru", "en"} {
			if !strings.Contains(body, `hreflang="`+other+`"`) {
				t.Errorf("/%s/partners lacks the hreflang alternate for %s", lang, other)
			}
		}
	}
	resp, body := c.get("/ru/partners/" + strconv.FormatInt(partner.ID, 10))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "30 июня 1992 г.") || !strings.Contains(body, "2 июля 1860 г.") {
		t.Fatalf("partner page: status %d, missing dates\n%s", resp.StatusCode, body)
	}
}

func TestRootNegotiatesLanguage(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	for header, want := range map[string]string{"ko": "/ko/", "ru-RU,ru;q=0.9": "/ru/", "fr": "/en/", "": "/en/"} {
		c := e.client()
		c.lang = header
		resp, _ := c.get("/")
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != want {
			t.Errorf("Accept-Language %q: %d → %q, want %s", header, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}
}

func TestUnknownPagesAre404InTheReadersLanguage(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	c := e.client()
	c.lang = "ru"
	for _, path := range []string{"/xx/partners", "/de/", "/ru/partners/999", "/ru/partners/abc", "/ru/nothing"} {
		resp, body := c.get(path)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", path, resp.StatusCode)
		}
		if !strings.Contains(body, "Страница не найдена.") {
			t.Errorf("%s: the 404 page is not in Russian", path)
		}
	}
}

func TestHealthAndMetrics(t *testing.T) {
	t.Parallel()
	e := newLimitsEnv(t, func(c *config.Config) { c.MetricsToken = "s3cret" }, nil)
	c := e.client()
	if resp, body := c.get("/healthz"); resp.StatusCode != 200 || body != "ok\n" {
		t.Fatalf("healthz: %d %q", resp.StatusCode, body)
	}
	c.get("/en/partners")
	req, _ := http.NewRequest("GET", e.ts.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	body := string(b)
	for _, want := range []string{
		`sistercity_http_requests_total{method="GET",route="GET /en/partners",status="200"} 1`,
		"sistercity_http_request_duration_seconds_bucket",
		"go_sql_open_connections",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
