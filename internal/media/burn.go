package media

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// DefaultBurnFont is the font subtitles are burned in with: Noto Sans CJK (Debian's
// fonts-noto-cjk) has Hangul, Cyrillic and Latin in one face, so a Korean cue that quotes a
// Russian name renders without falling back to boxes.
const DefaultBurnFont = "Noto Sans CJK KR"

// fontDirs are where distributions put the Noto CJK fonts, Debian's first.
var fontDirs = []string{
	"/usr/share/fonts/opentype/noto",
	"/usr/share/fonts/noto-cjk",
	"/usr/share/fonts/google-noto-cjk",
	"/usr/share/fonts/opentype/noto-cjk",
}

// FontsDir returns the first directory that holds the Noto CJK fonts, or "" when none does
// (libass then asks fontconfig, which finds them wherever they are installed).
func FontsDir() string {
	for _, d := range fontDirs {
		if m, _ := filepath.Glob(filepath.Join(d, "NotoSansCJK*")); len(m) > 0 {
			return d
		}
	}
	return ""
}

// BurnOptions describe a burned-in version.
type BurnOptions struct {
	// Width and Height scale the picture before the text is drawn, so that the text keeps its
	// size relative to the output; 0 keeps the source's size, and the rate control then
	// assumes 720 lines.
	Width, Height int
	// FrameRate is the source's frame rate, for the keyframe interval; zero lets x264 choose.
	FrameRate Rate
	// Duration is the source's length, for progress as a percentage.
	Duration time.Duration
	// FontsDir is where libass looks for fonts first; "" is FontsDir().
	FontsDir string
	// Font is the font family; "" is DefaultBurnFont.
	Font string
	// Encoder makes the picture; nil is libx264 with its default preset.
	Encoder Encoder
}

// burnStyle is the look of burned-in text, in libass's units (a 288-line script height):
// white with a dark outline, readable over any picture on a phone's small screen.
const burnStyle = "FontSize=22,PrimaryColour=&H00FFFFFF,OutlineColour=&H00000000,BorderStyle=1,Outline=1.2,Shadow=0,MarginV=16"

// BurnArgs is ffmpeg's argument list for Burn: the subtitles filter (libass) draws the cues of
// subs (SRT or ASS) onto the first video stream of in, which is encoded as H.264 with AAC
// sound into an MP4 with its index first, for social networks that take one plain file.
func BurnArgs(in, subs, out string, o BurnOptions) []string {
	if o.Encoder == nil {
		o.Encoder = X264{}
	}
	if o.Font == "" {
		o.Font = DefaultBurnFont
	}
	filter := "subtitles=filename=" + escapeFilterValue(fileURL(subs))
	if o.FontsDir != "" {
		filter += ":fontsdir=" + escapeFilterValue(o.FontsDir)
	}
	filter += ":force_style=" + escapeFilterValue("FontName="+o.Font+","+burnStyle)
	if o.Width > 0 && o.Height > 0 {
		// Scaled first, so that libass draws at the output's size and the text stays sharp.
		filter = "scale=" + strconv.Itoa(o.Width) + ":" + strconv.Itoa(o.Height) + "," + filter
	}
	r := Rendition{Width: o.Width, Height: o.Height, Lines: min(o.Width, o.Height), FrameRate: o.FrameRate}
	if r.Lines <= 0 {
		r.Width, r.Height, r.Lines = 1280, 720, 720
	}
	args := []string{"-hide_banner", "-nostdin", "-v", "error", "-y", "-progress", "pipe:1", "-nostats", "-i", fileURL(in),
		"-map", "0:V:0", "-map", "0:a:0?", "-vf", filter}
	args = append(args, o.Encoder.VideoArgs(r)...)
	if fps := o.FrameRate.Float(); fps > 0 {
		args = append(args, "-g", strconv.Itoa(int(fps*keyframeSeconds+0.5)))
	}
	args = append(args, "-c:a", "aac", "-b:a", audioBitRate, "-ac", "2",
		"-map_metadata", "-1", "-map_chapters", "-1", "-sn",
		"-movflags", "+faststart", "-f", "mp4", fileURL(out))
	return args
}

