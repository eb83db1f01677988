package media

import (
	"strconv"
	"strings"
	"time"
)

// Audio of every rendition: AAC-LC stereo, which every player decodes, at a rate that speech
// and music alike are transparent at.
const audioBitRate = "128k"

// keyframeSeconds is the longest distance between keyframes. Two seconds lets a viewer seek
// without waiting, and keeps the renditions' keyframes on the same instants, so that they can
// later be cut into HLS/DASH segments and switched between.
const keyframeSeconds = 2

// Target is where one rendition is written: its MP4 file and, unless HLS is "", the directory of
// its HLS stream (HLSPlaylist, HLSInit and fMP4 segments), which must exist. Both are absolute
// paths, since they are written through the tee muxer's own syntax.
type Target struct {
	MP4, HLS string
}

// Names of an HLS stream's files in its directory.
const (
	HLSPlaylist = "index.m3u8"
	HLSInit     = "init.mp4"
	hlsSegments = "seg-%05d.m4s"
)

// hlsSegmentSeconds is the HLS segments' target length: two keyframe intervals, so that every
// segment starts on a keyframe shared by all renditions and a player can switch between them
// at any segment.
const hlsSegmentSeconds = 2 * keyframeSeconds

// TranscodeArgs is ffmpeg's argument list for encoding plan into outs (one per rendition) in a
// single process: the source is read and decoded once, and every rendition is scaled and
// encoded from the same decoded frames. Progress goes to stdout as key=value blocks.
//
// Each rendition's encoded streams go to the tee muxer, which writes them both as the MP4
// download and as fMP4 (CMAF) HLS segments: two containers, one encode.
//
// One process rather than one per rendition: decoding is paid once (a phone's 4K HEVC costs
// more to decode than a 360p encode), the encoders run side by side on every core, there is one
// progress stream and one process group to kill, and the renditions succeed or fail together,
// as the job does anyway. On the 3 s 720p test clip into 360p+720p it takes about two thirds of
// the time of two processes in a row (BenchmarkTranscode). The price is memory for all the
// encoders at once, which is small at these sizes.
func TranscodeArgs(in string, outs []Target, plan []Rendition, enc Encoder) []string {
	args := []string{"-hide_banner", "-nostdin", "-v", "error", "-y", "-progress", "pipe:1", "-nostats", "-i", fileURL(in)}
	for i, r := range plan {
		args = append(args, renditionArgs(r, enc)...)
		args = append(args, outputArgs(outs[i])...)
	}
	return args
}

// outputArgs are the muxer options of a rendition's outputs: the MP4 alone, or the MP4 and the
// HLS stream through the tee muxer.
func outputArgs(t Target) []string {
	// The index first, so that a phone starts playing before the whole file has arrived.
	if t.HLS == "" {
		return []string{"-movflags", "+faststart", "-f", "mp4", fileURL(t.MP4)}
	}
	hls := teeOptions([][2]string{
		{"f", "hls"},
		{"hls_time", strconv.Itoa(hlsSegmentSeconds)},
		{"hls_playlist_type", "vod"},
		{"hls_segment_type", "fmp4"},
		{"hls_flags", "independent_segments"},
		{"hls_fmp4_init_filename", HLSInit},
		{"hls_segment_filename", t.HLS + "/" + hlsSegments},
	})
	spec := teeEscape("[f=mp4:movflags=+faststart]"+fileURL(t.MP4)) + "|" + teeEscape(hls+fileURL(t.HLS+"/"+HLSPlaylist))
	// The tee muxer cannot tell its outputs that the codecs' headers belong in the container
	// (avcC, esds) rather than in the stream, as MP4 and fMP4 both want.
	return []string{"-flags:v", "+global_header", "-flags:a", "+global_header", "-f", "tee", spec}
}

