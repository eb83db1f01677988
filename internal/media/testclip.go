package media

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ClipOptions describe a test clip. The zero value is a 2 s, 320×240, 25 fps clip with a tone.
type ClipOptions struct {
	Width, Height int           // default 320×240
	Duration      time.Duration // default 2 s
	FrameRate     int           // default 25

	NoVideo bool // sound only, like a voice memo (use ".m4a")
	NoAudio bool

	// AudioLanguage tags the sound track (ISO 639-2: "kor", "rus").
	AudioLanguage string
	// Subtitles adds a subtitle stream with one Korean and one Russian cue: SubRip in MKV,
	// mov_text in MP4 and MOV, WebVTT in WebM.
	Subtitles        bool
	SubtitleLanguage string
	SubtitleTitle    string

	// Title is the container's title, e.g. "부산의 응원 메시지" or "Привет из Владивостока".
	Title string
	// Rotation is the display rotation in clockwise degrees: 90 makes a phone's portrait clip,
	// landscape frames the player must turn.
	Rotation int
	// FastStart puts an MP4's index before its data, as web uploads have it.
	FastStart bool
}

func (o ClipOptions) withDefaults() ClipOptions {
	if o.Width == 0 {
		o.Width = 320
	}
	if o.Height == 0 {
		o.Height = 240
	}
	if o.Duration == 0 {
		o.Duration = 2 * time.Second
	}
	if o.FrameRate == 0 {
		o.FrameRate = 25
	}
	return o
}

// clipSubtitles is the subtitle stream of a test clip: the two languages of the story.
const clipSubtitles = "1\n00:00:00,000 --> 00:00:01,000\n블라디보스토크 시민 여러분, 힘내세요!\n\n" +
	"2\n00:00:01,000 --> 00:00:02,000\nДержитесь, жители Пусана!\n"

// TestClip writes a clip of a few seconds to path, made by ffmpeg from its lavfi test sources
// (the testsrc2 pattern and a 440 Hz sine), in the container the extension names: ".mp4",
// ".mov", ".m4a", ".mkv" (H.264 and AAC) or ".webm" (VP9 and Opus). It is for tests and demos:
// it encodes as fast as ffmpeg can, not well.
func TestClip(ctx context.Context, path string, opts ClipOptions) error {
	opts = opts.withDefaults()
	dir := filepath.Dir(path)
	var subs string
	if opts.Subtitles {
		f, err := os.CreateTemp(dir, ".clip-*.srt")
		if err != nil {
			return fmt.Errorf("media: test clip: %w", err)
		}
		subs = f.Name()
		defer os.Remove(subs)
		_, werr := f.WriteString(clipSubtitles)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return fmt.Errorf("media: test clip: %w", werr)
		}
	}
	tmp, err := reserveTemp(dir, filepath.Base(path))
	if err != nil {
		return fmt.Errorf("media: test clip: %w", err)
	}
	defer os.Remove(tmp) // after a successful rename there is nothing left to remove
	if err := runTool(ctx, clipArgs(tmp, filepath.Ext(path), subs, opts)); err != nil {
		return err
	}
	if opts.Rotation != 0 {
		rotated, err := rotateClip(ctx, tmp, path, opts)
		if err != nil {
			return err
		}
		defer os.Remove(rotated)
		tmp = rotated
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("media: test clip: %w", err)
	}
	return nil
}

func runTool(ctx context.Context, args []string) error {
	cmd, stderr := command(ctx, ffmpegBin, args)
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("media: test clip: %w", ctx.Err())
		}
		return &Error{Code: CodeEncodeFailed, Detail: "test clip", Stderr: stderr.String(), Err: err}
	}
	return nil
}

// clipMuxer names ffmpeg's muxer for an extension, since the temporary name has none.
func clipMuxer(ext string) string {
	switch strings.ToLower(ext) {
	case ".mkv":
		return "matroska"
	case ".webm":
		return "webm"
	case ".mov":
		return "mov"
	case ".m4a":
		return "ipod"
	}
	return "mp4"
}

