package track

import (
	"context"
	"strings"

	"sistercity/internal/db"
	"sistercity/internal/subtitle"
)

// OpenTranslations lists the translations not yet approved, newest change first: an editor's
// work list.
func OpenTranslations(ctx context.Context, q db.Querier) ([]*Track, error) {
	return list(ctx, q, "SELECT "+columns+" FROM subtitle_tracks WHERE source_track_id IS NOT NULL AND status <> $1 ORDER BY updated_at DESC, id DESC",
		StatusApproved)
}

// SourceTexts returns, for each cue of target, the plain text of the source cues shown at the
// same time, joined by line breaks. Timings are matched by overlap rather than by position, so
// a translation whose cues were split or merged still lines up with its source.
func SourceTexts(source, target *subtitle.Track) []string {
	out := make([]string, len(target.Cues))
	for i, c := range target.Cues {
		var parts []string
		for _, s := range source.Cues {
			if s.Start < c.End && c.Start < s.End || s.Start == c.Start {
				if text := PlainCueText(s.Text); text != "" && (len(parts) == 0 || parts[len(parts)-1] != text) {
					parts = append(parts, text)
				}
			}
		}
		out[i] = strings.Join(parts, "\n")
	}
	return out
}
