// Command processing measures what sistercity's processing pipeline costs beyond the ffmpeg
// work itself: the pipeline as the app runs it (media.Probe with its tail check, Check, Plan,
// Transcode with progress parsing, temporary files, fsync and renames, then Poster and
// Thumbnail) against the bare ffprobe/ffmpeg commands it runs, replayed from the exported
// argument lists (ProbeArgs, TailCheckArgs, TranscodeArgs, PosterArgs) with nothing around them.
// The two alternate (A B B A …) on the same source clip, and the ratio of their median wall
// times is the pipeline's overhead (goal: under 1.10).
//
// Run: go run ./bench/processing (make bench).
package main

import (
	"bufio"
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

	"sistercity/internal/media"
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
	fmt.Printf("machine: %s, %d CPUs, load average before: %s\n", cpuModel(), runtime.NumCPU(), loadAvg())
	fmt.Printf("ffmpeg: %s\n", ffmpegVersion())
	fmt.Printf("source: %s (%s)\n", clipNote, sizeMB(info.Size))
	fmt.Printf("renditions: %s, libx264 preset %s; poster %d px and thumbnail %d px JPEG at %s\n\n",
		strings.Join(names, " "), preset, media.PosterMaxWidth, media.ThumbnailWidth, media.PosterTime(info.Duration))

	sides := []struct {
		name string
		run  func(context.Context, string, string) error
	}{
		{"pipeline", func(ctx context.Context, src, dir string) error { return pipeline(ctx, src, dir, o.heights, enc) }},
		{"ffmpeg", func(ctx context.Context, src, dir string) error { return bare(ctx, src, dir, info, plan, enc) }},
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
			dir, err := os.MkdirTemp(tmp, s.name+"-")
			if err != nil {
				return err
			}
			t0 := time.Now()
			err = s.run(ctx, src, dir)
			d := time.Since(t0)
			if err == nil {
				err = checkOutputs(dir, names)
			}
			os.RemoveAll(dir)
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
	fmt.Printf("load average after: %s\n", loadAvg())
	return nil
}

// pipeline is the processing of an upload as the app does it, up to the files in place.
func pipeline(ctx context.Context, src, dir string, heights []int, enc media.Encoder) error {
	info, err := media.Probe(ctx, src)
	if err != nil {
		return err
	}
	if err := info.Check(media.Limits{}); err != nil {
		return err
	}
	plan := media.Plan(info, heights)
	// The app's progress callback writes to the database about twice a second; here it only
	// keeps the last value, so that the parsing is counted and nothing else.
	var last media.Progress
	if _, err := media.Transcode(ctx, src, dir, plan, enc, func(p media.Progress) { last = p }); err != nil {
		return err
	}
	if !last.Done {
		return errors.New("transcode: no final progress")
	}
	at := media.PosterTime(info.Duration)
	if err := media.Poster(ctx, src, filepath.Join(dir, "poster.jpg"), at, media.PosterMaxWidth); err != nil {
		return err
	}
	return media.Thumbnail(ctx, src, filepath.Join(dir, "thumbnail.jpg"), at)
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
	outs := make([]string, len(plan))
	for i, r := range plan {
		outs[i] = filepath.Join(dir, r.Name+".mp4")
	}
	if err := tool(ctx, io.Discard, "ffmpeg", media.TranscodeArgs(src, outs, plan, enc)...); err != nil {
		return err
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

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func sizeMB(n int64) string { return strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64) + " MB" }
