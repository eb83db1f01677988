package web

import (
	"context"
	"database/sql"
	"encoding/xml"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"sistercity/internal/civil"
	"sistercity/internal/exchange"
	"sistercity/internal/i18n"
	"sistercity/internal/langtext"
	"sistercity/internal/register"
	"sistercity/internal/track"
	"sistercity/internal/video"
)

// TestHomeLeadsWithVideos: every language's navigation has Videos; the home page shows the
// latest published video with its poster (lazy, sized, with the larger poster in srcset), its
// title and description in the page's language or the original marked with lang, the partner
// city, the date and the languages of its subtitles, and the coming milestones. The page is
// kept by the page cache, and publishing a video changes it at once.
func TestHomeLeadsWithVideos(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	anon := e.client()
	_, before := anon.get("/en/")
	if strings.Contains(before, `id="front-videos"`) {
		t.Fatal("the home page shows a videos section with no video published")
	}
	v := seedVideo(t, e, p, video.StateDraft, video.Text{Lang: "ru", Title: "Видеообращение Владивостока", Description: "Жители Владивостока поддерживают Пусан."},
		video.Text{Lang: "ko", Title: "블라디보스토크 응원 영상", Description: "블라디보스토크 시민들이 부산을 응원합니다."})
	addTrack(t, e, v.ID, "ko", track.StatusApproved, true, "안녕하세요")
	addTrack(t, e, v.ID, "ru", track.StatusApproved, false, "Здравствуйте")
	addTrack(t, e, v.ID, "en", track.StatusDraft, false, "Hello") // not public: not named
	if _, body := anon.get("/en/"); strings.Contains(body, `id="front-videos"`) {
		t.Fatal("a draft video is on the home page")
	}
	e.inTx(func(tx *sql.Tx) error {
		got, err := video.Get(context.Background(), tx, v.ID)
		if err != nil {
			return err
		}
		for _, st := range []string{video.StateInReview, video.StatePublished} {
			if err := video.SetState(context.Background(), tx, got, st, fixedNow); err != nil {
				return err
			}
		}
		return nil
	})
	id := itoa64(v.ID)
	img := regexp.MustCompile(`<img src="/media/videos/` + id + `/[^"]+" srcset="/media/videos/` + id + `/[^"]+ 320w, /media/videos/` + id +
		`/[^"]+ 640w" sizes="[^"]+" alt="" width="320" height="180" loading="lazy"`)
	for lang, want := range map[string][]string{
		"ko": {`<a href="/ko/videos">영상</a>`, `<a href="/ko/videos/` + id + `">블라디보스토크 응원 영상</a>`, "블라디보스토크 시민들이 부산을 응원합니다.",
			"블라디보스토크</span>", "자막: 한국어, 러시아어", "2020년", "다가오는 기념일"},
		"ru": {`<a href="/ru/videos">Видео</a>`, `<a href="/ru/videos/` + id + `">Видеообращение Владивостока</a>`, "Владивосток</span>",
			"Субтитры: корейский, русский", "Ближайшие памятные даты"},
		// No English text: the Russian original, marked as such, title and description.
		"en": {`<a href="/en/videos">Videos</a>`, `<a href="/en/videos/` + id + `" lang="ru">Видеообращение Владивостока</a> <span class="lang-marker">in Russian</span>`,
			`<p class="front-desc" lang="ru">Жители Владивостока поддерживают Пусан.</p>`, "Subtitles: Korean, Russian", "Coming milestones"},
	} {
		resp, body := anon.get("/" + lang + "/")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("/%s/: %d", lang, resp.StatusCode)
		}
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("/%s/ lacks %q", lang, w)
			}
		}
		if !img.MatchString(body) {
			t.Errorf("/%s/: no lazy, sized poster with srcset", lang)
		}
		if main := body[strings.Index(body, "<main"):]; strings.Contains(main, "English") || strings.Contains(main, "영어") ||
			strings.Contains(main, "английский") {
			t.Errorf("/%s/ names the draft track's language", lang)
		}
	}
	// Seen on 2020-07-10, the coming milestones are the signing's 29th anniversary
	// (2021-06-30), then Vladivostok's 161st (2021-07-02), in that order.
	_, en := anon.get("/en/")
	if i, j := strings.Index(en, `datetime="2021-06-30"`), strings.Index(en, `datetime="2021-07-02"`); i < 0 || j < 0 || i > j {
		t.Errorf("coming milestones not in order: %d %d", i, j)
	}
	// The partner page lists the video with its poster.
	if _, body := anon.get("/ko/partners/" + itoa64(p.PartnerCityID)); !img.MatchString(body) {
		t.Error("the partner page lacks the video's poster")
	}
}

