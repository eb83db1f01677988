package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"sistercity/internal/publish"
	"sistercity/internal/track"
	"sistercity/internal/video"
)

// sharePanel is the watch page's "Share" section: the page's link (optionally at the playing
// time), the embed code with a choice of interface language and subtitles, a download of each
// rendition and of each burned-in language version, and the feeds.
type sharePanel struct {
	PageURL   string
	EmbedURL  string // the embed's absolute URL without parameters
	EmbedCode string // the iframe for the page's language and the preselected subtitles
	Width     int
	Height    int
	Title     string
	Langs     []option // interface languages of the embed
	Subtitles []option // "auto", "off" and each track's language
	Downloads []shareDownload
	Feeds     []shareFeed
	// OEmbedJSON and OEmbedXML are the oEmbed discovery links of the page.
	OEmbedJSON, OEmbedXML string
	// Embeddable is false for an unlisted video, which only its watch page shows: no embed
	// code, no oEmbed.
	Embeddable bool
}

type shareDownload struct {
	URL, Label, Lang string
}

type shareFeed struct {
	URL, Label, Type string
}

// embedBarHeight is what the embed's bar of controls adds below the picture, so that an iframe of
// the video's aspect shows the whole picture and the bar.
const embedBarHeight = 52

// embedPath is the embeddable player's path.
func embedPath(id int64) string { return "/embed/videos/" + strconv.FormatInt(id, 10) }

// embedFrame is the size of the embed's iframe within maxW×maxH (0 for no bound).
func embedFrame(v *video.Video, maxW, maxH int) (int, int) {
	d := v.Default()
	if maxH > 0 {
		maxH = max(maxH-embedBarHeight, 1)
	}
	w, h := publish.FrameSize(d.Width, d.Height, maxW, maxH)
	return w, h + embedBarHeight
}

// embedCode is the iframe that embeds v in interface language lang with subtitles (empty: the
// language's own).
func (s *Server) embedCode(r *http.Request, v *video.Video, lang, subtitles string, w, h int) string {
	q := url.Values{"lang": {lang}}
	if subtitles != "" {
		q.Set("subtitles", subtitles)
	}
	return publish.IframeHTML(s.absoluteURL(r, embedPath(v.ID))+"?"+q.Encode(), v.Title(lang), w, h)
}

func (s *Server) newSharePanel(ctx context.Context, r *http.Request, p *page, v *video.Video, pl player) (sharePanel, error) {
	w, h := embedFrame(v, 0, 0)
	sp := sharePanel{
		PageURL:   s.absoluteURL(r, "/"+p.Lang+"/videos/"+strconv.FormatInt(v.ID, 10)),
		EmbedURL:  s.absoluteURL(r, embedPath(v.ID)),
		EmbedCode: s.embedCode(r, v, p.Lang, "", w, h),
		Width:     w, Height: h,
		Title:      v.Title(p.Lang),
		Embeddable: v.State == video.StatePublished,
	}
	oembed := s.absoluteURL(r, "/oembed?url="+url.QueryEscape(sp.PageURL))
	sp.OEmbedJSON, sp.OEmbedXML = oembed+"&format=json", oembed+"&format=xml"
	for _, code := range s.cat.Languages() {
		sp.Langs = append(sp.Langs, option{Value: code, Label: s.cat.Localizer(code).T("language.self")})
	}
	sp.Subtitles = []option{{Value: "", Label: p.L.T("embed.share.subtitles_auto")}, {Value: "off", Label: p.L.T("tracks.watch.off")}}
	seen := map[string]bool{}
	for _, t := range pl.Tracks {
		if (t.Kind == "subtitles" || t.Kind == "captions") && !seen[t.Lang] {
			seen[t.Lang] = true
			sp.Subtitles = append(sp.Subtitles, option{Value: t.Lang, Label: t.Label})
		}
	}
	for _, src := range pl.Sources {
		sp.Downloads = append(sp.Downloads, shareDownload{URL: src.URL, Label: p.L.T("video.download_rendition", "label", src.Label)})
	}
	burns, err := track.BurnsForVideo(ctx, s.db.R, v.ID)
	if err != nil {
		return sp, err
	}
	tracks, err := track.ForVideo(ctx, s.db.R, v.ID, true)
	if err != nil {
		return sp, err
	}
	for _, t := range tracks {
		if b := burns[t.ID]; b != nil && publicBurn(t, b) {
			sp.Downloads = append(sp.Downloads, shareDownload{URL: versionURL(t.ID), Lang: t.Lang,
				Label: p.L.T("embed.share.download_burned", "language", langName(p.L, t.Lang))})
		}
	}
	for _, f := range []struct{ ext, typ, key string }{
		{"rss", "application/rss+xml", "embed.share.feed_rss"},
		{"atom", "application/atom+xml", "embed.share.feed_atom"},
		{"json", "application/feed+json", "embed.share.feed_json"},
	} {
		sp.Feeds = append(sp.Feeds, shareFeed{URL: "/" + p.Lang + "/videos/feed." + f.ext, Type: f.typ, Label: p.L.T(f.key)})
	}
	sp.Feeds = append(sp.Feeds, shareFeed{URL: "/videos/feed.rss", Type: "application/rss+xml", Label: p.L.T("embed.share.feed_all")})
	return sp, nil
}

// publicBurn tells whether a burned-in version may be downloaded from the public site: its file
// is ready and shows the track's current, approved text.
func publicBurn(t *track.Track, b *track.Burn) bool {
	return t.Public() && b.Status == track.BurnReady && b.StorageKey != "" && !b.Outdated(t)
}

// versionURL is the public URL of the burned-in version of track id.
func versionURL(id int64) string { return "/media/versions/" + strconv.FormatInt(id, 10) + ".mp4" }

// versionMedia serves the burned-in version of an approved track of a public video. The URL
// names the track, not the file, so it is kept a few minutes only: a burn made again replaces it.
func (s *Server) versionMedia(w http.ResponseWriter, r *http.Request) {
	id, ok := pathFileID(r, ".mp4")
	if !ok {
		s.notFound(w, r)
		return
	}
	ctx := r.Context()
	t, err := track.Get(ctx, s.db.R, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	b, err := track.GetBurn(ctx, s.db.R, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !publicBurn(t, b) {
		s.notFound(w, r)
		return
	}
	if _, err := s.publicVideo(ctx, strconv.FormatInt(t.VideoID, 10)); err != nil {
		s.fail(w, r, err)
		return
	}
	allowAnyOrigin(w.Header())
	w.Header().Set("Content-Disposition", `attachment; filename="`+versionFileName(t.VideoID, t.Lang)+`"`)
	s.sendVideoFile(w, r, b.StorageKey, "public, max-age=300")
}
