package messages

import (
	"bytes"
	"errors"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"
)

// Photos are decoded and encoded again as a JPEG: what comes out holds the pixels and nothing
// else — no EXIF (GPS included), XMP, IPTC, ICC profile or comment survives, whatever the file
// carried. Only JPEG and PNG are taken; anything else (a script named .jpg included) is refused
// before decoding, and the declared size is checked before the pixels are, so a small file
// declaring a huge image (a decompression bomb) costs nothing.

// Bounds of a photo's pixels.
const (
	maxPhotoSide   = 8000
	maxPhotoPixels = 40_000_000
	photoQuality   = 85
)

// Errors of ReencodePhoto.
var (
	ErrNotPhoto   = errors.New("messages: not a JPEG or PNG photo")
	ErrPhotoHuge  = errors.New("messages: photo has too many pixels")
	ErrPhotoBroke = errors.New("messages: photo does not decode")
)

// ReencodePhoto returns data decoded and encoded again as a JPEG without any metadata.
func ReencodePhoto(data []byte) ([]byte, error) {
	var decodeConfig func([]byte) (image.Config, error)
	var decode func([]byte) (image.Image, error)
	switch {
	case bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}):
		decodeConfig = func(b []byte) (image.Config, error) { return jpeg.DecodeConfig(bytes.NewReader(b)) }
		decode = func(b []byte) (image.Image, error) { return jpeg.Decode(bytes.NewReader(b)) }
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		decodeConfig = func(b []byte) (image.Config, error) { return png.DecodeConfig(bytes.NewReader(b)) }
		decode = func(b []byte) (image.Image, error) { return png.Decode(bytes.NewReader(b)) }
	default:
		return nil, ErrNotPhoto
	}
	cfg, err := decodeConfig(data)
	if err != nil {
		return nil, ErrPhotoBroke
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > maxPhotoSide || cfg.Height > maxPhotoSide || cfg.Width*cfg.Height > maxPhotoPixels {
		return nil, ErrPhotoHuge
	}
	img, err := decode(data)
	if err != nil {
		return nil, ErrPhotoBroke
	}
	// A transparent PNG is flattened on white, as JPEG has no alpha.
	if o, ok := img.(interface{ Opaque() bool }); ok && !o.Opaque() {
		flat := image.NewRGBA(img.Bounds())
		draw.Draw(flat, flat.Bounds(), image.White, image.Point{}, draw.Src)
		draw.Draw(flat, flat.Bounds(), img, img.Bounds().Min, draw.Over)
		img = flat
	}
	var out bytes.Buffer
	if err := jpeg.Encode(&out, img, &jpeg.Options{Quality: photoQuality}); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
