package media

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestBurnArgsGolden(t *testing.T) {
	o := BurnOptions{Width: 640, Height: 360, FrameRate: Rate{30, 1}, Duration: 95 * time.Second,
		FontsDir: "/usr/share/fonts/opentype/noto"}
	golden(t, "burn-360p", BurnArgs("/data/tmp/burn-1/video.mp4", "/data/tmp/burn-1/subs.srt", "/data/tmp/burn-1/.out.mp4.1.part", o))
	// A work directory with every character the filtergraph treats specially.
	golden(t, "burn-odd-path", BurnArgs("/srv/it's [a]:b,c;d\\e/video.mp4", "/srv/it's [a]:b,c;d\\e/subs.ass", "/srv/out.mp4",
		BurnOptions{Font: "Noto Sans CJK KR"}))
	golden(t, "extract-subtitle", ExtractSubtitleArgs("/data/tmp/streams-1/source.mkv", 2, "/data/tmp/streams-1/stream-2.vtt"))
}

func TestBurnEscapeFilterValue(t *testing.T) {
	for in, want := range map[string]string{
		"/data/subs.srt":            "/data/subs.srt",
		"file:/a b/subs.srt":        `file\\:/a b/subs.srt`,
		"it's":                      `it\\\'s`,
		`a\b`:                       `a\\\\b`,
		"[x],y;z":                   `\[x\]\,y\;z`,
		"FontName=Noto Sans,Bold=1": `FontName=Noto Sans\,Bold=1`,
	} {
		if got := escapeFilterValue(in); got != want {
			t.Errorf("escapeFilterValue(%q) = %q, want %q", in, got, want)
		}
	}
}

// burnSRT has a Korean cue, then a Russian one, in the bottom of the picture as subtitles are.
const burnSRT = "1\n00:00:00,200 --> 00:00:01,400\n블라디보스토크 시민 여러분, 힘내세요!\n\n" +
	"2\n00:00:01,600 --> 00:00:02,900\nДержитесь, жители Пусана!\n"

// TestBurnRendersText burns Korean and Russian cues into a clip, in a directory whose name
// needs the filtergraph's escaping, and checks that the picture changed where the text goes
// (the bottom band) and nowhere else: the text was really drawn.
func TestBurnRendersText(t *testing.T) {
	ctx := context.Background()
	src := clip(t, "burn-320x180.mp4", ClipOptions{Width: 320, Height: 180, Duration: 3 * time.Second, FastStart: true})
	dir := filepath.Join(t.TempDir(), "it's [a]:b,c;d")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	subs := filepath.Join(dir, "subs.srt")
	if err := os.WriteFile(subs, []byte(burnSRT), 0o644); err != nil {
		t.Fatal(err)
	}
	if FontsDir() == "" {
		t.Fatal("no Noto CJK fonts found; install Debian's fonts-noto-cjk")
	}
	out := filepath.Join(dir, "burned.mp4")
	var last Progress
	calls := 0
	size, err := Burn(ctx, src, subs, out, BurnOptions{Width: 320, Height: 180, FrameRate: Rate{25, 1}, Duration: 3 * time.Second,
		Encoder: X264{Preset: "ultrafast"}}, func(p Progress) { last = p; calls++ })
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(out); err != nil || st.Size() != size || size == 0 {
		t.Fatalf("output %v, size %d", err, size)
	}
	if !last.Done || last.Percent != 100 || calls < 2 {
		t.Errorf("progress: %d calls, last %+v", calls, last)
	}
	info, err := Probe(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	if info.Video == nil || info.Video.Codec != "h264" || info.Video.Width != 320 || info.Video.Height != 180 ||
		len(info.Audio) != 1 || info.Audio[0].Codec != "aac" || len(info.Subtitles) != 0 {
		t.Fatalf("burned file: %+v", info)
	}

	for _, at := range []time.Duration{800 * time.Millisecond, 2200 * time.Millisecond} {
		orig, burned := grayFrame(t, src, at), grayFrame(t, out, at)
		if len(orig) != 320*180 || len(burned) != len(orig) {
			t.Fatalf("frames of %d and %d bytes", len(orig), len(burned))
		}
		top := changed(orig[:320*60], burned[:320*60])
		bottom := changed(orig[320*140:], burned[320*140:])
		t.Logf("at %v: pixels changed: top %.1f %%, bottom %.1f %%", at, top, bottom)
		if bottom < 3 || top > 0.5 {
			t.Errorf("at %v: no text drawn in the bottom band (%.1f %% changed there, %.1f %% at the top)", at, bottom, top)
		}
	}
	// Between the cues nothing is drawn.
	if d := changed(grayFrame(t, src, 1500*time.Millisecond)[320*140:], grayFrame(t, out, 1500*time.Millisecond)[320*140:]); d > 0.5 {
		t.Errorf("between the cues %.1f %% of the bottom band changed", d)
	}
}

// TestBurnGlyphs renders the Korean and Russian cues with libass talking (-v verbose) and
// checks that it chose the Noto CJK face and found every glyph in it: no fallback font, no
// boxes. A font without Hangul shows that the check sees a missing glyph.
func TestBurnGlyphs(t *testing.T) {
	src := clip(t, "burn-320x180.mp4", ClipOptions{Width: 320, Height: 180, Duration: 3 * time.Second, FastStart: true})
	dir := t.TempDir()
	subs := filepath.Join(dir, "subs.srt")
	if err := os.WriteFile(subs, []byte(burnSRT), 0o644); err != nil {
		t.Fatal(err)
	}
	libass := func(font string) string {
		args := BurnArgs(src, subs, filepath.Join(dir, "out.mp4"), BurnOptions{Width: 320, Height: 180, FontsDir: FontsDir(),
			Font: font, Encoder: X264{Preset: "ultrafast"}})
		for i, a := range args {
			if a == "error" && args[i-1] == "-v" {
				args[i] = "verbose"
			}
		}
		var stderr bytes.Buffer
		cmd := exec.CommandContext(context.Background(), ffmpegBin, args...)
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%v: %s", err, stderr.String())
		}
		return stderr.String()
	}
	log := libass("")
	if !strings.Contains(log, "fontselect: (Noto Sans CJK KR") || strings.Contains(log, "Glyph 0x") {
		t.Errorf("libass did not draw every glyph with Noto Sans CJK KR:\n%s", log)
	}
	if log := libass("DejaVu Sans"); !strings.Contains(log, "Glyph 0x") {
		t.Errorf("the check does not see a font without Hangul:\n%s", log)
	}
}