// escapeFilterValue escapes s for use as an option value inside a filtergraph given to -vf.
// ffmpeg unescapes twice: once when it splits the graph into filters (where \ ' [ ] , ; are
// special) and once when it splits a filter's options (where \ ' : are). No shell is involved,
// but a path with a colon or a quote would otherwise end the option or the filter early.
func escapeFilterValue(s string) string {
	opt := strings.NewReplacer(`\`, `\\`, `'`, `\'`, `:`, `\:`).Replace(s)
	return strings.NewReplacer(`\`, `\\`, `'`, `\'`, `[`, `\[`, `]`, `\]`, `,`, `\,`, `;`, `\;`).Replace(opt)
}

// Burn renders the subtitles in subs (an SRT or ASS file) into the picture of in and writes an
// H.264/AAC MP4 to out, returning its size. Like Transcode, ffmpeg writes a hidden temporary
// file beside out that is renamed into place only on success; progress, when not nil, is
// called about twice a second and once with Done at the end.
func Burn(ctx context.Context, in, subs, out string, o BurnOptions, progress func(Progress)) (size int64, err error) {
	if o.FontsDir == "" {
		o.FontsDir = FontsDir()
	}
	if _, err := os.Stat(subs); err != nil {
		return 0, fmt.Errorf("media: burn: %w", err)
	}
	tmp, err := reserveTemp(filepath.Dir(out), filepath.Base(out))
	if err != nil {
		return 0, fmt.Errorf("media: burn: %w", err)
	}
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	cmd, stderr := command(ctx, ffmpegBin, BurnArgs(in, subs, tmp, o))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, fmt.Errorf("media: burn: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("media: start ffmpeg: %w", err)
	}
	parseProgress(stdout, func(kv map[string]string) {
		if progress != nil {
			p := progressOf(kv, o.Duration)
			p.Percent = min(p.Percent, 99.9)
			progress(p)
		}
	})
	waitErr := cmd.Wait()
	if ctx.Err() != nil {
		return 0, fmt.Errorf("media: burn %s: %w", in, ctx.Err())
	}
	if waitErr != nil {
		return 0, &Error{Code: CodeEncodeFailed, Detail: "burn-in", Stderr: stderr.String(), Err: waitErr}
	}
	size, err = syncFile(tmp)
	if err != nil {
		return 0, fmt.Errorf("media: burn: %w", err)
	}
	if size == 0 {
		return 0, &Error{Code: CodeEncodeFailed, Detail: "burn-in: ffmpeg wrote nothing", Stderr: stderr.String()}
	}
	if err := os.Rename(tmp, out); err != nil {
		return 0, fmt.Errorf("media: burn: %w", err)
	}
	if progress != nil {
		progress(Progress{Percent: 100, OutTime: o.Duration, Done: true})
	}
	return size, nil
}

// TextSubtitleCodecs are the subtitle codecs that hold text, which ExtractSubtitle can turn
// into WebVTT; the others (DVD, Blu-ray PGS, DVB) are pictures.
var TextSubtitleCodecs = map[string]bool{"subrip": true, "srt": true, "ass": true, "ssa": true, "webvtt": true, "mov_text": true, "text": true}

// ErrBitmapSubtitles is returned by ExtractSubtitle for a stream of pictures, which only OCR
// could turn into text.
var ErrBitmapSubtitles = errors.New("media: subtitles stored as pictures")

// ExtractSubtitleArgs is ffmpeg's argument list for writing subtitle stream index of in to out
// as WebVTT.
func ExtractSubtitleArgs(in string, index int, out string) []string {
	return []string{"-hide_banner", "-nostdin", "-v", "error", "-y", "-i", fileURL(in),
		"-map", "0:" + strconv.Itoa(index), "-c:s", "webvtt", "-map_metadata", "-1", "-f", "webvtt", fileURL(out)}
}

// ExtractSubtitle converts the text subtitle stream index of in to a WebVTT file out. A stream
// whose codec holds pictures fails with ErrBitmapSubtitles before ffmpeg runs.
func ExtractSubtitle(ctx context.Context, in string, s SubtitleStream, out string) error {
	if s.Bitmap || !TextSubtitleCodecs[s.Codec] {
		return fmt.Errorf("media: extract stream %d (%s): %w", s.Index, s.Codec, ErrBitmapSubtitles)
	}
	cmd, stderr := command(ctx, ffmpegBin, ExtractSubtitleArgs(in, s.Index, out))
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("media: extract stream %d: %w", s.Index, ctx.Err())
		}
		return &Error{Code: CodeEncodeFailed, Detail: "subtitle stream " + strconv.Itoa(s.Index), Stderr: stderr.String(), Err: err}
	}
	return nil
}