// TestHomeNamesItsOwnCity: the home page's heading names the register's home city in the
// page's language, or no city while there is none or it has no name in that language; no
// install's home page or partner list speaks of Busan unless Busan is its city.
func TestHomeNamesItsOwnCity(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	anon := e.client()
	h1 := regexp.MustCompile(`<h1>([^<]*)</h1>`)
	heading := func(path string) string {
		t.Helper()
		resp, body := anon.get(path)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		for _, busan := range []string{"Busan", "부산", "Пусан"} {
			if strings.Contains(body, busan) {
				t.Errorf("%s speaks of %s", path, busan)
			}
		}
		m := h1.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("%s has no heading", path)
		}
		return m[1]
	}
	for _, lang := range []string{"ko", "ru", "en"} {
		heading("/" + lang + "/partners")
		if got, want := heading("/"+lang+"/"), e.shown(lang, "home.title_any"); got != want {
			t.Errorf("/%s/ without a home city: heading %q, want %q", lang, got, want)
		}
	}
	e.inTx(func(tx *sql.Tx) error {
		daegu := &register.City{Country: "KR", Kind: register.KindCity,
			Texts: []register.Text{{Lang: "en", Name: "Daegu"}, {Lang: "ko", Name: "대구"}}}
		if err := register.CreateCity(context.Background(), tx, daegu); err != nil {
			return err
		}
		return register.SetHomeCity(context.Background(), tx, daegu.ID)
	})
	for lang, want := range map[string]string{"ko": "대구의 자매도시", "en": "Sister cities of Daegu", "ru": "Города-побратимы и партнёры"} {
		if got := heading("/" + lang + "/"); got != want {
			t.Errorf("/%s/ of Daegu: heading %q, want %q", lang, got, want)
		}
	}
}

// TestNotFoundPage: an unknown public URL answers 404 with a page in the path's language that
// says so, offers a search of the videos and the ways back in, and is never kept by caches.
func TestNotFoundPage(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	c := e.client()
	for lang, title := range map[string]string{"ko": "페이지를 찾을 수 없습니다", "ru": "Страница не найдена", "en": "Page not found"} {
		resp, body := c.get("/" + lang + "/no/such/page")
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("/%s/no/such/page: %d, want 404", lang, resp.StatusCode)
		}
		if resp.Header.Get("Cache-Control") != privateNoStore {
			t.Errorf("a 404 may be cached: %q", resp.Header.Get("Cache-Control"))
		}
		for _, want := range []string{`<html lang="` + lang + `">`, "<h1>" + title + "</h1>", `<form method="get" action="/` + lang + `/videos"`,
			`role="search"`, `name="q" type="search"`, `<a href="/` + lang + `/partners">`, `<a href="/` + lang + `/videos">`,
			`<meta name="description" content="`} {
			if !strings.Contains(body, want) {
				t.Errorf("/%s 404 lacks %q", lang, want)
			}
		}
	}
}

// TestPublicHeads: every public page has a meta description, absolute hreflang alternates to
// its three languages and x-default; home, partner and video pages have OpenGraph and Twitter
// cards with og:locale and og:locale:alternate.
func TestPublicHeads(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, partner, p := seedVladivostok(t, e)
	v := seedVideo(t, e, p, video.StatePublished, video.Text{Lang: "en", Title: "Support from Vladivostok", Description: "Citizens cheer Busan on."})
	c := e.client()
	pid, vid := itoa64(partner.ID), itoa64(v.ID)
	cards := map[string]bool{"/": true, "/partners": false, "/partners/" + pid: true, "/videos": false, "/videos/" + vid: true, "/statistics": false}
	for rest, card := range cards {
		for _, lang := range []string{"ko", "ru", "en"} {
			path := "/" + lang + rest
			resp, body := c.get(path)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s: %d", path, resp.StatusCode)
			}
			head := body[:strings.Index(body, "</head>")]
			if !regexp.MustCompile(`<meta name="description" content="[^"]{20,}">`).MatchString(head) {
				t.Errorf("%s: no meta description", path)
			}
			for _, other := range []string{"ko", "ru", "en"} {
				if !strings.Contains(head, `<link rel="alternate" hreflang="`+other+`" href="`+e.ts.URL+"/"+other+rest+`">`) {
					t.Errorf("%s: no absolute hreflang %s", path, other)
				}
			}
			xdef := e.ts.URL + "/en" + rest
			if rest == "/" {
				xdef = e.ts.URL + "/"
			}
			if !strings.Contains(head, `hreflang="x-default" href="`+xdef+`"`) {
				t.Errorf("%s: x-default is not %s", path, xdef)
			}
			has := strings.Contains(head, `property="og:title"`) && strings.Contains(head, `name="twitter:card"`)
			if has != card {
				t.Errorf("%s: social card %v, want %v", path, has, card)
			}
			if !card {
				continue
			}
			locales := map[string]string{"ko": "ko_KR", "ru": "ru_RU", "en": "en_US"}
			if !strings.Contains(head, `<meta property="og:locale" content="`+locales[lang]+`">`) {
				t.Errorf("%s: og:locale", path)
			}
			for other, loc := range locales {
				if alt := strings.Contains(head, `<meta property="og:locale:alternate" content="`+loc+`">`); alt != (other != lang) {
					t.Errorf("%s: og:locale:alternate %s is %v", path, loc, alt)
				}
			}
			if !strings.Contains(head, `<meta property="og:url" content="`+e.ts.URL+path+`">`) {
				t.Errorf("%s: og:url", path)
			}
		}
	}
	_, watch := c.get("/en/videos/" + vid)
	for _, want := range []string{`<meta name="description" content="Citizens cheer Busan on.">`, `<meta name="twitter:card" content="summary_large_image">`,
		`<meta property="og:image" content="` + e.ts.URL + `/media/videos/` + vid + `/`, `<meta property="og:video:type" content="video/mp4">`} {
		if !strings.Contains(watch, want) {
			t.Errorf("watch page lacks %q", want)
		}
	}
}

