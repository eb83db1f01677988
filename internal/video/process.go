package video

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
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
	// StorageRetry is how long a processing job waits before it tries again when the media
	// storage cannot be reached; 0 is 30 s. Such waits do not count as attempts, for up to an
	// hour of outage.
	StorageRetry time.Duration
}

// storageRetry is Deps.StorageRetry or its default.
func (deps Deps) storageRetry() time.Duration {
	if deps.StorageRetry > 0 {
		return deps.StorageRetry
	}
	return 30 * time.Second
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

// processVideo runs the steps of processing as run r: claim the video, probe its source, plan
// and encode the renditions, store them, record them, and sweep what they replace. The one
// deferred finish records a failure of any step.
func processVideo(ctx context.Context, deps Deps, id int64, r run) (err error) {
	deps = deps.withDefaults()
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
	defer func() { err = finishFailed(ctx, deps, id, r, v.SourceKey, err) }()

	tmp, err := makeWorkDir(deps.WorkDir, id)
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	src, info, err := probeSource(ctx, deps, id, v.SourceKey, tmp)
	if err != nil {
		return err
	}
	plan := media.Plan(info, deps.Heights)
	made := v.madeFrom(v.SourceKey)
	stages := planStages(plan, made)
	si := summarize(info)
	weights := stageWeights(stages)
	done := 0.0
	for i, st := range stages {
		pictures := i == 0 && len(made) == 0
		enc, err := encode(ctx, deps, id, r, src, info, st, tmp, pictures, progressRecorder(ctx, deps, id, r, done, weights[i]))
		if err != nil {
			return err
		}
		set, err := storeOutputs(ctx, deps, id, enc, info.Duration)
		if err != nil {
			return err
		}
		done += weights[i]
		last := i == len(stages)-1
		if err := recordOutputs(ctx, deps.DB, id, r, info, si, v.SourceKey, set, last, min(int(done), 99)); err != nil {
			removeKeys(context.WithoutCancel(ctx), deps, set.keys())
			if errors.Is(err, ErrSuperseded) {
				return fmt.Errorf("video: process %d: %w", id, err)
			}
			return fmt.Errorf("video: process %d: record: %w", id, err)
		}
	}
	if len(stages) == 0 {
		// Every rendition was made by a run that stopped before it could say so.
		if err := recordOutputs(ctx, deps.DB, id, r, info, si, v.SourceKey, outputSet{}, true, 100); err != nil {
			return fmt.Errorf("video: process %d: record: %w", id, err)
		}
	}
	// What is recorded is live; what else is under the video's prefix is an older set or the
	// leftovers of an interrupted run.
	sweep(ctx, deps, id)
	return nil
}

// planStages splits the renditions of plan still to be made (those not in ready, the ones
// already made from the source) into the encodes that make them: the lowest alone first, so
// that the video can be watched as soon as it is made, then the others together in one
// process (see media.TranscodeArgs). A run that resumes after the first stage makes only the
// rest, and nothing is encoded twice.
func planStages(plan []media.Rendition, ready []Rendition) [][]media.Rendition {
	var todo []media.Rendition
	for _, p := range plan {
		if !slices.ContainsFunc(ready, func(r Rendition) bool { return r.Lines == p.Lines }) {
			todo = append(todo, p)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	if len(ready) > 0 || len(todo) == 1 {
		return [][]media.Rendition{todo}
	}
	return [][]media.Rendition{todo[:1], todo[1:]}
}

// stageWeights is each stage's share of the whole encode in percent, by the pixels it encodes
// plus one decode of the source per stage (counted as a 720p rendition's work), for progress.
func stageWeights(stages [][]media.Rendition) []float64 {
	const decode = 1280 * 720
	cost := make([]float64, len(stages))
	total := 0.0
	for i, st := range stages {
		cost[i] = decode
		for _, r := range st {
			cost[i] += float64(r.Width * r.Height)
		}
		total += cost[i]
	}
	for i := range cost {
		cost[i] = 100 * cost[i] / total
	}
	return cost
}

// withDefaults fills in the zero fields of deps.
func (deps Deps) withDefaults() Deps {
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
	return deps
}

// finishFailed records the failure err of run r, if there is one and the run still holds the
// video, and returns the error processing ends with: ErrSuperseded when the run lost the video
// meanwhile, err otherwise. A rejected source is forgotten and deleted. ctx is the run's, whose
// cause tells whether the heartbeat found the run taken over.
func finishFailed(ctx context.Context, deps Deps, id int64, r run, source string, err error) error {
	if err == nil || errors.Is(err, ErrSuperseded) {
		return err
	}
	if errors.Is(context.Cause(ctx), ErrSuperseded) {
		return fmt.Errorf("video: process %d: %w", id, ErrSuperseded)
	}
	// The context may be the one that failed; the status must still be written.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	held, werr := failRun(wctx, deps.DB, id, r, failureReason(err))
	if werr != nil {
		deps.Log.Error("video: recording a failure", "video", id, "err", werr)
	} else if !held {
		// Taken over meanwhile (the failure may even come from the run that took over,
		// clearing this one's work directory): the failure is not this run's to record.
		return fmt.Errorf("video: process %d: %w (it failed meanwhile: %v)", id, ErrSuperseded, err)
	}
	if held && errors.Is(err, ErrRejected) && source != "" {
		dropSource(wctx, deps, id, source)
	}
	return err
}

// failureReason is what the editor is shown of err: a media error's code and detail, with
// ffmpeg's last words for a failed encode; anything else as it reads.
func failureReason(err error) string {
	var me *media.Error
	if !errors.As(err, &me) {
		return err.Error()
	}
	reason := string(me.Code)
	if me.Detail != "" {
		reason += ": " + me.Detail
	}
	if me.Code == media.CodeEncodeFailed && me.Stderr != "" {
		reason += ": " + lastLines(me.Stderr)
	}
	return reason
}

// makeWorkDir clears what earlier runs of video id left in workDir and makes this run's
// directory there.
func makeWorkDir(workDir string, id int64) (string, error) {
	if err := os.MkdirAll(workDir, 0o750); err != nil {
		return "", fmt.Errorf("video: process %d: %w", id, err)
	}
	if err := clearStaleWork(workDir, id); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(workDir, fmt.Sprintf("video-%d-", id))
	if err != nil {
		return "", fmt.Errorf("video: process %d: %w", id, err)
	}
	return tmp, nil
}

// probeSource makes the source a local file in tmp (a local store's is read where it is,
// another store's is copied in) and probes it against deps.Limits. A source that is not a
// playable video, or exceeds the limits, fails with ErrRejected.
func probeSource(ctx context.Context, deps Deps, id int64, key, tmp string) (string, *media.Info, error) {
	src, err := LocalFile(ctx, deps.Store, key, filepath.Join(tmp, "source"+path.Ext(key)))
	if err != nil {
		return "", nil, fmt.Errorf("video: process %d: %w", id, err)
	}
	info, err := media.Probe(ctx, src)
	if err == nil {
		err = info.Check(deps.Limits)
	}
	if err != nil {
		var me *media.Error
		if errors.As(err, &me) && me.Code != media.CodeUnreadable {
			return "", nil, fmt.Errorf("video: process %d: %w: %w", id, ErrRejected, err)
		}
		return "", nil, fmt.Errorf("video: process %d: probe: %w", id, err)
	}
	return src, info, nil
}

// encoded is what an encode made, as files in the work directory.
type encoded struct {
	outputs       []media.Output
	poster, thumb string
}

// encode transcodes src into the renditions of plan, then, when pictures is set, takes the
// poster and the thumbnail, all into tmp/out, reporting progress on the way.
func encode(ctx context.Context, deps Deps, id int64, r run, src string, info *media.Info, plan []media.Rendition, tmp string, pictures bool, progress func(media.Progress)) (encoded, error) {
	// Every stage writes into the same directory: the renditions' names differ, and only the
	// first stage takes the pictures.
	dir := filepath.Join(tmp, "out")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return encoded{}, fmt.Errorf("video: process %d: %w", id, err)
	}
	outputs, err := media.Transcode(ctx, src, dir, plan, deps.Encoder, progress)
	if err != nil {
		return encoded{}, fmt.Errorf("video: process %d: transcode: %w", id, err)
	}
	enc := encoded{outputs: outputs}
	if !pictures {
		return enc, nil
	}
	at := media.PosterTime(info.Duration)
	enc.poster, enc.thumb = filepath.Join(dir, "poster.jpg"), filepath.Join(dir, "thumb.jpg")
	if err := media.Poster(ctx, src, enc.poster, at, media.PosterMaxWidth); err != nil {
		return encoded{}, fmt.Errorf("video: process %d: poster: %w", id, err)
	}
	if err := media.Thumbnail(ctx, src, enc.thumb, at); err != nil {
		return encoded{}, fmt.Errorf("video: process %d: thumbnail: %w", id, err)
	}
	return enc, nil
}

// progressRecorder returns the transcoder's progress callback for a stage that is weight percent
// of the whole, after base percent done: it writes run r's percentage (at most 99 — 100 once the
// outputs are recorded) at most every deps.ProgressEvery, as a beat.
func progressRecorder(ctx context.Context, deps Deps, id int64, r run, base, weight float64) func(media.Progress) {
	var mu sync.Mutex
	last := time.Time{}
	lastPct := -1
	return func(p media.Progress) {
		pct := min(int(base+p.Percent*weight/100), 99)
		mu.Lock()
		defer mu.Unlock()
		if pct == lastPct || time.Since(last) < deps.ProgressEvery {
			return
		}
		last, lastPct = time.Now(), pct
		if err := beat(ctx, deps.DB, id, r, pct); err != nil && !errors.Is(err, ErrSuperseded) {
			deps.Log.Warn("video: progress", "video", id, "err", err)
		}
	}
}

// outputSet is an encode's outputs as stored: the renditions, poster and thumbnail keys, and
// the keys of the renditions' HLS playlists and segments.
type outputSet struct {
	renditions    []Rendition
	poster, thumb string
	hls           []string
}

// keys lists every stored key of the set.
func (s outputSet) keys() []string {
	keys := make([]string, 0, len(s.renditions)+2+len(s.hls))
	for _, r := range s.renditions {
		keys = append(keys, r.Key)
	}
	keys = append(keys, s.hls...)
	if s.poster != "" {
		keys = append(keys, s.poster, s.thumb)
	}
	return keys
}

// storeOutputs puts enc's files into the store under fresh keys for this run: the URLs of a set
// never change meaning, so they can be cached for a year, and a crash half-way leaves the
// published set untouched. On failure it deletes what it stored.
func storeOutputs(ctx context.Context, deps Deps, id int64, enc encoded, duration time.Duration) (set outputSet, err error) {
	gen, err := generation()
	if err != nil {
		return outputSet{}, err
	}
	prefix := KeyPrefix(id) + gen + "-"
	var stored []string
	defer func() {
		if err != nil {
			removeKeys(context.WithoutCancel(ctx), deps, stored)
		}
	}()
	put := func(file, key string) error {
		if err := putFile(ctx, deps.Store, file, key); err != nil {
			return fmt.Errorf("video: process %d: store: %w", id, err)
		}
		stored = append(stored, key)
		return nil
	}
	seconds := duration.Seconds()
	for _, o := range enc.outputs {
		key := prefix + o.Rendition.Name + ".mp4"
		if err := put(o.Path, key); err != nil {
			return outputSet{}, err
		}
		var rate int64
		if seconds > 0 {
			rate = int64(float64(o.Size*8) / seconds)
		}
		rd := Rendition{Lines: o.Rendition.Lines, Width: o.Rendition.Width,
			Height: o.Rendition.Height, Size: o.Size, Bitrate: rate, Key: key}
		if o.HLS != nil {
			if rd.HLSKey, err = storeHLS(ctx, deps, o.HLS, prefix+o.Rendition.Name+".m3u8", &stored); err != nil {
				return outputSet{}, fmt.Errorf("video: process %d: store: %w", id, err)
			}
			rd.Codecs, rd.Bandwidth, rd.AverageBandwidth = o.HLS.Codecs, o.HLS.Bandwidth, o.HLS.AverageBandwidth
			if fps := o.Rendition.FrameRate.Float(); fps > 0 {
				rd.FrameRate = strconv.FormatFloat(fps, 'f', 3, 64)
			}
			set.hls = append(set.hls, stored[len(stored)-len(o.HLS.Files):]...)
		}
		set.renditions = append(set.renditions, rd)
	}
	if enc.poster == "" {
		return set, nil
	}
	set.poster, set.thumb = prefix+"poster.jpg", prefix+"thumb.jpg"
	if err := put(enc.poster, set.poster); err != nil {
		return outputSet{}, err
	}
	if err := put(enc.thumb, set.thumb); err != nil {
		return outputSet{}, err
	}
	return set, nil
}

// storeHLS stores an HLS stream under the playlist key playlistKey, its segments beside it (see
// hlsFileKey) and the playlist last, rewritten to name them so. Each stored key is appended to
// stored, the playlist's last.
func storeHLS(ctx context.Context, deps Deps, h *media.HLSStream, playlistKey string, stored *[]string) (string, error) {
	for _, name := range h.Files {
		if name == media.HLSPlaylist {
			continue
		}
		key := hlsFileKey(playlistKey, name)
		if err := putFile(ctx, deps.Store, filepath.Join(h.Dir, name), key); err != nil {
			return "", err
		}
		*stored = append(*stored, key)
	}
	playlist, err := os.ReadFile(filepath.Join(h.Dir, media.HLSPlaylist))
	if err != nil {
		return "", err
	}
	playlist = media.RenameHLS(playlist, func(name string) string { return path.Base(hlsFileKey(playlistKey, name)) })
	if err := deps.Store.Put(ctx, playlistKey, bytes.NewReader(playlist)); err != nil {
		return "", err
	}
	*stored = append(*stored, playlistKey)
	return playlistKey, nil
}

// putFile stores a finished file under key: a local store moves it (it is in the data
// directory already), another store copies it.
func putFile(ctx context.Context, store blob.Store, file, key string) error {
	if filer, ok := store.(blob.Filer); ok {
		return filer.PutFile(ctx, key, file)
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	return store.Put(ctx, key, f)
}

// summarize is the part of a source's probe that the video keeps.
func summarize(info *media.Info) SourceSummary {
	si := SourceSummary{Format: info.Format, DurationMS: info.Duration.Milliseconds(), Size: info.Size, BitRate: info.BitRate,
		Audio: len(info.Audio), Subtitles: subtitleStreams(info)}
	if info.Video != nil {
		si.Width, si.Height = info.Video.DisplaySize()
		si.Codec = info.Video.Codec
		si.FrameRate = info.Video.FrameRate.Float()
	}
	return si
}

// dropSource forgets and deletes a source that is not a playable video, so that a rejected file
// leaves nothing behind: the failure reason stays for the editor, who uploads another file. A
// source attached since (another upload) is left alone.
func dropSource(ctx context.Context, deps Deps, id int64, key string) {
	forgot, err := forgetSource(ctx, deps.DB, id, key)
	if err != nil {
		deps.Log.Error("video: forgetting a rejected source", "video", id, "err", err)
		return
	}
	if forgot {
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

// sweep deletes every object under the video's prefix that the video's recorded outputs do not
// name: its poster, thumbnail, renditions and their HLS playlists and segments.
func sweep(ctx context.Context, deps Deps, id int64) {
	v, err := Get(ctx, deps.DB.R, id)
	if err != nil {
		deps.Log.Warn("video: sweeping outputs", "video", id, "err", err)
		return
	}
	live := map[string]bool{v.PosterKey: true, v.ThumbnailKey: true}
	for _, r := range v.Renditions {
		live[r.Key], live[r.HLSKey] = true, true
	}
	var old []string
	for a, err := range deps.Store.List(ctx, KeyPrefix(id)) {
		if err != nil {
			deps.Log.Warn("video: listing outputs", "video", id, "err", err)
			return
		}
		playlist, segment := HLSPlaylistOf(a.Key)
		if !live[a.Key] && !(segment && live[playlist]) {
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

// Stages lists the encodes that make plan for a source nothing is made from yet, in the order
// processing runs them (see planStages); the processing benchmark replays them.
func Stages(plan []media.Rendition) [][]media.Rendition { return planStages(plan, nil) }
