package media

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// HLSStream is a rendition's HLS stream as Transcode wrote it: a media playlist, an fMP4 init
// segment and media segments in one directory, with what a master playlist says of it.
type HLSStream struct {
	Dir string
	// Files are the names in Dir: HLSPlaylist, HLSInit, then the media segments in order. The
	// playlist names the others relative to itself.
	Files []string
	// Codecs is the CODECS attribute of RFC 8216: "avc1.64001f,mp4a.40.2".
	Codecs string
	// Bandwidth is the peak bit rate of a segment, AverageBandwidth the mean over the stream,
	// in bits per second, as the master playlist's BANDWIDTH and AVERAGE-BANDWIDTH.
	Bandwidth, AverageBandwidth int64
}

// ReadHLS reads what a master playlist needs from the HLS stream in dir.
func ReadHLS(dir string) (*HLSStream, error) {
	playlist, err := os.ReadFile(filepath.Join(dir, HLSPlaylist))
	if err != nil {
		return nil, fmt.Errorf("media: hls: %w", err)
	}
	s := &HLSStream{Dir: dir, Files: []string{HLSPlaylist, HLSInit}}
	var total, length time.Duration
	var bytesTotal int64
	var segment time.Duration
	sc := bufio.NewScanner(bytes.NewReader(playlist))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "#EXTINF:"):
			secs, _, _ := strings.Cut(strings.TrimPrefix(line, "#EXTINF:"), ",")
			f, err := strconv.ParseFloat(secs, 64)
			if err != nil || f <= 0 {
				return nil, fmt.Errorf("media: hls: bad segment duration %q", line)
			}
			segment = time.Duration(f * float64(time.Second))
		case line == "" || strings.HasPrefix(line, "#"):
		default:
			if filepath.Base(line) != line || segment == 0 {
				return nil, fmt.Errorf("media: hls: unexpected segment %q", line)
			}
			st, err := os.Stat(filepath.Join(dir, line))
			if err != nil {
				return nil, fmt.Errorf("media: hls: %w", err)
			}
			s.Files = append(s.Files, line)
			s.Bandwidth = max(s.Bandwidth, int64(math.Ceil(float64(st.Size()*8)/segment.Seconds())))
			bytesTotal += st.Size()
			length += segment
			total++
			segment = 0
		}
	}
	if total == 0 {
		return nil, fmt.Errorf("media: hls: %s has no segments", dir)
	}
	s.AverageBandwidth = int64(math.Ceil(float64(bytesTotal*8) / length.Seconds()))
	init, err := os.ReadFile(filepath.Join(dir, HLSInit))
	if err != nil {
		return nil, fmt.Errorf("media: hls: %w", err)
	}
	if s.Codecs, err = initCodecs(init); err != nil {
		return nil, fmt.Errorf("media: hls: %s: %w", dir, err)
	}
	return s, nil
}

// initCodecs names the codecs of an fMP4 init segment as RFC 6381 does: the H.264 profile and
// level from the avcC box (what the encoder chose, not what was asked), and AAC-LC when there
// is sound, the only audio a rendition has.
func initCodecs(init []byte) (string, error) {
	i := bytes.Index(init, []byte("avcC"))
	if i < 0 || len(init) < i+8 {
		return "", fmt.Errorf("no H.264 configuration in the init segment")
	}
	c := init[i+4:]
	codecs := fmt.Sprintf("avc1.%02x%02x%02x", c[1], c[2], c[3])
	if bytes.Contains(init, []byte("mp4a")) {
		codecs += ",mp4a.40.2"
	}
	return codecs, nil
}
