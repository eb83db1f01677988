package media

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Info is what ffprobe found in a file: enough to decide whether it is a playable video, to plan
// its renditions, and to offer its embedded subtitle streams for import.
type Info struct {
	// Format is ffprobe's format name, e.g. "mov,mp4,m4a,3gp,3g2,mj2" or "matroska,webm".
	Format string
	// Title is the container's title tag, in whatever language it was written.
	Title    string
	Duration time.Duration // 0 when the file does not say
	Size     int64         // bytes
	BitRate  int64         // bits per second, 0 when unknown

	// Video is the first video stream that is a picture (not cover art); nil when there is none.
	Video     *VideoStream
	Audio     []AudioStream
	Subtitles []SubtitleStream

	// Truncated is set when the last second of the video stream could not be decoded; TailLog
	// keeps what ffmpeg said about it, for the administrator.
	Truncated bool
	TailLog   string
}

// VideoStream describes the picture.
type VideoStream struct {
	Index int // stream index in the file, as ffmpeg's -map 0:N wants it
	Codec string
	// Width and Height are the coded frame size, before rotation.
	Width, Height int
	// Rotation is how many degrees clockwise the frame must be turned for display: 0, 90, 180
	// or 270. Phones record portrait video as landscape frames with a rotation.
	Rotation int
	// Angle is the rotation as the file records it, in clockwise degrees: Rotation rounded to
	// a quarter turn. Check refuses an angle that is not a quarter turn, which no player shows
	// upright and ffmpeg does not apply.
	Angle       float64
	FrameRate   Rate
	PixelFormat string
	// Frames is the number of frames when the container records it, else 0.
	Frames int64
	// Transfer is the transfer characteristic the stream is tagged with ("bt709",
	// "smpte2084" for PQ, "arib-std-b67" for HLG), "" when untagged.
	Transfer string
}

// HDR tells whether the picture is high dynamic range (PQ or HLG), as phones record it: it must
// be tone-mapped to SDR, or it plays washed out on every screen that takes it for BT.709.
func (v *VideoStream) HDR() bool { return v.Transfer == "smpte2084" || v.Transfer == "arib-std-b67" }

// DisplaySize is the size of the picture as shown, after rotation.
func (v *VideoStream) DisplaySize() (width, height int) {
	if v.Rotation == 90 || v.Rotation == 270 {
		return v.Height, v.Width
	}
	return v.Width, v.Height
}

// AudioStream describes one sound track.
type AudioStream struct {
	Index      int
	Codec      string
	Channels   int
	SampleRate int
	Language   string // ISO 639-2 as tagged ("kor", "rus"); "" when untagged or "und"
	Default    bool
}

// SubtitleStream describes a subtitle stream embedded in the container (MKV, MP4, MOV), so that
// a later step can offer to import it as a subtitle track.
type SubtitleStream struct {
	Index    int
	Codec    string // "subrip", "ass", "mov_text", "webvtt", "hdmv_pgs_subtitle", …
	Language string // ISO 639-2 as tagged; "" when untagged or "und"
	Title    string
	Default  bool
	Forced   bool
	// Bitmap is set for subtitles stored as pictures (Blu-ray PGS, DVD), which cannot be
	// imported as text without OCR.
	Bitmap bool
}

// Rate is a frame rate as the exact fraction ffmpeg uses (30000/1001 for NTSC's 29.97).
type Rate struct{ Num, Den int }

// IsZero reports whether the rate is unknown.
func (r Rate) IsZero() bool { return r.Num <= 0 || r.Den <= 0 }

// Float returns frames per second, 0 when unknown.
func (r Rate) Float() float64 {
	if r.IsZero() {
		return 0
	}
	return float64(r.Num) / float64(r.Den)
}

// String writes the rate as ffmpeg reads it: "25" or "30000/1001".
func (r Rate) String() string {
	if r.Den == 1 {
		return strconv.Itoa(r.Num)
	}
	return strconv.Itoa(r.Num) + "/" + strconv.Itoa(r.Den)
}

