package media

import (
	"context"
	"io/fs"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A two-hour source — a phone left filming through a whole ceremony — is processed as any other:
// ffmpeg reads and writes it as a stream, so neither its memory nor the work directory grows
// with anything but the outputs. The source is made cheap (one small frame a second, no sound)
// so that the test takes seconds; what it checks is the length, which is what would make memory
// or temporary files grow if anything buffered the whole.
func TestTranscodeTwoHourSource(t *testing.T) {
	t.Parallel()
	const length = 2 * time.Hour
	src := phoneSource(t, "ceremony.mp4", "-f", "lavfi", "-i", "testsrc2=s=256x144:r=1",
		"-t", "7200", "-c:v", "libx264", "-preset", "ultrafast", "-an")
	info := probeOK(t, src)
	if d := info.Duration; d < length-time.Minute || d > length+time.Minute {
		t.Fatalf("source lasts %v, want about %v", d, length)
	}
	dir := t.TempDir()
	outputs, err := Transcode(context.Background(), src, dir, Plan(info, []int{144}), X264{Preset: "ultrafast"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(outputs) != 1 || outputs[0].HLS == nil {
		t.Fatalf("outputs %+v, want one with its HLS stream", outputs)
	}
	out := probeOK(t, outputs[0].Path)
	if d := out.Duration; d < length-time.Minute || d > length+time.Minute {
		t.Errorf("rendition lasts %v, want about %v", d, length)
	}
	if out.Video == nil || out.Video.Height != 144 {
		t.Errorf("rendition's picture: %+v, want 144 lines", out.Video)
	}

	// Memory: the largest child this process has waited for (ffmpeg here, or another test's)
	// stayed under 256 MB — an encoder that kept the stream would need far more than that for
	// two hours of frames.
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		t.Fatal(err)
	}
	if peak := ru.Maxrss; peak > 256<<10 { // kilobytes on Linux
		t.Errorf("largest child's peak memory %d MB, want under 256 MB", peak>>10)
	}

	// Disk: the work directory holds the MP4 and its HLS stream, nothing else, and the stream
	// (the same encoded frames cut into segments) is about the MP4's size, not more.
	var mp4, hls int64
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case path == outputs[0].Path:
			mp4 += fi.Size()
		case filepath.Dir(path) == outputs[0].HLS.Dir:
			hls += fi.Size()
		default:
			t.Errorf("left in the work directory: %s (%d bytes)", path, fi.Size())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("2 h source: MP4 %d bytes, HLS %d bytes in %d files, largest child's peak memory %d MB",
		mp4, hls, len(outputs[0].HLS.Files), ru.Maxrss>>10)
	if hls == 0 || hls > 2*mp4+1<<20 {
		t.Errorf("HLS stream %d bytes beside an MP4 of %d", hls, mp4)
	}
}
