// Command firstwatch measures how much sooner a video can be watched since processing makes the
// lowest rendition first: from the end of the upload (the source stored and attached, as the
// upload's completion leaves it) to the first watchable rendition recorded, against the time
// to every rendition recorded, in the same run of the real job (video.ProcessVideo on SQLite
// and the local blob store). The goal is a first watchable rendition at most 0.3 of the way.
// With -single it also times the one ffmpeg command that made every rendition at once before
// (media.TranscodeArgs for the whole plan), which is what waiting for all of them cost then.
//
// Run: go run ./bench/firstwatch (60 s 1080p by default).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"sistercity/bench/internal/benchkit"
	"sistercity/bench/internal/benchvideo"
	"sistercity/internal/media"
	"sistercity/internal/video"
)

func main() {
	var (
		width, height, rounds int
		duration              time.Duration
		preset                string
		single                bool
	)
	flag.IntVar(&width, "width", 1920, "width of the generated source clip")
	flag.IntVar(&height, "height", 1080, "height of the generated source clip")
	flag.DurationVar(&duration, "duration", 60*time.Second, "length of the generated source clip")
	flag.IntVar(&rounds, "rounds", 1, "measured runs")
	flag.StringVar(&preset, "preset", "", `x264 preset ("" is the app's default, `+media.DefaultX264Preset+")")
	flag.BoolVar(&single, "single", false, "also time the single ffmpeg command for every rendition")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, width, height, rounds, duration, media.X264{Preset: preset}, single); err != nil {
		fmt.Fprintln(os.Stderr, "firstwatch:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, width, height, rounds int, duration time.Duration, enc media.X264, single bool) error {
	if rounds < 1 {
		return errors.New("-rounds must be at least 1")
	}
	tmp, err := os.MkdirTemp("", "sistercity-bench-firstwatch-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	src := filepath.Join(tmp, "source.mp4")
	if err := media.TestClip(ctx, src, media.ClipOptions{Width: width, Height: height, Duration: duration, FrameRate: 30, FastStart: true}); err != nil {
		return err
	}
	info, err := media.Probe(ctx, src)
	if err != nil {
		return err
	}
	plan := media.Plan(info, nil)
	var stages []string
	for _, st := range video.Stages(plan) {
		var names []string
		for _, r := range st {
			names = append(names, r.Name)
		}
		stages = append(stages, strings.Join(names, "+"))
	}
	preset := enc.Preset
	if preset == "" {
		preset = media.DefaultX264Preset
	}
	fmt.Printf("first-watchable benchmark — %s\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Printf("machine: %d CPUs, load average before: %s\n", runtime.NumCPU(), benchkit.LoadAvg())
	fmt.Printf("source: media.TestClip %dx%d, %s, 30 fps; libx264 preset %s; encodes: %s\n\n",
		width, height, duration, preset, strings.Join(stages, ", then "))
	fmt.Printf("%5s  %10s  %10s  %6s\n", "round", "first (s)", "all (s)", "ratio")
	var worst float64
	for i := range rounds {
		first, all, err := measure(ctx, filepath.Join(tmp, fmt.Sprint("run-", i)), src, enc)
		if err != nil {
			return fmt.Errorf("round %d: %w", i+1, err)
		}
		ratio := first.Seconds() / all.Seconds()
		worst = max(worst, ratio)
		fmt.Printf("%5d  %10.2f  %10.2f  %6.3f\n", i+1, first.Seconds(), all.Seconds(), ratio)
	}
	verdict := "meets"
	if worst > 0.3 {
		verdict = "misses"
	}
	fmt.Printf("\nworst ratio first/all: %.3f (%s the goal of ≤ 0.3)\n", worst, verdict)
	if single {
		dir := filepath.Join(tmp, "single")
		outs := make([]media.Target, len(plan))
		for i, r := range plan {
			outs[i] = media.Target{MP4: filepath.Join(dir, r.Name+".mp4"), HLS: filepath.Join(dir, r.Name+".hls")}
			if err := os.MkdirAll(outs[i].HLS, 0o755); err != nil {
				return err
			}
		}
		t0 := time.Now()
		cmd := exec.CommandContext(ctx, "ffmpeg", media.TranscodeArgs(src, outs, plan, enc)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("ffmpeg: %w: %s", err, out)
		}
		fmt.Printf("one ffmpeg command for every rendition (before the split): %.2f s\n", time.Since(t0).Seconds())
	}
	fmt.Printf("load average after: %s\n", benchkit.LoadAvg())
	return nil
}

// measure processes src as the video job does, in a fresh data directory, and returns the time
// from its start to the first rendition recorded and to processing ready.
func measure(ctx context.Context, dir, src string, enc media.Encoder) (first, all time.Duration, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(dir)
	u, err := benchvideo.Upload(ctx, dir, src, "First-watchable benchmark")
	if err != nil {
		return 0, 0, err
	}
	defer u.Close()
	deps := u.Deps(dir, enc, nil)
	// The upload has ended: from here the job runs, and the database is polled as a viewer's
	// page would find the video.
	t0 := time.Now()
	done := make(chan error, 1)
	go func() { done <- video.ProcessVideo(ctx, deps, u.ID) }()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if err != nil {
				return 0, 0, err
			}
			all = time.Since(t0)
			got, err := video.Get(ctx, u.DB.R, u.ID)
			if err != nil {
				return 0, 0, err
			}
			if got.Processing != video.ProcReady || first == 0 {
				return 0, 0, fmt.Errorf("processing %s, first rendition seen after %v", got.Processing, first)
			}
			return first, all, nil
		case <-tick.C:
			if first != 0 {
				continue
			}
			got, err := video.Get(ctx, u.DB.R, u.ID)
			if err != nil {
				return 0, 0, err
			}
			if got.Processed() {
				first = time.Since(t0)
			}
		}
	}
}