// teeOptions writes the bracketed options of one of the tee muxer's outputs, whose values are
// read as tokens once more than the rest.
func teeOptions(opts [][2]string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, o := range opts {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(o[0] + "=" + teeEscape(o[1]))
	}
	b.WriteByte(']')
	return b.String()
}

// teeEscape escapes s for one level of ffmpeg's token parsing (av_get_token), which reads a
// backslash followed by any character as that character.
func teeEscape(s string) string {
	var b strings.Builder
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("/._-+%", c)) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// renditionArgs are the output options of one rendition.
func renditionArgs(r Rendition, enc Encoder) []string {
	args := []string{"-map", "0:" + strconv.Itoa(r.VideoStream)}
	if r.AudioStream >= 0 {
		args = append(args, "-map", "0:"+strconv.Itoa(r.AudioStream))
	}
	filter := ""
	if s, ok := enc.(Scaler); ok {
		filter = s.ScaleFilter(r)
	} else {
		filter = scaleFilter(r)
	}
	args = append(args, "-vf", filter)
	args = append(args, enc.VideoArgs(r)...)
	if r.ToneMap {
		args = append(args, "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709")
	}
	if fps := r.FrameRate.Float(); fps > 0 {
		args = append(args, "-g", strconv.Itoa(int(fps*keyframeSeconds+0.5)))
	}
	// Forced by time rather than by frame count, so that the keyframes fall on the same instants
	// whatever each rendition's frame rate; x264 may still add some at scene cuts.
	args = append(args, "-force_key_frames", "expr:gte(t,n_forced*"+strconv.Itoa(keyframeSeconds)+")")
	if r.AudioStream >= 0 {
		rate := r.AudioSampleRate
		if rate == 0 {
			rate = 48000
		}
		args = append(args, "-c:a", "aac", "-b:a", audioBitRate, "-ac", "2", "-ar", strconv.Itoa(rate))
		if r.AudioLanguage != "" {
			args = append(args, "-metadata:s:a:0", "language="+r.AudioLanguage)
		}
	}
	// No metadata is copied: phone clips carry the GPS position where they were filmed, which a
	// published message must not reveal. Chapters and subtitles are handled elsewhere.
	return append(args, "-map_metadata", "-1", "-map_chapters", "-1")
}

// scaleFilter scales the picture so that its short side has r.Lines lines and the other keeps
// the aspect ratio, rounded to an even size. ffmpeg has already turned the picture upright (it
// applies the source's rotation before any filter), so a portrait clip is scaled as portrait.
// Dropping frames comes first: fewer frames to scale.
func scaleFilter(r Rendition) string {
	f := ""
	if r.ReduceFrameRate && !r.FrameRate.IsZero() {
		f = "fps=" + r.FrameRate.String() + ","
	}
	if r.Width >= r.Height {
		f += "scale=-2:" + strconv.Itoa(r.Lines)
	} else {
		f += "scale=" + strconv.Itoa(r.Lines) + ":-2"
	}
	if r.ToneMap {
		f += "," + toneMapFilter
	}
	return f
}

// toneMapFilter turns an HDR picture (PQ or HLG, BT.2020) into SDR BT.709: to linear light,
// the BT.709 primaries, Hable's curve (which keeps the highlights' detail, as phones' own
// galleries do), then the BT.709 transfer in TV range and 8-bit 4:2:0. It comes after the
// scaling, so the costly float conversion runs on the rendition's pixels, not the source's.
const toneMapFilter = "zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,tonemap=hable:desat=0," +
	"zscale=t=bt709:m=bt709:r=tv,format=yuv420p"

// fileURL makes ffmpeg read a path as a local file whatever it looks like: a name starting with
// "-" is not an option, and one like "http:…" or "concat:…" is not a protocol.
func fileURL(path string) string { return "file:" + path }

// ffmpegTime writes a duration as seconds, the way -ss reads it.
func ffmpegTime(d time.Duration) string {
	return strconv.FormatFloat(max(d, 0).Seconds(), 'f', -1, 64)
}
