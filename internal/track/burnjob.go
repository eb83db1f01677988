package track

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"sistercity/internal/blob"
	"sistercity/internal/db"
	"sistercity/internal/jobs"
	"sistercity/internal/media"
	"sistercity/internal/subtitle"
	"sistercity/internal/video"
)

// BurnArgs is the job that renders a track's cues into the picture of its video.
type BurnArgs struct {
	TrackID int64 `json:"track_id" river:"unique"`
}

// Kind names the job in the queue.
func (BurnArgs) Kind() string { return "track.burn" }

// BurnDeps is what burning needs.
type BurnDeps struct {
	DB    *db.DB
	Store blob.Store
	// WorkDir holds the temporary files of a burn, in the data directory like processing's.
	WorkDir string
	// Encoder makes the picture; nil is libx264 with its default preset.
	Encoder media.Encoder
	Log     *slog.Logger
	// ProgressEvery is the least time between two progress writes; 0 is 2 s.
	ProgressEvery time.Duration
}

// BurnKeyPrefix is where the burned-in versions of track id are stored; every key under it
// belongs to the track. Not under the video's prefix, which processing sweeps.
func BurnKeyPrefix(trackID int64) string { return "versions/" + strconv.FormatInt(trackID, 10) + "/" }

// RequestBurn asks for a burned-in version of t inside tx: the burn row is marked waiting and
// the job enqueued in the same transaction. Only an approved track can be burned.
func RequestBurn(ctx context.Context, tx *sql.Tx, q *jobs.Queue, t *Track, now time.Time) error {
	if t.Status != StatusApproved {
		return fmt.Errorf("track: burn %d: %w", t.ID, ErrNotApproved)
	}
	if err := markBurnWaiting(ctx, tx, t, now); err != nil {
		return err
	}
	if _, err := q.Insert(ctx, tx, BurnArgs{TrackID: t.ID}, &jobs.InsertOpts{Unique: true, MaxAttempts: 3}); err != nil {
		return fmt.Errorf("track: enqueue burn of %d: %w", t.ID, err)
	}
	return nil
}

// RegisterBurn adds the burn job's worker to q.
func RegisterBurn(q *jobs.Queue, deps BurnDeps) error {
	return jobs.Register(q, jobs.WorkFunc[BurnArgs](func(ctx context.Context, job *jobs.Job[BurnArgs]) error {
		err := BurnVersion(ctx, deps, job.Args.TrackID)
		if errors.Is(err, db.ErrNotFound) || errors.Is(err, ErrNotApproved) || errors.Is(err, errNothingToBurn) {
			return jobs.Permanent(err)
		}
		return err
	}))
}

// errNothingToBurn: the video has neither a rendition nor a source.
var errNothingToBurn = errors.New("track: the video has no picture to burn into")

// BurnVersion makes the burned-in version of track id from its video's best rendition (or its
// source, before processing) and records it. Like video processing it is safe to run again
// after a crash: the file is stored under a fresh key, the row points at it in one
// transaction, and then the previous file and any leftovers are deleted. A failure is
// recorded on the row with ffmpeg's last words, trimmed.
//
// Its steps: load what to burn, fetch and probe the picture, plan its size, encode the cues
// into it, store the file, record it, sweep what it replaces.
func BurnVersion(ctx context.Context, deps BurnDeps, id int64) (err error) {
	deps = deps.withDefaults()
	t, err := Get(ctx, deps.DB.R, id)
	if err != nil {
		return err
	}
	if _, err := GetBurn(ctx, deps.DB.R, id); err != nil {
		return err // nobody asked, or the request went with the track
	}
	defer func() {
		if err != nil {
			recordBurnFailure(ctx, deps, id, err)
		}
	}()
	job, err := loadBurn(ctx, deps, t)
	if err != nil {
		return err
	}
	if err := setBurnStatus(ctx, deps.DB, id, BurnProcessing, 0, ""); err != nil {
		return err
	}
	tmp, err := makeBurnDir(deps.WorkDir, id)
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	src, info, err := probePicture(ctx, deps, id, job.key, tmp)
	if err != nil {
		return err
	}
	size, err := planBurn(info)
	if err != nil {
		return fmt.Errorf("track: burn %d: %w", id, err)
	}
	out, bytes, err := encodeBurn(ctx, deps, id, job.cues, src, info, size, tmp)
	if err != nil {
		return err
	}
	newKey, err := storeBurn(ctx, deps, t, out)
	if err != nil {
		return err
	}
	err = deps.DB.InTx(ctx, func(tx *sql.Tx) error { return recordBurn(ctx, tx, id, t.Version, newKey, bytes) })
	if err != nil {
		deps.Store.Delete(context.WithoutCancel(ctx), newKey)
		return fmt.Errorf("track: burn %d: record: %w", id, err)
	}
	// The new file is live; whatever else is under the track's prefix is the previous file or
	// the leftovers of an interrupted run.
	sweepBurns(ctx, deps, id, newKey)
	return nil
}

