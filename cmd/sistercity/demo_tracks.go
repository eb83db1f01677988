package main

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"sistercity/internal/db"
	"sistercity/internal/subtitle"
	"sistercity/internal/track"
)

// demoCue is one line of the demo video's subtitles, the same words in each language.
type demoCue struct {
	start, end time.Duration
	text       map[string]string
}

// demoCues are what Vladivostok says to Busan in the 3 s demo clip: a greeting, the support and
// the wish to meet again, as in the July 2020 video.
var demoCues = []demoCue{
	{200 * time.Millisecond, time.Second, map[string]string{
		"ko": "부산 시민 여러분, 안녕하세요!",
		"ru": "Здравствуйте, жители Пусана!",
		"en": "Hello, people of Busan!"}},
	{time.Second, 2 * time.Second, map[string]string{
		"ko": "블라디보스토크가 부산을 응원합니다.",
		"ru": "Владивосток поддерживает Пусан.",
		"en": "Vladivostok stands with Busan."}},
	{2 * time.Second, 2900 * time.Millisecond, map[string]string{
		"ko": "함께 코로나19를 이겨 냅시다.",
		"ru": "Вместе мы победим COVID-19.",
		"en": "Together we will beat COVID-19."}},
}

// demoTrackLabels are the demo tracks' languages in the order they are made, with their labels;
// Korean, the language of Busan's viewers, is the default.
var demoTrackLabels = []struct{ lang, label string }{
	{"ko", "한국어"}, {"ru", "Русский"}, {"en", "English"},
}

// loadDemoTracks gives the demo video approved Korean, Russian and English subtitles, all three in
// one transaction. A video that has tracks already is left as it is, so a second start changes
// nothing and a track deleted in the admin stays deleted.
func loadDemoTracks(ctx context.Context, d *db.DB, videoID int64) error {
	return d.InTx(ctx, func(tx *sql.Tx) error {
		existing, err := track.ForVideo(ctx, tx, videoID, false)
		if err != nil || len(existing) > 0 {
			return err
		}
		for _, l := range demoTrackLabels {
			st := &subtitle.Track{Language: l.lang, Kind: subtitle.KindSubtitles, Label: l.label}
			for _, c := range demoCues {
				cue := subtitle.NewCue()
				cue.Start, cue.End, cue.Text = c.start, c.end, c.text[l.lang]
				st.Cues = append(st.Cues, cue)
			}
			t := &track.Track{VideoID: videoID, Lang: l.lang, Kind: subtitle.KindSubtitles, Label: l.label,
				Default: l.lang == "ko", Status: track.StatusApproved, Origin: "demo"}
			if err := t.SetCues(st); err != nil {
				return fmt.Errorf("demo tracks: %w", err)
			}
			if err := t.Validate(); err != nil {
				return fmt.Errorf("demo tracks: %w", err)
			}
			if err := track.Create(ctx, tx, t); err != nil {
				return fmt.Errorf("demo tracks: %w", err)
			}
		}
		return nil
	})
}
