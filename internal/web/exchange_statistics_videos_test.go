package web

import (
	"context"
	"database/sql"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"sistercity/internal/video"
)

func TestStatisticsVideos(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	c := e.client()
	if _, body := c.get("/ru/statistics"); strings.Count(body, "Опубликованных видео пока нет.") != 2 {
		t.Error("no videos: the video tables do not say so")
	}
	ctx := context.Background()
	e.inTx(func(tx *sql.Tx) error {
		for _, v := range []*video.Video{
			{OriginalLang: "ru", State: video.StatePublished, PublishedAt: time.Date(2020, 7, 9, 1, 0, 0, 0, time.UTC),
				Partnerships: []int64{p.ID}, Texts: []video.Text{{Lang: "ru", Title: "Видеообращение"}, {Lang: "ko", Title: "응원 영상"}}},
			{OriginalLang: "en", State: video.StatePublished, PublishedAt: time.Date(2022, 3, 1, 0, 0, 0, 0, time.UTC),
				Partnerships: []int64{p.ID}, Texts: []video.Text{{Lang: "en", Title: "Port cities"}}},
			{OriginalLang: "ko", State: video.StatePublished, PublishedAt: time.Date(2022, 5, 1, 0, 0, 0, 0, time.UTC),
				Texts: []video.Text{{Lang: "ko", Title: "부산 소개"}}}, // linked to no partnership
			{OriginalLang: "en", State: video.StateDraft, Partnerships: []int64{p.ID}, Texts: []video.Text{{Lang: "en", Title: "Draft"}}},
		} {
			if err := video.Create(ctx, tx, v); err != nil {
				return err
			}
		}
		return nil
	})

	resp, body := c.get("/en/statistics")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("statistics: %d", resp.StatusCode)
	}
	if svgs := regexp.MustCompile(`(?s)<svg[^>]* viewBox="0 0 640 .*?</svg>`).FindAllString(body, -1); len(svgs) != 2 {
		t.Fatalf("%d charts, want the two of the videos", len(svgs))
	}
	for _, want := range []string{"Published videos by partner city", "Published videos by language",
		`href="/en/statistics/videos-by-partner.csv"`, `href="/en/statistics/videos-by-language.csv"`,
		"2020: Vladivostok 1. 2021: none. 2022: Vladivostok 1."} {
		if !strings.Contains(body, want) {
			t.Errorf("statistics page lacks %q", want)
		}
	}
	resp, body = c.get("/en/statistics/videos-by-partner.csv")
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Disposition"), `filename="videos-by-partner-en.csv"`) ||
		!strings.Contains(body, itoa64(p.PartnerCityID)+",Vladivostok,1,0,1,2") || strings.Count(body, "\n") != 2 {
		t.Errorf("videos-by-partner CSV: %d %q", resp.StatusCode, body)
	}
	_, body = c.get("/en/statistics/videos-by-language.csv")
	for _, want := range []string{"en,English,0,0,1,1", "ko,Korean,1,0,1,2", "ru,Russian,1,0,0,1"} {
		if !strings.Contains(body, want) {
			t.Errorf("videos-by-language CSV lacks %q: %q", want, body)
		}
	}
}
