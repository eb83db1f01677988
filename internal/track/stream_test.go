package track_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sistercity/internal/blob"
	"sistercity/internal/db/dbtest"
	"sistercity/internal/media"
	"sistercity/internal/track"
	"sistercity/internal/video"
)

// TestFromStream imports the subtitle stream of an MKV (SubRip) and of an MP4 (mov_text) made
// by ffmpeg, with the language taken from the stream's ISO 639-2 tag.
func TestFromStream(t *testing.T) {
	ctx := context.Background()
	d := dbtest.Open(t)
	store, err := blob.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// MP4 keeps no title for a mov_text stream that ffprobe reports.
	for _, tc := range []struct{ name, lang, want, codec, label string }{
		{"clip.mkv", "rus", "ru", "subrip", "Из Владивостока"},
		{"clip.mp4", "kor", "ko", "mov_text", ""},
	} {
		clip := filepath.Join(t.TempDir(), tc.name)
		if err := media.TestClip(ctx, clip, media.ClipOptions{Width: 320, Height: 180, NoAudio: true, Subtitles: true,
			SubtitleLanguage: tc.lang, SubtitleTitle: "Из Владивостока"}); err != nil {
			t.Fatal(err)
		}
		vid := newVideo(t, d)
		key := video.SourceKey(vid, tc.name)
		b, _ := os.ReadFile(clip)
		if err := store.Put(ctx, key, strings.NewReader(string(b))); err != nil {
			t.Fatal(err)
		}
		if err := d.InTx(ctx, func(tx *sql.Tx) error { return video.AttachSource(ctx, tx, vid, key) }); err != nil {
			t.Fatal(err)
		}
		v, err := video.Get(ctx, d.R, vid)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := track.FromStream(ctx, store, t.TempDir(), v, 0); !errors.Is(err, track.ErrNoStream) {
			t.Errorf("%s: the video stream imported: %v", tc.name, err)
		}
		tr, err := track.FromStream(ctx, store, t.TempDir(), v, 1)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if tr.Lang != tc.want || tr.Status != track.StatusDraft || tr.CueCount != 2 || tr.Label != tc.label ||
			tr.Origin != "stream 1 ("+tc.codec+")" || !strings.Contains(tr.PlainText, "블라디보스토크") {
			t.Errorf("%s: %+v", tc.name, tr)
		}
		st, _ := tr.Cues()
		if st.Cues[1].Start != time.Second || !strings.Contains(st.Cues[1].Text, "Держитесь") {
			t.Errorf("%s: second cue %+v", tc.name, st.Cues[1])
		}
	}
	for in, want := range map[string]string{"kor": "ko", "rus": "ru", "eng": "en", "": "und", "und": "und", "x!": "und", "ko-KR": "ko-KR"} {
		if got := track.StreamLanguage(in); got != want {
			t.Errorf("StreamLanguage(%q) = %q, want %q", in, got, want)
		}
	}
}