func parseRate(s string) Rate {
	num, den, ok := strings.Cut(s, "/")
	if !ok {
		den = "1"
	}
	n, err1 := strconv.Atoi(num)
	d, err2 := strconv.Atoi(den)
	if err1 != nil || err2 != nil || n <= 0 || d <= 0 {
		return Rate{}
	}
	return Rate{n, d}
}

// How long a probe may take and how much it may print. ffprobe reads only the head of a local
// file (and the tail check the last second), so a healthy probe takes well under a second;
// the limits are there for hostile or broken files, and for a disk that hangs.
const (
	probeTimeout  = 30 * time.Second
	probeMaxBytes = 4 << 20
)

// ProbeArgs is ffprobe's argument list for Probe.
func ProbeArgs(path string) []string {
	return []string{"-hide_banner", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", fileURL(path)}
}

// TailCheckArgs is ffmpeg's argument list for decoding the last second of a video stream, which
// fails, or yields no frame, when the file was cut short.
func TailCheckArgs(path string, videoStream int) []string {
	return []string{"-hide_banner", "-nostdin", "-v", "error", "-sseof", "-1", "-i", fileURL(path),
		"-map", "0:" + strconv.Itoa(videoStream), "-f", "null", "-progress", "pipe:1", "-nostats", "-"}
}

// Probe examines the file at path with ffprobe. It returns an *Error with CodeEmpty,
// CodeNotVideo, CodeTruncated or CodeUnreadable when the file cannot be examined at all; a file
// it can examine gives an Info, which Check then judges. When the file has a video stream, Probe
// also decodes its last second to find truncated files, so Check needs no further I/O.
func Probe(ctx context.Context, path string) (*Info, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, &Error{Code: CodeUnreadable, Err: err}
	}
	if !st.Mode().IsRegular() {
		return nil, &Error{Code: CodeUnreadable, Detail: "not a regular file"}
	}
	if st.Size() == 0 {
		return nil, &Error{Code: CodeEmpty}
	}

	out, stderr, err := runProbe(ctx, path)
	if err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			return nil, err // cancelled, timed out, or no ffprobe: nothing said about the file
		}
		// ffprobe refused the file. One that starts like a video container was most likely cut
		// short: an MP4 whose index (moov) was to come at the end has lost it.
		code := CodeNotVideo
		if looksLikeContainer(path) {
			code = CodeTruncated
		}
		return nil, &Error{Code: code, Detail: "ffprobe cannot read it", Stderr: stderr, Err: err}
	}

	info, err := parseProbe(out)
	if err != nil {
		return nil, &Error{Code: CodeUnreadable, Detail: "ffprobe output", Err: err}
	}
	if info.Size == 0 {
		info.Size = st.Size()
	}
	if info.Video != nil && info.Duration > 0 && !info.isImage() {
		if err := checkTail(ctx, path, info); err != nil {
			return nil, err
		}
	}
	return info, nil
}

// runProbe runs ffprobe with a timeout and reads at most probeMaxBytes of its output. An
// *exec.ExitError means ffprobe ran and refused the file; any other error says nothing about it.
func runProbe(ctx context.Context, path string) (out []byte, stderr string, err error) {
	probeCtx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	cmd, tail := command(probeCtx, ffprobeBin, ProbeArgs(path))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", fmt.Errorf("media: start ffprobe: %w", err)
	}
	out, readErr := io.ReadAll(io.LimitReader(stdout, probeMaxBytes+1))
	tooMuch := len(out) > probeMaxBytes
	if tooMuch {
		cancel() // kill ffprobe rather than wait for it to print the rest
	}
	waitErr := cmd.Wait()
	switch {
	case ctx.Err() != nil:
		return nil, "", fmt.Errorf("media: probe: %w", ctx.Err())
	case tooMuch:
		return nil, "", &Error{Code: CodeUnreadable, Detail: fmt.Sprintf("ffprobe printed more than %d bytes", probeMaxBytes)}
	case probeCtx.Err() != nil:
		return nil, "", &Error{Code: CodeUnreadable, Detail: "ffprobe timed out", Stderr: tail.String(), Err: probeCtx.Err()}
	case waitErr != nil:
		return nil, tail.String(), waitErr
	case readErr != nil:
		return nil, tail.String(), fmt.Errorf("media: read ffprobe output: %w", readErr)
	}
	return out, tail.String(), nil
}