// withDefaults fills in the zero fields of deps.
func (deps BurnDeps) withDefaults() BurnDeps {
	if deps.Encoder == nil {
		deps.Encoder = media.X264{}
	}
	if deps.Log == nil {
		deps.Log = slog.Default()
	}
	if deps.ProgressEvery == 0 {
		deps.ProgressEvery = 2 * time.Second
	}
	return deps
}

// recordBurnFailure writes err on track id's burn row, even when ctx is the one that failed.
func recordBurnFailure(ctx context.Context, deps BurnDeps, id int64, err error) {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if werr := setBurnStatus(wctx, deps.DB, id, BurnFailed, 0, burnFailure(err)); werr != nil {
		deps.Log.Error("track: recording a burn failure", "track", id, "err", werr)
	}
}

// burnInput is what a burn works from: the stored picture and the cues to draw on it.
type burnInput struct {
	key  string
	cues *subtitle.Track
}

// loadBurn finds what to burn for t: its cues, and its video's best rendition, or the source
// before processing. Only an approved track is burned.
func loadBurn(ctx context.Context, deps BurnDeps, t *Track) (burnInput, error) {
	if t.Status != StatusApproved {
		return burnInput{}, fmt.Errorf("track: burn %d: %w", t.ID, ErrNotApproved)
	}
	v, err := video.Get(ctx, deps.DB.R, t.VideoID)
	if err != nil {
		return burnInput{}, err
	}
	key := v.Best().Key
	if key == "" {
		key = v.SourceKey
	}
	if key == "" {
		return burnInput{}, fmt.Errorf("track: burn %d: video %d: %w", t.ID, v.ID, errNothingToBurn)
	}
	cues, err := t.Cues()
	if err != nil {
		return burnInput{}, err
	}
	return burnInput{key: key, cues: cues}, nil
}

// makeBurnDir makes the work directory of a burn of track id.
func makeBurnDir(workDir string, id int64) (string, error) {
	if err := os.MkdirAll(workDir, 0o750); err != nil {
		return "", fmt.Errorf("track: burn %d: %w", id, err)
	}
	tmp, err := os.MkdirTemp(workDir, fmt.Sprintf("burn-%d-", id))
	if err != nil {
		return "", fmt.Errorf("track: burn %d: %w", id, err)
	}
	return tmp, nil
}

// probePicture makes the stored picture under key a local file in tmp and probes it.
func probePicture(ctx context.Context, deps BurnDeps, id int64, key, tmp string) (string, *media.Info, error) {
	src, err := video.LocalFile(ctx, deps.Store, key, filepath.Join(tmp, "video"+path.Ext(key)))
	if err != nil {
		return "", nil, fmt.Errorf("track: burn %d: fetch %s: %w", id, key, err)
	}
	info, err := media.Probe(ctx, src)
	if err != nil {
		return "", nil, fmt.Errorf("track: burn %d: %w", id, err)
	}
	return src, info, nil
}

