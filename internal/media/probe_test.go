package media

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestProbe(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		opts  ClipOptions
		check func(t *testing.T, info *Info)
	}{
		{"h264.mp4", ClipOptions{Title: "부산의 응원 메시지", FastStart: true}, func(t *testing.T, info *Info) {
			v := info.Video
			if v.Codec != "h264" || v.Width != 320 || v.Height != 240 || v.PixelFormat != "yuv420p" || v.FrameRate != (Rate{25, 1}) || v.Rotation != 0 || v.Frames != 50 {
				t.Errorf("video = %+v", *v)
			}
			if len(info.Audio) != 1 || info.Audio[0].Codec != "aac" || info.Audio[0].Channels != 1 || info.Audio[0].SampleRate != 48000 {
				t.Errorf("audio = %+v", info.Audio)
			}
			if info.Title != "부산의 응원 메시지" {
				t.Errorf("title = %q", info.Title)
			}
			if info.Format != "mov,mp4,m4a,3gp,3g2,mj2" || info.BitRate <= 0 {
				t.Errorf("format %q, bit rate %d", info.Format, info.BitRate)
			}
		}},
		{"opus.webm", ClipOptions{Title: "Привет из Владивостока"}, func(t *testing.T, info *Info) {
			if info.Video.Codec != "vp9" || len(info.Audio) != 1 || info.Audio[0].Codec != "opus" || info.Format != "matroska,webm" {
				t.Errorf("video %+v, audio %+v, format %q", *info.Video, info.Audio, info.Format)
			}
			if info.Title != "Привет из Владивостока" {
				t.Errorf("title = %q", info.Title)
			}
		}},
		{"subtitled.mkv", ClipOptions{AudioLanguage: "kor", Subtitles: true, SubtitleLanguage: "rus", SubtitleTitle: "Русские субтитры"}, func(t *testing.T, info *Info) {
			if len(info.Audio) != 1 || info.Audio[0].Language != "kor" {
				t.Errorf("audio = %+v, want one Korean track", info.Audio)
			}
			want := []SubtitleStream{{Index: 2, Codec: "subrip", Language: "rus", Title: "Русские субтитры"}}
			if len(info.Subtitles) != 1 || info.Subtitles[0] != want[0] {
				t.Errorf("subtitles = %+v, want %+v", info.Subtitles, want)
			}
		}},
		{"subtitled.mp4", ClipOptions{Subtitles: true, SubtitleLanguage: "kor"}, func(t *testing.T, info *Info) {
			if len(info.Subtitles) != 1 || info.Subtitles[0].Codec != "mov_text" || info.Subtitles[0].Language != "kor" {
				t.Errorf("subtitles = %+v, want one Korean mov_text stream", info.Subtitles)
			}
		}},
		{"phone-portrait.mp4", ClipOptions{Width: 320, Height: 180, Rotation: 90}, func(t *testing.T, info *Info) {
			v := info.Video
			if v.Width != 320 || v.Height != 180 || v.Rotation != 90 {
				t.Errorf("video = %+v, want 320×180 turned 90°", *v)
			}
			if w, h := v.DisplaySize(); w != 180 || h != 320 {
				t.Errorf("display size = %d×%d, want 180×320", w, h)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			info := probeOK(t, clip(t, tc.name, tc.opts))
			if d := info.Duration; d < 1900*time.Millisecond || d > 2100*time.Millisecond {
				t.Errorf("duration = %v, want about 2s", d)
			}
			if info.Size <= 0 || info.Truncated {
				t.Errorf("size %d, truncated %v (%s)", info.Size, info.Truncated, info.TailLog)
			}
			tc.check(t, info)
		})
	}
}

