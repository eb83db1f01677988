package video

import (
	"regexp"
	"strings"
)

// A rendition's HLS files are stored flat beside its MP4, so that the media playlist names them
// relative to itself: for the playlist videos/7/<gen>-360p.m3u8, the init segment is
// videos/7/<gen>-360p-init.mp4 and the media segments videos/7/<gen>-360p-seg-00000.m4s….
var hlsSegment = regexp.MustCompile(`^(.+)-(init\.mp4|seg-[0-9]{5,9}\.m4s)$`)

// hlsFileKey is the key of the file name of an HLS stream whose playlist is stored at
// playlistKey.
func hlsFileKey(playlistKey, name string) string {
	return strings.TrimSuffix(playlistKey, ".m3u8") + "-" + name
}

// HLSPlaylistOf returns the key of the media playlist the segment key belongs to, and false when
// key is not an HLS segment's.
func HLSPlaylistOf(key string) (string, bool) {
	m := hlsSegment.FindStringSubmatch(key)
	if m == nil {
		return "", false
	}
	return m[1] + ".m3u8", true
}
