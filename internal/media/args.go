package media

import (
	"strconv"
	"time"
)

// Audio of every rendition: AAC-LC stereo, which every player decodes, at a rate that speech
// and music alike are transparent at.
const audioBitRate = "128k"

// keyframeSeconds is the longest distance between keyframes. Two seconds lets a viewer seek
// without waiting, and keeps the renditions' keyframes on the same instants, so that they can
// later be cut into HLS/DASH segments and switched between.
const keyframeSeconds = 2

// TranscodeArgs is ffmpeg's argument list for encoding plan into outs (one path per
// rendition) in a single process: the source is read and decoded once, and every rendition is
// scaled and encoded from the same decoded frames. Progress goes to stdout as key=value blocks.
//
// One process rather than one per rendition: decoding is paid once (a phone's 4K HEVC costs
// more to decode than a 360p encode), the encoders run side by side on every core, there is one
// progress stream and one process group to kill, and the renditions succeed or fail together,
// as the job does anyway. On the 3 s 720p test clip into 360p+720p it takes about two thirds of
// the time of two processes in a row (BenchmarkTranscode). The price is memory for all the
// encoders at once, which is small at these sizes.
func TranscodeArgs(in string, outs []string, plan []Rendition, enc Encoder) []string {
	args := []string{"-hide_banner", "-nostdin", "-v", "error", "-y", "-progress", "pipe:1", "-nostats", "-i", fileURL(in)}
	for i, r := range plan {
		args = append(args, renditionArgs(r, enc)...)
		args = append(args, fileURL(outs[i]))
	}
	return args
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
	args = append(args, "-map_metadata", "-1", "-map_chapters", "-1")
	// The index first, so that a phone starts playing before the whole file has arrived.
	return append(args, "-movflags", "+faststart", "-f", "mp4")
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
		return f + "scale=-2:" + strconv.Itoa(r.Lines)
	}
	return f + "scale=" + strconv.Itoa(r.Lines) + ":-2"
}

// fileURL makes ffmpeg read a path as a local file whatever it looks like: a name starting with
// "-" is not an option, and one like "http:…" or "concat:…" is not a protocol.
func fileURL(path string) string { return "file:" + path }

// ffmpegTime writes a duration as seconds, the way -ss reads it.
func ffmpegTime(d time.Duration) string {
	return strconv.FormatFloat(max(d, 0).Seconds(), 'f', -1, 64)
}
