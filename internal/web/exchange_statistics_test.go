package web

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/xml"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"sistercity/internal/civil"
	"sistercity/internal/exchange"
)

func TestStatistics(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	c := e.client()
	if _, body := c.get("/en/statistics"); strings.Count(body, "No activities have taken place yet.") != 3 {
		t.Error("an empty programme does not say so in each table")
	}
	seedExchange(t, e, p)
	start, _ := exchange.MomentAt(civil.MustParse("2020-04-22"), 16, 0, "Asia/Seoul")
	conf := &exchange.Activity{Kind: exchange.KindVideoConference, Status: exchange.StatusHeld, Mode: exchange.ModeOnline,
		FirstMode: exchange.ModeOnline, OrganiserKind: exchange.OrganiserCity, Partnerships: []int64{p.ID},
		Texts: []exchange.Text{{Lang: "en", Title: "Video conference"}}, Planned: exchange.Span{Start: start}}
	e.inTx(func(tx *sql.Tx) error {
		return exchange.Create(context.Background(), tx, conf, civil.MustParse("2020-04-01"), nil, 0)
	})

	resp, body := c.get("/en/statistics")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("statistics: %d", resp.StatusCode)
	}
	// Each chart twice: drawn wide, and narrow for phones (face.css shows one of them).
	svgs := regexp.MustCompile(`(?s)<svg[^>]* viewBox="0 0 640 .*?</svg>`).FindAllString(body, -1)
	if len(svgs) != 3 {
		t.Fatalf("%d charts, want 3", len(svgs))
	}
	if narrow := regexp.MustCompile(`(?s)<div class="chart-narrow"><svg[^>]* viewBox="0 0 340 .*?</svg>`).FindAllString(body, -1); len(narrow) != 3 {
		t.Fatalf("%d narrow charts, want 3", len(narrow))
	}
	svgs = append(svgs, regexp.MustCompile(`(?s)<svg[^>]* viewBox="0 0 340 .*?</svg>`).FindAllString(body, -1)...)
	for _, svg := range svgs {
		dec := xml.NewDecoder(strings.NewReader(svg))
		for {
			if _, err := dec.Token(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("chart is not well-formed: %v", err)
			}
		}
		if !strings.Contains(svg, `role="img"`) || !strings.Contains(svg, "<title id=") || !strings.Contains(svg, "<desc id=") {
			t.Errorf("chart without role, title or description")
		}
	}
	// The 2020 switch to online shows: in person in 2019, online in 2020.
	if !strings.Contains(svgs[2], "2019: In person 1. 2020: Online 2.") {
		t.Errorf("by-mode description: %s", svgs[2][:400])
	}
	for _, want := range []string{
		"<caption>Activities by mode, 2019–2020</caption>",
		`<th scope="row">In person</th><td>1</td><td>0</td><td>1</td>`,
		`<th scope="row">Online</th><td>0</td><td>2</td><td>2</td>`,
		`href="/en/statistics/by-mode.csv"`, `href="/en/statistics/by-partner.csv"`, `href="/en/statistics/by-kind.csv"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("statistics page lacks %q", want)
		}
	}
	// The youth camp (planned) and the friendly match (cancelled) are not counted.
	if strings.Contains(body, "Youth exchange") || strings.Contains(body, "Sports exchange") {
		t.Error("planned or cancelled activities are counted")
	}

	resp, body = c.get("/ru/statistics/by-mode.csv")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), `filename="activities-by-mode-ru.csv"`) {
		t.Fatalf("CSV: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
	}
	if !strings.HasPrefix(body, "\ufeff") {
		t.Error("the CSV has no byte order mark")
	}
	records, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"Код", "Формат", "2019", "2020", "Всего"}, {"in_person", "Очно", "1", "0", "1"}, {"online", "Онлайн", "0", "2", "2"}}
	if len(records) != len(want) {
		t.Fatalf("CSV: %q", records)
	}
	for i := range want {
		if strings.Join(records[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("CSV row %d: %q, want %q", i, records[i], want[i])
		}
	}
	if _, body := c.get("/ko/statistics/by-partner.csv"); !strings.Contains(body, itoa64(p.ID)+",블라디보스토크,1,2,3") {
		t.Errorf("by-partner CSV: %q", body)
	}
	for _, path := range []string{"/en/statistics/by-year.csv", "/en/statistics/by-mode", "/en/statistics/by-mode.csv.zip"} {
		if resp, _ := c.get(path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}
	if _, body := c.get("/ko/"); !strings.Contains(body, `href="/ko/statistics"`) {
		t.Error("the public navigation does not link to the statistics")
	}
}