// The part of ffprobe's JSON that Info needs. Numbers ffprobe prints as strings stay strings
// here and are parsed leniently: "N/A" and missing values both mean unknown.
type probeOutput struct {
	Format struct {
		FormatName string            `json:"format_name"`
		Duration   string            `json:"duration"`
		Size       string            `json:"size"`
		BitRate    string            `json:"bit_rate"`
		Tags       map[string]string `json:"tags"`
	} `json:"format"`
	Streams []struct {
		Index        int               `json:"index"`
		CodecName    string            `json:"codec_name"`
		CodecType    string            `json:"codec_type"`
		Width        int               `json:"width"`
		Height       int               `json:"height"`
		PixFmt       string            `json:"pix_fmt"`
		ColorTrc     string            `json:"color_transfer"`
		AvgFrameRate string            `json:"avg_frame_rate"`
		RFrameRate   string            `json:"r_frame_rate"`
		NbFrames     string            `json:"nb_frames"`
		Duration     string            `json:"duration"`
		Channels     int               `json:"channels"`
		SampleRate   string            `json:"sample_rate"`
		Disposition  map[string]int    `json:"disposition"`
		Tags         map[string]string `json:"tags"`
		SideDataList []struct {
			SideDataType string  `json:"side_data_type"`
			Rotation     float64 `json:"rotation"`
		} `json:"side_data_list"`
	} `json:"streams"`
}

func parseProbe(data []byte) (*Info, error) {
	var p probeOutput
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, err
	}
	info := &Info{
		Format:   p.Format.FormatName,
		Title:    tag(p.Format.Tags, "title"),
		Duration: seconds(p.Format.Duration),
		Size:     integer(p.Format.Size),
		BitRate:  integer(p.Format.BitRate),
	}
	var streamDuration time.Duration
	for _, s := range p.Streams {
		streamDuration = max(streamDuration, seconds(s.Duration))
		switch s.CodecType {
		case "video":
			// Cover art in a music file is a one-picture "video" stream; it is not a video.
			if info.Video != nil || s.Disposition["attached_pic"] == 1 {
				continue
			}
			v := &VideoStream{
				Index:       s.Index,
				Codec:       s.CodecName,
				Width:       s.Width,
				Height:      s.Height,
				PixelFormat: s.PixFmt,
				Transfer:    s.ColorTrc,
				FrameRate:   parseRate(s.AvgFrameRate),
				Frames:      integer(s.NbFrames),
			}
			if v.FrameRate.IsZero() {
				v.FrameRate = parseRate(s.RFrameRate)
			}
			// A rate of 1000 is Matroska's millisecond time base, not a camera's; nothing
			// films at 500 frames a second and up.
			if v.FrameRate.Float() >= 500 {
				v.FrameRate = Rate{}
			}
			matrix := false
			for _, sd := range s.SideDataList {
				if sd.SideDataType == "Display Matrix" {
					// ffprobe gives the matrix's angle counter-clockwise.
					v.Angle = -sd.Rotation
					v.Rotation = quarterTurns(v.Angle)
					matrix = true
				}
			}
			if !matrix {
				// Before ffmpeg 5 the angle came as a "rotate" tag, clockwise.
				if r, err := strconv.ParseFloat(tag(s.Tags, "rotate"), 64); err == nil {
					v.Angle = r
					v.Rotation = quarterTurns(r)
				}
			}
			info.Video = v
		case "audio":
			info.Audio = append(info.Audio, AudioStream{
				Index:      s.Index,
				Codec:      s.CodecName,
				Channels:   s.Channels,
				SampleRate: int(integer(s.SampleRate)),
				Language:   language(s.Tags),
				Default:    s.Disposition["default"] == 1,
			})
		case "subtitle":
			info.Subtitles = append(info.Subtitles, SubtitleStream{
				Index:    s.Index,
				Codec:    s.CodecName,
				Language: language(s.Tags),
				Title:    tag(s.Tags, "title"),
				Default:  s.Disposition["default"] == 1,
				Forced:   s.Disposition["forced"] == 1,
				Bitmap:   bitmapSubtitleCodecs[s.CodecName],
			})
		}
	}
	if info.Duration == 0 {
		info.Duration = streamDuration
	}
	return info, nil
}

