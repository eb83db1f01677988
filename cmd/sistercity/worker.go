package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"sistercity/internal/auth"
	"sistercity/internal/blob"
	"sistercity/internal/config"
	"sistercity/internal/db"
	"sistercity/internal/fed"
	"sistercity/internal/i18n"
	"sistercity/internal/jobs"
	"sistercity/internal/messages"
	"sistercity/internal/track"
	"sistercity/internal/video"
	"sistercity/internal/web"
)

// runWorker runs job workers and nothing else: beside `serve --workers=0`, so that encoding
// does not compete with the web server, or as more processes taking jobs from PostgreSQL.
func runWorker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, err := parseConfig(fs, args)
	if err != nil {
		return err
	}
	if cfg.Workers == 0 {
		return errors.New("--workers must be at least 1 for a worker process")
	}
	log := newLogger(cfg, stderr)
	d, err := openDB(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer d.Close()
	if d.Dialect == db.SQLite {
		// Correct (SQLite serialises the writers of both processes) but no added capacity, and
		// only on the machine that holds the data directory: SQLite locking fails over NFS.
		log.Warn("worker on SQLite: run it on the machine of the data directory only; to scale out use PostgreSQL")
	}
	queue, err := startQueue(ctx, cfg, d, log)
	if err != nil {
		return err
	}
	<-ctx.Done()
	log.Info("stopping: waiting for running jobs")
	stopQueue(queue, log)
	return nil
}

// startQueue builds the job queue, registers every job kind's worker and starts the workers
// (none with --workers=0). serve and worker both call it, so that every process knows every
// kind: the one place where job kinds meet their workers.
func startQueue(ctx context.Context, cfg config.Config, d *db.DB, log *slog.Logger) (*jobs.Queue, error) {
	q, err := jobs.New(d, jobs.Config{
		Workers:              cfg.Workers,
		JobTimeout:           cfg.JobTimeout,
		RescueStuckJobsAfter: cfg.RescueAfter,
		// Deliveries wait on the network, not the CPU: more of them at once than encodes.
		Queues:             map[string]int{fed.Queue: fedWorkers},
		FetchCooldowns:     map[string]time.Duration{fed.Queue: fed.QueueFetchCooldown},
		FetchPollIntervals: map[string]time.Duration{fed.Queue: fed.QueueFetchPollInterval},
	}, log)
	if err != nil {
		return nil, err
	}
	// Register the workers of each job kind here, e.g. jobs.Register(q, video.TranscodeWorker{…}).
	// Video processing reads sources from and writes renditions to the media store; the store
	// lives as long as the process.
	store, err := blob.Open(ctx, cfg.MediaURL, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if err := video.Register(q, video.Deps{DB: d, Store: store, WorkDir: filepath.Join(cfg.DataDir, "tmp"), Log: log,
		HeartbeatEvery: cfg.EncodeHeartbeat, StaleAfter: cfg.EncodeStaleAfter}); err != nil {
		return nil, err
	}
	// Scheduled work is periodic jobs that the queue's leader enqueues, once across every
	// serve and worker process that runs jobs; see README, Operations.
	if err := video.RegisterRescue(q, video.Deps{DB: d, Log: log, HeartbeatEvery: cfg.EncodeHeartbeat, StaleAfter: cfg.EncodeStaleAfter}); err != nil {
		return nil, err
	}
	if err := auth.RegisterSweep(q, d, authSweepEvery); err != nil {
		return nil, err
	}
	// Senders' e-mail addresses go when their call's retention ends, whether or not anyone
	// sends another message.
	if err := messages.RegisterPurge(q, d, log, contactPurgeEvery); err != nil {
		return nil, err
	}
	if err := track.RegisterBurn(q, track.BurnDeps{DB: d, Store: store, WorkDir: filepath.Join(cfg.DataDir, "tmp"), Log: log}); err != nil {
		return nil, err
	}
	// Compilations of citizens' video messages write their name cards and chapters in the
	// catalog's languages.
	cat, err := i18n.Load()
	if err != nil {
		return nil, err
	}
	// The reason of a rejected message, e-mailed to its sender in the message's language.
	if err := messages.RegisterNotify(q, web.NotifyDeps(cat, cfg, messages.NotifyDeps{DB: d, Log: log})); err != nil {
		return nil, err
	}
	if err := messages.RegisterCompile(q, web.CompileDeps(cat, messages.CompileDeps{DB: d, Store: store, Queue: q,
		WorkDir: filepath.Join(cfg.DataDir, "tmp"), Log: log})); err != nil {
		return nil, err
	}
	// Uploads in the bucket with PostgreSQL's locks are every replica's: they are swept here,
	// once across the processes; otherwise each serve sweeps its own (see serve.go).
	if err := web.RegisterUploadSweep(q, cfg, d, store, cat, log, uploadSweepEvery); err != nil {
		return nil, err
	}
	// Federation deliveries (Accept, Update, fan-out of videos): only with --base-url.
	fs, err := web.NewFed(cfg, d, q, log, version)
	if err != nil {
		return nil, err
	}
	if fs != nil {
		if err := fs.Register(q); err != nil {
			return nil, err
		}
		// Partner videos are fetched on the same queue (sister portals).
		if err := web.NewPortal(cfg, d, fs, store, q, log).Register(q); err != nil {
			return nil, err
		}
		// What the videos' changes record in the outbox goes to the followers.
		sender, err := web.NewOutboxSender(d, fs, cfg.BaseURL, log)
		if err != nil {
			return nil, err
		}
		if err := sender.Register(q); err != nil {
			return nil, err
		}
	}
	if err := q.Start(ctx); err != nil {
		return nil, err
	}
	return q, nil
}

// authSweepEvery is how often expired sessions and old sign-in attempts are deleted.
const authSweepEvery = 10 * time.Minute

// contactPurgeEvery is how often the e-mail addresses past their retention are deleted.
const contactPurgeEvery = time.Hour

// uploadSweepEvery is how often abandoned uploads are deleted and finished ones a stopped
// server left are attached.
const uploadSweepEvery = 10 * time.Minute

// fedWorkers is how many deliveries a process makes at once (fed bounds each host to 4).
const fedWorkers = 16

// stopQueue gives running jobs jobs.DefaultStopTimeout to finish, then cancels them and waits a
// little more for them to return; a job still running after that is rescued later.
func stopQueue(q *jobs.Queue, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), jobs.DefaultStopTimeout+15*time.Second)
	defer cancel()
	if err := q.Stop(ctx); err != nil {
		log.Error("stopping the job workers", "err", err)
	}
}