func TestBurnFailure(t *testing.T) {
	dir := t.TempDir()
	subs := filepath.Join(dir, "subs.srt")
	os.WriteFile(subs, []byte(burnSRT), 0o644)
	notVideo := filepath.Join(dir, "notes.mp4")
	os.WriteFile(notVideo, []byte("not a video at all"), 0o644)
	_, err := Burn(context.Background(), notVideo, subs, filepath.Join(dir, "out.mp4"), BurnOptions{}, nil)
	var me *Error
	if !errors.As(err, &me) || me.Code != CodeEncodeFailed || me.Stderr == "" {
		t.Fatalf("burning a non-video: %v", err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".out*")); len(m) != 0 {
		t.Errorf("temporaries left behind: %v", m)
	}
}

// grayFrame decodes the frame of path at at as 8-bit gray pixels.
func grayFrame(t *testing.T, path string, at time.Duration) []byte {
	t.Helper()
	var out, stderr bytes.Buffer
	cmd := exec.CommandContext(context.Background(), ffmpegBin, "-hide_banner", "-nostdin", "-v", "error",
		"-ss", ffmpegTime(at), "-i", fileURL(path), "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1")
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("frame of %s at %v: %v: %s", path, at, err, stderr.String())
	}
	return out.Bytes()
}

// changed is the share of pixels, in percent, whose brightness differs by more than
// encoding noise does: white text with a black outline differs by far more.
func changed(a, b []byte) float64 {
	n := 0
	for i := range a {
		if d := int(a[i]) - int(b[i]); d > 60 || d < -60 {
			n++
		}
	}
	return 100 * float64(n) / float64(len(a))
}

func TestExtractSubtitle(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"extract.mkv", "extract.mp4"} {
		src := clip(t, name, ClipOptions{Width: 320, Height: 180, Subtitles: true, SubtitleLanguage: "kor", NoAudio: true})
		info, err := Probe(ctx, src)
		if err != nil || len(info.Subtitles) != 1 {
			t.Fatalf("%s: %v %+v", name, err, info)
		}
		out := filepath.Join(t.TempDir(), "s.vtt")
		if err := ExtractSubtitle(ctx, src, info.Subtitles[0], out); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, _ := os.ReadFile(out)
		if !strings.HasPrefix(string(b), "WEBVTT") || !strings.Contains(string(b), "블라디보스토크") || !strings.Contains(string(b), "Держитесь") {
			t.Errorf("%s: WebVTT\n%s", name, b)
		}
	}
	err := ExtractSubtitle(ctx, "/nonexistent.mkv", SubtitleStream{Index: 2, Codec: "hdmv_pgs_subtitle", Bitmap: true}, "/tmp/x.vtt")
	if !errors.Is(err, ErrBitmapSubtitles) {
		t.Errorf("bitmap stream: %v", err)
	}
}
