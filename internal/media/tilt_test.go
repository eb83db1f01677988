package media

import (
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"sistercity/internal/media/mediatest"
)

// A picture recorded turned by 45°: its track header's matrix is patched (ffmpeg 5.1 writes
// quarter turns only), ffprobe is asked what it reads there, and Check refuses the file with
// the rotation named. The same patch at 90° gives a portrait clip Check accepts, so the patch
// turns the way the files of phones do.
func TestRefuseTiltedPicture(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		deg      float64
		rotation int
	}{
		{45, 0},
		{-30, 0},
		{90, 90},
	} {
		t.Run(strconv.FormatFloat(tc.deg, 'f', -1, 64), func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "tilted.mp4")
			src := clip(t, "plain.mp4", ClipOptions{})
			data, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := mediatest.TiltMP4(path, tc.deg); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0",
				"-show_entries", "stream_side_data=rotation", "-of", "csv=p=0", path).CombinedOutput()
			if err != nil {
				t.Fatalf("ffprobe: %v: %s", err, out)
			}
			// ffprobe gives the angle counter-clockwise, cut to whole degrees (5.1 prints
			// 29 for the 29.9999… of a fixed-point 30°).
			ccw, err := strconv.Atoi(strings.TrimSpace(string(out)))
			if err != nil || math.Abs(float64(ccw)+tc.deg) > 1 {
				t.Fatalf("ffprobe reads a rotation of %q, want %v° counter-clockwise as written", out, -tc.deg)
			}
			info, err := Probe(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			err = info.Check(Limits{})
			if tc.rotation != 0 {
				if err != nil || info.Video.Rotation != tc.rotation {
					t.Fatalf("turned %v°: rotation %d, %v", tc.deg, info.Video.Rotation, err)
				}
				return
			}
			var me *Error
			if !errors.As(err, &me) || me.Code != CodeRotation || !errors.Is(err, ErrRotation) {
				t.Fatalf("turned %v°: Check = %v, want code %q", tc.deg, err, CodeRotation)
			}
			if want := "rotation " + strconv.Itoa(-ccw) + "° is not a multiple of 90°"; me.Detail != want {
				t.Errorf("detail %q, want %q", me.Detail, want)
			}
		})
	}
}
