package messages

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// exifGPS is an APP1 Exif segment whose IFD0 points to a GPS IFD holding a latitude reference
// ("N") and a latitude of 35°6'N (Busan), as a phone's camera writes it.
func exifGPS() []byte {
	le := binary.LittleEndian
	var t bytes.Buffer
	t.WriteString("II*\x00")
	_ = binary.Write(&t, le, uint32(8)) // IFD0 at 8
	// IFD0: one entry, GPSInfo (0x8825, LONG) → GPS IFD at 26.
	_ = binary.Write(&t, le, uint16(1))
	_ = binary.Write(&t, le, []uint16{0x8825, 4})
	_ = binary.Write(&t, le, []uint32{1, 26})
	_ = binary.Write(&t, le, uint32(0))
	// GPS IFD at 26: GPSLatitudeRef (1, ASCII "N"), GPSLatitude (2, RATIONAL×3 at 56).
	_ = binary.Write(&t, le, uint16(2))
	_ = binary.Write(&t, le, []uint16{1, 2})
	_ = binary.Write(&t, le, []uint32{2})
	t.WriteString("N\x00\x00\x00")
	_ = binary.Write(&t, le, []uint16{2, 5})
	_ = binary.Write(&t, le, []uint32{3, 56})
	_ = binary.Write(&t, le, uint32(0))
	_ = binary.Write(&t, le, []uint32{35, 1, 6, 1, 0, 1})
	body := append([]byte("Exif\x00\x00"), t.Bytes()...)
	seg := []byte{0xff, 0xe1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(body)+2))
	return append(seg, body...)
}

func testPhoto(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := range 64 {
		for y := range 48 {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), 90, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	// After SOI, the Exif segment, as a camera places it.
	return append(append([]byte{0xff, 0xd8}, exifGPS()...), b.Bytes()[2:]...)
}

// probeTags is what ffprobe reads of a picture's metadata, one "key=value" a line.
func probeTags(t *testing.T, data []byte) string {
	t.Helper()
	if _, err := exec.LookPath("ffprobe"); err != nil {
		t.Fatalf("this test needs ffprobe (make test installs ffmpeg): %v", err)
	}
	p := filepath.Join(t.TempDir(), "p.jpg")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-show_frames", "-show_entries", "frame_tags:stream_tags:format_tags", "-of", "flat", p).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	return string(out)
}

func TestPhotoMetadataStripped(t *testing.T) {
	t.Parallel()
	in := testPhoto(t)
	if tags := probeTags(t, in); !strings.Contains(tags, "GPS") {
		t.Fatalf("the test photo has no GPS tag as ffprobe sees it:\n%s", tags)
	}
	out, err := ReencodePhoto(in)
	if err != nil {
		t.Fatal(err)
	}
	if tags := probeTags(t, out); strings.Contains(tags, "tags") {
		t.Errorf("metadata left after re-encoding:\n%s", tags)
	}
	// No APPn or COM segment at all: nothing but the picture.
	for i := 2; i+3 < len(out) && out[i] == 0xff && out[i+1] != 0xda; {
		if m := out[i+1]; m >= 0xe0 && m <= 0xef || m == 0xfe {
			t.Errorf("segment %#x left in the photo", m)
		}
		i += 2 + int(binary.BigEndian.Uint16(out[i+2:]))
	}
	if bytes.Contains(out, []byte("Exif")) {
		t.Error("Exif bytes left in the photo")
	}
	if _, err := jpeg.Decode(bytes.NewReader(out)); err != nil {
		t.Errorf("output does not decode: %v", err)
	}
}

func TestPhotoRefused(t *testing.T) {
	t.Parallel()
	// A PNG that declares 50 000 × 50 000 pixels in a few bytes.
	var small bytes.Buffer
	_ = png.Encode(&small, image.NewGray(image.Rect(0, 0, 1, 1)))
	bomb := small.Bytes()
	binary.BigEndian.PutUint32(bomb[16:], 50000)
	binary.BigEndian.PutUint32(bomb[20:], 50000)
	binary.BigEndian.PutUint32(bomb[29:], crc32.ChecksumIEEE(bomb[12:29]))
	for name, tc := range map[string]struct {
		data []byte
		want error
	}{
		"script":    {[]byte("#!/bin/sh\nrm -rf /\n"), ErrNotPhoto},
		"html":      {[]byte("<script>alert(1)</script>"), ErrNotPhoto},
		"bomb":      {bomb, ErrPhotoHuge},
		"truncated": {testPhoto(t)[:300], ErrPhotoBroke},
	} {
		if _, err := ReencodePhoto(tc.data); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
}
