package media

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
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

// uriAttr is the URI attribute of a tag such as EXT-X-MAP.
var uriAttr = regexp.MustCompile(`URI="([^"]*)"`)

// RenameHLS returns a media playlist with every file it names — the init segment and the media
// segments — renamed by rename, for a store that keeps them under other names.
func RenameHLS(playlist []byte, rename func(name string) string) []byte {
	var b bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(playlist))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#"):
			line = uriAttr.ReplaceAllStringFunc(line, func(attr string) string {
				return `URI="` + rename(uriAttr.FindStringSubmatch(attr)[1]) + `"`
			})
		case strings.TrimSpace(line) != "":
			line = rename(strings.TrimSpace(line))
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// Variant is one rendition's stream as a master playlist lists it.
type Variant struct {
	URI                         string
	Bandwidth, AverageBandwidth int64
	Codecs                      string
	Width, Height               int
	FrameRate                   string // "25.000"; "" when unknown
}

// SubtitleRendition is a WebVTT media playlist in a master playlist's subtitles group.
type SubtitleRendition struct {
	URI      string
	Language string // BCP 47
	Name     string // in its own language: "Русский"
	// Default marks the one a player shows without being asked; Autoselect lets it pick one by
	// the viewer's language. Captions describe sounds as well as speech.
	Default, Autoselect, Captions bool
}

// MasterPlaylist writes the master playlist of an HLS presentation (RFC 8216, version 7): its
// variants, smallest first as given, each with the subtitles group when there is one.
func MasterPlaylist(variants []Variant, subtitles []SubtitleRendition) []byte {
	var b bytes.Buffer
	b.WriteString("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n")
	for _, s := range subtitles {
		fmt.Fprintf(&b, `#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",LANGUAGE=%s,NAME=%s,DEFAULT=%s,AUTOSELECT=%s`,
			quoted(s.Language), quoted(s.Name), yesNo(s.Default), yesNo(s.Default || s.Autoselect))
		if s.Captions {
			b.WriteString(`,CHARACTERISTICS="public.accessibility.transcribes-spoken-dialog,public.accessibility.describes-music-and-sound"`)
		}
		fmt.Fprintf(&b, ",URI=%s\n", quoted(s.URI))
	}
	for _, v := range variants {
		fmt.Fprintf(&b, "#EXT-X-STREAM-INF:BANDWIDTH=%d", v.Bandwidth)
		if v.AverageBandwidth > 0 {
			fmt.Fprintf(&b, ",AVERAGE-BANDWIDTH=%d", v.AverageBandwidth)
		}
		fmt.Fprintf(&b, ",CODECS=%s,RESOLUTION=%dx%d", quoted(v.Codecs), v.Width, v.Height)
		if v.FrameRate != "" {
			b.WriteString(",FRAME-RATE=" + v.FrameRate)
		}
		if len(subtitles) > 0 {
			b.WriteString(`,SUBTITLES="subs"`)
		}
		b.WriteString("\n" + v.URI + "\n")
	}
	return b.Bytes()
}

// quoted is a quoted-string attribute value, which may hold neither a double quote nor a line
// break.
func quoted(s string) string {
	return `"` + strings.NewReplacer(`"`, "'", "\r", " ", "\n", " ").Replace(s) + `"`
}

func yesNo(b bool) string {
	if b {
		return "YES"
	}
	return "NO"
}
