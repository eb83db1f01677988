package main

import (
	"context"
	"flag"
	"io"

	"sistercity/internal/blob"
	"sistercity/internal/i18n"
	"sistercity/internal/web"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, err := parseConfig(fs, args)
	if err != nil {
		return err
	}
	logs := newBufferedLog(stderr)
	flushCtx, stopFlushing := context.WithCancel(ctx)
	flushed := make(chan struct{})
	go func() { logs.flushEvery(flushCtx, logFlushEvery); close(flushed) }()
	defer func() { stopFlushing(); <-flushed }() // the last lines written before serve returns
	log := newBufferedLogger(cfg, logs)
	d, err := openDB(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer d.Close()
	cat, err := i18n.Load()
	if err != nil {
		return err
	}
	// Partnership documents live in the media store too, under documents/: on S3 every serve
	// replica then has the documents any of them received.
	store, err := blob.Open(ctx, cfg.MediaURL, cfg.DataDir)
	if err != nil {
		return err
	}
	defer store.Close()
	// The job workers run in this process unless --workers=0; they stop after the web server.
	queue, err := startQueue(ctx, cfg, d, log)
	if err != nil {
		return err
	}
	defer stopQueue(queue, log)
	if cfg.Demo {
		if err := loadDemo(ctx, d, stdout, log); err != nil {
			return err
		}
		if err := loadVideoDemo(ctx, d, store, cfg.DataDir, log); err != nil {
			return err
		}
		if err := loadMessagesMediaDemo(ctx, d, store, cfg.DataDir, log); err != nil {
			return err
		}
	}
	if cfg.BaseURL == "" {
		log.Info("no --base-url: links in feeds and OpenGraph use the address each request reached the server at, not its Host header")
	}
	srv, err := web.New(web.Options{Config: cfg, DB: d, Catalog: cat, Docs: store, Queue: queue, Log: log, Version: version})
	if err != nil {
		return err
	}
	// What start-up needed and serving does not goes back to the system now (see memory.go).
	releaseMemory()
	go trimWhenIdle(ctx, trimEvery, log)
	// Uploads in this process's data directory are swept by this process; those in the bucket
	// with PostgreSQL's locks are every replica's, and a periodic job sweeps them once across the
	// processes that run jobs (startQueue). Each expiry and completion is taken under the
	// upload's lock, so a sweep never handles an upload a request holds.
	if !web.UploadsShared(d, store) {
		go srv.SweepUploads(ctx, uploadSweepEvery) // first finishes uploads a stopped server left complete
	}
	return srv.Run(ctx)
}
