package web

import (
	"bytes"
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"sistercity/internal/civil"
	"sistercity/internal/register"
	"sistercity/internal/track"
	"sistercity/internal/video"
)

// benchSite is a server on the demo's register (the CSV files serve --demo loads), with the
// story's exchanges and a published video with a Russian track linked to Vladivostok.
type benchSite struct {
	e           *testEnv
	vlad, video int64
}

func newBenchSite(b *testing.B) *benchSite {
	b.Helper()
	e := newTestEnv(b)
	ctx := context.Background()
	home := &register.City{Country: "KR", Kind: register.KindCity, Timezone: "Asia/Seoul",
		Texts: []register.Text{{Lang: "en", Name: "Busan"}, {Lang: "ko", Name: "부산"}, {Lang: "ru", Name: "Пусан"}}}
	for _, name := range []string{"busan-partners.csv", "story.csv"} {
		body, err := os.ReadFile(filepath.Join("..", "..", "cmd", "sistercity", "demo", name))
		if err != nil {
			b.Fatal(err)
		}
		f, err := register.ReadCSV(bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		e.inTx(func(tx *sql.Tx) error {
			_, err := register.Import(ctx, tx, f, register.ImportOptions{HomeCity: home,
				StatsAsOf: civil.MustParse("2022-01-01")})
			return err
		})
	}
	all, err := register.Partnerships(ctx, e.db.R)
	if err != nil {
		b.Fatal(err)
	}
	var vlad *register.Partnership
	for _, p := range all {
		if p.PartnerCity != nil && p.PartnerCity.Name("en") == "Vladivostok" {
			vlad = p
		}
	}
	if vlad == nil {
		b.Fatal("the demo register has no Vladivostok")
	}
	seedExchange(b, e, vlad)
	v := seedVideo(b, e, vlad, video.StatePublished, ruOnly)
	addTrack(b, e, v.ID, "ru", track.StatusApproved, true, "Дорогие жители Пусана!", "Мы с вами.")
	return &benchSite{e: e, vlad: vlad.PartnerCityID, video: v.ID}
}

// BenchmarkPublicPages renders each public page for an anonymous visitor through the whole
// handler chain (middleware, queries, template), without compression: time and allocations
// per render. "cached" runs with the page cache on (the default); "rendered" with it off,
// which is the work behind a page the cache does not hold.
func BenchmarkPublicPages(b *testing.B) {
	site := newBenchSite(b)
	pages := []struct{ name, path string }{
		{"home", "/ko/"},
		{"partners", "/ko/partners"},
		{"partner", "/ko/partners/" + itoa64(site.vlad)},
		{"videos", "/ko/videos"},
		{"watch", "/ko/videos/" + itoa64(site.video)},
		{"calendar", "/ko/calendar.ics"},
		{"statistics", "/ko/statistics"},
	}
	cache := site.e.srv.pageCache
	for _, mode := range []string{"rendered", "cached"} {
		for _, pg := range pages {
			b.Run(mode+"/"+pg.name, func(b *testing.B) {
				site.e.srv.pageCache = nil
				if mode == "cached" {
					site.e.srv.pageCache = cache
				}
				b.ReportAllocs()
				for b.Loop() {
					w := httptest.NewRecorder()
					site.e.srv.ServeHTTP(w, httptest.NewRequest(http.MethodGet, pg.path, nil))
					if w.Code != http.StatusOK {
						b.Fatalf("%s: %d", pg.path, w.Code)
					}
				}
			})
		}
	}
	site.e.srv.pageCache = cache
}