func clipArgs(out, ext, subs string, o ClipOptions) []string {
	secs := ffmpegTime(o.Duration)
	muxer := clipMuxer(ext)
	args := []string{"-hide_banner", "-nostdin", "-v", "error", "-y"}
	var maps []string
	inputs := 0
	if !o.NoVideo {
		args = append(args, "-f", "lavfi", "-i",
			fmt.Sprintf("testsrc2=size=%dx%d:rate=%d:duration=%s", o.Width, o.Height, o.FrameRate, secs))
		maps = append(maps, "-map", strconv.Itoa(inputs)+":v")
		inputs++
	}
	if !o.NoAudio {
		args = append(args, "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration="+secs)
		maps = append(maps, "-map", strconv.Itoa(inputs)+":a")
		inputs++
	}
	if subs != "" {
		args = append(args, "-i", fileURL(subs))
		maps = append(maps, "-map", strconv.Itoa(inputs)+":s")
	}
	args = append(args, maps...)
	if !o.NoVideo {
		// A keyframe every second keeps seeking, and so the tail check, cheap.
		gop := strconv.Itoa(o.FrameRate)
		if muxer == "webm" {
			args = append(args, "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k", "-g", gop)
		} else {
			args = append(args, "-c:v", "libx264", "-preset", "ultrafast", "-g", gop)
		}
		args = append(args, "-pix_fmt", "yuv420p")
	}
	if !o.NoAudio {
		if muxer == "webm" {
			args = append(args, "-c:a", "libopus", "-b:a", "64k")
		} else {
			args = append(args, "-c:a", "aac", "-b:a", "96k")
		}
		if o.AudioLanguage != "" {
			args = append(args, "-metadata:s:a:0", "language="+o.AudioLanguage)
		}
	}
	if subs != "" {
		codec := "mov_text"
		switch muxer {
		case "matroska":
			codec = "srt"
		case "webm":
			codec = "webvtt"
		}
		args = append(args, "-c:s", codec)
		if o.SubtitleLanguage != "" {
			args = append(args, "-metadata:s:s:0", "language="+o.SubtitleLanguage)
		}
		if o.SubtitleTitle != "" {
			args = append(args, "-metadata:s:s:0", "title="+o.SubtitleTitle)
		}
	}
	if o.Title != "" {
		args = append(args, "-metadata", "title="+o.Title)
	}
	if o.FastStart && (muxer == "mp4" || muxer == "mov" || muxer == "ipod") {
		args = append(args, "-movflags", "+faststart")
	}
	return append(args, "-f", muxer, fileURL(out))
}

// rotateClip copies the clip at in with a display rotation, since ffmpeg drops one given while
// encoding. Which way ffmpeg's "rotate" tag turns the picture has changed between versions
// (5.1 turns counter-clockwise), so the result is probed, and the other sense tried if needed.
func rotateClip(ctx context.Context, in, path string, o ClipOptions) (string, error) {
	want := quarterTurns(float64(o.Rotation))
	out, err := reserveTemp(filepath.Dir(path), filepath.Base(path))
	if err != nil {
		return "", fmt.Errorf("media: test clip: %w", err)
	}
	for _, tag := range []int{(360 - want) % 360, want} {
		if err := runTool(ctx, rotateArgs(in, out, filepath.Ext(path), tag, o.FastStart)); err != nil {
			os.Remove(out)
			return "", err
		}
		data, _, err := runProbe(ctx, out)
		if err != nil {
			os.Remove(out)
			return "", fmt.Errorf("media: test clip: probe the rotated clip: %w", err)
		}
		if info, err := parseProbe(data); err == nil && info.Video != nil && info.Video.Rotation == want {
			return out, nil
		}
	}
	os.Remove(out)
	return "", fmt.Errorf("media: test clip: this ffmpeg does not write a %d° rotation", want)
}

func rotateArgs(in, out, ext string, rotateTag int, fastStart bool) []string {
	muxer := clipMuxer(ext)
	args := []string{"-hide_banner", "-nostdin", "-v", "error", "-y", "-i", fileURL(in),
		"-map", "0", "-c", "copy", "-metadata:s:v:0", "rotate=" + strconv.Itoa(rotateTag)}
	if fastStart && (muxer == "mp4" || muxer == "mov") {
		args = append(args, "-movflags", "+faststart")
	}
	return append(args, "-f", muxer, fileURL(out))
}
