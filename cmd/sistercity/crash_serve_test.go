package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"sistercity/internal/addrtest"
	"sistercity/internal/blob"
	"sistercity/internal/db"
	"sistercity/internal/db/dbtest"
	"sistercity/internal/jobs"
	"sistercity/internal/jobs/jobstest"
	"sistercity/internal/media"
	"sistercity/internal/polltest"
	"sistercity/internal/video"
)

// crashServeEnv carries the arguments of `sistercity serve` to the child process of
// TestServeKilledMidEncode, as JSON.
const crashServeEnv = "SISTERCITY_CRASH_SERVE_ARGS"

// TestCrashServeChild is not a test of its own: it is the `sistercity serve` process that
// TestServeKilledMidEncode starts (this test binary run again with crashServeEnv set) and kills
// with SIGKILL. Without that variable it returns at once.
func TestCrashServeChild(t *testing.T) {
	raw := os.Getenv(crashServeEnv)
	if raw == "" {
		return
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, args, os.Stdout, os.Stderr))
}

// serveProcess is a `sistercity serve` running as a child process.
type serveProcess struct {
	cmd  *exec.Cmd
	log  *syncBuffer
	done chan struct{}
}

// startServeProcess runs serve with args in a child process and waits until it answers
// /healthz. The process is killed when the test ends, if it still runs.
func startServeProcess(t *testing.T, args ...string) *serveProcess {
	t.Helper()
	p, addr := startServeChild(t, args...)
	polltest.Within(t, serveStartBound, "serve to answer /healthz", func() (bool, string) {
		select {
		case <-p.done:
			t.Fatalf("serve exited before answering\n%s", p.log.String())
		default:
		}
		return healthy("http://" + addr), p.log.String()
	})
	return p
}

// startServeChild runs serve with args in a child process without waiting for it to answer:
// its workers start before it listens, and on a busy machine a short job may be over by then.
// It returns the process and the address it will listen on.
func startServeChild(t *testing.T, args ...string) (p *serveProcess, addr string) {
	t.Helper()
	addr = addrtest.Free(t)
	all, _ := json.Marshal(append([]string{"serve", "--listen", addr, "--log-level", "info"}, args...))
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashServeChild$")
	cmd.Env = append(os.Environ(), crashServeEnv+"="+string(all))
	p = &serveProcess{cmd: cmd, log: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("serve (pid %d) log:\n%s", cmd.Process.Pid, p.log.String())
		}
	})
	return p, addr
}

// healthy tells whether the server at base answers /healthz with 200.
func healthy(base string) bool {
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// kill ends the process with SIGKILL, as a power cut or the OOM killer would, and waits for it.
func (p *serveProcess) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop asks the process to finish (SIGTERM) and waits for it.
func (p *serveProcess) stop(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(2 * time.Minute):
		t.Error("serve did not stop within 2 min of SIGTERM")
		p.kill()
	}
}

// waitFor is polltest.Within for a condition with nothing to say about its state.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	polltest.Within(t, timeout, what, func() (bool, string) { return cond(), "not yet" })
}

