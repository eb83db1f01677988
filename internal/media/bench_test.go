package media

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// BenchmarkTranscode measures the pipeline against the bare ffmpeg commands it runs, on the
// 3 s 720p source of the tests, into 360p and 720p with x264's veryfast preset:
//
//   - pipeline: Transcode — temporary files, progress parsing, fsync and renames included;
//   - ffmpeg: the same TranscodeArgs run with nothing around them, the floor the pipeline is
//     measured against (the goal is pipeline/ffmpeg under 1.10);
//   - per-rendition: one ffmpeg process per rendition (EncodeArgs), one after the other, the
//     design Transcode does not use, to keep the reason for that choice measurable.
//
// bench/ can do the same on real uploads: build the argument lists with ProbeArgs,
// TailCheckArgs, TranscodeArgs and PosterArgs, time them run bare from the same process (or
// from a shell, to include nothing of Go), and divide the job's wall time by their sum.
// Run: go test ./internal/media -run '^$' -bench Transcode -benchtime 5x
func BenchmarkTranscode(b *testing.B) {
	src := sourceClip(b)
	info, err := Probe(context.Background(), src)
	if err != nil {
		b.Fatal(err)
	}
	plan := Plan(info, []int{360, 720})
	enc := X264{Preset: "veryfast"}
	ctx := context.Background()

	b.Run("pipeline", func(b *testing.B) {
		dir := b.TempDir()
		for b.Loop() {
			if _, err := Transcode(ctx, src, dir, plan, enc, func(Progress) {}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ffmpeg", func(b *testing.B) {
		dir := b.TempDir()
		outs := make([]Target, len(plan))
		for i, r := range plan {
			outs[i] = Target{MP4: filepath.Join(dir, r.Name+".mp4"), HLS: filepath.Join(dir, r.Name+".hls")}
			if err := os.MkdirAll(outs[i].HLS, 0o755); err != nil {
				b.Fatal(err)
			}
		}
		args := TranscodeArgs(src, outs, plan, enc)
		for b.Loop() {
			if out, err := exec.Command(ffmpegBin, args...).CombinedOutput(); err != nil {
				b.Fatalf("%v: %s", err, out)
			}
		}
	})
	b.Run("per-rendition", func(b *testing.B) {
		dir := b.TempDir()
		for b.Loop() {
			for _, r := range plan {
				args := EncodeArgs(src, filepath.Join(dir, r.Name+".mp4"), r, enc)
				if out, err := exec.Command(ffmpegBin, args...).CombinedOutput(); err != nil {
					b.Fatalf("%v: %s", err, out)
				}
			}
		}
	})
}
