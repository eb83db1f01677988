package media

import (
	"context"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// phoneSource makes a source as a phone records it, with ffmpeg's own arguments: a few seconds
// of test picture (and tone, unless the arguments say otherwise) at low resolution.
func phoneSource(t *testing.T, name string, args ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), name)
	cmd := exec.Command("ffmpeg", append(append([]string{"-hide_banner", "-v", "error", "-y"}, args...), out)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make %s: %v: %s", name, err, b)
	}
	return out
}

// streamFacts is what ffprobe says of a file's streams, as key=value lines.
func streamFacts(t *testing.T, path, streams string) string {
	t.Helper()
	b, err := exec.Command("ffprobe", "-v", "error", "-select_streams", streams, "-show_entries",
		"stream=codec_type,width,height,pix_fmt,color_transfer,color_primaries,channels,r_frame_rate,avg_frame_rate",
		"-of", "default=nw=1", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe %s: %v: %s", path, err, b)
	}
	return string(b)
}

// Sources a phone records, each made by ffmpeg and its renditions probed: HDR (PQ and HLG)
// comes out SDR BT.709 in 8 bits, 5.1 sound stereo, a clip without sound without a sound track,
// odd dimensions even, and a variable frame rate constant.
func TestTranscodePhoneSources(t *testing.T) {
	t.Parallel()
	picture := []string{"-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=2"}
	tone := []string{"-f", "lavfi", "-i", "sine=f=440:d=2"}
	h264 := []string{"-c:v", "libx264", "-preset", "ultrafast"}
	hdr := func(trc string) []string {
		return append(append(append([]string{}, picture...), h264...), "-pix_fmt", "yuv420p10le",
			"-color_primaries", "bt2020", "-color_trc", trc, "-colorspace", "bt2020nc")
	}
	cases := []struct {
		name  string
		args  []string
		check func(t *testing.T, video, audio string)
	}{
		{"hdr-pq.mp4", hdr("smpte2084"), sdr},
		{"hdr-hlg.mp4", hdr("arib-std-b67"), sdr},
		{"surround.mp4", append(append(append(append([]string{}, picture...), "-f", "lavfi", "-i",
			"sine=f=440:d=2,aformat=channel_layouts=5.1"), h264...), "-c:a", "aac", "-ac", "6"),
			func(t *testing.T, _, audio string) {
				if !strings.Contains(audio, "channels=2") {
					t.Errorf("5.1 sound: %s, want stereo", audio)
				}
			}},
		{"silent.mp4", append(append([]string{}, picture...), h264...), func(t *testing.T, _, audio string) {
			if audio != "" {
				t.Errorf("a clip without sound got a sound track: %s", audio)
			}
		}},
		{"odd.mp4", []string{"-f", "lavfi", "-i", "testsrc2=s=321x241:r=25:d=2", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv444p"},
			func(t *testing.T, video, _ string) {
				// Planned even (and probed as planned, below): 240p is 320×240, 144p 192×144.
				if !strings.Contains(video, "width=320\nheight=240") && !strings.Contains(video, "width=192\nheight=144") {
					t.Errorf("321×241: %s, want 320×240 or 192×144", video)
				}
			}},
		// Frames 10 to 30 come twice as fast: a phone that sped up its capture in the dark.
		{"vfr.mp4", append(append(append([]string{}, picture...), "-vf", "setpts='if(between(N,10,30),(10+(N-10)/2)/25,(N-10)/25)/TB'",
			"-fps_mode", "vfr"), h264...), func(t *testing.T, video, _ string) {
			if !strings.Contains(video, "r_frame_rate=25/1") || !strings.Contains(video, "avg_frame_rate=25/1") {
				t.Errorf("variable frame rate: %s, want a constant 25 fps", video)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			args := c.args
			if c.name != "silent.mp4" && c.name != "surround.mp4" {
				args = append(append(append([]string{}, args[:4]...), tone...), args[4:]...)
			}
			src := phoneSource(t, c.name, append(args, "-t", "2")...)
			info := probeOK(t, src)
			plan := Plan(info, []int{144, 240})
			outputs, err := Transcode(context.Background(), src, t.TempDir(), plan, X264{Preset: "ultrafast"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range outputs {
				video, audio := streamFacts(t, o.Path, "v"), streamFacts(t, o.Path, "a")
				if !strings.Contains(video, "pix_fmt=yuv420p\n") {
					t.Errorf("%s: %s, want 8-bit 4:2:0", o.Rendition.Name, video)
				}
				if !strings.Contains(video, "width="+strconv.Itoa(o.Rendition.Width)+"\n") || !strings.Contains(video, "height="+strconv.Itoa(o.Rendition.Height)+"\n") {
					t.Errorf("%s: %s, planned %d×%d", o.Rendition.Name, video, o.Rendition.Width, o.Rendition.Height)
				}
				c.check(t, video, audio)
			}
		})
	}
}

// sdr checks that an HDR source's rendition is SDR BT.709.
func sdr(t *testing.T, video, _ string) {
	t.Helper()
	if !strings.Contains(video, "color_transfer=bt709") || !strings.Contains(video, "color_primaries=bt709") {
		t.Errorf("HDR source: %s, want SDR BT.709", video)
	}
}

// A source whose picture changes size mid-file, and whose timestamps start again from zero
// there (two recordings joined byte to byte, as a broken camera app writes them): every
// rendition is made at its planned size, with every frame of both parts.
func TestTranscodeSizeChangeMidFile(t *testing.T) {
	t.Parallel()
	a := phoneSource(t, "a.ts", "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=1", "-c:v", "libx264", "-preset", "ultrafast")
	b := phoneSource(t, "b.ts", "-f", "lavfi", "-i", "testsrc2=s=640x360:r=25:d=1", "-c:v", "libx264", "-preset", "ultrafast")
	src := phoneSource(t, "joined.ts", "-i", "concat:"+a+"|"+b, "-c", "copy")
	info := probeOK(t, src)
	plan := Plan(info, []int{144, 240})
	outputs, err := Transcode(context.Background(), src, t.TempDir(), plan, X264{Preset: "ultrafast"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range outputs {
		b, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-select_streams", "v",
			"-show_entries", "stream=width,height,nb_read_frames", "-of", "csv=p=0", o.Path).CombinedOutput()
		if err != nil {
			t.Fatalf("ffprobe: %v: %s", err, b)
		}
		want := strconv.Itoa(o.Rendition.Width) + "," + strconv.Itoa(o.Rendition.Height) + ",50"
		if got := strings.TrimSpace(string(b)); got != want {
			t.Errorf("%s: %s, want %s", o.Rendition.Name, got, want)
		}
	}
}