// planBurn is the size of the best rendition the video has or would have: a rendition keeps
// its own, a source is brought down the way processing would.
func planBurn(info *media.Info) (media.Rendition, error) {
	plan := media.Plan(info, nil)
	if len(plan) == 0 {
		return media.Rendition{}, errNothingToBurn
	}
	return plan[len(plan)-1], nil
}

// encodeBurn draws cues into src at size, into a file in tmp, recording progress on the way;
// it returns the file and its size.
func encodeBurn(ctx context.Context, deps BurnDeps, id int64, cues *subtitle.Track, src string, info *media.Info,
	size media.Rendition, tmp string) (string, int64, error) {
	subs := filepath.Join(tmp, "cues.srt")
	if err := writeSRT(subs, cues); err != nil {
		return "", 0, fmt.Errorf("track: burn %d: %w", id, err)
	}
	out := filepath.Join(tmp, "burned.mp4")
	bytes, err := media.Burn(ctx, src, subs, out, media.BurnOptions{Width: size.Width, Height: size.Height,
		FrameRate: size.FrameRate, Duration: info.Duration, Encoder: deps.Encoder}, burnProgress(ctx, deps, id))
	if err != nil {
		return "", 0, fmt.Errorf("track: burn %d: %w", id, err)
	}
	return out, bytes, nil
}

// burnProgress returns the encoder's progress callback: it writes the percentage (at most 99 —
// 100 once stored) at most every deps.ProgressEvery.
func burnProgress(ctx context.Context, deps BurnDeps, id int64) func(media.Progress) {
	var mu sync.Mutex
	last, lastPct := time.Time{}, -1
	return func(p media.Progress) {
		pct := min(int(p.Percent), 99)
		mu.Lock()
		defer mu.Unlock()
		if pct == lastPct || time.Since(last) < deps.ProgressEvery {
			return
		}
		last, lastPct = time.Now(), pct
		if err := setBurnStatus(ctx, deps.DB, id, BurnProcessing, pct, ""); err != nil {
			deps.Log.Warn("track: burn progress", "track", id, "err", err)
		}
	}
}

// storeBurn puts the burned file of t into the store under a fresh key, and returns the key.
func storeBurn(ctx context.Context, deps BurnDeps, t *Track, file string) (string, error) {
	gen, err := generation()
	if err != nil {
		return "", err
	}
	key := BurnKeyPrefix(t.ID) + gen + "-" + t.Lang + ".mp4"
	f, err := os.Open(file)
	if err != nil {
		return "", fmt.Errorf("track: burn %d: %w", t.ID, err)
	}
	err = deps.Store.Put(ctx, key, f)
	f.Close()
	if err != nil {
		return "", fmt.Errorf("track: burn %d: store: %w", t.ID, err)
	}
	return key, nil
}

// writeSRT writes cues as SubRip, which libass reads with its basic markup (<b>, <i>).
func writeSRT(name string, st *subtitle.Track) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := subtitle.WriteSRT(f, st); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// burnFailure is what the admin is shown of err: a media error's code and detail with
// ffmpeg's last words, anything else as it reads, trimmed.
func burnFailure(err error) string {
	reason := err.Error()
	var me *media.Error
	if errors.As(err, &me) {
		reason = string(me.Code)
		if me.Detail != "" {
			reason += ": " + me.Detail
		}
		if me.Stderr != "" {
			reason += ": " + strings.TrimSpace(me.Stderr)
		}
	}
	return video.TrimFailure(reason)
}

func generation() (string, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("track: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// sweepBurns deletes every object under the track's prefix but keep.
func sweepBurns(ctx context.Context, deps BurnDeps, id int64, keep string) {
	var old []string
	for a, err := range deps.Store.List(ctx, BurnKeyPrefix(id)) {
		if err != nil {
			deps.Log.Warn("track: listing burned versions", "track", id, "err", err)
			return
		}
		if a.Key != keep {
			old = append(old, a.Key)
		}
	}
	for _, k := range old {
		if err := deps.Store.Delete(ctx, k); err != nil {
			deps.Log.Warn("track: removing a burned version", "key", k, "err", err)
		}
	}
}
