package track_test

import (
	"context"
	"database/sql"
	"testing"

	"sistercity/internal/db/dbtest"
	"sistercity/internal/subtitle"
	"sistercity/internal/track"
)

func TestSourceTexts(t *testing.T) {
	source := parse(t, "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n<i>부산</i>\n\n00:00:03.000 --> 00:00:05.000\n블라디보스토크\n\n00:00:08.000 --> 00:00:09.000\n친구\n")
	target := parse(t, "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\na\n\n00:00:02.000 --> 00:00:04.000\nb\n\n"+
		"00:00:05.000 --> 00:00:08.000\nc\n\n00:00:08.000 --> 00:00:08.000\nd\n")
	got := track.SourceTexts(source, target)
	want := []string{"부산", "부산\n블라디보스토크", "", "친구"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("cue %d: %q, want %q", i+1, got[i], want[i])
		}
	}
}

func TestOpenTranslations(t *testing.T) {
	ctx := context.Background()
	d := dbtest.Open(t)
	vid := newVideo(t, d)
	mk := func(tx *sql.Tx, lang string, source int64, status string) *track.Track {
		tr := &track.Track{VideoID: vid, Lang: lang, Kind: subtitle.KindSubtitles, Status: status, SourceTrackID: source}
		if err := tr.SetCues(parse(t, sampleVTT)); err != nil {
			t.Fatal(err)
		}
		if err := track.Create(ctx, tx, tr); err != nil {
			t.Fatal(err)
		}
		return tr
	}
	var open *track.Track
	if err := d.InTx(ctx, func(tx *sql.Tx) error {
		src := mk(tx, "ko", 0, track.StatusApproved)
		open = mk(tx, "ru", src.ID, track.StatusDraft)
		mk(tx, "en", src.ID, track.StatusApproved)
		mk(tx, "ja", 0, track.StatusDraft)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got, err := track.OpenTranslations(ctx, d.R)
	if err != nil || len(got) != 1 || got[0].ID != open.ID {
		t.Fatalf("open translations: %v %+v", err, got)
	}
}
