package web

import (
	"context"
	"database/sql"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"sistercity/internal/civil"
	"sistercity/internal/exchange"
	"sistercity/internal/langtext"
	"sistercity/internal/milestone"
	"sistercity/internal/register"
	"sistercity/internal/visibility"
)

// seedExchange adds to seedVladivostok's register the story's exchanges: the relations of
// Korea and Russia, the 2019 visit (held), Busan Day (switched to online, titled only in
// English and Russian), a youth exchange planned for the autumn and a cancelled one.
func seedExchange(t testing.TB, e *testEnv, p *register.Partnership) map[string]*exchange.Activity {
	t.Helper()
	ctx := context.Background()
	day := func(s string) exchange.Span { return exchange.Span{Start: exchange.OnDate(civil.MustParse(s))} }
	acts := map[string]*exchange.Activity{
		"visit": {Kind: exchange.KindOutboundVisit, Status: exchange.StatusHeld, Mode: exchange.ModeInPerson, FirstMode: exchange.ModeInPerson,
			Texts: []exchange.Text{{Lang: "en", Title: "Official visit of the Busan delegation"}, {Lang: "ko", Title: "부산시 대표단 공식 방문"},
				{Lang: "ru", Title: "Официальный визит делегации Пусана"}}, Planned: day("2019-09-04"), Actual: day("2019-09-04")},
		"busan_day": {Kind: exchange.KindCulturalEvent, Status: exchange.StatusPlanned, Visibility: visibility.Public, Mode: exchange.ModeInPerson, FirstMode: exchange.ModeInPerson,
			Texts:   []exchange.Text{{Lang: "en", Title: "Busan Day in Vladivostok"}, {Lang: "ru", Title: "День Пусана во Владивостоке"}},
			Planned: day("2020-07-04")},
		"youth": {Kind: exchange.KindYouth, Status: exchange.StatusConfirmed, Mode: exchange.ModeInPerson, FirstMode: exchange.ModeInPerson,
			Texts: []exchange.Text{{Lang: "en", Title: "Youth camp"}, {Lang: "ko", Title: "청소년 캠프"}}, Planned: day("2020-10-05")},
		"cancelled": {Kind: exchange.KindSports, Status: exchange.StatusCancelled, Mode: exchange.ModeInPerson, FirstMode: exchange.ModeInPerson,
			Texts: []exchange.Text{{Lang: "en", Title: "Friendly match"}}, Planned: day("2020-05-01")},
	}
	e.inTx(func(tx *sql.Tx) error {
		if err := milestone.CreateRelation(ctx, tx, &milestone.Relation{CountryA: "KR", CountryB: "RU", EstablishedOn: civil.MustParse("1990-09-30")}); err != nil {
			return err
		}
		for _, a := range acts {
			a.Partnerships, a.OrganiserKind = []int64{p.ID}, exchange.OrganiserCity
			if err := exchange.Create(ctx, tx, a, civil.MustParse("2019-01-10"), nil, 0); err != nil {
				return err
			}
		}
		bd := acts["busan_day"]
		bd.Status, bd.Mode = exchange.StatusSwitchedOnline, exchange.ModeOnline
		return exchange.Update(ctx, tx, bd, civil.MustParse("2020-06-15"), langtext.Of(langtext.Und, "COVID-19"), 0)
	})
	return acts
}

func TestPartnerTimeline(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, partner, p := seedVladivostok(t, e)
	seedExchange(t, e, p)
	c := e.client()
	path := "/" + "%s" + "/partners/" + itoa64(partner.ID)

	resp, body := c.get(strings.Replace(path, "%s", "ko", 1))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("partner page: %d", resp.StatusCode)
	}
	timeline := body[strings.Index(body, `<ol class="timeline">`):]
	timeline = timeline[:strings.Index(timeline, "</ol>")]
	for _, want := range []string{
		"부산시 대표단 공식 방문",
		// Busan Day has no Korean title: the English one, marked as English, with its switch.
		`<span lang="en">Busan Day in Vladivostok</span>`, "비대면 전환: COVID-19",
		// Still ahead on 2020-07-10 and confirmed: marked as confirmed, and nothing else.
		`<strong class="marker">확정</strong> <span>청소년 교류</span>: <span>청소년 캠프</span></li>`,
		"블라디보스토크 건설 160주년", "대한민국–러시아 수교 30주년",
		"블라디보스토크 결연 25주년", "<strong class=\"marker\">예정</strong> <span>결연 기념일</span>: <span>블라디보스토크 결연 30주년</span>",
	} {
		if !strings.Contains(timeline, want) {
			t.Errorf("Korean timeline lacks %q", want)
		}
	}
	// Not round, cancelled: left out.
	for _, unwanted := range []string{"결연 28주년", "Friendly match", "건설 159주년"} {
		if strings.Contains(timeline, unwanted) {
			t.Errorf("Korean timeline has %q", unwanted)
		}
	}
	// In order of date.
	dates := regexp.MustCompile(`<time datetime="([0-9-]+)">`).FindAllStringSubmatch(timeline, -1)
	for i := 1; i < len(dates); i++ {
		if dates[i][1] < dates[i-1][1] {
			t.Fatalf("timeline out of order at %s", dates[i][1])
		}
	}
	_, body = c.get(strings.Replace(path, "%s", "ru", 1))
	for _, want := range []string{"День Пусана во Владивостоке", "Переведено в онлайн-формат: COVID-19",
		"Владивосток: 160 лет со дня основания", "Республика Корея — Россия: 30 лет дипломатическим отношениям"} {
		if !strings.Contains(body, want) {
			t.Errorf("Russian timeline lacks %q", want)
		}
	}
	if strings.Contains(body, `lang="en">Busan Day`) {
		t.Error("the Russian page shows Busan Day in English")
	}
}
