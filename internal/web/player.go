package web

import (
	"context"
	"strconv"
	"time"

	"golang.org/x/text/language"

	"sistercity/internal/track"
	"sistercity/internal/video"
)

// player is what the watch page and the embeddable player show alike: the renditions, the
// approved subtitle tracks with one preselected, and that track's transcript. The templates
// "player-video", "player-controls" and "player-transcript" (partials/player.html) draw it, and
// video.js makes it work.
type player struct {
	VideoID int64
	Sources []videoSource
	Default videoSource
	Poster  string
	// HLS is the master playlist, "" for a video processed before HLS; HLSLib is the embedded
	// hls.js, "" when the build has none (see hlsLibURL).
	HLS, HLSLib string
	// Tracks are the approved subtitle tracks; Transcript is the cues of the preselected one.
	Tracks     []watchTrack
	Selected   int64
	Transcript []transcriptCue
	ScriptLang string
	// Channel names the page for the view beacon: "site" or "embed"; BeaconToken lets the
	// beacon count for this video and channel (beacon.go).
	Channel     string
	BeaconToken string
	// Explicit is set when the page's address chose the track (subtitles=…): the viewer's
	// remembered choice does not override it.
	Explicit bool
	// Start is the media fragment of the start time ("#t=90"); Autoplay (muted) and Loop are
	// the embed's parameters.
	Start          string
	Autoplay, Loop bool
}

// trackChoice says which track a player preselects: by the page's language (Auto), none (Off),
// or the track in language Lang.
type trackChoice struct {
	Auto, Off bool
	Lang      string
}

// newPlayer loads what the player of v shows on page p.
func (s *Server) newPlayer(ctx context.Context, p *page, v *video.Video, channel string, choice trackChoice) (player, error) {
	pl := player{VideoID: v.ID, Poster: mediaURL(v.PosterKey), Channel: channel, Explicit: !choice.Auto,
		BeaconToken: s.beaconToken(v.ID, channel)}
	def := v.Default()
	for _, rd := range v.Renditions {
		src := videoSource{URL: mediaURL(rd.Key), Label: p.L.T("video.rendition", "lines", rd.Lines), Lines: rd.Lines,
			Width: rd.Width, Height: rd.Height, Default: rd.Key == def.Key}
		pl.Sources = append(pl.Sources, src)
		if src.Default {
			pl.Default = src
		}
	}
	tracks, err := track.ForVideo(ctx, s.db.R, v.ID, true)
	if err != nil {
		return pl, err
	}
	var sel *track.Track
	switch {
	case choice.Off:
	case choice.Lang != "":
		sel = trackIn(tracks, choice.Lang)
	default:
		sel = preselect(tracks, p.Lang)
	}
	for _, t := range tracks {
		label := t.Label
		if label == "" {
			label = selfLabel(t.Lang)
		}
		pl.Tracks = append(pl.Tracks, watchTrack{ID: t.ID, URL: trackURL(t), Kind: string(t.Kind), Lang: t.Lang,
			Label: label, Default: t == sel})
	}
	// The master's default subtitles are the preselected track's, or none.
	lang := ""
	if sel != nil {
		lang = sel.Lang
	}
	if pl.HLS = hlsMasterURL(v, lang); pl.HLS != "" {
		pl.HLSLib = hlsLibURL()
	}
	if sel == nil {
		return pl, nil
	}
	st, err := sel.Cues()
	if err != nil {
		return pl, err
	}
	pl.Selected, pl.ScriptLang = sel.ID, sel.Lang
	for _, c := range st.Cues {
		pl.Transcript = append(pl.Transcript, transcriptCue{Start: seconds(c.Start.Milliseconds()),
			End: seconds(c.End.Milliseconds()), Time: clock(c.Start), Text: track.PlainCueText(c.Text)})
	}
	return pl, nil
}

// trackIn finds the subtitles or captions in lang: the same tag (the default track first), else
// the same base language; nil when there are none.
func trackIn(tracks []*track.Track, lang string) *track.Track {
	want, err := language.Parse(lang)
	if err != nil {
		return nil
	}
	var exact, base *track.Track
	for _, t := range tracks {
		if !watchable(t) {
			continue
		}
		if tt, err := language.Parse(t.Lang); err == nil && tt == want && (exact == nil || t.Default && !exact.Default) {
			exact = t
		}
		if sameLanguage(t.Lang, lang) && (base == nil || t.Default && !base.Default) {
			base = t
		}
	}
	if exact != nil {
		return exact
	}
	return base
}

// startFragment is the media fragment that starts the video at at: "#t=90.5"; none at 0.
func startFragment(at time.Duration) string {
	if at <= 0 {
		return ""
	}
	return "#t=" + strconv.FormatFloat(at.Seconds(), 'f', -1, 64)
}
