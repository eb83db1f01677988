package video

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"sync"
	"time"

	"sistercity/internal/blob"
	"sistercity/internal/db"
	"sistercity/internal/media"
)

// Deps is what processing needs.
type Deps struct {
	DB    *db.DB
	Store blob.Store
	// WorkDir holds the temporary files of an encode; it should be in the data directory, on
	// the disk that has room for them, not /tmp.
	WorkDir string
	// Encoder makes the renditions; nil is libx264 with its default preset.
	Encoder media.Encoder
	// Heights are the renditions asked for; nil is media.DefaultHeights.
	Heights []int
	// Limits bound what a source may be.
	Limits media.Limits
	Log    *slog.Logger
	// ProgressEvery is the least time between two progress writes to the database; 0 is 2 s.
	ProgressEvery time.Duration
	// HeartbeatEvery is how often a running encode records that it is alive; 0 is
	// DefaultHeartbeat. StaleAfter is how long a run may stay silent before another may take
	// the video over; 0 is DefaultStaleAfter. It should be a few heartbeats.
	HeartbeatEvery, StaleAfter time.Duration
}

// ErrRejected wraps a *media.Error for a source that is not a playable video: processing it
// again will not help, the editor has to upload another file.
var ErrRejected = errors.New("video: source rejected")

// KeyPrefix is where a video's outputs are stored: every key under it belongs to the video.
func KeyPrefix(id int64) string { return "videos/" + fmt.Sprint(id) + "/" }

// SourceKey is where an uploaded source of video id is stored.
func SourceKey(id int64, name string) string { return "sources/" + fmt.Sprint(id) + "/" + name }

// SourceSummary is the summary of the source's probe that processing keeps with the video
// (Video.SourceInfo, as JSON); Video.Source reads it back.
type SourceSummary struct {
	Format     string  `json:"format"`
	Width      int     `json:"width"`
	Height     int     `json:"height"`
	Codec      string  `json:"codec,omitempty"`
	FrameRate  float64 `json:"frame_rate,omitempty"`
	DurationMS int64   `json:"duration_ms"`
	Size       int64   `json:"size"`
	BitRate    int64   `json:"bit_rate,omitempty"`
	Audio      int     `json:"audio_streams"`
	// Subtitles are the source's subtitle streams, offered for import as tracks.
	Subtitles []SubtitleStream `json:"subtitle_streams"`
}

// ProcessVideo makes the renditions, poster and thumbnail of video id from its stored source and
// records them. It is idempotent and safe to run again after a crash: outputs are written under
// fresh keys, the video's rows point at them only once every one is stored (one transaction),
// and then the previous set and any leftovers of an interrupted run are deleted. A source that
// is not a playable video fails with ErrRejected (and a *media.Error saying why), and the video
// is marked failed with the code as its reason.
//
// A run holds the video while it works and says so every Deps.HeartbeatEvery; a run that was
// taken over meanwhile (its heartbeat stopped for Deps.StaleAfter and the video was queued
// anew) stops and records nothing, with ErrSuperseded. ProcessVideo does not take over a run
// that is alive: it then returns at once with an error.
func ProcessVideo(ctx context.Context, deps Deps, id int64) error {
	return processVideo(ctx, deps, id, newRun("", 0))
}