// TestSitemapAndRobots: robots.txt names the sitemap; the sitemap is well-formed XML listing
// every public page in each language with its alternates, and each published video with the
// video extension: title, thumbnail, the embed as player, duration. Unpublished videos are not
// in it.
func TestSitemapAndRobots(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, partner, p := seedVladivostok(t, e)
	v := seedVideo(t, e, p, video.StatePublished, video.Text{Lang: "ru", Title: "Видеообращение"}, video.Text{Lang: "ko", Title: "응원 영상"})
	draft := seedVideo(t, e, p, video.StateDraft, video.Text{Lang: "en", Title: "Not yet"})
	c := e.client()
	_, robots := c.get("/robots.txt")
	if !strings.Contains(robots, "Disallow: /admin/") || !strings.Contains(robots, "Sitemap: "+e.ts.URL+"/sitemap.xml\n") {
		t.Errorf("robots.txt: %q", robots)
	}
	resp, body := c.get("/sitemap.xml")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/xml") {
		t.Fatalf("sitemap: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var set struct {
		URLs []struct {
			Loc   string `xml:"loc"`
			Links []struct {
				Hreflang string `xml:"hreflang,attr"`
				Href     string `xml:"href,attr"`
			} `xml:"http://www.w3.org/1999/xhtml link"`
			Videos []struct {
				Thumbnail string `xml:"thumbnail_loc"`
				Title     string `xml:"title"`
				Player    string `xml:"player_loc"`
				Duration  int    `xml:"duration"`
			} `xml:"http://www.google.com/schemas/sitemap-video/1.1 video"`
		} `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 url"`
	}
	if err := xml.Unmarshal([]byte(body), &set); err != nil {
		t.Fatalf("sitemap is not XML: %v", err)
	}
	locs := map[string]int{}
	for i, u := range set.URLs {
		locs[u.Loc] = i
		if len(u.Links) != 3 {
			t.Errorf("%s: %d alternates, want 3", u.Loc, len(u.Links))
		}
	}
	for _, lang := range []string{"ko", "ru", "en"} {
		for _, rest := range []string{"/", "/partners", "/videos", "/statistics", "/partners/" + itoa64(partner.ID), "/videos/" + itoa64(v.ID)} {
			if _, ok := locs[e.ts.URL+"/"+lang+rest]; !ok {
				t.Errorf("sitemap lacks /%s%s", lang, rest)
			}
		}
		u := set.URLs[locs[e.ts.URL+"/"+lang+"/videos/"+itoa64(v.ID)]]
		if len(u.Videos) != 1 {
			t.Fatalf("/%s video page: %d videos", lang, len(u.Videos))
		}
		sv := u.Videos[0]
		wantTitle := map[string]string{"ko": "응원 영상", "ru": "Видеообращение", "en": "Видеообращение"}[lang]
		if sv.Title != wantTitle || sv.Duration != 2 || !strings.HasPrefix(sv.Thumbnail, e.ts.URL+"/media/videos/") ||
			sv.Player != e.ts.URL+"/embed/videos/"+itoa64(v.ID)+"?lang="+lang {
			t.Errorf("/%s video entry: %+v", lang, sv)
		}
		if resp, _ := c.get(strings.TrimPrefix(sv.Player, e.ts.URL)); resp.StatusCode != http.StatusOK {
			t.Errorf("player location %s: %d", sv.Player, resp.StatusCode)
		}
	}
	if strings.Contains(body, "/videos/"+itoa64(draft.ID)+"<") || strings.Contains(body, "Not yet") {
		t.Error("the sitemap lists a draft video")
	}
}

