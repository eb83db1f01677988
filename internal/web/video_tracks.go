package web

import (
	"context"
	"strconv"
	"strings"

	"sistercity/internal/subtitle"
	"sistercity/internal/track"
	"sistercity/internal/video"
)

// maxVideoQuery bounds the search words of the video index.
const maxVideoQuery = 100

// watchTrack is a <track> element of the watch page.
type watchTrack struct {
	ID      int64
	URL     string
	Kind    string
	Lang    string
	Label   string
	Default bool
}

// transcriptCue is one line of the watch page's transcript.
type transcriptCue struct {
	Start, End string // seconds, for the player
	Time       string // as a player shows it
	Text       string
}

// preselect picks the track a viewer sees first: subtitles or captions in the page's language
// (the default one of them if several), else the video's default track, else none.
func preselect(tracks []*track.Track, pageLang string) *track.Track {
	var inLang, def *track.Track
	for _, t := range tracks {
		if !watchable(t) {
			continue
		}
		if sameLanguage(t.Lang, pageLang) && (inLang == nil || (t.Default && !inLang.Default)) {
			inLang = t
		}
		if t.Default && def == nil {
			def = t
		}
	}
	if inLang != nil {
		return inLang
	}
	return def
}

func seconds(ms int64) string { return strconv.FormatFloat(float64(ms)/1000, 'f', 3, 64) }

// watchable tells whether a track is one a viewer chooses to read: subtitles or captions.
func watchable(t *track.Track) bool {
	return t.Kind == subtitle.KindSubtitles || t.Kind == subtitle.KindCaptions
}

// transcriptHit is a video of the index found by words of its transcript, with the line.
type transcriptHit struct {
	URL, Title, TitleLang string
	Text, Lang            string
}

// searchVideos finds the published videos matching f whose title, in any language, or whose
// approved transcript contains query, newest first, and returns the page f asks for, the total,
// and which of them were found in a transcript.
func (s *Server) searchVideos(ctx context.Context, f video.Filter, query string) ([]*video.Video, int, map[int64]bool, error) {
	limit, offset := f.Limit, f.Offset
	f.Limit, f.Offset = 0, 0
	all, _, err := video.List(ctx, s.db.R, f)
	if err != nil {
		return nil, 0, nil, err
	}
	ids, err := track.SearchVideos(ctx, s.db.R, query, 10000)
	if err != nil {
		return nil, 0, nil, err
	}
	inTranscript := map[int64]bool{}
	for _, id := range ids {
		inTranscript[id] = true
	}
	lq := strings.ToLower(query)
	var found []*video.Video
	for _, v := range all {
		match := inTranscript[v.ID]
		for _, t := range v.Texts {
			match = match || strings.Contains(strings.ToLower(t.Title), lq)
		}
		if match {
			found = append(found, v)
		}
	}
	total := len(found)
	start := min(offset, total)
	return found[start:min(start+limit, total)], total, inTranscript, nil
}

// transcriptSnippet finds the first line of the video's approved transcripts holding query,
// preferring the page's language.
func transcriptSnippet(ctx context.Context, s *Server, card videoCard, videoID int64, pageLang, query string) (transcriptHit, error) {
	hit := transcriptHit{URL: card.URL, Title: card.Title, TitleLang: card.TitleLang}
	tracks, err := track.ForVideo(ctx, s.db.R, videoID, true)
	if err != nil {
		return hit, err
	}
	ordered := make([]*track.Track, 0, len(tracks))
	for _, t := range tracks {
		if sameLanguage(t.Lang, pageLang) {
			ordered = append(ordered, t)
		}
	}
	for _, t := range tracks {
		if !sameLanguage(t.Lang, pageLang) {
			ordered = append(ordered, t)
		}
	}
	lq := strings.ToLower(query)
	for _, t := range ordered {
		for line := range strings.SplitSeq(t.PlainText, "\n") {
			if strings.Contains(strings.ToLower(line), lq) {
				if runes := []rune(line); len(runes) > 160 {
					line = string(runes[:160]) + "…"
				}
				hit.Text, hit.Lang = line, t.Lang
				return hit, nil
			}
		}
	}
	return hit, nil
}
