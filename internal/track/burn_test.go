package track_test

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sistercity/internal/blob"
	"sistercity/internal/db"
	"sistercity/internal/db/dbtest"
	"sistercity/internal/jobs"
	"sistercity/internal/media"
	"sistercity/internal/subtitle"
	"sistercity/internal/track"
	"sistercity/internal/video"
)

// burnFixture is a video with a stored source and an approved Korean track.
type burnFixture struct {
	d     *db.DB
	store blob.Store
	queue *jobs.Queue
	deps  track.BurnDeps
	video int64
	track *track.Track
}

func newBurnFixture(t *testing.T, source []byte) *burnFixture {
	t.Helper()
	ctx := context.Background()
	d := dbtest.Open(t)
	store, err := blob.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	q, err := jobs.New(d, jobs.Config{Workers: 0}, log)
	if err != nil {
		t.Fatal(err)
	}
	f := &burnFixture{d: d, store: store, queue: q, video: newVideo(t, d),
		deps: track.BurnDeps{DB: d, Store: store, WorkDir: filepath.Join(t.TempDir(), "tmp"), Encoder: media.X264{Preset: "ultrafast"}, Log: log}}
	if source == nil {
		clip := filepath.Join(t.TempDir(), "clip.mp4")
		if err := media.TestClip(ctx, clip, media.ClipOptions{Width: 320, Height: 180, Duration: 2 * time.Second}); err != nil {
			t.Fatal(err)
		}
		if source, err = os.ReadFile(clip); err != nil {
			t.Fatal(err)
		}
	}
	key := video.SourceKey(f.video, "clip.mp4")
	if err := store.Put(ctx, key, strings.NewReader(string(source))); err != nil {
		t.Fatal(err)
	}
	err = d.InTx(ctx, func(tx *sql.Tx) error {
		if err := video.AttachSource(ctx, tx, f.video, key); err != nil {
			return err
		}
		f.track = &track.Track{VideoID: f.video, Lang: "ko", Kind: subtitle.KindSubtitles, Status: track.StatusApproved}
		if err := f.track.SetCues(parse(t, sampleVTT)); err != nil {
			return err
		}
		return track.Create(ctx, tx, f.track)
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *burnFixture) request(t *testing.T, tr *track.Track) error {
	t.Helper()
	return f.d.InTx(context.Background(), func(tx *sql.Tx) error {
		return track.RequestBurn(context.Background(), tx, f.queue, tr, time.Now())
	})
}

func (f *burnFixture) keys(t *testing.T) []string {
	t.Helper()
	var keys []string
	for a, err := range f.store.List(context.Background(), track.BurnKeyPrefix(f.track.ID)) {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, a.Key)
	}
	return keys
}

// TestBurnVersion requests a burned-in version of an approved track, runs the job, and checks
// the stored MP4, a second run replacing the first file, and the outdated mark once the track
// changes.
func TestBurnVersion(t *testing.T) {
	ctx := context.Background()
	f := newBurnFixture(t, nil)
	if err := f.request(t, f.track); err != nil {
		t.Fatal(err)
	}
	b, err := track.GetBurn(ctx, f.d.R, f.track.ID)
	if err != nil || b.Status != track.BurnWaiting || !b.Active() {
		t.Fatalf("after the request: %+v %v", b, err)
	}
	if err := track.BurnVersion(ctx, f.deps, f.track.ID); err != nil {
		t.Fatal(err)
	}
	b, err = track.GetBurn(ctx, f.d.R, f.track.ID)
	if err != nil || b.Status != track.BurnReady || b.Progress != 100 || b.Size == 0 || b.TrackVersion != f.track.Version ||
		!strings.HasPrefix(b.StorageKey, track.BurnKeyPrefix(f.track.ID)) || !strings.HasSuffix(b.StorageKey, "-ko.mp4") {
		t.Fatalf("after the burn: %+v %v", b, err)
	}
	first := b.StorageKey
	local, err := video.LocalFile(ctx, f.store, first, filepath.Join(t.TempDir(), "burned.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	info, err := media.Probe(ctx, local)
	if err != nil || info.Video == nil || info.Video.Codec != "h264" || info.Video.Width != 320 || info.Video.Height != 180 {
		t.Fatalf("burned file: %+v %v", info, err)
	}
	if all, _ := track.BurnsForVideo(ctx, f.d.R, f.video); len(all) != 1 || all[f.track.ID] == nil {
		t.Errorf("burns for the video: %v", all)
	}

	// Again: a fresh key, and the first file is gone.
	if err := f.request(t, f.track); err != nil {
		t.Fatal(err)
	}
	if err := track.BurnVersion(ctx, f.deps, f.track.ID); err != nil {
		t.Fatal(err)
	}
	b, _ = track.GetBurn(ctx, f.d.R, f.track.ID)
	if keys := f.keys(t); b.StorageKey == first || len(keys) != 1 || keys[0] != b.StorageKey {
		t.Errorf("second burn %q, stored %v", b.StorageKey, keys)
	}
	if b.Outdated(f.track) {
		t.Errorf("a fresh burn is outdated")
	}

	// The track is reopened: the burn shows an older text, and no new one can be asked for.
	err = f.d.InTx(ctx, func(tx *sql.Tx) error {
		return track.Reopen(ctx, tx, track.Step{Track: f.track, Version: f.track.Version, Comment: "typo", At: time.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
	if !b.Outdated(f.track) {
		t.Errorf("burn of version %d not outdated for version %d", b.TrackVersion, f.track.Version)
	}
	if err := f.request(t, f.track); !errors.Is(err, track.ErrNotApproved) {
		t.Errorf("request for a draft: %v", err)
	}
}

// TestBurnVersionFailure records ffmpeg's refusal on the row.
func TestBurnVersionFailure(t *testing.T) {
	ctx := context.Background()
	f := newBurnFixture(t, []byte("this is not a video"))
	if err := f.request(t, f.track); err != nil {
		t.Fatal(err)
	}
	if err := track.BurnVersion(ctx, f.deps, f.track.ID); err == nil {
		t.Fatal("burning into a non-video succeeded")
	}
	b, err := track.GetBurn(ctx, f.d.R, f.track.ID)
	if err != nil || b.Status != track.BurnFailed || b.Failure == "" || b.StorageKey != "" {
		t.Fatalf("after a failure: %+v %v", b, err)
	}
	if keys := f.keys(t); len(keys) != 0 {
		t.Errorf("files left: %v", keys)
	}
}