var bitmapSubtitleCodecs = map[string]bool{
	"hdmv_pgs_subtitle": true, "dvd_subtitle": true, "dvb_subtitle": true, "xsub": true,
}

// quarterTurns rounds an angle in degrees to 0, 90, 180 or 270: players honour nothing else.
func quarterTurns(deg float64) int {
	q := int(math.Round(deg/90)) % 4
	if q < 0 {
		q += 4
	}
	return q * 90
}

// angleTolerance is how far from a quarter turn a recorded angle may be and still count as
// one: a display matrix written in fixed point does not give 90° exactly.
const angleTolerance = 0.5

// offQuarter is how many degrees deg is from the nearest quarter turn.
func offQuarter(deg float64) float64 {
	return math.Abs(deg - 90*math.Round(deg/90))
}

// tag looks a tag up case-insensitively: Matroska writers use "TITLE" and "title" alike.
func tag(tags map[string]string, key string) string {
	if v, ok := tags[key]; ok {
		return v
	}
	for k, v := range tags {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return ""
}

func language(tags map[string]string) string {
	l := tag(tags, "language")
	if l == "und" {
		return ""
	}
	return l
}

func seconds(s string) time.Duration {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0
	}
	return time.Duration(math.Round(f * float64(time.Second)))
}

func integer(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// isImage reports whether ffprobe saw a still image, which it presents as a one-frame video
// stream: the image demuxers are named "image2" or "<codec>_pipe", and an animated GIF is not a
// video message either.
func (info *Info) isImage() bool {
	for name := range strings.SplitSeq(info.Format, ",") {
		if name == "image2" || name == "gif" || name == "apng" || strings.HasSuffix(name, "_pipe") {
			return true
		}
	}
	return info.Video != nil && info.Video.Frames == 1
}

// checkTail decodes the last second of the video stream. A file cut short still probes
// fine when its index came first (MP4 with faststart, Matroska with a duration in its header),
// but the frames the index promises are not there: ffmpeg decodes none, or complains of a
// partial file.
func checkTail(ctx context.Context, path string, info *Info) error {
	tailCtx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	cmd, stderr := command(tailCtx, ffmpegBin, TailCheckArgs(path, info.Video.Index))
	var out bytes.Buffer
	cmd.Stdout = &limitedWriter{w: &out, n: 64 << 10}
	err := cmd.Run()
	if ctx.Err() != nil {
		return fmt.Errorf("media: probe: %w", ctx.Err())
	}
	if tailCtx.Err() != nil {
		return &Error{Code: CodeUnreadable, Detail: "decoding the last second timed out", Stderr: stderr.String(), Err: tailCtx.Err()}
	}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		return fmt.Errorf("media: check the end of %s: %w", path, err)
	}
	var frames int64
	parseProgress(&out, func(p map[string]string) { frames = integer(p["frame"]) })
	log := stderr.String()
	if err != nil || frames == 0 || strings.Contains(log, "partial file") || strings.Contains(log, "ended prematurely") {
		info.Truncated = true
		info.TailLog = log
		if log == "" && err != nil {
			info.TailLog = err.Error()
		}
	}
	return nil
}

