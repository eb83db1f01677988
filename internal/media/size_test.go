package media

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Pictures of 1×1 and 16384×16384 are refused for their size, not taken for files cut short.
// ffmpeg encodes no 16384×16384 picture (nor decodes one: it refuses pictures of more than
// about 2^28 pixels), so the large one is a 16×16 Motion JPEG in AVI whose headers, and every
// frame's, are rewritten to declare 16384×16384, as a hostile file would.
func TestRejectPictureSize(t *testing.T) {
	t.Parallel()
	t.Run("1×1", func(t *testing.T) {
		t.Parallel()
		src := phoneSource(t, "dot.mp4", "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=2,scale=1:1",
			"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv444p")
		if facts := streamFacts(t, src, "v"); !strings.Contains(facts, "width=1\nheight=1\n") {
			t.Fatalf("the source is not 1×1: %s", facts)
		}
		wantSize(t, src, "1×1 outside 16–8192 px")
	})
	t.Run("16384×16384", func(t *testing.T) {
		t.Parallel()
		src := phoneSource(t, "huge.avi", "-f", "lavfi", "-i", "testsrc2=s=16x16:r=25:d=2", "-c:v", "mjpeg")
		declareSize(t, src, 16384)
		out, _ := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=width,height", src).CombinedOutput()
		if !strings.Contains(string(out), "Picture size 16384x16384 is invalid") {
			t.Fatalf("ffprobe does not read a 16384×16384 picture: %s", out)
		}
		wantSize(t, src, "ffmpeg cannot size the picture")
	})
}

func wantSize(t *testing.T, path, detail string) {
	t.Helper()
	info, err := Probe(context.Background(), path)
	if err == nil {
		err = info.Check(Limits{})
	}
	var me *Error
	if !errors.As(err, &me) || me.Code != CodeDimensions || !strings.HasPrefix(me.Detail, detail) {
		t.Fatalf("got %v, want code %q with %q", err, CodeDimensions, detail)
	}
}

// declareSize rewrites the 16×16 Motion JPEG AVI at path to declare side×side pictures: in the
// main header ('avih'), the stream header's frame ('strh'), its format ('strf') and every
// frame's JPEG start of frame (SOF0).
func declareSize(t *testing.T, path string, side int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	for _, f := range []struct {
		chunk string
		at    int // from the start of the chunk's payload
		put   func(b []byte)
	}{
		{"avih", 32, func(b []byte) { le.PutUint32(b, uint32(side)); le.PutUint32(b[4:], uint32(side)) }},
		{"strh", 52, func(b []byte) { le.PutUint16(b, uint16(side)); le.PutUint16(b[2:], uint16(side)) }},
		{"strf", 4, func(b []byte) { le.PutUint32(b, uint32(side)); le.PutUint32(b[4:], uint32(side)) }},
	} {
		i := bytes.Index(data, []byte(f.chunk))
		if i < 0 {
			t.Fatalf("no %s chunk", f.chunk)
		}
		f.put(data[i+8+f.at:])
	}
	// SOF0: marker, length 17, 8 bits, height 16, width 16.
	sof := []byte{0xff, 0xc0, 0x00, 0x11, 0x08, 0x00, 0x10, 0x00, 0x10}
	frames := 0
	for i := bytes.Index(data, sof); i >= 0; i = bytes.Index(data, sof) {
		binary.BigEndian.PutUint16(data[i+5:], uint16(side))
		binary.BigEndian.PutUint16(data[i+7:], uint16(side))
		frames++
	}
	if frames == 0 {
		t.Fatal("no JPEG frame header")
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
