package media

import (
	"math"
	"strconv"
)

// Encoder makes the video part of a rendition. libx264 on the CPU is the one every server has;
// hardware encoders (VA-API, NVENC, Quick Sync) can be added as further implementations without
// touching the rest of the pipeline, which owns mapping, keyframes, audio and the container.
type Encoder interface {
	// Name identifies the encoder in settings and logs, e.g. "libx264".
	Name() string
	// VideoArgs returns ffmpeg's output options for the video stream of r: codec, rate
	// control, profile, level and pixel format.
	VideoArgs(r Rendition) []string
}

// Scaler may be implemented by an Encoder whose frames must be scaled elsewhere than in
// software (scale_vaapi, scale_cuda); ScaleFilter returns the filter chain for r. Encoders
// without it get the software scale filter.
type Scaler interface {
	ScaleFilter(r Rendition) string
}

// DefaultX264Preset is x264's own default. Video messages are short and encoded once, then
// watched many times over mobile data, so bits saved matter more than encoding minutes; a
// small server can choose "veryfast" (about three times faster, some 20 % larger files).
const DefaultX264Preset = "medium"

// X264 encodes H.264 with libx264, High profile, 8-bit 4:2:0: what every phone and browser in
// Busan and Vladivostok decodes in hardware.
type X264 struct {
	// Preset is an x264 preset from "ultrafast" to "veryslow"; "" means DefaultX264Preset.
	Preset string
}

func (X264) Name() string { return "libx264" }

func (e X264) VideoArgs(r Rendition) []string {
	preset := e.Preset
	if preset == "" {
		preset = DefaultX264Preset
	}
	q := x264QualityFor(r.Lines)
	maxrate := q.maxrate
	if r.FrameRate.Float() > 31 {
		maxrate = maxrate * 3 / 2
	}
	args := []string{
		"-c:v", "libx264",
		"-preset", preset,
		"-crf", strconv.Itoa(q.crf),
		"-maxrate", strconv.Itoa(maxrate) + "k",
		"-bufsize", strconv.Itoa(2*maxrate) + "k",
		"-profile:v", "high",
	}
	if level := h264Level(r.Width, r.Height, r.FrameRate.Float(), maxrate, 2*maxrate); level != "" {
		args = append(args, "-level:v", level)
	}
	return append(args, "-pix_fmt", "yuv420p")
}

// x264Quality is the rate control of one nominal height: a constant quality (CRF) with a cap on
// the bit rate, so that a noisy or fast scene cannot outgrow what a phone's connection and the
// H.264 level allow. Small pictures get a lower CRF (better quality) because phones upscale
// them, which magnifies artefacts; large pictures hide noise in detail. The caps sit above
// Apple's HLS authoring ladder for the same sizes, so they bite only on hard scenes.
type x264Quality struct {
	lines   int
	crf     int
	maxrate int // kbit/s at up to 30 fps; half as much again above
}

var x264Ladder = []x264Quality{
	{240, 22, 400},
	{360, 22, 900},
	{480, 22, 1500},
	{720, 23, 3000},
	{1080, 23, 6000},
	{1440, 24, 10000},
	{2160, 24, 18000},
}

func x264QualityFor(lines int) x264Quality {
	for _, q := range x264Ladder {
		if lines <= q.lines {
			return q
		}
	}
	return x264Ladder[len(x264Ladder)-1]
}

// h264Levels is table A-1 of H.264 from level 3 (the floor every phone decodes), with the
// bit-rate limits of the High profile (1.25 × the Baseline figures).
var h264Levels = []struct {
	name    string
	mbps    int // macroblocks per second
	fs      int // macroblocks per frame
	brKbps  int
	cpbKbit int
}{
	{"3.0", 40500, 1620, 12500, 12500},
	{"3.1", 108000, 3600, 17500, 17500},
	{"3.2", 216000, 5120, 25000, 25000},
	{"4.0", 245760, 8192, 25000, 31250},
	{"4.1", 245760, 8192, 62500, 78125},
	{"4.2", 522240, 8704, 62500, 78125},
	{"5.0", 589824, 22080, 168750, 168750},
	{"5.1", 983040, 36864, 300000, 300000},
	{"5.2", 2073600, 36864, 300000, 300000},
}

// h264Level returns the lowest level whose limits hold the stream, so that the level signalled
// is a true promise to the decoder; "" when none does and x264 should choose.
func h264Level(width, height int, fps float64, maxrateKbps, bufsizeKbit int) string {
	if fps <= 0 {
		fps = 30
	}
	mbw, mbh := (width+15)/16, (height+15)/16
	fs := mbw * mbh
	mbps := int(math.Ceil(float64(fs) * fps))
	for _, l := range h264Levels {
		// A frame side may not exceed sqrt(8 × MaxFS) macroblocks.
		side := int(math.Sqrt(float64(8 * l.fs)))
		if fs <= l.fs && mbps <= l.mbps && mbw <= side && mbh <= side &&
			maxrateKbps <= l.brKbps && bufsizeKbit <= l.cpbKbit {
			return l.name
		}
	}
	return ""
}