// limitedWriter keeps the first n bytes and silently drops the rest, so a process writing
// without end cannot fill memory nor block on a full pipe.
type limitedWriter struct {
	w io.Writer
	n int64
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(int64(len(p)), l.n)
		l.n -= k
		if _, err := l.w.Write(p[:k]); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// looksLikeContainer reports whether the file starts with the signature of a video container.
// ffprobe gives the same "Invalid data" for a document renamed .mp4 and for an MP4 cut before
// its index; the first bytes tell them apart.
func looksLikeContainer(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var head [12]byte
	n, _ := io.ReadFull(f, head[:])
	b := head[:n]
	switch {
	case len(b) >= 8 && isMP4Box(string(b[4:8])):
		return true
	case bytes.HasPrefix(b, []byte{0x1A, 0x45, 0xDF, 0xA3}): // EBML: Matroska, WebM
		return true
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "AVI ":
		return true
	case bytes.HasPrefix(b, []byte{0x00, 0x00, 0x01, 0xBA}): // MPEG program stream
		return true
	case bytes.HasPrefix(b, []byte{0x30, 0x26, 0xB2, 0x75}): // ASF, WMV
		return true
	case bytes.HasPrefix(b, []byte("FLV")), bytes.HasPrefix(b, []byte("OggS")):
		return true
	}
	return false
}

// isMP4Box reports whether typ is a box that can open an ISO BMFF/QuickTime file.
func isMP4Box(typ string) bool {
	switch typ {
	case "ftyp", "moov", "mdat", "free", "skip", "wide", "pnot":
		return true
	}
	return false
}

// Limits bound what Check accepts. The zero value of a field means its default.
type Limits struct {
	MinDuration time.Duration // default 0.5 s: shorter is a mistake, not a message
	MaxDuration time.Duration // default 4 h
	MinSide     int           // default 16 px, for width and height alike
	MaxSide     int           // default 8192 px: beyond 8K, and beyond what H.264 levels allow
}

// DefaultLimits returns the limits used for fields left at zero.
func DefaultLimits() Limits {
	return Limits{MinDuration: 500 * time.Millisecond, MaxDuration: 4 * time.Hour, MinSide: 16, MaxSide: 8192}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MinDuration == 0 {
		l.MinDuration = d.MinDuration
	}
	if l.MaxDuration == 0 {
		l.MaxDuration = d.MaxDuration
	}
	if l.MinSide == 0 {
		l.MinSide = d.MinSide
	}
	if l.MaxSide == 0 {
		l.MaxSide = d.MaxSide
	}
	return l
}

// Check reports, as an *Error with a Code, why the probed file is not a video the index can
// play, or nil when it is.
func (info *Info) Check(limits Limits) error {
	limits = limits.withDefaults()
	v := info.Video
	switch {
	case info.Size == 0:
		return &Error{Code: CodeEmpty}
	case info.isImage():
		return &Error{Code: CodeNotVideo, Detail: "a still image (" + info.Format + ")"}
	case v == nil && len(info.Audio) == 0:
		return &Error{Code: CodeNotVideo, Detail: "no video or audio stream (" + info.Format + ")"}
	case v == nil:
		return &Error{Code: CodeNoVideoStream, Detail: fmt.Sprintf("%d audio stream(s) only", len(info.Audio))}
	// The size before the end: a picture too large for ffmpeg (about 16K by 16K, as a hostile
	// file may declare) is sized 0×0 and cannot be decoded, which is not a file cut short.
	case v.Width == 0 || v.Height == 0:
		return &Error{Code: CodeDimensions, Detail: "ffmpeg cannot size the picture (too large for it, or not said)", Stderr: info.TailLog}
	case v.Width < limits.MinSide || v.Height < limits.MinSide || v.Width > limits.MaxSide || v.Height > limits.MaxSide:
		return &Error{Code: CodeDimensions, Detail: fmt.Sprintf("%d×%d outside %d–%d px", v.Width, v.Height, limits.MinSide, limits.MaxSide)}
	case info.Truncated:
		return &Error{Code: CodeTruncated, Detail: "the last second does not decode", Stderr: info.TailLog}
	case info.Duration == 0:
		return &Error{Code: CodeTruncated, Detail: "no duration recorded"}
	case offQuarter(v.Angle) > angleTolerance:
		return &Error{Code: CodeRotation, Detail: fmt.Sprintf("rotation %g° is not a multiple of 90°", math.Round(v.Angle*100)/100)}
	case info.Duration < limits.MinDuration:
		return &Error{Code: CodeTooShort, Detail: fmt.Sprintf("duration %v < %v", info.Duration, limits.MinDuration)}
	case info.Duration > limits.MaxDuration:
		return &Error{Code: CodeTooLong, Detail: fmt.Sprintf("duration %v > %v", info.Duration, limits.MaxDuration)}
	}
	return nil
}
