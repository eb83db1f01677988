package main

import (
	"context"
	"flag"
	"io"
	"path/filepath"
	"time"

	"sistercity/internal/auth"
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
	log := newLogger(cfg, stderr)
	d, err := openDB(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer d.Close()
	cat, err := i18n.Load()
	if err != nil {
		return err
	}
	docs, err := blob.NewLocal(filepath.Join(cfg.DataDir, "documents"))
	if err != nil {
		return err
	}
	if cfg.Demo {
		if err := loadDemo(ctx, d, stdout, log); err != nil {
			return err
		}
	}
	srv, err := web.New(web.Options{Config: cfg, DB: d, Catalog: cat, Docs: docs, Log: log})
	if err != nil {
		return err
	}
	go auth.SweepEvery(ctx, d, 10*time.Minute, log)
	return srv.Run(ctx)
}
