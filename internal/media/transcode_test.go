package media

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sourceClip is the 3 s 720p source the encoding tests share.
func sourceClip(t testing.TB) string {
	return clip(t, "source-720p.mp4", ClipOptions{Width: 1280, Height: 720, Duration: 3 * time.Second, FrameRate: 25,
		AudioLanguage: "kor", Title: "Поддержка из Владивостока"})
}

func TestTranscode(t *testing.T) {
	t.Parallel()
	src := sourceClip(t)
	info := probeOK(t, src)
	plan := Plan(info, []int{360, 720})
	if len(plan) != 2 {
		t.Fatalf("plan = %+v, want 360p and 720p", plan)
	}
	dir := t.TempDir()
	var reports []Progress
	start := time.Now()
	outputs, err := Transcode(context.Background(), src, dir, plan, X264{Preset: "ultrafast"}, func(p Progress) {
		reports = append(reports, p)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("transcoded 3 s of 720p into 360p+720p in %v", time.Since(start).Round(time.Millisecond))

	if len(reports) == 0 {
		t.Fatal("no progress reported")
	}
	last := reports[len(reports)-1]
	if last.Percent != 100 || !last.Done {
		t.Errorf("last progress = %+v, want 100 %% and done", last)
	}
	for i, p := range reports {
		if i > 0 && p.Percent < reports[i-1].Percent {
			t.Errorf("progress went back: %v after %v", p.Percent, reports[i-1].Percent)
		}
		if p.Done != (i == len(reports)-1) {
			t.Errorf("report %d of %d: done = %v", i+1, len(reports), p.Done)
		}
	}

	wantSize := map[string][2]int{"360p": {640, 360}, "720p": {1280, 720}}
	for _, o := range outputs {
		if o.Path != filepath.Join(dir, o.Rendition.Name+".mp4") {
			t.Errorf("output path %s", o.Path)
		}
		st, err := os.Stat(o.Path)
		if err != nil || st.Size() != o.Size || o.Size == 0 {
			t.Errorf("%s: stat %v, size %d, reported %d", o.Path, err, st.Size(), o.Size)
		}
		got := probeOK(t, o.Path)
		v := got.Video
		if v.Codec != "h264" || v.PixelFormat != "yuv420p" || [2]int{v.Width, v.Height} != wantSize[o.Rendition.Name] {
			t.Errorf("%s: video %+v, want H.264 yuv420p %v", o.Rendition.Name, *v, wantSize[o.Rendition.Name])
		}
		if len(got.Audio) != 1 || got.Audio[0].Codec != "aac" || got.Audio[0].Channels != 2 || got.Audio[0].SampleRate != 48000 || got.Audio[0].Language != "kor" {
			t.Errorf("%s: audio %+v, want stereo AAC at 48 kHz tagged kor", o.Rendition.Name, got.Audio)
		}
		if d := got.Duration - info.Duration; d < -100*time.Millisecond || d > 100*time.Millisecond {
			t.Errorf("%s: duration %v, source %v", o.Rendition.Name, got.Duration, info.Duration)
		}
		if got.Title != "" {
			t.Errorf("%s: title %q copied; renditions carry no metadata of the source", o.Rendition.Name, got.Title)
		}
		atoms := topLevelAtoms(t, o.Path)
		moov, mdat := slices.Index(atoms, "moov"), slices.Index(atoms, "mdat")
		if moov < 0 || mdat < 0 || moov > mdat {
			t.Errorf("%s: top-level atoms %v, want moov before mdat (faststart)", o.Rendition.Name, atoms)
		}
	}
	for _, o := range outputs {
		checkHLS(t, o, info.Duration)
	}
	assertOnly(t, dir, "360p.hls", "360p.mp4", "720p.hls", "720p.mp4")
}

// checkHLS probes o's HLS stream: the same picture and sound as its MP4, in fMP4 segments that
// cover the whole video, with what a master playlist needs to know.
func checkHLS(t *testing.T, o Output, duration time.Duration) {
	t.Helper()
	h := o.HLS
	if h == nil || h.Dir != filepath.Join(filepath.Dir(o.Path), o.Rendition.Name+".hls") {
		t.Fatalf("%s: HLS stream %+v", o.Rendition.Name, h)
	}
	if len(h.Files) < 3 || h.Files[0] != HLSPlaylist || h.Files[1] != HLSInit {
		t.Errorf("%s: HLS files %v", o.Rendition.Name, h.Files)
	}
	for _, f := range h.Files {
		if _, err := os.Stat(filepath.Join(h.Dir, f)); err != nil {
			t.Error(err)
		}
	}
	playlist, err := os.ReadFile(filepath.Join(h.Dir, HLSPlaylist))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"#EXT-X-PLAYLIST-TYPE:VOD", `#EXT-X-MAP:URI="init.mp4"`, "#EXT-X-ENDLIST", "seg-00000.m4s"} {
		if !strings.Contains(string(playlist), want) {
			t.Errorf("%s: playlist lacks %s:\n%s", o.Rendition.Name, want, playlist)
		}
	}
	// x264 signals the lowest profile the stream needs (ultrafast's is Constrained Baseline).
	if len(h.Codecs) != len("avc1.64001f,mp4a.40.2") || !strings.HasPrefix(h.Codecs, "avc1.") || !strings.HasSuffix(h.Codecs, ",mp4a.40.2") {
		t.Errorf("%s: codecs %q, want H.264 and AAC-LC", o.Rendition.Name, h.Codecs)
	}
	if h.AverageBandwidth <= 0 || h.Bandwidth < h.AverageBandwidth {
		t.Errorf("%s: bandwidth %d, average %d", o.Rendition.Name, h.Bandwidth, h.AverageBandwidth)
	}
	// Probed as a player reads it (the truncation check of sources reads files, not playlists).
	got, err := Probe(context.Background(), filepath.Join(h.Dir, HLSPlaylist))
	if err != nil || got.Video == nil {
		t.Fatalf("%s: probe the playlist: %v", o.Rendition.Name, err)
	}
	v := got.Video
	if v.Codec != "h264" || v.Width != o.Rendition.Width || v.Height != o.Rendition.Height || v.Rotation != 0 {
		t.Errorf("%s: HLS video %+v, want H.264 %d×%d", o.Rendition.Name, *v, o.Rendition.Width, o.Rendition.Height)
	}
	if (len(got.Audio) == 1) != (o.Rendition.AudioStream >= 0) {
		t.Errorf("%s: HLS audio %+v", o.Rendition.Name, got.Audio)
	}
	if d := got.Duration - duration; d < -150*time.Millisecond || d > 150*time.Millisecond {
		t.Errorf("%s: HLS duration %v, source %v", o.Rendition.Name, got.Duration, duration)
	}
}

// TestTranscodePortrait encodes phone clips filmed upright — landscape frames with a rotation
// of 90° or 270° — into two renditions: each, as MP4 and as HLS, comes out portrait, with the
// rotation applied to the pixels and none left in the metadata, the ladder taken by the short
// side.
func TestTranscodePortrait(t *testing.T) {
	t.Parallel()
	for _, rotation := range []int{90, 270} {
		t.Run(strconv.Itoa(rotation), func(t *testing.T) {
			t.Parallel()
			src := clip(t, "phone-portrait-"+strconv.Itoa(rotation)+".mp4", ClipOptions{Width: 384, Height: 216, Rotation: rotation})
			info := probeOK(t, src)
			plan := Plan(info, []int{144, 216})
			if len(plan) != 2 {
				t.Fatalf("plan %+v, want 144p and 216p", plan)
			}
			outputs, err := Transcode(context.Background(), src, t.TempDir(), plan, X264{Preset: "ultrafast"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string][2]int{"144p": {144, 256}, "216p": {216, 384}}
			for _, o := range outputs {
				v := probeOK(t, o.Path).Video
				if [2]int{v.Width, v.Height} != want[o.Rendition.Name] || v.Rotation != 0 {
					t.Errorf("%s: %d×%d rotated %d°, want %v upright", o.Rendition.Name, v.Width, v.Height, v.Rotation, want[o.Rendition.Name])
				}
				if o.Rendition.Width != v.Width || o.Rendition.Height != v.Height {
					t.Errorf("plan said %d×%d, ffmpeg made %d×%d", o.Rendition.Width, o.Rendition.Height, v.Width, v.Height)
				}
				// The HLS stream is the same encode: upright and portrait too.
				checkHLS(t, o, info.Duration)
			}
		})
	}
}

func TestTranscodeCancel(t *testing.T) {
	t.Parallel()
	src := sourceClip(t)
	plan := Plan(probeOK(t, src), []int{360, 720})
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cancelled := time.Time{}
	// veryslow keeps ffmpeg busy for many seconds, so the first report comes well before the end.
	_, err := Transcode(ctx, src, dir, plan, X264{Preset: "veryslow"}, func(p Progress) {
		if cancelled.IsZero() {
			cancelled = time.Now()
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Transcode = %v, want context.Canceled", err)
	}
	t.Logf("returned %v after cancellation", time.Since(cancelled).Round(time.Millisecond))
	assertOnly(t, dir)
}

func TestTranscodeFailure(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := filepath.Join(dir, "minutes.mp4")
	if err := os.WriteFile(in, []byte("not a video"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	plan := []Rendition{{Name: "360p", Lines: 360, Width: 640, Height: 360, AudioStream: -1}}
	_, err := Transcode(context.Background(), in, out, plan, X264{Preset: "ultrafast"}, nil)
	var me *Error
	if !errors.As(err, &me) || me.Code != CodeEncodeFailed || me.Stderr == "" {
		t.Fatalf("Transcode = %#v, want encode-failed with ffmpeg's stderr", err)
	}
	assertOnly(t, out)

	if _, err := Transcode(context.Background(), in, out, []Rendition{{Name: "../escape"}}, X264{}, nil); err == nil {
		t.Error("a rendition name with a slash was accepted")
	}
}

// assertOnly fails unless dir holds exactly the files named.
func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if !slices.Equal(got, names) {
		t.Errorf("%s holds %q, want %q", dir, got, names)
	}
}

// topLevelAtoms lists the boxes at the top of an MP4 file, in order.
func topLevelAtoms(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	var atoms []string
	for pos := int64(0); pos < st.Size(); {
		var hdr [16]byte
		if _, err := f.ReadAt(hdr[:8], pos); err != nil {
			t.Fatalf("atom header at %d: %v", pos, err)
		}
		size := int64(binary.BigEndian.Uint32(hdr[:4]))
		switch size {
		case 0: // to the end of the file
			size = st.Size() - pos
		case 1: // a 64-bit size follows the type
			if _, err := f.ReadAt(hdr[8:16], pos+8); err != nil && err != io.EOF {
				t.Fatal(err)
			}
			size = int64(binary.BigEndian.Uint64(hdr[8:16]))
		}
		if size < 8 {
			t.Fatalf("atom %q at %d has size %d", hdr[4:8], pos, size)
		}
		atoms = append(atoms, string(hdr[4:8]))
		pos += size
	}
	return atoms
}