// TestReject feeds Probe and Check what people upload by mistake.
func TestReject(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	halfOf := func(name, src string) func(*testing.T) string {
		return func(t *testing.T) string {
			data, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			return write(name, data[:len(data)/2])
		}
	}
	for _, tc := range []struct {
		name   string
		path   func(t *testing.T) string
		limits Limits
		want   Code
	}{
		{"empty file", func(*testing.T) string { return write("empty.mp4", nil) }, Limits{}, CodeEmpty},
		{"random bytes", func(*testing.T) string {
			data := make([]byte, 64<<10)
			r := rand.NewChaCha8([32]byte{'s', 'i', 's', 't', 'e', 'r'})
			r.Read(data)
			return write("random.mp4", data)
		}, Limits{}, CodeNotVideo},
		{"text renamed .mp4", func(*testing.T) string {
			return write("minutes.mp4", []byte("Minutes of the video conference, Busan – Saint Petersburg\nNegative-pressure isolation wards: 12 rooms\n"))
		}, Limits{}, CodeNotVideo},
		{"PNG image", func(t *testing.T) string { return write("poster.png", pngImage(t)) }, Limits{}, CodeNotVideo},
		{"PNG renamed .mp4", func(t *testing.T) string { return write("poster.mp4", pngImage(t)) }, Limits{}, CodeNotVideo},
		{"MP4 cut at half its size (index at the end)", func(t *testing.T) string {
			return halfOf("cut.mp4", clip(t, "plain.mp4", ClipOptions{}))(t)
		}, Limits{}, CodeTruncated},
		{"MP4 cut at half its size (index first)", func(t *testing.T) string {
			return halfOf("cut-faststart.mp4", clip(t, "h264.mp4", ClipOptions{Title: "부산의 응원 메시지", FastStart: true}))(t)
		}, Limits{}, CodeTruncated},
		{"WebM cut at half its size", func(t *testing.T) string {
			return halfOf("cut.webm", clip(t, "opus.webm", ClipOptions{Title: "Привет из Владивостока"}))(t)
		}, Limits{}, CodeTruncated},
		{"sound only", func(t *testing.T) string {
			return clip(t, "voice.m4a", ClipOptions{NoVideo: true, AudioLanguage: "rus"})
		}, Limits{}, CodeNoVideoStream},
		{"8×8 video", func(t *testing.T) string {
			return clip(t, "tiny.mp4", ClipOptions{Width: 8, Height: 8})
		}, Limits{}, CodeDimensions},
		{"0.3 s video", func(t *testing.T) string {
			return clip(t, "blink.mp4", ClipOptions{Duration: 300 * time.Millisecond})
		}, Limits{}, CodeTooShort},
		{"longer than the limit", func(t *testing.T) string {
			return clip(t, "plain.mp4", ClipOptions{})
		}, Limits{MaxDuration: time.Second}, CodeTooLong},
		{"wider than the limit", func(t *testing.T) string {
			return clip(t, "plain.mp4", ClipOptions{})
		}, Limits{MaxSide: 256}, CodeDimensions},
		{"missing file", func(*testing.T) string { return filepath.Join(dir, "nowhere.mp4") }, Limits{}, CodeUnreadable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := tc.path(t)
			info, err := Probe(context.Background(), path)
			if err == nil {
				err = info.Check(tc.limits)
			}
			var me *Error
			if !errors.As(err, &me) {
				t.Fatalf("got %v, want a *media.Error with code %q", err, tc.want)
			}
			if me.Code != tc.want {
				t.Fatalf("code %q, want %q (%v; stderr: %s)", me.Code, tc.want, err, me.Stderr)
			}
			if !errors.Is(err, &Error{Code: tc.want}) {
				t.Errorf("errors.Is does not match code %q", tc.want)
			}
			t.Logf("%v", err)
		})
	}
}

func pngImage(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestParseProbeCoverArt(t *testing.T) {
	// An MP3 with its album cover: ffprobe lists the picture as a video stream.
	out := `{"streams":[
		{"index":0,"codec_name":"mp3","codec_type":"audio","channels":2,"sample_rate":"44100","disposition":{"default":1,"attached_pic":0}},
		{"index":1,"codec_name":"mjpeg","codec_type":"video","width":600,"height":600,"avg_frame_rate":"0/0","r_frame_rate":"90000/1","disposition":{"default":0,"attached_pic":1}}],
		"format":{"format_name":"mp3","duration":"183.2","size":"2931200","bit_rate":"128000"}}`
	info, err := parseProbe([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if info.Video != nil {
		t.Errorf("cover art taken for video: %+v", *info.Video)
	}
	if err := info.Check(Limits{}); !errors.Is(err, ErrNoVideoStream) {
		t.Errorf("Check = %v, want no-video-stream", err)
	}
}

func TestParseProbeRotationTag(t *testing.T) {
	// ffmpeg before 5.0 gave the rotation as a clockwise "rotate" tag, and ffmpeg 5 and later as
	// a counter-clockwise display matrix angle.
	for _, tc := range []struct {
		stream string
		want   int
	}{
		{`"tags":{"rotate":"90"}`, 90},
		{`"tags":{"rotate":"270"}`, 270},
		{`"side_data_list":[{"side_data_type":"Display Matrix","rotation":-90}]`, 90},
		{`"side_data_list":[{"side_data_type":"Display Matrix","rotation":90}]`, 270},
		{`"side_data_list":[{"side_data_type":"Display Matrix","rotation":180}]`, 180},
		{`"side_data_list":[{"side_data_type":"Display Matrix","rotation":-180}]`, 180},
	} {
		out := `{"streams":[{"index":0,"codec_type":"video","width":1920,"height":1080,` + tc.stream + `}],"format":{"format_name":"mov,mp4,m4a,3gp,3g2,mj2","duration":"5"}}`
		info, err := parseProbe([]byte(out))
		if err != nil {
			t.Fatal(err)
		}
		if info.Video.Rotation != tc.want {
			t.Errorf("%s: rotation %d, want %d", tc.stream, info.Video.Rotation, tc.want)
		}
	}
}

func TestProbeCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Probe(ctx, clip(t, "plain.mp4", ClipOptions{}))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Probe with a cancelled context = %v, want context.Canceled", err)
	}
	var me *Error
	if errors.As(err, &me) {
		t.Errorf("a cancelled probe blames the file: %v", err)
	}
}
