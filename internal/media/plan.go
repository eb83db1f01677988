package media

import (
	"math"
	"slices"
	"strconv"
	"time"
)

// Rendition is one encoded version of a video message: an H.264/AAC MP4 of one size, as the
// video index offers it to phones and browsers.
type Rendition struct {
	// Name labels the rendition in the player ("720p") and names its file (Name + ".mp4").
	Name string
	// Lines is the nominal resolution, the picture's short side: 720 for a 1280×720 landscape
	// video and for a 720×1280 portrait one, as "720p" means on every video site.
	Lines int
	// Width and Height are the size of the output's frames, as displayed.
	Width, Height int
	// FrameRate is the output's frame rate; zero when the source's is unknown.
	FrameRate Rate
	// ReduceFrameRate asks for frames to be dropped down to FrameRate (see Plan).
	ReduceFrameRate bool
	// ToneMap asks for an HDR (PQ or HLG) picture to be tone-mapped to SDR BT.709.
	ToneMap bool
	// VideoStream and AudioStream are the source's stream indexes; AudioStream is -1 when the
	// source has no sound.
	VideoStream int
	AudioStream int
	// AudioSampleRate is 44100 for sources from the CD family of rates, else 48000, so that
	// audio is not resampled between the two families for nothing.
	AudioSampleRate int
	// AudioLanguage is the ISO 639-2 tag to give the output's sound track, "" for none.
	AudioLanguage string
	// Duration is the source's length, which Transcode needs to report progress as a percentage.
	Duration time.Duration
}

// DefaultHeights are the renditions made when the caller asks for none in particular: from one
// that plays on a poor mobile connection to full HD. 1440p and 4K are left out because the
// messages are watched on phones, and every rendition costs encoding time on the city's server.
func DefaultHeights() []int { return []int{360, 480, 720, 1080} }

// Plan picks the renditions for a probed source among the nominal heights asked for (nil means
// DefaultHeights). It never upscales: a height is used when the source has at least that many
// lines on its short side. A source a little short of a height (within 10 %, like a 1072-line
// screen recording) gets that rendition at its own size rather than falling to the size below,
// and a source smaller than every height asked gets one rendition at its own size, so every
// playable video has at least one rendition.
//
// Frame rates above 60 fps (slow-motion phone clips) are halved until they fit, and below
// 720p above 30 fps too: a 360p stream for a weak connection gains nothing from 60 frames.
func Plan(info *Info, heights []int) []Rendition {
	if info == nil || info.Video == nil {
		return nil
	}
	w, h := info.Video.DisplaySize()
	if w <= 0 || h <= 0 {
		return nil
	}
	short := min(w, h)
	if heights == nil {
		heights = DefaultHeights()
	}
	heights = slices.Clone(heights)
	slices.Sort(heights)
	heights = slices.Compact(heights)

	var plan []Rendition
	add := func(lines, label int) {
		lines &^= 1 // yuv420p needs even sizes
		if len(plan) > 0 && plan[len(plan)-1].Lines >= lines {
			return
		}
		plan = append(plan, rendition(info, w, h, lines, label))
	}
	for _, target := range heights {
		switch {
		case target <= 0:
		case target <= short:
			add(target, target)
		case short*10 >= target*9:
			add(short, target)
		}
	}
	if len(plan) == 0 {
		add(short, short&^1)
	}
	return plan
}

func rendition(info *Info, w, h, lines, label int) Rendition {
	r := Rendition{
		Name:        strconv.Itoa(label) + "p",
		Lines:       lines,
		VideoStream: info.Video.Index,
		AudioStream: -1,
		Duration:    info.Duration,
	}
	if w >= h {
		r.Width, r.Height = evenScale(lines, w, h), lines
	} else {
		r.Width, r.Height = lines, evenScale(lines, h, w)
	}
	r.FrameRate, r.ReduceFrameRate = outputRate(info.Video.FrameRate, lines)
	r.ToneMap = info.Video.HDR()
	if a, ok := mainAudio(info.Audio); ok {
		r.AudioStream = a.Index
		r.AudioLanguage = a.Language
		r.AudioSampleRate = 48000
		if a.SampleRate > 0 && a.SampleRate%11025 == 0 {
			r.AudioSampleRate = 44100
		}
	}
	return r
}

// evenScale is the other side of a frame whose side of length a becomes lines, rounded to an
// even number the way ffmpeg's scale filter does for -2.
func evenScale(lines, a, b int) int {
	return max(2, int(math.Round(float64(lines)*float64(a)/float64(b)/2))*2)
}

// mainAudio picks the sound track to keep: the one marked default, else the first.
func mainAudio(audio []AudioStream) (AudioStream, bool) {
	for _, a := range audio {
		if a.Default {
			return a, true
		}
	}
	if len(audio) > 0 {
		return audio[0], true
	}
	return AudioStream{}, false
}

// Frame rates a reduced rate snaps to, so that 59.94 fps halves to NTSC's 30000/1001 and not to
// a fraction nobody uses.
var commonRates = []Rate{{24000, 1001}, {24, 1}, {25, 1}, {30000, 1001}, {30, 1}, {50, 1}, {60000, 1001}, {60, 1}}

func outputRate(src Rate, lines int) (Rate, bool) {
	limit := 60.0
	if lines < 720 {
		limit = 30
	}
	const slack = 1.01 // variable-rate phone clips average a little above their nominal rate
	f := src.Float()
	if f == 0 || f <= limit*slack {
		return src, false
	}
	for f > limit*slack {
		f /= 2
	}
	best, bestDiff := Rate{}, 0.005
	for _, c := range commonRates {
		if d := math.Abs(c.Float()-f) / f; d < bestDiff {
			best, bestDiff = c, d
		}
	}
	if !best.IsZero() {
		return best, true
	}
	n, d := int(math.Round(f*1000)), 1000
	g := gcd(n, d)
	return Rate{n / g, d / g}, true
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// OutputFrameRate is the frame rate Plan gives a rendition of lines lines from a source at fps
// frames per second (0 when unknown): what a rendition's description reports (ActivityPub's
// fps) without probing the stored file again.
func OutputFrameRate(fps float64, lines int) float64 {
	r, _ := outputRate(Rate{int(math.Round(fps * 1000)), 1000}, lines)
	return r.Float()
}
