package main

import (
	"context"
	"path"
	"strings"
	"testing"
	"time"
)

// TestSmoke runs the benchmark once on a tiny video (4 s, 360p, x264 ultrafast) and checks that
// every side played: the HLS sides through the master playlist, the MP4 side through the
// rendition the page chose, each to the end of the video with a first frame shown.
func TestSmoke(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	results, err := run(ctx, options{width: 640, height: 360, duration: 4 * time.Second, preset: "ultrafast",
		rounds: 1, watch: 5 * time.Minute, quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range results {
		seen[r.Side] = true
		t.Logf("%s: %s %s, first frame %.0f ms, %d stalls (%.1f s), played %.1f s", r.Side, r.Stream, path.Base(r.Src), r.FirstFrame, r.Stalls, r.StallMs/1000, r.Played)
		hls := strings.HasSuffix(r.Src, "/master.m3u8") || strings.HasPrefix(r.Src, "blob:")
		if r.FirstFrame <= 0 || !r.Ended || r.Played < 3.5 || (r.Side == "mp4") == hls || (r.Side == "mp4" && !strings.HasSuffix(r.Src, ".mp4")) {
			t.Errorf("%s did not play as it should: %+v", r.Side, r)
		}
	}
	for _, s := range sides {
		if !seen[s.name] {
			t.Errorf("side %s not measured", s.name)
		}
	}
}