// TestServeKilledMidEncode is the promise of the durable queue at the level of the binary:
// `sistercity serve` is killed with SIGKILL while ffmpeg encodes a video, started again (with
// a short --rescue-after, so the abandoned job is taken up at once), and the video ends up
// processed once and published once, with one set of renditions, nothing of the killed run
// left in the store or the work directory.
func TestServeKilledMidEncode(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dataDir, dbURL := dbtest.Migrated(t)
	d, err := db.Open(ctx, dbURL, dataDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	store, err := blob.Open(ctx, "", dataDir) // serve's default: media/ in the data directory
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	// This process only enqueues; the serve processes run the jobs.
	queue, err := jobs.New(d, jobs.Config{Workers: 0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	listed := jobstest.Must(t, d)

	// A source that takes x264's default preset some seconds: time to kill serve mid-encode.
	clip := filepath.Join(t.TempDir(), "message.mp4")
	if err := media.TestClip(ctx, clip, media.ClipOptions{Width: 640, Height: 360, Duration: 16 * time.Second}); err != nil {
		t.Fatal(err)
	}
	v := &video.Video{OriginalLang: "ru", State: video.StateDraft,
		Texts: []video.Text{{Lang: "ru", Title: "Видеообращение Владивостока"}, {Lang: "ko", Title: "블라디보스토크 응원 영상"}}}
	err = d.InTx(ctx, func(tx *sql.Tx) error {
		if err := video.Create(ctx, tx, v); err != nil {
			return err
		}
		f, err := os.Open(clip)
		if err != nil {
			return err
		}
		defer f.Close()
		key := video.SourceKey(v.ID, "message.mp4")
		if err := store.Put(ctx, key, f); err != nil {
			return err
		}
		if err := video.AttachSource(ctx, tx, v.ID, key); err != nil {
			return err
		}
		return video.EnqueueProcessing(ctx, tx, queue, v.ID)
	})
	if err != nil {
		t.Fatal(err)
	}
	get := func() *video.Video {
		t.Helper()
		got, err := video.Get(ctx, d.R, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	processJob := func() jobstest.Info {
		t.Helper()
		page, err := listed.List(ctx, jobstest.Filter{Kinds: []string{video.ProcessArgs{}.Kind()}})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Jobs) != 1 {
			t.Fatalf("%d processing jobs, want 1", len(page.Jobs))
		}
		return page.Jobs[0]
	}

	args := []string{"--data-dir", dataDir, "--workers", "1"}
	if dbURL != "" {
		args = append(args, "--database-url", dbURL)
	}
	first, _ := startServeChild(t, args...)
	// Mid-encode: ffmpeg reported progress, or has begun writing a rendition in the work
	// directory (progress reaches the database only every 2 s).
	encoding := func() bool {
		outs, _ := filepath.Glob(filepath.Join(dataDir, "tmp", "video-*", "out", "*"))
		for _, o := range outs {
			if fi, err := os.Stat(o); err == nil && fi.Size() > 0 {
				return true
			}
		}
		return false
	}
	waitFor(t, 2*time.Minute, "the encode to begin", func() bool {
		got := get()
		if got.Processing == video.ProcReady || got.Processing == video.ProcFailed {
			t.Fatalf("processing ended (%s %q) before the kill: make the clip longer", got.Processing, got.Failure)
		}
		return got.Processing == video.ProcProcessing && (got.Progress > 0 || encoding())
	})
	first.kill()
	killed := get()
	job := processJob()
	if job.State != jobstest.StateRunning || killed.Processing != video.ProcProcessing {
		t.Fatalf("after kill -9: job %s, video %s", job.State, killed.Processing)
	}
	t.Logf("%s: killed at %d%% (as last recorded)", dbtest.Name(), killed.Progress)

	// The dead process led the queue's maintenance, which rescues; its lease would lapse by
	// itself. Ending it now, as the lapse would, keeps the test short.
	if _, err := d.W.ExecContext(ctx, "DELETE FROM river_leader"); err != nil {
		t.Fatal(err)
	}
	// A job is rescued once it has run longer than --rescue-after; that must also be longer
	// than the encode, or a live encode would be rescued too. The re-encode runs under the same
	// --job-timeout, so both leave room for a machine busy with other work: a timed-out
	// re-encode would be a third attempt.
	const rescueAfter = 90 * time.Second
	time.Sleep(time.Until(job.AttemptedAt.Add(rescueAfter + 200*time.Millisecond)))
	second := startServeProcess(t, append(args, "--job-timeout", rescueAfter.String(), "--rescue-after", rescueAfter.String())...)
	waitFor(t, 2*rescueAfter, "processing after the restart", func() bool {
		got := get()
		if got.Processing == video.ProcFailed {
			t.Fatalf("processing failed after the restart: %q", got.Failure)
		}
		return got.Processing == video.ProcReady && processJob().State == jobstest.StateCompleted
	})

	// Publish through the queue: scheduled a moment ahead, published by serve's worker.
	at := time.Now().Add(time.Second).UTC().Truncate(time.Millisecond)
	err = d.InTx(ctx, func(tx *sql.Tx) error {
		got, err := video.Get(ctx, tx, v.ID)
		if err != nil {
			return err
		}
		if err := video.SetState(ctx, tx, got, video.StateInReview, time.Now()); err != nil {
			return err
		}
		got.ScheduledAt = at
		if err := video.Update(ctx, tx, got); err != nil {
			return err
		}
		if err := video.SetState(ctx, tx, got, video.StateScheduled, time.Now()); err != nil {
			return err
		}
		return video.EnqueuePublish(ctx, tx, queue, v.ID, at)
	})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Minute, "the scheduled publication", func() bool { return get().State == video.StatePublished })
	second.stop(t)

	got := get()
	job = processJob()
	if job.Attempt != 2 || job.Errors != 1 {
		t.Errorf("processing job: attempt %d, %d errors, want the killed attempt and one more", job.Attempt, job.Errors)
	}
	var rows int
	if err := d.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM video_renditions WHERE video_id = $1", v.ID).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 1 || len(got.Renditions) != 1 || got.Renditions[0].Lines != 360 {
		t.Errorf("renditions: %d rows, %+v; want one set of one 360p", rows, got.Renditions)
	}
	if got.PublishedAt.IsZero() || got.PublishedAt.Before(at) || got.Duration < 15*time.Second {
		t.Errorf("published at %v (scheduled %v), duration %s", got.PublishedAt, at, got.Duration)
	}
	// Exactly the live set under the video's prefix: the killed run stored nothing that stayed.
	live := []string{got.PosterKey, got.ThumbnailKey}
	for _, r := range got.Renditions {
		live = append(live, r.Key, r.HLSKey)
	}
	var stored []string
	for a, err := range store.List(ctx, video.KeyPrefix(v.ID)) {
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, storedOwner(a.Key))
	}
	slices.Sort(live)
	slices.Sort(stored)
	stored = slices.Compact(stored)
	if !slices.Equal(stored, live) {
		t.Errorf("stored under %s: %q, want only the live set %q", video.KeyPrefix(v.ID), stored, live)
	}
	// Nothing of either encode is left in the work directory.
	left, err := os.ReadDir(filepath.Join(dataDir, "tmp"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range left {
		names = append(names, e.Name())
	}
	if len(names) > 0 {
		// The killed run never ran its deferred removal; the next run of the same video must
		// clear it (video.clearStaleWork at the start of ProcessVideo).
		t.Errorf("the work directory holds %s: leftovers of the killed encode", strings.Join(names, ", "))
	}
	// A second, stale publication job changes nothing: published once.
	err = d.InTx(ctx, func(tx *sql.Tx) error { return video.PublishDue(ctx, tx, v.ID, time.Now()) })
	if err != nil {
		t.Fatal(err)
	}
	if again := get(); !again.PublishedAt.Equal(got.PublishedAt) || again.State != video.StatePublished {
		t.Errorf("a second publication changed the video: %v → %v", got.PublishedAt, again.PublishedAt)
	}
}
