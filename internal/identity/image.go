package identity

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"

	"sistercity/internal/i18n"
	"sistercity/internal/problem"
)

// Limits of the images an administrator may set: bytes, and pixels for PNG (a small file can
// declare a huge image, which would take the memory to decode) or the declared size for SVG.
type limits struct {
	maxBytes int
	maxSide  int // largest width or height, in pixels
	minSide  int
}

var imageLimits = map[string]limits{
	KindLogo:    {maxBytes: 256 << 10, maxSide: 2048, minSide: 16},
	KindFavicon: {maxBytes: 64 << 10, maxSide: 512, minSide: 16},
	// Mastodon shows a header at 1500×500; a little more room for a sharper one.
	KindHeader: {maxBytes: 1 << 20, maxSide: 3000, minSide: 100},
}

// MaxBytes is the largest file accepted for kind.
func MaxBytes(kind string) int { return imageLimits[kind].maxBytes }

var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// CheckImage checks an uploaded logo or favicon (kind) and returns what may be kept: a PNG as
// it is, once it decoded whole within the limits; an SVG rewritten from the elements and
// attributes SanitizeSVG allows, or refused. The error is a problem.Fields on the field kind,
// in the user's terms.
func CheckImage(kind string, data []byte) (Asset, error) {
	lim, ok := imageLimits[kind]
	if !ok {
		return Asset{}, problemOn(kind, "identity.error.not_image")
	}
	if len(data) == 0 {
		return Asset{}, problemOn(kind, "identity.error.empty")
	}
	if len(data) > lim.maxBytes {
		return Asset{}, problemCount(kind, "identity.error.too_large", lim.maxBytes>>10)
	}
	var a Asset
	switch {
	case bytes.HasPrefix(data, pngMagic):
		cfg, err := png.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return Asset{}, problemOn(kind, "identity.error.bad_png")
		}
		if cfg.Width > lim.maxSide || cfg.Height > lim.maxSide {
			return Asset{}, problemCount(kind, "identity.error.too_many_pixels", lim.maxSide,
				"size", fmt.Sprintf("%d×%d", cfg.Width, cfg.Height))
		}
		if _, err := png.Decode(bytes.NewReader(data)); err != nil { // bounded by the check above
			return Asset{}, problemOn(kind, "identity.error.bad_png")
		}
		if cfg.Width < lim.minSide && cfg.Height < lim.minSide { // an SVG scales, a PNG does not
			return Asset{}, problemCount(kind, "identity.error.too_small", lim.minSide)
		}
		a = Asset{AssetInfo: AssetInfo{ContentType: "image/png", Width: cfg.Width, Height: cfg.Height}, Body: data}
	case looksLikeXML(data):
		out, w, h, err := SanitizeSVG(data, lim.maxSide)
		if err != nil {
			return Asset{}, problem.Fields{{Field: kind, Msg: err.(*SVGError).Msg}}
		}
		a = Asset{AssetInfo: AssetInfo{ContentType: "image/svg+xml", Width: w, Height: h}, Body: out}
	default:
		return Asset{}, problemOn(kind, "identity.error.not_image")
	}
	return a, nil
}

func problemOn(field, key string, args ...any) error {
	var f problem.Fields
	f.Add(field, key, args...)
	return f
}

// problemCount is a problem whose message is plural in count (a limit in bytes or pixels).
func problemCount(field, key string, count int, args ...any) error {
	return problem.Fields{{Field: field, Msg: i18n.Msg{Key: key, Args: args, Count: &count}}}
}

// looksLikeXML tells whether data starts, after a byte-order mark and white space, with "<".
func looksLikeXML(data []byte) bool {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	data = bytes.TrimLeft(data, " \t\r\n")
	return len(data) > 0 && data[0] == '<'
}

// DefaultAccent is the site's accent colour when none is set (style.css's --accent).
const DefaultAccent = "#0b5394"

// Size of the default header: Mastodon's and PeerTube's banner proportions.
const defaultHeaderW, defaultHeaderH = 1500, 500

// HeaderInfo describes the actor's header image: the one set, else DefaultHeader's.
func (id Identity) HeaderInfo() AssetInfo {
	if id.Header != nil {
		return *id.Header
	}
	return defaultHeaderInfo(id.Accent)
}

func defaultHeaderInfo(accent string) AssetInfo {
	c, ok := ParseHex(accent)
	if !ok {
		c, _ = ParseHex(DefaultAccent)
	}
	// The sum names the colour, so the URL changes with it.
	return AssetInfo{ContentType: "image/png", Width: defaultHeaderW, Height: defaultHeaderH, Sum: "d" + c.Hex()[1:]}
}

// DefaultHeader is the header image when none is set: a band of the accent colour (accent,
// #rrggbb, or the default), so the city's profile on the fediverse has its colour rather than
// the remote server's grey.
func DefaultHeader(accent string) Asset {
	info := defaultHeaderInfo(accent)
	c, _ := ParseHex(info.Sum[1:])
	img := image.NewPaletted(image.Rect(0, 0, info.Width, info.Height),
		color.Palette{color.RGBA{R: c.R, G: c.G, B: c.B, A: 0xff}}) // one colour: every pixel is index 0
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	_ = enc.Encode(&buf, img) // writing to memory does not fail
	return Asset{AssetInfo: info, Body: buf.Bytes()}
}
