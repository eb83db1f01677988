package publish

import (
	"encoding/xml"
	"html"
	"strconv"
)

// OEmbed is an oEmbed 1.0 response of type "video" (https://oembed.com, section 2.3.4).
type OEmbed struct {
	XMLName         xml.Name `json:"-" xml:"oembed"`
	Type            string   `json:"type" xml:"type"`
	Version         string   `json:"version" xml:"version"`
	Title           string   `json:"title,omitempty" xml:"title,omitempty"`
	ProviderName    string   `json:"provider_name,omitempty" xml:"provider_name,omitempty"`
	ProviderURL     string   `json:"provider_url,omitempty" xml:"provider_url,omitempty"`
	AuthorName      string   `json:"author_name,omitempty" xml:"author_name,omitempty"`
	CacheAge        int      `json:"cache_age,omitempty" xml:"cache_age,omitempty"`
	ThumbnailURL    string   `json:"thumbnail_url,omitempty" xml:"thumbnail_url,omitempty"`
	ThumbnailWidth  int      `json:"thumbnail_width,omitempty" xml:"thumbnail_width,omitempty"`
	ThumbnailHeight int      `json:"thumbnail_height,omitempty" xml:"thumbnail_height,omitempty"`
	HTML            string   `json:"html" xml:"html"`
	Width           int      `json:"width" xml:"width"`
	Height          int      `json:"height" xml:"height"`
}

// OEmbedError is the body of an oEmbed answer that is not a video: what went wrong, for the
// consumer's log.
type OEmbedError struct {
	XMLName xml.Name `json:"-" xml:"error"`
	Status  int      `json:"status" xml:"status"`
	Error   string   `json:"error" xml:"message"`
}

// Limits of the embed's frame: below MinFrameWidth the player's controls do not fit; above
// MaxFrameWidth a consumer's maxwidth is no limit worth computing.
const (
	MinFrameWidth  = 200
	MaxFrameWidth  = 4096
	DefaultWidth   = 640
	maxFrameHeight = 4096
)

// FrameSize is the size of the embed's frame for a video of w×h pixels: DefaultWidth wide (or
// the video's width, but not below MinFrameWidth), no wider than maxW and no taller than maxH
// when they are above 0 (oEmbed's bounds are binding), the video's aspect kept.
func FrameSize(w, h, maxW, maxH int) (int, int) {
	if w <= 0 || h <= 0 {
		w, h = 1280, 720
	}
	fw := min(DefaultWidth, max(w, MinFrameWidth))
	if maxW > 0 {
		fw = min(fw, maxW)
	}
	if maxH > 0 && maxH < maxFrameHeight {
		fw = min(fw, maxH*w/h)
	}
	fw = max(fw, 1)
	return fw, max((fw*h+w/2)/w, 1)
}

// IframeHTML is the embed code: an iframe of src, w×h, titled for screen readers.
func IframeHTML(src, title string, w, h int) string {
	return `<iframe src="` + html.EscapeString(src) + `" width="` + strconv.Itoa(w) + `" height="` + strconv.Itoa(h) +
		`" title="` + html.EscapeString(title) + `" style="border:0;max-width:100%" allow="autoplay; fullscreen; picture-in-picture" allowfullscreen loading="lazy"></iframe>`
}
