// Package mediatest makes the media files the tests of sources need and ffmpeg does not write.
package mediatest

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
)

// TiltMP4 rewrites, in place, the display matrix in the track header ('tkhd') of the video track
// of the MP4 or MOV file at path to a turn of deg degrees clockwise, whatever the angle: ffmpeg
// writes only quarter turns, and tests need the others a file may carry. The file must not be
// fragmented (a plain media.TestClip MP4 will do).
func TiltMP4(path string, deg float64) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("mediatest: tilt: %w", err)
	}
	tkhd := -1
	for _, trak := range mp4Boxes(data, 0, len(data), "moov", "trak") {
		handler := ""
		for _, hdlr := range mp4Boxes(data, trak[0], trak[1], "mdia", "hdlr") {
			if hdlr[1]-hdlr[0] >= 12 {
				handler = string(data[hdlr[0]+8 : hdlr[0]+12]) // after version, flags and pre_defined
			}
		}
		if boxes := mp4Boxes(data, trak[0], trak[1], "tkhd"); handler == "vide" && len(boxes) == 1 {
			tkhd = boxes[0][0]
		}
	}
	if tkhd < 0 {
		return fmt.Errorf("mediatest: tilt: %s has no video track header", path)
	}
	// The matrix follows version and flags (4 bytes), the times, track id and duration (20
	// bytes in version 0, 32 in version 1), then 16 bytes of reserved, layer, group and volume.
	at := tkhd + 4 + 20 + 16
	if data[tkhd] == 1 {
		at += 12
	}
	if at+36 > len(data) {
		return fmt.Errorf("mediatest: tilt: %s: track header too short", path)
	}
	rad := deg * math.Pi / 180
	fixed := func(v float64) uint32 { return uint32(int32(math.Round(v * 65536))) }
	// a b u / c d v / x y w, in 16.16 fixed point but u, v, w in 2.30: the same sense as the
	// quarter turns ffmpeg writes (90° clockwise is 0 1 / -1 0).
	matrix := []uint32{fixed(math.Cos(rad)), fixed(math.Sin(rad)), 0, fixed(-math.Sin(rad)), fixed(math.Cos(rad)), 0, 0, 0, 1 << 30}
	for i, m := range matrix {
		binary.BigEndian.PutUint32(data[at+4*i:], m)
	}
	return os.WriteFile(path, data, 0o644)
}

// mp4Boxes returns where the payloads of the boxes are, as [start, end) offsets in data, found
// by following the path of box types down from the boxes that fill data[start:end].
func mp4Boxes(data []byte, start, end int, path ...string) [][2]int {
	var found [][2]int
	for end-start >= 8 {
		size := int64(binary.BigEndian.Uint32(data[start:]))
		typ, head := string(data[start+4:start+8]), int64(8)
		switch size {
		case 0:
			size = int64(end - start)
		case 1:
			if end-start < 16 {
				return found
			}
			size, head = int64(binary.BigEndian.Uint64(data[start+8:])), 16
		}
		if size < head || size > int64(end-start) {
			return found
		}
		if typ == path[0] {
			from, to := start+int(head), start+int(size)
			if len(path) == 1 {
				found = append(found, [2]int{from, to})
			} else {
				found = append(found, mp4Boxes(data, from, to, path[1:]...)...)
			}
		}
		start += int(size)
	}
	return found
}
