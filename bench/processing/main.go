// Command processing measures what sistercity's processing of an upload costs beyond the ffmpeg
// work itself: the real job, video.ProcessVideo — which fetches the source from the blob store,
// probes it (with the tail check), transcodes with progress written to the database, makes the
// poster and thumbnail, stores every output and records them in one transaction — against the
// bare ffprobe/ffmpeg commands it runs, replayed from the exported argument lists (ProbeArgs,
// TailCheckArgs, TranscodeArgs for each of video.Stages, PosterArgs) with nothing around them. The two alternate
// (A B B A …) on the same source clip, and the ratio of their median wall times is the
// pipeline's overhead (goal: under 1.10).
//
// Run: go run ./bench/processing (make bench).
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"sistercity/bench/internal/benchkit"
	"sistercity/bench/internal/benchvideo"
	"sistercity/internal/blob"
	"sistercity/internal/db"
	"sistercity/internal/media"
	"sistercity/internal/video"
)

type options struct {
	width, height int
	duration      time.Duration
	rounds        int
	preset        string
	heights       []int
	source        string
}

func main() {
	var o options
	var heights string
	flag.IntVar(&o.width, "width", 1920, "width of the generated source clip")
	flag.IntVar(&o.height, "height", 1080, "height of the generated source clip")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "length of the generated source clip")
	flag.IntVar(&o.rounds, "rounds", 3, "measured runs of each side")
	flag.StringVar(&o.preset, "preset", "", `x264 preset ("" is the app's default, `+media.DefaultX264Preset+")")
	flag.StringVar(&heights, "heights", "", "rendition heights, comma-separated (default: media.DefaultHeights, as the app)")
	flag.StringVar(&o.source, "source", "", "use this video instead of a generated clip")
	flag.Parse()
	o.heights = media.DefaultHeights()
	if heights != "" {
		o.heights = nil
		for _, h := range strings.Split(heights, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(h))
			if err != nil || n <= 0 {
				fmt.Fprintln(os.Stderr, "processing: bad -heights")
				os.Exit(2)
			}
			o.heights = append(o.heights, n)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "processing:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	if o.rounds < 1 {
		return errors.New("-rounds must be at least 1")
	}
	tmp, err := os.MkdirTemp("", "sistercity-bench-processing-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	src := o.source
	clipNote := "given file"
	if src == "" {
		src = filepath.Join(tmp, "source.mp4")
		// A phone's upload has its index first, as web uploads do.
		opts := media.ClipOptions{Width: o.width, Height: o.height, Duration: o.duration, FrameRate: 30, FastStart: true}
		if err := media.TestClip(ctx, src, opts); err != nil {
			return err
		}
		clipNote = fmt.Sprintf("media.TestClip %dx%d, %s, 30 fps, H.264 ultrafast + AAC", o.width, o.height, o.duration)
	}
	info, err := media.Probe(ctx, src)
	if err != nil {
		return err
	}
	if err := info.Check(media.Limits{}); err != nil {
		return err
	}
	plan := media.Plan(info, o.heights)
	enc := media.X264{Preset: o.preset}
	preset := o.preset
	if preset == "" {
		preset = media.DefaultX264Preset
	}
	names := make([]string, len(plan))
	for i, r := range plan {
		names[i] = r.Name
	}

	fmt.Printf("processing benchmark — %s\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Printf("machine: %s, %d CPUs, load average before: %s\n", benchkit.CPUModel(), runtime.NumCPU(), benchkit.LoadAvg())
	fmt.Printf("ffmpeg: %s\n", ffmpegVersion())
	fmt.Printf("source: %s (%s)\n", clipNote, sizeMB(info.Size))
	fmt.Println("pipeline: video.ProcessVideo on SQLite and the local blob store, fresh per run; timed from the call to its return")
	fmt.Printf("renditions: %s, libx264 preset %s; poster %d px and thumbnail %d px JPEG at %s\n\n",
		strings.Join(names, " "), preset, media.PosterMaxWidth, media.ThumbnailWidth, media.PosterTime(info.Duration))

	sides := []struct {
		name    string
		prepare func(ctx context.Context, src, dir string) (*runner, error)
	}{
		{"pipeline", func(ctx context.Context, src, dir string) (*runner, error) {
			return preparePipeline(ctx, src, dir, o.heights, enc, plan)
		}},
		{"ffmpeg", func(ctx context.Context, src, dir string) (*runner, error) {
			return &runner{
				run:   func(ctx context.Context) error { return bare(ctx, src, dir, info, plan, enc) },
				check: func(context.Context) error { return checkOutputs(dir, names) },
			}, nil
		}},
	}
	times := map[string][]time.Duration{}
	// Each row as it comes: a run takes minutes.
	fmt.Printf("%5s  %-8s  %8s\n", "round", "side", "seconds")
	for i := range o.rounds {
		order := []int{0, 1}
		if i%2 == 1 {
			order = []int{1, 0}
		}
		for _, k := range order {
			s := sides[k]
			d, err := measure(ctx, tmp, s.name, src, s.prepare)
			if err != nil {
				return fmt.Errorf("%s round %d: %w", s.name, i+1, err)
			}
			times[s.name] = append(times[s.name], d)
			fmt.Printf("%5d  %-8s  %8.2f\n", i+1, s.name, d.Seconds())
		}
	}

	p, f := median(times["pipeline"]), median(times["ffmpeg"])
	var pairs []string
	for i := range o.rounds {
		pairs = append(pairs, strconv.FormatFloat(times["pipeline"][i].Seconds()/times["ffmpeg"][i].Seconds(), 'f', 3, 64))
	}
	fmt.Printf("\nmedian wall time: pipeline %.2f s, bare ffmpeg %.2f s\n", p.Seconds(), f.Seconds())
	verdict := "meets"
	if p.Seconds()/f.Seconds() >= 1.10 {
		verdict = "misses"
	}
	fmt.Printf("ratio pipeline/ffmpeg: %.3f (%s the goal of < 1.10); per round: %s\n", p.Seconds()/f.Seconds(), verdict, strings.Join(pairs, " "))
	fmt.Printf("load average after: %s\n", benchkit.LoadAvg())
	return nil
}

// runner is one run of a side, prepared: run is timed, check and close are not.
type runner struct {
	run   func(context.Context) error
	check func(context.Context) error
	close func()
}

// measure prepares a run of a side in a fresh directory under tmp, times its run, checks its
// outputs and removes the directory.
func measure(ctx context.Context, tmp, name, src string, prepare func(ctx context.Context, src, dir string) (*runner, error)) (time.Duration, error) {
	dir, err := os.MkdirTemp(tmp, name+"-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	r, err := prepare(ctx, src, dir)
	if err != nil {
		return 0, fmt.Errorf("prepare: %w", err)
	}
	if r.close != nil {
		defer r.close()
	}
	t0 := time.Now()
	err = r.run(ctx)
	d := time.Since(t0)
	if err != nil {
		return 0, err
	}
	if err := r.check(ctx); err != nil {
		return 0, fmt.Errorf("check: %w", err)
	}
	return d, nil
}

// preparePipeline sets up what the app's video job finds when it starts (benchvideo.Upload: a
// SQLite database and the local media store in dir, a video whose uploaded source is stored and
// attached) and returns video.ProcessVideo on it as the run, with the encoder and heights
// given. The check reads the outputs back from the database and the store.
func preparePipeline(ctx context.Context, src, dir string, heights []int, enc media.Encoder, plan []media.Rendition) (*runner, error) {
	u, err := benchvideo.Upload(ctx, dir, src, "Processing benchmark")
	if err != nil {
		return nil, err
	}
	r := &runner{close: u.Close}
	deps := u.Deps(dir, enc, heights)
	r.run = func(ctx context.Context) error { return video.ProcessVideo(ctx, deps, u.ID) }
	r.check = func(ctx context.Context) error { return checkStored(ctx, u.DB, u.Store, u.ID, plan) }
	return r, nil
}

// checkStored makes sure the job recorded the video as ready with every planned rendition, a
// poster and a thumbnail, each stored, non-empty, at the size recorded.
func checkStored(ctx context.Context, d *db.DB, store blob.Store, id int64, plan []media.Rendition) error {
	v, err := video.Get(ctx, d.R, id)
	if err != nil {
		return err
	}
	if v.Processing != video.ProcReady {
		return fmt.Errorf("video %d: processing %q, want %q (%s)", id, v.Processing, video.ProcReady, v.Failure)
	}
	var want, got []int
	for _, r := range plan {
		want = append(want, r.Lines)
	}
	for _, r := range v.Renditions {
		got = append(got, r.Lines)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		return fmt.Errorf("video %d: renditions %v recorded, want %v", id, got, want)
	}
	sizes := map[string]int64{v.PosterKey: -1, v.ThumbnailKey: -1}
	for _, r := range v.Renditions {
		sizes[r.Key] = r.Size
	}
	for key, size := range sizes {
		if key == "" {
			return fmt.Errorf("video %d: no poster or thumbnail recorded", id)
		}
		a, err := store.Stat(ctx, key)
		if err != nil {
			return err
		}
		if a.Size == 0 || (size >= 0 && a.Size != size) {
			return fmt.Errorf("%s: %d bytes stored, %d recorded", key, a.Size, size)
		}
	}
	return nil
}

// bare runs the same commands with the same arguments, one after the other, with nothing
// around them: no temporary names, no fsync, no renames, no progress parsing (ffmpeg's
// progress output is still written, and discarded). The probe's JSON is read, since any
// caller must read it; its parsing is not done.
func bare(ctx context.Context, src, dir string, info *media.Info, plan []media.Rendition, enc media.Encoder) error {
	var probeOut bytes.Buffer
	if err := tool(ctx, &probeOut, "ffprobe", media.ProbeArgs(src)...); err != nil {
		return err
	}
	if probeOut.Len() == 0 {
		return errors.New("ffprobe printed nothing")
	}
	if err := tool(ctx, io.Discard, "ffmpeg", media.TailCheckArgs(src, info.Video.Index)...); err != nil {
		return err
	}
	// The same encodes as the job: the lowest rendition alone, then the rest (video.Stages).
	for _, stage := range video.Stages(plan) {
		outs := make([]media.Target, len(stage))
		for i, r := range stage {
			outs[i] = media.Target{MP4: filepath.Join(dir, r.Name+".mp4"), HLS: filepath.Join(dir, r.Name+".hls")}
			if err := os.MkdirAll(outs[i].HLS, 0o755); err != nil {
				return err
			}
		}
		if err := tool(ctx, io.Discard, "ffmpeg", media.TranscodeArgs(src, outs, stage, enc)...); err != nil {
			return err
		}
	}
	at := media.PosterTime(info.Duration)
	if err := tool(ctx, io.Discard, "ffmpeg", media.PosterArgs(src, filepath.Join(dir, "poster.jpg"), at, media.PosterMaxWidth, "jpeg")...); err != nil {
		return err
	}
	return tool(ctx, io.Discard, "ffmpeg", media.PosterArgs(src, filepath.Join(dir, "thumbnail.jpg"), at, media.ThumbnailWidth, "jpeg")...)
}

func tool(ctx context.Context, stdout io.Writer, name string, args ...string) error {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = stdout, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// checkOutputs makes sure a side produced every file, so that a side that skips work cannot
// look fast.
func checkOutputs(dir string, renditions []string) error {
	want := []string{"poster.jpg", "thumbnail.jpg"}
	for _, n := range renditions {
		want = append(want, n+".mp4")
	}
	for _, n := range want {
		st, err := os.Stat(filepath.Join(dir, n))
		if err != nil {
			return err
		}
		if st.Size() == 0 {
			return fmt.Errorf("%s is empty", n)
		}
	}
	return nil
}

func median(v []time.Duration) time.Duration {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ffmpegVersion() string {
	out, err := exec.Command("ffmpeg", "-hide_banner", "-version").Output()
	if err != nil {
		return "unknown"
	}
	line, _, _ := strings.Cut(string(out), "\n")
	line = strings.TrimPrefix(line, "ffmpeg version ")
	line, _, _ = strings.Cut(line, " Copyright")
	return line
}

func sizeMB(n int64) string { return strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64) + " MB" }