func processVideo(ctx context.Context, deps Deps, id int64, r run) (err error) {
	if deps.Encoder == nil {
		deps.Encoder = media.X264{}
	}
	if deps.Log == nil {
		deps.Log = slog.Default()
	}
	if deps.ProgressEvery == 0 {
		deps.ProgressEvery = 2 * time.Second
	}
	if deps.HeartbeatEvery <= 0 {
		deps.HeartbeatEvery = DefaultHeartbeat
	}
	if deps.StaleAfter <= 0 {
		deps.StaleAfter = DefaultStaleAfter
	}
	v, err := Get(ctx, deps.DB.R, id)
	if err != nil {
		return err
	}
	if v.SourceKey == "" {
		return fmt.Errorf("video: process %d: no source: %w", id, ErrRejected)
	}
	if err := claim(ctx, deps.DB, id, r, time.Now(), deps.StaleAfter); err != nil {
		return err
	}
	// The heartbeat ends with the run; it cancels the run once another has taken over.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go heartbeat(ctx, cancel, deps, id, r)
	defer func() {
		if err == nil || errors.Is(err, ErrSuperseded) {
			return
		}
		if errors.Is(context.Cause(ctx), ErrSuperseded) {
			err = fmt.Errorf("video: process %d: %w", id, ErrSuperseded)
			return
		}
		reason := err.Error()
		var me *media.Error
		if errors.As(err, &me) {
			reason = string(me.Code)
			if me.Detail != "" {
				reason += ": " + me.Detail
			}
			if me.Code == media.CodeEncodeFailed && me.Stderr != "" {
				reason += ": " + lastLines(me.Stderr)
			}
		}
		// The context may be the one that failed; the status must still be written.
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		held, werr := failRun(wctx, deps.DB, id, r, reason)
		if werr != nil {
			deps.Log.Error("video: recording a failure", "video", id, "err", werr)
		} else if !held {
			// Taken over meanwhile (the failure may even come from the run that took over,
			// clearing this one's work directory): the failure is not this run's to record.
			err = fmt.Errorf("video: process %d: %w (it failed meanwhile: %v)", id, ErrSuperseded, err)
			return
		}
		if held && errors.Is(err, ErrRejected) && v.SourceKey != "" {
			dropSource(wctx, deps, id, v.SourceKey)
		}
	}()

	if err := os.MkdirAll(deps.WorkDir, 0o750); err != nil {
		return fmt.Errorf("video: process %d: %w", id, err)
	}
	if err := clearStaleWork(deps.WorkDir, id); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(deps.WorkDir, fmt.Sprintf("video-%d-", id))
	if err != nil {
		return fmt.Errorf("video: process %d: %w", id, err)
	}
	defer os.RemoveAll(tmp)

	// A local store's source is read where it is; another store's is copied in first.
	src, err := LocalFile(ctx, deps.Store, v.SourceKey, filepath.Join(tmp, "source"+path.Ext(v.SourceKey)))
	if err != nil {
		return fmt.Errorf("video: process %d: %w", id, err)
	}
	info, err := media.Probe(ctx, src)
	if err == nil {
		err = info.Check(deps.Limits)
	}
	if err != nil {
		var me *media.Error
		if errors.As(err, &me) && me.Code != media.CodeUnreadable {
			return fmt.Errorf("video: process %d: %w: %w", id, ErrRejected, err)
		}
		return fmt.Errorf("video: process %d: probe: %w", id, err)
	}

	plan := media.Plan(info, deps.Heights)
	outDir := filepath.Join(tmp, "out")
	if err := os.Mkdir(outDir, 0o750); err != nil {
		return fmt.Errorf("video: process %d: %w", id, err)
	}
	var mu sync.Mutex
	last := time.Time{}
	lastPct := -1
	outputs, err := media.Transcode(ctx, src, outDir, plan, deps.Encoder, func(p media.Progress) {
		pct := int(p.Percent)
		if pct >= 100 {
			pct = 99 // 100 once the outputs are stored
		}
		mu.Lock()
		defer mu.Unlock()
		if pct == lastPct || time.Since(last) < deps.ProgressEvery {
			return
		}
		last, lastPct = time.Now(), pct
		if err := beat(ctx, deps.DB, id, r, pct); err != nil && !errors.Is(err, ErrSuperseded) {
			deps.Log.Warn("video: progress", "video", id, "err", err)
		}
	})
	if err != nil {
		return fmt.Errorf("video: process %d: transcode: %w", id, err)
	}
	at := media.PosterTime(info.Duration)
	poster, thumb := filepath.Join(tmp, "poster.jpg"), filepath.Join(tmp, "thumb.jpg")
	if err := media.Poster(ctx, src, poster, at, media.PosterMaxWidth); err != nil {
		return fmt.Errorf("video: process %d: poster: %w", id, err)
	}
	if err := media.Thumbnail(ctx, src, thumb, at); err != nil {
		return fmt.Errorf("video: process %d: thumbnail: %w", id, err)
	}

	// Fresh keys for this run: the URLs of a set never change meaning, so they can be cached
	// for a year, and a crash half-way leaves the published set untouched.
	gen, err := generation()
	if err != nil {
		return err
	}
	prefix := KeyPrefix(id) + gen + "-"
	var stored []string
	put := func(file, key string) error {
		if filer, ok := deps.Store.(blob.Filer); ok {
			// Moved, not copied: the file is finished and in the data directory.
			if err := filer.PutFile(ctx, key, file); err != nil {
				return err
			}
			stored = append(stored, key)
			return nil
		}
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := deps.Store.Put(ctx, key, f); err != nil {
			return err
		}
		stored = append(stored, key)
		return nil
	}
	defer func() {
		if err != nil {
			removeKeys(context.WithoutCancel(ctx), deps, stored)
		}
	}()
	var rends []Rendition
	seconds := info.Duration.Seconds()
	for _, o := range outputs {
		key := prefix + o.Rendition.Name + ".mp4"
		if err := put(o.Path, key); err != nil {
			return fmt.Errorf("video: process %d: store: %w", id, err)
		}
		var rate int64
		if seconds > 0 {
			rate = int64(float64(o.Size*8) / seconds)
		}
		rends = append(rends, Rendition{Lines: o.Rendition.Lines, Width: o.Rendition.Width, Height: o.Rendition.Height,
			Size: o.Size, Bitrate: rate, Key: key})
	}
	posterKey, thumbKey := prefix+"poster.jpg", prefix+"thumb.jpg"
	if err := put(poster, posterKey); err != nil {
		return fmt.Errorf("video: process %d: store: %w", id, err)
	}
	if err := put(thumb, thumbKey); err != nil {
		return fmt.Errorf("video: process %d: store: %w", id, err)
	}

	si := SourceSummary{Format: info.Format, DurationMS: info.Duration.Milliseconds(), Size: info.Size, BitRate: info.BitRate,
		Audio: len(info.Audio), Subtitles: subtitleStreams(info)}
	if info.Video != nil {
		si.Width, si.Height = info.Video.DisplaySize()
		si.Codec = info.Video.Codec
		si.FrameRate = info.Video.FrameRate.Float()
	}
	siJSON, _ := json.Marshal(si)
	err = deps.DB.InTx(ctx, func(tx *sql.Tx) error {
		// Only the run that holds the video records it: a run taken over while it worked
		// loses, whatever it made.
		res, err := tx.ExecContext(ctx, `UPDATE videos SET duration_ms = $1, source_info = $2, poster_key = $3, thumbnail_key = $4,
			processing = $5, progress = 100, failure = '', updated_at = $6 WHERE id = $7 AND processing_run = $8 AND processing = $9`,
			info.Duration.Milliseconds(), string(siJSON), posterKey, thumbKey, ProcReady, time.Now().UTC(), id, r.token, ProcProcessing)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrSuperseded
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM video_renditions WHERE video_id = $1", id); err != nil {
			return err
		}
		for _, r := range rends {
			if _, err := tx.ExecContext(ctx, `INSERT INTO video_renditions (video_id, lines, width, height, size, bitrate, storage_key)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, r.Lines, r.Width, r.Height, r.Size, r.Bitrate, r.Key); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, ErrSuperseded) {
		return fmt.Errorf("video: process %d: %w", id, err)
	}
	if err != nil {
		return fmt.Errorf("video: process %d: record: %w", id, err)
	}
	// The new set is live; what else is under the video's prefix is the old set or the
	// leftovers of an interrupted run.
	sweep(ctx, deps, id, stored)
	return nil
}

// failRun records the failure of run r, if it still holds video id, and reports whether it did.
func failRun(ctx context.Context, d *db.DB, id int64, r run, reason string) (bool, error) {
	res, err := d.W.ExecContext(ctx, `UPDATE videos SET processing = $1, progress = 0, failure = $2, updated_at = $3
		WHERE id = $4 AND processing_run = $5`, ProcFailed, TrimFailure(reason), time.Now().UTC(), id, r.token)
	if err != nil {
		return false, fmt.Errorf("video: %d processing: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// dropSource forgets and deletes a source that is not a playable video, so that a rejected file
// leaves nothing behind: the failure reason stays for the editor, who uploads another file. A
// source attached since (another upload) is left alone.
func dropSource(ctx context.Context, deps Deps, id int64, key string) {
	res, err := deps.DB.W.ExecContext(ctx, `UPDATE videos SET source_key = '', source_info = '', updated_at = $1
		WHERE id = $2 AND source_key = $3`, time.Now().UTC(), id, key)
	if err != nil {
		deps.Log.Error("video: forgetting a rejected source", "video", id, "err", err)
		return
	}
	if n, _ := res.RowsAffected(); n == 1 {
		removeKeys(ctx, deps, []string{key})
	}
}

// fetch copies a stored object to a local file, streaming.
func fetch(ctx context.Context, s blob.Store, key, to string) error {
	r, err := s.Open(ctx, key)
	if err != nil {
		return err
	}
	defer r.Close()
	f, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func generation() (string, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("video: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

func removeKeys(ctx context.Context, deps Deps, keys []string) {
	for _, k := range keys {
		if err := deps.Store.Delete(ctx, k); err != nil {
			deps.Log.Warn("video: removing an output", "key", k, "err", err)
		}
	}
}

// sweep deletes every object under the video's prefix but keep.
func sweep(ctx context.Context, deps Deps, id int64, keep []string) {
	live := map[string]bool{}
	for _, k := range keep {
		live[k] = true
	}
	var old []string
	for a, err := range deps.Store.List(ctx, KeyPrefix(id)) {
		if err != nil {
			deps.Log.Warn("video: listing outputs", "video", id, "err", err)
			return
		}
		if !live[a.Key] {
			old = append(old, a.Key)
		}
	}
	removeKeys(ctx, deps, old)
}

// lastLines keeps the end of ffmpeg's stderr, which says why it stopped.
func lastLines(s string) string {
	if len(s) > 300 {
		s = s[len(s)-300:]
	}
	return s
}
