package media

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Output is a rendition written by Transcode.
type Output struct {
	Rendition Rendition
	Path      string // outDir/Name.mp4
	Size      int64  // bytes
	// HLS is the same encoded streams as an HLS stream, in outDir/Name.hls.
	HLS *HLSStream
}

// Progress is how far an encode has got.
type Progress struct {
	// Percent runs from 0 to 100 and reaches 100 only once every output is in place. It stays
	// 0 when the source's duration is unknown.
	Percent float64
	OutTime time.Duration // how much of the video has been encoded
	Frame   int64
	Speed   float64 // times real time; 0 when ffmpeg does not know yet
	Done    bool
}

// Transcode encodes in into the renditions of plan, one MP4 per rendition named
// outDir/<Name>.mp4 and the same streams as HLS in outDir/<Name>.hls, with one ffmpeg process
// (see TranscodeArgs for why one). ffmpeg writes to hidden temporary files and directories in
// outDir, which are renamed into place only when it has succeeded, so a final name never holds half a file; on failure or cancellation the
// temporaries are removed. Cancelling ctx kills ffmpeg's whole process group.
//
// progress, when not nil, is called from Transcode's goroutine about twice a second and once
// with Done at the end; it should return quickly, since ffmpeg waits while it runs.
func Transcode(ctx context.Context, in, outDir string, plan []Rendition, enc Encoder, progress func(Progress)) (outputs []Output, err error) {
	if len(plan) == 0 {
		return nil, errors.New("media: transcode: empty plan")
	}
	// The tee muxer's outputs are written as absolute paths (see Target).
	if outDir, err = filepath.Abs(outDir); err != nil {
		return nil, fmt.Errorf("media: transcode: %w", err)
	}
	finals := make([]Target, len(plan))
	seen := map[string]bool{}
	for i, r := range plan {
		if r.Name == "" || strings.ContainsAny(r.Name, `/\`) || strings.HasPrefix(r.Name, ".") || seen[r.Name] {
			return nil, fmt.Errorf("media: transcode: bad or repeated rendition name %q", r.Name)
		}
		seen[r.Name] = true
		finals[i] = Target{MP4: filepath.Join(outDir, r.Name+".mp4"), HLS: filepath.Join(outDir, r.Name+".hls")}
	}

	temps := make([]Target, 0, len(plan))
	defer func() {
		if err != nil {
			for _, t := range temps {
				os.Remove(t.MP4)
				os.RemoveAll(t.HLS)
			}
		}
	}()
	for _, r := range plan {
		mp4, err := reserveTemp(outDir, r.Name+".mp4")
		if err != nil {
			return nil, fmt.Errorf("media: transcode: %w", err)
		}
		hls, err := os.MkdirTemp(outDir, "."+r.Name+".hls.*.part")
		temps = append(temps, Target{MP4: mp4, HLS: hls})
		if err != nil {
			return nil, fmt.Errorf("media: transcode: %w", err)
		}
	}

	var duration time.Duration
	for _, r := range plan {
		duration = max(duration, r.Duration)
	}
	cmd, stderr := command(ctx, ffmpegBin, TranscodeArgs(in, temps, plan, enc))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("media: transcode: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("media: start ffmpeg: %w", err)
	}
	parseProgress(stdout, func(kv map[string]string) {
		if progress == nil {
			return
		}
		p := progressOf(kv, duration)
		// 100 % is kept for when the files are in place: ffmpeg still has to move the index to
		// the front of each file after its last progress report.
		p.Percent = min(p.Percent, 99.9)
		progress(p)
	})
	waitErr := cmd.Wait()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("media: transcode %s: %w", in, ctx.Err())
	}
	if waitErr != nil {
		return nil, &Error{Code: CodeEncodeFailed, Detail: "ffmpeg failed", Stderr: stderr.String(), Err: waitErr}
	}

	for i, t := range temps {
		size, err := syncFile(t.MP4)
		if err != nil {
			return nil, fmt.Errorf("media: transcode: %w", err)
		}
		if size == 0 {
			return nil, &Error{Code: CodeEncodeFailed, Detail: plan[i].Name + ": ffmpeg wrote nothing", Stderr: stderr.String()}
		}
		hls, err := ReadHLS(t.HLS)
		if err != nil {
			return nil, &Error{Code: CodeEncodeFailed, Detail: plan[i].Name + ": " + err.Error(), Stderr: stderr.String()}
		}
		for _, f := range hls.Files {
			if _, err := syncFile(filepath.Join(t.HLS, f)); err != nil {
				return nil, fmt.Errorf("media: transcode: %w", err)
			}
		}
		hls.Dir = finals[i].HLS
		outputs = append(outputs, Output{Rendition: plan[i], Path: finals[i].MP4, Size: size, HLS: hls})
	}
	for i, t := range temps {
		if err := os.Rename(t.MP4, finals[i].MP4); err != nil {
			return nil, fmt.Errorf("media: transcode: %w", err)
		}
		os.RemoveAll(finals[i].HLS) // a directory is not replaced by a rename
		if err := os.Rename(t.HLS, finals[i].HLS); err != nil {
			return nil, fmt.Errorf("media: transcode: %w", err)
		}
	}
	syncDir(outDir)
	if progress != nil {
		progress(Progress{Percent: 100, OutTime: duration, Done: true})
	}
	return outputs, nil
}

// reserveTemp creates an empty hidden file in dir for ffmpeg to overwrite, with a name no other
// encode of the same rendition can take.
func reserveTemp(dir, name string) (string, error) {
	f, err := os.CreateTemp(dir, "."+name+".*.part")
	if err != nil {
		return "", err
	}
	return f.Name(), f.Close()
}

// syncFile flushes what ffmpeg wrote to disk before the file gets its final name, so that a
// power cut cannot leave an empty file under a name the database already points to.
func syncFile(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return 0, err
	}
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// syncDir makes the renames durable. It is best effort: some file systems refuse to sync a
// directory, and the files themselves are already safe.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// parseProgress reads ffmpeg's -progress output, blocks of key=value lines each ended by
// "progress=continue" or "progress=end", and calls block with each. It reads to the end, so that
// ffmpeg never blocks on a full pipe.
func parseProgress(r io.Reader, block func(map[string]string)) {
	sc := bufio.NewScanner(r)
	kv := map[string]string{}
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if !ok {
			continue
		}
		kv[k] = strings.TrimSpace(v)
		if k == "progress" {
			block(kv)
			kv = map[string]string{}
		}
	}
	io.Copy(io.Discard, r) // after an over-long line, drain what is left
}

func progressOf(kv map[string]string, duration time.Duration) Progress {
	var p Progress
	// out_time_ms is in microseconds too (a misnomer ffmpeg keeps for compatibility); older
	// builds print only that one.
	us, err := strconv.ParseInt(kv["out_time_us"], 10, 64)
	if err != nil {
		us, err = strconv.ParseInt(kv["out_time_ms"], 10, 64)
	}
	if err == nil && us > 0 {
		p.OutTime = time.Duration(us) * time.Microsecond
	}
	if duration > 0 {
		p.Percent = min(100, 100*float64(p.OutTime)/float64(duration))
	}
	p.Frame, _ = strconv.ParseInt(kv["frame"], 10, 64)
	if s, err := strconv.ParseFloat(strings.TrimSuffix(kv["speed"], "x"), 64); err == nil && s > 0 {
		p.Speed = s
	}
	return p
}
