package video

import (
	"context"
	"testing"
	"time"

	"sistercity/internal/media"
)

// TestProcessRecordsSubtitleStreams checks that processing keeps the source's subtitle streams
// in the probe summary, and that a summary without them says they were not looked at.
func TestProcessRecordsSubtitleStreams(t *testing.T) {
	ctx := context.Background()
	deps := newDeps(t)
	v := newVideo(t, deps, func(path string) error {
		return media.TestClip(ctx, path, media.ClipOptions{Width: 320, Height: 180, Duration: 2 * time.Second, Subtitles: true,
			SubtitleLanguage: "kor", FastStart: true})
	})
	if _, ok := v.RecordedSubtitles(); ok {
		t.Errorf("streams recorded before processing")
	}
	if err := ProcessVideo(ctx, deps, v.ID); err != nil {
		t.Fatal(err)
	}
	got, err := Get(ctx, deps.DB.R, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	streams, ok := got.RecordedSubtitles()
	if !ok || len(streams) != 1 || streams[0].Index != 2 || streams[0].Codec != "mov_text" || streams[0].Language != "kor" || !streams[0].Text() {
		t.Errorf("recorded streams %+v %v in %s", streams, ok, got.SourceInfo)
	}
	old := &Video{SourceInfo: `{"format":"mov","audio_streams":1}`}
	if _, ok := old.RecordedSubtitles(); ok {
		t.Errorf("a summary from before streams were recorded claims none")
	}
	none := &Video{SourceInfo: `{"format":"mov","subtitle_streams":[]}`}
	if s, ok := none.RecordedSubtitles(); !ok || len(s) != 0 {
		t.Errorf("a summary with no streams: %v %v", s, ok)
	}
}
