// Package publish carries a video beyond its own watch page: the embeddable player's
// parameters, the origins that may frame it, and oEmbed. It knows nothing of HTTP.
package publish

import (
	"strconv"
	"strings"
	"time"
)

// MaxStartParam bounds the t parameter read: longer text is no start time.
const MaxStartParam = 32

// StartAt reads an embed's t parameter — whole or decimal seconds ("90", "90.5"), or hours,
// minutes and seconds ("1h2m3s", "1m30s", "45s") — as a start time within a video of duration
// d. Anything unreadable, negative, or not before the end is 0: the video plays from the start.
func StartAt(t string, d time.Duration) time.Duration {
	if t == "" || len(t) > MaxStartParam {
		return 0
	}
	var at time.Duration
	if f, err := strconv.ParseFloat(t, 64); err == nil && !strings.ContainsAny(t, "eEinfINFxX") {
		if f < 0 || f > 1e7 {
			return 0
		}
		at = time.Duration(f * float64(time.Second))
	} else {
		if strings.ContainsAny(t, ".-+") || strings.HasSuffix(t, "ms") || strings.HasSuffix(t, "us") || strings.HasSuffix(t, "ns") {
			return 0
		}
		parsed, err := time.ParseDuration(t)
		if err != nil {
			return 0
		}
		at = parsed
	}
	if at < 0 || at >= d {
		return 0
	}
	return at.Truncate(time.Millisecond)
}
