package web

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"sistercity/internal/blob"
	"sistercity/internal/config"
	"sistercity/internal/db/dbtest"
	"sistercity/internal/i18n"
	"sistercity/internal/subtitle"
	"sistercity/internal/track"
	"sistercity/internal/video"
)

// benchVideos and benchTracks are the site the feed benchmarks run on: 1,000 published videos
// with three approved subtitle tracks each (and two renditions, texts in three languages).
const (
	benchVideos = 1000
	benchTracks = 3
)

// BenchmarkVideoFeed measures one request for a video feed through the server's whole handler
// (middleware included, no compression asked) on a site of 1,000 published videos with 3 tracks
// each, the feed carrying the latest feedEntries (50) of them: built (the database reads,
// building the entries, writing the format, hashing it for the ETag) and from the feed cache. Run on PostgreSQL with
// SISTERCITY_TEST_DATABASE_URL set, as the tests.
//
//	go test ./internal/web -run '^$' -bench VideoFeed -benchmem
func BenchmarkVideoFeed(b *testing.B) {
	d := dbtest.Open(b)
	cat, err := i18n.Load()
	if err != nil {
		b.Fatal(err)
	}
	docs, err := blob.NewLocal(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	srv, err := New(Options{Config: config.Default(), DB: d, Catalog: cat, Docs: docs,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return fixedNow }})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	err = d.InTx(ctx, func(tx *sql.Tx) error {
		for i := range benchVideos {
			v := &video.Video{OriginalLang: "ru", State: video.StateDraft, Processing: video.ProcReady, Duration: 95 * time.Second,
				Tags: []string{"support"}, Texts: []video.Text{
					{Lang: "ru", Title: fmt.Sprintf("Видеообращение № %d", i), Description: "Жители и медики Владивостока поддерживают жителей Пусана."},
					{Lang: "ko", Title: fmt.Sprintf("응원 영상 %d", i), Description: "블라디보스토크 시민과 의료진의 응원 메시지입니다."},
					{Lang: "en", Title: fmt.Sprintf("Message of support %d", i), Description: "Citizens and medical staff of Vladivostok support Busan."}}}
			v.Normalize()
			if err := video.Create(ctx, tx, v); err != nil {
				return err
			}
			// The INSERT video.ProcessVideo makes; no exported function records a rendition
			// without running ffmpeg.
			for _, h := range []int{360, 720} {
				if _, err := tx.ExecContext(ctx, `INSERT INTO video_renditions (video_id, lines, width, height, size, bitrate, storage_key)
					VALUES ($1, $2, $3, $4, $5, $6, $7)`, v.ID, h, h*16/9, h, int64(h)*40000, int64(h)*3000,
					fmt.Sprintf("%sbench-%dp.mp4", video.KeyPrefix(v.ID), h)); err != nil {
					return err
				}
			}
			got, err := video.Get(ctx, tx, v.ID)
			if err != nil {
				return err
			}
			for _, st := range []string{video.StateInReview, video.StatePublished} {
				if err := video.SetState(ctx, tx, got, st, start.Add(time.Duration(i)*time.Hour)); err != nil {
					return err
				}
			}
			for _, lang := range []string{"ko", "ru", "en"}[:benchTracks] {
				st := &subtitle.Track{Language: lang, Kind: subtitle.KindSubtitles}
				c := subtitle.NewCue()
				c.Start, c.End, c.Text = 0, 2*time.Second, "Пусан, мы с вами!"
				st.Cues = append(st.Cues, c)
				tr := &track.Track{VideoID: v.ID, Lang: lang, Kind: subtitle.KindSubtitles, Status: track.StatusApproved, Origin: "bench"}
				if err := tr.SetCues(st); err != nil {
					return err
				}
				if err := track.Create(ctx, tx, tr); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	// "built": the feed cache emptied before every request, so each one builds the feed;
	// "cached": served from the feed cache, as all but one request a second are.
	for _, mode := range []string{"built", "cached"} {
		for _, path := range []string{"/ko/videos/feed.rss", "/ko/videos/feed.atom", "/ko/videos/feed.json", "/videos/feed.rss"} {
			b.Run(mode+path, func(b *testing.B) {
				var size int
				for b.Loop() {
					if mode == "built" {
						srv.feeds = feedCache{}
					}
					rec := httptest.NewRecorder()
					srv.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
					if rec.Code != http.StatusOK {
						b.Fatalf("%s: %d", path, rec.Code)
					}
					size = rec.Body.Len()
				}
				b.ReportMetric(float64(size), "bytes/feed")
			})
		}
	}
}