// TestLanguageSwitchKeepsQuery: the language links of a page lead to the same page with the
// same query; an empty search says nothing was found, an empty filter that nothing matches.
func TestLanguageSwitchKeepsQuery(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	seedVideo(t, e, p, video.StatePublished, video.Text{Lang: "en", Title: "Support from Vladivostok"})
	c := e.client()
	q := url.Values{"q": {"зима <b>"}, "tag": {"support"}}.Encode()
	_, body := c.get("/ru/videos?" + q)
	for _, lang := range []string{"ko", "en"} {
		want := `<a href="/` + lang + `/videos?` + strings.NewReplacer("&", "&amp;", "+", "&#43;").Replace(q) + `" hreflang="` + lang + `"`
		if !strings.Contains(body, want) {
			t.Errorf("the switch to %s loses the query: want %s", lang, want)
		}
	}
	if !strings.Contains(body, "По запросу «зима &lt;b&gt;» ничего не найдено.") || strings.Contains(body, "Видео пока нет.") {
		t.Error("an empty search does not say nothing was found")
	}
	if _, body := c.get("/en/videos?tag=nothing"); !strings.Contains(body, "No video matches these filters.") {
		t.Error("an empty filter does not say nothing matches")
	}
	if _, body := c.get("/en/videos?q=Vladivostok"); strings.Contains(body, "Nothing was found") {
		t.Error("a search that finds says nothing was found")
	}
}

// TestStatisticsTablesReachableByKeyboard: each scrolling table is a focusable, named region.
func TestStatisticsTablesReachableByKeyboard(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	seedExchange(t, e, p)
	_, body := e.client().get("/en/statistics")
	wraps := regexp.MustCompile(`<div class="table-wrap"[^>]*>`).FindAllString(body, -1)
	if len(wraps) == 0 {
		t.Fatal("no table")
	}
	for _, w := range wraps {
		if !strings.Contains(w, `tabindex="0"`) || !strings.Contains(w, `role="region"`) || !strings.Contains(w, `aria-label="Table: `) {
			t.Errorf("table container not reachable or unnamed: %s", w)
		}
	}
}

// TestActivityStateNeverContradicts: a timeline line names one state, whatever the status and
// the day.
func TestActivityStateNeverContradicts(t *testing.T) {
	t.Parallel()
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	l := cat.Localizer("en")
	today := civil.MustParse("2020-07-10")
	past, future := civil.MustParse("2020-05-01"), civil.MustParse("2020-10-05")
	act := func(status, mode string, on civil.Date, reason string) *exchange.Activity {
		a := &exchange.Activity{Status: status, Mode: mode, Planned: exchange.Span{Start: exchange.OnDate(on)}}
		if reason != "" {
			a.History = []exchange.StatusChange{{Status: status, Reason: langtext.Of("en", reason)}}
		}
		return a
	}
	for _, c := range []struct {
		a            *exchange.Activity
		marker, note string
	}{
		{act(exchange.StatusHeld, exchange.ModeInPerson, past, ""), "", ""},
		{act(exchange.StatusHeld, exchange.ModeOnline, past, ""), "", "Online"},
		// Held is held, whatever the day says.
		{act(exchange.StatusHeld, exchange.ModeInPerson, future, ""), "", ""},
		{act(exchange.StatusPlanned, exchange.ModeInPerson, future, ""), "Planned", ""},
		{act(exchange.StatusConfirmed, exchange.ModeInPerson, future, ""), "Confirmed", ""},
		{act(exchange.StatusPostponed, exchange.ModeInPerson, future, ""), "Postponed", ""},
		{act(exchange.StatusPostponed, exchange.ModeInPerson, past, ""), "Postponed", ""},
		// Its day gone, never recorded as held: not "planned".
		{act(exchange.StatusPlanned, exchange.ModeInPerson, past, ""), "Not recorded as held", ""},
		{act(exchange.StatusConfirmed, exchange.ModeInPerson, past, ""), "Not recorded as held", ""},
		{act(exchange.StatusSwitchedOnline, exchange.ModeOnline, past, "COVID-19"), "", "Switched to online: COVID-19"},
		{act(exchange.StatusSwitchedOnline, exchange.ModeOnline, future, "COVID-19"), "Switched to online", "COVID-19"},
	} {
		marker, part := activityState(l, c.a, today)
		if note := part.Before + part.Typed + part.After; marker != c.marker || note != c.note {
			t.Errorf("%s on %s: %q (%+v), want %q (%q)", c.a.Status, c.a.Planned.Start.Date, marker, part, c.marker, c.note)
		}
	}
}
