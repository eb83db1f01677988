package web

import (
	"context"
	"database/sql"
	"net/http"
	"strings"
	"testing"
	"time"

	arran "github.com/arran4/golang-ical"
	emersion "github.com/emersion/go-ical"

	"sistercity/internal/civil"
	"sistercity/internal/exchange"
	"sistercity/internal/langtext"
	"sistercity/internal/register"
)

func TestCalendarFeeds(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	home, partner, p := seedVladivostok(t, e)
	acts := seedExchange(t, e, p)
	// The April video conference with Saint Petersburg, at 16:00 in Busan.
	spb := addCity(t, e, "Saint Petersburg", "RU")
	ctx := context.Background()
	sp := &register.Partnership{HomeCityID: home.ID, PartnerCityID: spb.ID, Type: register.TypeSister,
		SignedOn: civil.MustParse("2008-06-11"), Status: register.StatusActive}
	start, _ := exchange.MomentAt(civil.MustParse("2020-04-22"), 16, 0, "Asia/Seoul")
	end, _ := exchange.MomentAt(civil.MustParse("2020-04-22"), 17, 30, "Asia/Seoul")
	conf := &exchange.Activity{Kind: exchange.KindVideoConference, Status: exchange.StatusHeld, Mode: exchange.ModeOnline,
		FirstMode: exchange.ModeOnline, OrganiserKind: exchange.OrganiserCity,
		Texts:   []exchange.Text{{Lang: "en", Title: "Video conference on the COVID-19 response"}, {Lang: "ko", Title: "코로나19 대응 화상회의"}},
		Planned: exchange.Span{Start: start, End: end}, Venue: langtext.Texts{"en": "Online (Zoom)", "ru": "Онлайн (Zoom)"}}
	e.inTx(func(tx *sql.Tx) error {
		if err := register.CreatePartnership(ctx, tx, sp, 0); err != nil {
			return err
		}
		conf.Partnerships = []int64{sp.ID}
		return exchange.Create(ctx, tx, conf, civil.MustParse("2020-04-01"), nil, 0)
	})

	c := e.client()
	host := "127.0.0.1"
	var resp *http.Response
	var body string // the Korean feed
	step := func(name string, fn func(t *testing.T)) {
		if !t.Run(name, fn) {
			t.FailNow()
		}
	}

	step("the city's feed has the anniversaries and activities, in the reader's language", func(t *testing.T) {
		resp, body = c.get("/ko/calendar.ics")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("/ko/calendar.ics: %d", resp.StatusCode)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "text/calendar; charset=utf-8" {
			t.Errorf("Content-Type %q", ct)
		}
		if cc := resp.Header.Get("Cache-Control"); !strings.HasPrefix(cc, "public, max-age=") || resp.Header.Get("ETag") == "" {
			t.Errorf("caching: %q, ETag %q", cc, resp.Header.Get("ETag"))
		}
		cal, err := arran.ParseCalendar(strings.NewReader(body))
		if err != nil {
			t.Fatalf("golang-ical cannot parse the feed: %v", err)
		}
		byUID := map[string]*arran.VEvent{}
		for _, ev := range cal.Events() {
			byUID[ev.Id()] = ev
		}
		anniversary := byUID["partnership-"+itoa64(p.ID)+"@"+host]
		if anniversary == nil {
			t.Fatalf("no anniversary of the Busan–Vladivostok partnership among %d events", len(byUID))
		}
		if prop := anniversary.GetProperty(arran.ComponentPropertyDtStart); prop == nil || prop.Value != "19920630" {
			t.Errorf("anniversary DTSTART: %+v", prop)
		}
		if prop := anniversary.GetProperty(arran.ComponentPropertyRrule); prop == nil || prop.Value != "FREQ=YEARLY" {
			t.Errorf("anniversary RRULE: %+v", prop)
		}
		if got := anniversary.GetProperty(arran.ComponentPropertySummary).Value; got != "블라디보스토크 결연 기념일(1992년 체결)" {
			t.Errorf("anniversary summary: %q", got)
		}
		// The venue has no Korean text: the English one, with its language.
		if ev := byUID["activity-"+itoa64(conf.ID)+"@"+host]; ev == nil {
			t.Error("no video conference in the feed")
		} else if loc := ev.GetProperty(arran.ComponentPropertyLocation); loc == nil || loc.Value != "Online (Zoom)" ||
			len(loc.ICalParameters["LANGUAGE"]) != 1 || loc.ICalParameters["LANGUAGE"][0] != "en" {
			t.Errorf("venue of the video conference: %+v", loc)
		}
		if byUID["founding-"+itoa64(partner.ID)+"@"+host] == nil {
			t.Error("no founding anniversary of Vladivostok")
		}
		if ev := byUID["activity-"+itoa64(acts["cancelled"].ID)+"@"+host]; ev == nil || ev.GetProperty(arran.ComponentPropertyStatus).Value != "CANCELLED" {
			t.Error("the cancelled activity is not in the feed as cancelled")
		}
		busanDay := byUID["activity-"+itoa64(acts["busan_day"].ID)+"@"+host]
		if busanDay == nil {
			t.Fatal("no Busan Day")
		}
		if prop := busanDay.GetProperty(arran.ComponentPropertySummary); prop.Value != "Busan Day in Vladivostok" || prop.ICalParameters["LANGUAGE"][0] != "en" {
			t.Errorf("Busan Day's summary in English, marked so: %+v", prop)
		}
		if desc := busanDay.GetProperty(arran.ComponentPropertyDescription).Value; !strings.Contains(desc, "비대면 전환: COVID-19") {
			t.Errorf("Busan Day's description: %q", desc)
		}
	})

	step("an activity's time keeps its zone, read back by a second library", func(t *testing.T) {
		dec, err := emersion.NewDecoder(strings.NewReader(body)).Decode()
		if err != nil {
			t.Fatalf("go-ical cannot parse the feed: %v", err)
		}
		found := false
		for _, ev := range dec.Events() {
			if uid, _ := ev.Props.Text("UID"); uid == "activity-"+itoa64(conf.ID)+"@"+host {
				found = true
				s, err := ev.DateTimeStart(nil)
				if err != nil || !s.Equal(time.Date(2020, 4, 22, 7, 0, 0, 0, time.UTC)) {
					t.Errorf("conference start: %v %v", s, err)
				}
				if ev.Props.Get("DTSTART").Params.Get("TZID") != "Asia/Seoul" {
					t.Error("conference start without its TZID")
				}
			}
		}
		if !found || !strings.Contains(body, "BEGIN:VTIMEZONE\r\nTZID:Asia/Seoul\r\n") {
			t.Error("no conference, or no VTIMEZONE for Asia/Seoul")
		}
	})

	step("a request with the feed's ETag is a 304", func(t *testing.T) {
		req, _ := http.NewRequest("GET", e.ts.URL+"/ko/calendar.ics", nil)
		req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
		resp2, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp2.Body.Close()
		if resp2.StatusCode != http.StatusNotModified {
			t.Errorf("conditional request: %d", resp2.StatusCode)
		}
	})

	step("a partner's feed has its own activities and milestones only", func(t *testing.T) {
		resp, body := c.get("/ru/partners/" + itoa64(spb.ID) + "/calendar.ics")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("partner feed: %d", resp.StatusCode)
		}
		cal, err := arran.ParseCalendar(strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		uids := map[string]bool{}
		for _, ev := range cal.Events() {
			uids[ev.Id()] = true
		}
		if !uids["activity-"+itoa64(conf.ID)+"@"+host] || !uids["partnership-"+itoa64(sp.ID)+"@"+host] || !uids["relations-1@"+host] {
			t.Errorf("Saint Petersburg's feed: %v", uids)
		}
		if uids["partnership-"+itoa64(p.ID)+"@"+host] || uids["activity-"+itoa64(acts["busan_day"].ID)+"@"+host] {
			t.Errorf("Saint Petersburg's feed has Vladivostok's items: %v", uids)
		}
		for _, path := range []string{"/ru/partners/" + itoa64(home.ID) + "/calendar.ics", "/ru/partners/999/calendar.ics", "/ru/partners/x/calendar.ics"} {
			if resp, _ := c.get(path); resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s: %d", path, resp.StatusCode)
			}
		}
		// The partner page links to its feed.
		if _, body := c.get("/en/partners/" + itoa64(partner.ID)); !strings.Contains(body, `href="/en/partners/`+itoa64(partner.ID)+`/calendar.ics"`) {
			t.Error("the partner page does not link to its calendar")
		}
	})
}
