package track

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"sistercity/internal/blob"
	"sistercity/internal/media"
	"sistercity/internal/subtitle"
	"sistercity/internal/video"
)

// Errors of FromStream.
var (
	// ErrNoStream: the source has no subtitle stream with that index.
	ErrNoStream = errors.New("track: no such subtitle stream in the source")
	// ErrBitmapStream: the stream holds pictures (DVD, Blu-ray PGS), which only OCR could read.
	ErrBitmapStream = errors.New("track: the subtitle stream holds pictures, not text")
	// ErrStreamUnreadable: ffmpeg could not turn the stream into WebVTT, or what it wrote does
	// not parse.
	ErrStreamUnreadable = errors.New("track: the subtitle stream cannot be read")
)

// FromStream extracts subtitle stream index of v's stored source (an MKV, MP4 or MOV) into a
// draft track, validated but not saved: the caller creates it in its transaction. The source
// is copied into a temporary directory under workDir, probed, and the stream converted to
// WebVTT by ffmpeg; only text codecs (SubRip, ASS, WebVTT, mov_text) can be imported. The
// language comes from the stream's ISO 639-2 tag ("kor" → "ko"), "und" when it has none.
func FromStream(ctx context.Context, store blob.Store, workDir string, v *video.Video, index int) (*Track, error) {
	if err := os.MkdirAll(workDir, 0o750); err != nil {
		return nil, fmt.Errorf("track: import stream: %w", err)
	}
	tmp, err := os.MkdirTemp(workDir, fmt.Sprintf("streams-%d-", v.ID))
	if err != nil {
		return nil, fmt.Errorf("track: import stream: %w", err)
	}
	defer os.RemoveAll(tmp)
	src, info, err := video.FetchSource(ctx, store, v, tmp)
	if err != nil {
		return nil, err
	}
	var stream *video.SubtitleStream
	for _, s := range video.SubtitlesOf(info) {
		if s.Index == index {
			stream = &s
			break
		}
	}
	if stream == nil {
		return nil, fmt.Errorf("track: video %d stream %d: %w", v.ID, index, ErrNoStream)
	}
	if !stream.Text() {
		return nil, fmt.Errorf("track: video %d stream %d (%s): %w", v.ID, index, stream.Codec, ErrBitmapStream)
	}
	out := filepath.Join(tmp, "stream.vtt")
	if err := media.ExtractSubtitle(ctx, src, stream.Media(), out); err != nil {
		var me *media.Error
		if errors.As(err, &me) {
			return nil, fmt.Errorf("track: video %d stream %d: %w: %w", v.ID, index, ErrStreamUnreadable, err)
		}
		return nil, err
	}
	f, err := os.Open(out)
	if err != nil {
		return nil, fmt.Errorf("track: import stream: %w", err)
	}
	defer f.Close()
	st, err := subtitle.ParseWebVTTLimit(io.Reader(f), 2*MaxVTTBytes)
	if err != nil {
		return nil, fmt.Errorf("track: video %d stream %d: %w: %w", v.ID, index, ErrStreamUnreadable, err)
	}
	t := &Track{VideoID: v.ID, Lang: StreamLanguage(stream.Language), Kind: subtitle.KindSubtitles, Status: StatusDraft,
		Label: streamLabel(stream.Title), Origin: fmt.Sprintf("stream %d (%s)", stream.Index, stream.Codec)}
	if err := t.SetCues(st); err != nil {
		return nil, err
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return t, nil
}

// StreamLanguage turns a stream's language tag (ISO 639-2, "kor", "rus"; sometimes already
// BCP 47) into a canonical BCP 47 tag ("ko", "ru"), or "und" when it is missing or unknown.
func StreamLanguage(tag string) string {
	lang, err := subtitle.CanonicalLanguage(strings.TrimSpace(tag))
	if err != nil || lang == "" {
		return "und"
	}
	return lang
}

// streamLabel makes a stream's title a track label: one line, at most MaxLabel characters.
func streamLabel(title string) string {
	title = strings.Join(strings.Fields(title), " ")
	if r := []rune(title); len(r) > MaxLabel {
		title = string(r[:MaxLabel])
	}
	return title
}
