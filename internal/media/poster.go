package media

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Poster and thumbnail sizes. The poster is shown in the player before playback at up to the
// rendition's width; beyond 1280 px a still only costs bytes on a phone.
const (
	PosterMaxWidth = 1280
	ThumbnailWidth = 320
)

// PosterTime is where the poster is taken when the editor has not chosen a moment: a tenth into
// the video, past the fade-in or black frames that usually open it.
func PosterTime(duration time.Duration) time.Duration { return duration / 10 }

// Poster writes one frame of in, taken at at, to out as a JPEG (or a WebP when out ends in
// ".webp"), scaled to width pixels wide or the video's own width if that is less, keeping the
// aspect ratio and the rotation. Like Transcode it writes a temporary file beside out and renames
// it into place only on success.
func Poster(ctx context.Context, in, out string, at time.Duration, width int) (err error) {
	tmp, err := reserveTemp(filepath.Dir(out), filepath.Base(out))
	if err != nil {
		return fmt.Errorf("media: poster: %w", err)
	}
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	cmd, stderr := command(ctx, ffmpegBin, PosterArgs(in, tmp, at, width, posterFormat(out)))
	runErr := cmd.Run()
	if ctx.Err() != nil {
		return fmt.Errorf("media: poster %s: %w", in, ctx.Err())
	}
	if runErr != nil {
		return &Error{Code: CodeEncodeFailed, Detail: "poster", Stderr: stderr.String(), Err: runErr}
	}
	size, err := syncFile(tmp)
	if err != nil {
		return fmt.Errorf("media: poster: %w", err)
	}
	if size == 0 {
		// ffmpeg succeeds without writing anything when at lies beyond the end.
		return &Error{Code: CodeEncodeFailed, Detail: "no frame at " + at.String(), Stderr: stderr.String()}
	}
	if err := os.Rename(tmp, out); err != nil {
		return fmt.Errorf("media: poster: %w", err)
	}
	return nil
}

// Thumbnail writes the small still shown in lists of videos (JPEG, or WebP for ".webp").
func Thumbnail(ctx context.Context, in, out string, at time.Duration) error {
	return Poster(ctx, in, out, at, ThumbnailWidth)
}

func posterFormat(out string) string {
	if strings.EqualFold(filepath.Ext(out), ".webp") {
		return "webp"
	}
	return "jpeg"
}

// PosterArgs is ffmpeg's argument list for Poster; format is "jpeg" or "webp".
func PosterArgs(in, out string, at time.Duration, width int, format string) []string {
	if width <= 0 {
		width = PosterMaxWidth
	}
	args := []string{"-hide_banner", "-nostdin", "-v", "error", "-y",
		// Before -i, -ss seeks in the input: fast, and still exact since ffmpeg decodes from the
		// keyframe before.
		"-ss", ffmpegTime(at), "-i", fileURL(in),
		// 0:V is the first video stream that is not cover art.
		"-map", "0:V:0", "-frames:v", "1",
		// Never wider than the source; the height follows, even.
		"-vf", "scale=w='min(" + strconv.Itoa(width) + ",iw)':h=-2",
		"-map_metadata", "-1",
	}
	if format == "webp" {
		args = append(args, "-c:v", "libwebp", "-quality", "80")
	} else {
		args = append(args, "-c:v", "mjpeg", "-q:v", "3")
	}
	return append(args, "-f", "image2", "-update", "1", fileURL(out))
}
