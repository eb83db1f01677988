package video

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"sistercity/internal/blob"
	"sistercity/internal/blob/blobtest"
	"sistercity/internal/media"
)

// TestPipelineOnBothStores runs the processing end to end, with real ffmpeg, once with the
// media in a local directory and once in an S3 bucket (versitygw): the renditions, poster and
// thumbnail are stored and readable, each rendition's HLS stream beside it, a Range request through Store.Serve answers the right
// bytes, a second run replaces the set without leftovers, and the work directory ends empty.
func TestPipelineOnBothStores(t *testing.T) {
	t.Parallel()
	stores := []struct {
		name string
		open func(t *testing.T) blob.Store
	}{
		{"local", func(t *testing.T) blob.Store {
			s, err := blob.NewLocal(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
		{"s3", func(t *testing.T) blob.Store {
			srv := blobtest.Start(t)
			s, err := blob.Open(context.Background(), srv.Bucket(t), "")
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			ctx := context.Background()
			deps := newDeps(t)
			deps.Store = st.open(t)
			t.Cleanup(func() { deps.Store.Close() })
			deps.Heights = []int{240, 360}
			if err := media.TestClip(ctx, filepath.Join(deps.WorkDir, "..", "again.mp4"), media.ClipOptions{Width: 640, Height: 360, Duration: 2 * time.Second}); err != nil {
				t.Fatal(err)
			}
			v := newVideo(t, deps, func(p string) error {
				return media.TestClip(ctx, p, media.ClipOptions{Width: 640, Height: 360, Duration: 2 * time.Second})
			})
			if err := ProcessVideo(ctx, deps, v.ID); err != nil {
				t.Fatal(err)
			}
			first := checkStored(t, deps, v.ID)

			// Another source: a fresh set replaces the first, which is gone from the store.
			err := deps.DB.InTx(ctx, func(tx *sql.Tx) error {
				f, err := os.Open(filepath.Join(deps.WorkDir, "..", "again.mp4"))
				if err != nil {
					return err
				}
				defer f.Close()
				key := SourceKey(v.ID, "again.mp4")
				if err := deps.Store.Put(ctx, key, f); err != nil {
					return err
				}
				return AttachSource(ctx, tx, v.ID, key)
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := ProcessVideo(ctx, deps, v.ID); err != nil {
				t.Fatal(err)
			}
			second := checkStored(t, deps, v.ID)
			for _, k := range first {
				if slices.Contains(second, k) {
					t.Errorf("the second run reused the key %s", k)
				}
			}
			if left, err := os.ReadDir(deps.WorkDir); err != nil || len(left) != 0 {
				t.Errorf("work directory: %v, %v", left, err)
			}
		})
	}
}

// hlsKeys checks the HLS stream of rendition r in the store — a media playlist that names its
// init and media segments by their stored names, beside it, each stored — and returns its keys.
func hlsKeys(t *testing.T, deps Deps, r Rendition) []string {
	t.Helper()
	ctx := context.Background()
	if r.HLSKey == "" || !strings.HasPrefix(r.Codecs, "avc1.") || r.Bandwidth <= 0 || r.AverageBandwidth <= 0 || r.FrameRate != "25.000" {
		t.Fatalf("rendition %+v, want an HLS stream", r)
	}
	f, err := deps.Store.Open(ctx, r.HLSKey)
	if err != nil {
		t.Fatal(err)
	}
	playlist, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{r.HLSKey}
	for _, line := range strings.Split(string(playlist), "\n") {
		if m := regexp.MustCompile(`URI="([^"]+)"`).FindStringSubmatch(line); m != nil {
			line = m[1]
		} else if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key := path.Dir(r.HLSKey) + "/" + line
		if owner, ok := HLSPlaylistOf(key); !ok || owner != r.HLSKey {
			t.Errorf("%s names %s, which is not its own", r.HLSKey, line)
		}
		if a, err := deps.Store.Stat(ctx, key); err != nil || a.Size == 0 {
			t.Errorf("%s: %+v %v", key, a, err)
		}
		keys = append(keys, key)
	}
	if len(keys) < 3 {
		t.Errorf("%s names %v, want an init and a media segment:\n%s", r.HLSKey, keys, playlist)
	}
	return keys
}

// checkStored checks what processing recorded for video id against the store and returns the
// live keys.
func checkStored(t *testing.T, deps Deps, id int64) []string {
	t.Helper()
	ctx := context.Background()
	v, err := Get(ctx, deps.DB.R, id)
	if err != nil {
		t.Fatal(err)
	}
	if v.Processing != ProcReady || v.Progress != 100 || len(v.Renditions) != 2 || v.Renditions[0].Lines != 240 ||
		v.Renditions[1].Lines != 360 || v.Duration < 1900*time.Millisecond {
		t.Fatalf("video after processing: %s %d%%, %+v, %s", v.Processing, v.Progress, v.Renditions, v.Duration)
	}
	live := []string{v.PosterKey, v.ThumbnailKey}
	for _, r := range v.Renditions {
		live = append(live, r.Key)
		live = append(live, hlsKeys(t, deps, r)...)
		a, err := deps.Store.Stat(ctx, r.Key)
		if err != nil || a.Size != r.Size || r.Size < 1000 {
			t.Fatalf("%s: stat %+v, %v; recorded size %d", r.Key, a, err, r.Size)
		}
		f, err := deps.Store.Open(ctx, r.Key)
		if err != nil {
			t.Fatal(err)
		}
		whole, err := io.ReadAll(f)
		f.Close()
		if err != nil || int64(len(whole)) != r.Size || string(whole[4:8]) != "ftyp" {
			t.Fatalf("%s: read %d bytes (%v), want an MP4 of %d", r.Key, len(whole), err, r.Size)
		}

		// Through Serve, as /media/ answers a player that seeks.
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if err := deps.Store.Serve(w, req, r.Key, "video/mp4"); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
			}
		}))
		req, _ := http.NewRequest("GET", srv.URL, nil)
		req.Header.Set("Range", "bytes=100-611")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		part, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		srv.Close()
		if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(part, whole[100:612]) ||
			resp.Header.Get("Content-Range") != "bytes 100-611/"+itoa(len(whole)) || resp.Header.Get("Content-Type") != "video/mp4" {
			t.Errorf("%s: range read %d, %d bytes, %q %q", r.Key, resp.StatusCode, len(part), resp.Header.Get("Content-Range"),
				resp.Header.Get("Content-Type"))
		}
	}
	for _, k := range []string{v.PosterKey, v.ThumbnailKey} {
		f, err := deps.Store.Open(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		head := make([]byte, 3)
		_, err = io.ReadFull(f, head)
		f.Close()
		if err != nil || !bytes.Equal(head, []byte{0xff, 0xd8, 0xff}) {
			t.Errorf("%s is not a JPEG: %x %v", k, head, err)
		}
	}
	got := keys(t, deps.Store, KeyPrefix(id))
	slices.Sort(got)
	slices.Sort(live)
	if !slices.Equal(got, live) {
		t.Errorf("stored under %s: %q, want only the live set %q", KeyPrefix(id), got, live)
	}
	return live
}
