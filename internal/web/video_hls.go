package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"time"

	"sistercity/internal/media"
	"sistercity/internal/subtitle"
	"sistercity/internal/track"
	"sistercity/internal/video"
)

// Adaptive streaming (HLS). Each rendition's media playlist and fMP4 segments are stored
// outputs, served by videoMedia like the MP4s. The master playlist is made per request from the
// database — the renditions with a stream and the approved subtitle tracks — so a corrected or
// newly approved track joins it at once; the subtitle tracks are WebVTT media playlists of one
// segment, the track's own file.

// hlsPlaylistType is the media type of HLS playlists (RFC 8216).
const hlsPlaylistType = "application/vnd.apple.mpegurl"

// hlsCacheControl is how long the generated playlists are kept: as long as a track, which can
// be corrected after publication, and then asked again with the ETag.
const hlsCacheControl = "public, max-age=300"

// hlsMasterPattern is the route of the master playlists, which the page cache keeps.
const hlsMasterPattern = "/media/videos/{id}/master.m3u8"

// hlsMasterURL is the master playlist of v whose subtitles default to the track in lang ("" for
// none); "" when v has no HLS stream (processed before HLS).
func hlsMasterURL(v *video.Video, lang string) string {
	for _, rd := range v.Renditions {
		if rd.HLSKey != "" {
			u := "/media/videos/" + strconv.FormatInt(v.ID, 10) + "/master.m3u8"
			if lang != "" {
				u += "?lang=" + url.QueryEscape(lang)
			}
			return u
		}
	}
	return ""
}

// hlsLibPath is where scripts/hlsjs.sh puts the hls.js bundle among the static files.
const hlsLibPath = "vendor/hls.min.js"

// hlsLibURL is the content-hashed URL of the embedded hls.js, "" when the build has none.
func hlsLibURL() string {
	if _, ok := staticAssets().byName[hlsLibPath]; !ok {
		return ""
	}
	return staticURL(hlsLibPath)
}

// hlsMaster serves the master playlist of a public video. ?lang= names the language whose
// subtitles are the default (the player's preselected track); without it none is.
func (s *Server) hlsMaster(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v, err := s.publicVideo(ctx, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var variants []media.Variant
	for _, rd := range v.Renditions {
		if rd.HLSKey == "" {
			continue
		}
		variants = append(variants, media.Variant{URI: path.Base(rd.HLSKey), Bandwidth: rd.Bandwidth,
			AverageBandwidth: rd.AverageBandwidth, Codecs: rd.Codecs, Width: rd.Width, Height: rd.Height, FrameRate: rd.FrameRate})
	}
	if len(variants) == 0 {
		s.notFound(w, r)
		return
	}
	tracks, err := track.ForVideo(ctx, s.db.R, v.ID, true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var def *track.Track
	if lang := video.CanonicalLang(r.URL.Query().Get("lang")); lang != "" {
		def = trackIn(tracks, lang)
	}
	var subs []media.SubtitleRendition
	for _, t := range tracks {
		if !watchable(t) {
			continue
		}
		name := t.Label
		if name == "" {
			name = selfLabel(t.Lang)
		}
		subs = append(subs, media.SubtitleRendition{URI: trackPlaylistURL(t), Language: t.Lang, Name: name,
			Default: t == def, Autoselect: true, Captions: t.Kind == subtitle.KindCaptions})
	}
	s.sendPlaylist(w, r, media.MasterPlaylist(variants, subs))
}

// trackPlaylistURL is the WebVTT media playlist of an approved track.
func trackPlaylistURL(t *track.Track) string {
	return "/media/tracks/" + strconv.FormatInt(t.ID, 10) + ".m3u8"
}

// trackPlaylist serves an approved track of a public video as a WebVTT media playlist: the whole
// track is one segment as long as the video.
func (s *Server) trackPlaylist(w http.ResponseWriter, r *http.Request, t *track.Track, v *video.Video) {
	secs := max(v.Duration.Seconds(), 0.001)
	var b bytes.Buffer
	fmt.Fprintf(&b, "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:%d\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n",
		int(math.Ceil(secs)))
	fmt.Fprintf(&b, "#EXTINF:%.3f,\n%d.vtt\n#EXT-X-ENDLIST\n", secs, t.ID)
	s.sendPlaylist(w, r, b.Bytes())
}

// sendPlaylist sends a generated playlist with an ETag of its content, for any origin (players
// embedded elsewhere fetch it).
func (s *Server) sendPlaylist(w http.ResponseWriter, r *http.Request, body []byte) {
	sum := sha256.Sum256(body)
	h := w.Header()
	allowAnyOrigin(h)
	h.Set("Content-Type", hlsPlaylistType)
	h.Set("Cache-Control", hlsCacheControl)
	h.Set("ETag", `"`+hex.EncodeToString(sum[:12])+`"`)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}
