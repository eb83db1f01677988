package video

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"

	"sistercity/internal/blob"
	"sistercity/internal/media"
)

// SubtitleStream is a subtitle stream found in a video's source (MKV, MP4, MOV), as recorded
// in the probe summary and offered for import as a track.
type SubtitleStream struct {
	Index    int    `json:"index"` // as ffmpeg's -map 0:N wants it
	Codec    string `json:"codec"`
	Language string `json:"language,omitempty"` // ISO 639-2 as tagged
	Title    string `json:"title,omitempty"`
	Default  bool   `json:"default,omitempty"`
	Forced   bool   `json:"forced,omitempty"`
	// Bitmap is set for subtitles stored as pictures, which cannot be imported as text.
	Bitmap bool `json:"bitmap,omitempty"`
}

// Text tells whether the stream holds text that can become a track.
func (s SubtitleStream) Text() bool { return !s.Bitmap && media.TextSubtitleCodecs[s.Codec] }

// Media is the stream as package media describes it.
func (s SubtitleStream) Media() media.SubtitleStream {
	return media.SubtitleStream{Index: s.Index, Codec: s.Codec, Language: s.Language, Title: s.Title,
		Default: s.Default, Forced: s.Forced, Bitmap: s.Bitmap}
}

// subtitleStreams lists info's subtitle streams; never nil, so that the summary says "none"
// rather than "not looked at".
func subtitleStreams(info *media.Info) []SubtitleStream {
	out := make([]SubtitleStream, 0, len(info.Subtitles))
	for _, s := range info.Subtitles {
		out = append(out, SubtitleStream{Index: s.Index, Codec: s.Codec, Language: s.Language, Title: s.Title,
			Default: s.Default, Forced: s.Forced, Bitmap: s.Bitmap})
	}
	return out
}

// RecordedSubtitles returns the subtitle streams the processing of v's source recorded, and
// false when the summary predates their recording (or there is none): then ProbeSource finds
// them.
func (v *Video) RecordedSubtitles() ([]SubtitleStream, bool) {
	si, ok := v.Source()
	if !ok || si.Subtitles == nil {
		return nil, false
	}
	return si.Subtitles, true
}

// Source reads the summary of the source's probe that processing stored, and false when
// there is none (or it cannot be read).
func (v *Video) Source() (SourceSummary, bool) {
	var si SourceSummary
	if v.SourceInfo == "" || json.Unmarshal([]byte(v.SourceInfo), &si) != nil {
		return SourceSummary{}, false
	}
	return si, true
}

// FetchSource gives v's stored source as a local file (the store's own, or a copy in dir) and
// probes it, for work on the source beyond processing: listing and extracting its subtitle
// streams. The caller removes dir; the file is only to be read.
func FetchSource(ctx context.Context, store blob.Store, v *Video, dir string) (string, *media.Info, error) {
	if v.SourceKey == "" {
		return "", nil, fmt.Errorf("video: %d has no source: %w", v.ID, blob.ErrNotFound)
	}
	src, err := LocalFile(ctx, store, v.SourceKey, filepath.Join(dir, "source"+path.Ext(v.SourceKey)))
	if err != nil {
		return "", nil, fmt.Errorf("video: fetch source of %d: %w", v.ID, err)
	}
	info, err := media.Probe(ctx, src)
	if err != nil {
		return "", nil, fmt.Errorf("video: probe source of %d: %w", v.ID, err)
	}
	return src, info, nil
}

// SubtitlesOf lists the subtitle streams of a probed file.
func SubtitlesOf(info *media.Info) []SubtitleStream { return subtitleStreams(info) }

// LocalFile gives the stored object key (a source or a rendition) as a file on this machine,
// to be read only: a local store's own file, read in place, or else a copy made at to.
func LocalFile(ctx context.Context, store blob.Store, key, to string) (string, error) {
	if f, ok := store.(blob.Filer); ok {
		return f.Path(key)
	}
	if err := fetch(ctx, store, key, to); err != nil {
		os.Remove(to)
		return "", err
	}
	return to, nil
}
