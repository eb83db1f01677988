package media

import (
	"slices"
	"testing"
	"time"
)

// A landscape 1080p camera file, Korean sound at 48 kHz.
var cameraInfo = &Info{
	Format:   "mov,mp4,m4a,3gp,3g2,mj2",
	Duration: 95 * time.Second,
	Size:     120 << 20,
	Video:    &VideoStream{Index: 0, Codec: "h264", Width: 1920, Height: 1080, FrameRate: Rate{30, 1}, PixelFormat: "yuv420p"},
	Audio:    []AudioStream{{Index: 1, Codec: "aac", Channels: 2, SampleRate: 48000, Language: "kor", Default: true}},
}

// A phone's portrait clip: landscape frames turned 90°, 59.94 fps, sound at 44.1 kHz, a
// second (commentary) track not marked default.
var phoneInfo = &Info{
	Format:   "mov,mp4,m4a,3gp,3g2,mj2",
	Duration: 42 * time.Second,
	Size:     80 << 20,
	Video:    &VideoStream{Index: 1, Codec: "hevc", Width: 1920, Height: 1080, Rotation: 90, FrameRate: Rate{60000, 1001}, PixelFormat: "yuv420p"},
	Audio: []AudioStream{
		{Index: 0, Codec: "aac", Channels: 1, SampleRate: 44100},
		{Index: 2, Codec: "aac", Channels: 2, SampleRate: 44100, Language: "rus", Default: true},
	},
}

func TestArgsGolden(t *testing.T) {
	camera := Plan(cameraInfo, nil)
	phone := Plan(phoneInfo, []int{360, 720})
	outs := []Target{{MP4: "/data/v/.360p.mp4.1.part", HLS: "/data/v/.360p.hls.1.part"}, {MP4: "/data/v/.720p.mp4.2.part", HLS: "/data/v/.720p.hls.2.part"}}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"probe", ProbeArgs("/data/uploads/message.mp4")},
		{"tail-check", TailCheckArgs("/data/uploads/message.mp4", 1)},
		{"encode-camera-1080p", EncodeArgs("/data/uploads/message.mp4", "/data/v/1080p.mp4", camera[len(camera)-1], X264{})},
		{"transcode-phone-360-720", TranscodeArgs("/data/uploads/phone.mov", outs, phone, X264{Preset: "veryfast"})},
		{"poster", PosterArgs("/data/uploads/message.mp4", "/data/v/poster.jpg", 9500*time.Millisecond, PosterMaxWidth, "jpeg")},
		{"thumbnail-webp", PosterArgs("/data/uploads/message.mp4", "/data/v/thumb.webp", 0, ThumbnailWidth, "webp")},
		{"clip-mkv-subtitles", clipArgs("/tmp/c/.clip.mkv.1.part", ".mkv", "/tmp/c/.clip-1.srt",
			ClipOptions{AudioLanguage: "kor", Subtitles: true, SubtitleLanguage: "rus", SubtitleTitle: "Русский", Title: "부산의 응원 메시지"}.withDefaults())},
		{"clip-webm", clipArgs("/tmp/c/.clip.webm.1.part", ".webm", "", ClipOptions{Duration: 1500 * time.Millisecond}.withDefaults())},
	} {
		t.Run(tc.name, func(t *testing.T) { golden(t, tc.name, tc.args) })
	}
}

