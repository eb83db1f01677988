package media

import (
	"context"
	"errors"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestPoster(t *testing.T) {
	t.Parallel()
	src := sourceClip(t)
	portrait := clip(t, "phone-portrait.mp4", ClipOptions{Width: 320, Height: 180, Rotation: 90})
	dir := t.TempDir()
	for _, tc := range []struct {
		name          string
		in, out       string
		at            time.Duration
		width         int
		wantW, wantH  int
		thumbnailOnly bool
	}{
		{"poster at the source's width", src, "poster.jpg", PosterTime(3 * time.Second), PosterMaxWidth, 1280, 720, false},
		{"poster of a smaller rendition", src, "poster-640.jpg", 2 * time.Second, 640, 640, 360, false},
		{"thumbnail", src, "thumb.jpg", time.Second, 0, 320, 180, true},
		{"thumbnail in WebP", src, "thumb.webp", time.Second, 0, 320, 180, true},
		{"portrait poster stays upright, never upscaled", portrait, "portrait.jpg", 0, PosterMaxWidth, 180, 320, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, tc.out)
			var err error
			if tc.thumbnailOnly {
				err = Thumbnail(context.Background(), tc.in, out, tc.at)
			} else {
				err = Poster(context.Background(), tc.in, out, tc.at, tc.width)
			}
			if err != nil {
				t.Fatal(err)
			}
			var w, h int
			if filepath.Ext(out) == ".jpg" {
				f, err := os.Open(out)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				img, err := jpeg.Decode(f)
				if err != nil {
					t.Fatalf("decode %s: %v", tc.out, err)
				}
				w, h = img.Bounds().Dx(), img.Bounds().Dy()
			} else {
				info, err := Probe(context.Background(), out)
				if err != nil {
					t.Fatal(err)
				}
				if info.Video == nil || info.Video.Codec != "webp" {
					t.Fatalf("%s: %+v, want a WebP picture", tc.out, info)
				}
				w, h = info.Video.Width, info.Video.Height
			}
			if w != tc.wantW || h != tc.wantH {
				t.Errorf("%s is %d×%d, want %d×%d", tc.out, w, h, tc.wantW, tc.wantH)
			}
		})
	}

	t.Run("past the end", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "late.jpg")
		err := Poster(context.Background(), src, out, time.Minute, PosterMaxWidth)
		if !errors.Is(err, ErrEncodeFailed) {
			t.Fatalf("Poster past the end = %v, want encode-failed", err)
		}
		assertOnly(t, filepath.Dir(out))
	})
}