func TestPlan(t *testing.T) {
	type want struct {
		name          string
		lines         int
		width, height int
		rate          Rate
		reduce        bool
	}
	withVideo := func(v VideoStream) *Info {
		return &Info{Duration: time.Minute, Video: &v}
	}
	for _, tc := range []struct {
		name    string
		info    *Info
		heights []int
		want    []want
	}{
		{"camera 1080p, default heights", cameraInfo, nil, []want{
			{"360p", 360, 640, 360, Rate{30, 1}, false},
			{"480p", 480, 854, 480, Rate{30, 1}, false},
			{"720p", 720, 1280, 720, Rate{30, 1}, false},
			{"1080p", 1080, 1920, 1080, Rate{30, 1}, false},
		}},
		{"phone portrait 59.94 fps: short side is the nominal height, low sizes at 29.97", phoneInfo, StandardHeights(), []want{
			{"240p", 240, 240, 426, Rate{30000, 1001}, true},
			{"360p", 360, 360, 640, Rate{30000, 1001}, true},
			{"480p", 480, 480, 854, Rate{30000, 1001}, true},
			{"720p", 720, 720, 1280, Rate{60000, 1001}, false},
			{"1080p", 1080, 1080, 1920, Rate{60000, 1001}, false},
		}},
		{"never upscale: 4K asked of 720p", withVideo(VideoStream{Width: 1280, Height: 720, FrameRate: Rate{25, 1}}), []int{720, 2160}, []want{
			{"720p", 720, 1280, 720, Rate{25, 1}, false},
		}},
		{"below every height: one rendition at the source's size, made even", withVideo(VideoStream{Width: 321, Height: 241, FrameRate: Rate{25, 1}}), nil, []want{
			{"240p", 240, 320, 240, Rate{25, 1}, false},
		}},
		{"a little short of 1080: kept whole", withVideo(VideoStream{Width: 1920, Height: 1072, FrameRate: Rate{30, 1}}), []int{720, 1080}, []want{
			{"720p", 720, 1290, 720, Rate{30, 1}, false},
			{"1080p", 1072, 1920, 1072, Rate{30, 1}, false},
		}},
		{"slow motion 240 fps halved to 60, and to 30 below 720p", withVideo(VideoStream{Width: 1280, Height: 720, FrameRate: Rate{240, 1}}), []int{360, 720}, []want{
			{"360p", 360, 640, 360, Rate{30, 1}, true},
			{"720p", 720, 1280, 720, Rate{60, 1}, true},
		}},
		{"upside down, square pixels of a 4:3 clip", withVideo(VideoStream{Width: 640, Height: 480, Rotation: 180}), []int{360, 480, 720}, []want{
			{"360p", 360, 480, 360, Rate{}, false},
			{"480p", 480, 640, 480, Rate{}, false},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []want
			for _, r := range Plan(tc.info, tc.heights) {
				got = append(got, want{r.Name, r.Lines, r.Width, r.Height, r.FrameRate, r.ReduceFrameRate})
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Plan:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}

	if p := Plan(&Info{Audio: []AudioStream{{}}}, nil); p != nil {
		t.Errorf("Plan without video = %+v, want nil", p)
	}
	p := Plan(phoneInfo, []int{720})
	if r := p[0]; r.AudioStream != 2 || r.AudioLanguage != "rus" || r.AudioSampleRate != 44100 || r.VideoStream != 1 {
		t.Errorf("phone audio/video choice = %+v, want the default track 2 (rus, 44.1 kHz) and video 1", r)
	}
}

func TestH264Level(t *testing.T) {
	for _, tc := range []struct {
		w, h     int
		fps      float64
		maxrate  int
		wantName string
	}{
		{640, 360, 30, 900, "3.0"},
		{720, 480, 30, 1500, "3.0"},
		{854, 480, 30, 1500, "3.1"}, // 1620 macroblocks × 30 is over level 3.0's 40500 per second
		{1280, 720, 30, 3000, "3.1"},
		{1280, 720, 60, 4500, "3.2"},
		{1920, 1080, 30, 6000, "4.0"},
		{1920, 1080, 60, 9000, "4.2"},
		{2560, 1440, 30, 10000, "5.0"},
		{3840, 2160, 30, 18000, "5.1"},
		{3840, 2160, 60, 27000, "5.2"},
		{8192, 8192, 60, 27000, ""},
	} {
		if got := h264Level(tc.w, tc.h, tc.fps, tc.maxrate, 2*tc.maxrate); got != tc.wantName {
			t.Errorf("h264Level(%dx%d@%v, %dk) = %q, want %q", tc.w, tc.h, tc.fps, tc.maxrate, got, tc.wantName)
		}
	}
}

func TestProgressOf(t *testing.T) {
	kv := map[string]string{"frame": "45", "out_time_us": "1500000", "out_time_ms": "1500000", "speed": "2.5x", "progress": "continue"}
	got := progressOf(kv, 3*time.Second)
	want := Progress{Percent: 50, OutTime: 1500 * time.Millisecond, Frame: 45, Speed: 2.5}
	if got != want {
		t.Errorf("progressOf = %+v, want %+v", got, want)
	}
	// At the start ffmpeg prints N/A; old builds print only out_time_ms, in microseconds too.
	if got := progressOf(map[string]string{"out_time_us": "N/A", "speed": "N/A"}, time.Second); got != (Progress{}) {
		t.Errorf("progressOf(N/A) = %+v, want zero", got)
	}
	if got := progressOf(map[string]string{"out_time_ms": "250000"}, time.Second); got.Percent != 25 {
		t.Errorf("progressOf(out_time_ms) = %+v, want 25 %%", got)
	}
	if got := progressOf(map[string]string{"out_time_us": "9000000"}, time.Second); got.Percent != 100 {
		t.Errorf("progressOf past the end = %+v, want 100 %%", got)
	}
}

func TestStderrTail(t *testing.T) {
	tail := newStderrTail()
	for i := range 500 {
		tail.Write([]byte("[h264 @ 0x55] error while decoding MB " + string(rune('a'+i%26)) + "\n"))
	}
	tail.Write([]byte("Conversion failed!\n"))
	s := tail.String()
	if len(s) > stderrKeep || len(s) < stderrKeep/2 {
		t.Errorf("kept %d bytes, want about %d", len(s), stderrKeep)
	}
	if !slices.Contains([]string{"["}, s[:1]) {
		t.Errorf("tail starts mid-line: %q", s[:40])
	}
	err := &Error{Code: CodeEncodeFailed, Stderr: s}
	if want := "media: encode-failed (ffmpeg: Conversion failed!)"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
}

// EncodeArgs is ffmpeg's argument list for encoding one rendition of in into out alone, the
// way the per-rendition benchmark runs it.
func EncodeArgs(in, out string, r Rendition, enc Encoder) []string {
	return TranscodeArgs(in, []Target{{MP4: out}}, []Rendition{r}, enc)
}

// StandardHeights are the usual nominal resolutions, in lines, for planning tests.
func StandardHeights() []int { return []int{240, 360, 480, 720, 1080, 1440, 2160} }
