package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"sistercity/bench/internal/benchkit"
	"sistercity/internal/blob"
	"sistercity/internal/config"
	"sistercity/internal/db"
	"sistercity/internal/i18n"
	"sistercity/internal/video"
	"sistercity/internal/web"
)

// The sistercity sides the child process can be.
const (
	sideWeb   = "web"   // the whole web server: web.New on SQLite, the video media route
	sideStore = "store" // blob.Store.Serve alone behind a bare net/http server
)

// serveSide is the child process: it builds the sistercity side in dir, with the bytes of file
// as its rendition, writes the media URL to readyFile and serves until ctx ends. It runs in its
// own process so that it does not share a Go runtime with the load generator, as nginx does not.
func serveSide(ctx context.Context, side, dir, file, readyFile string) error {
	switch side {
	case sideWeb:
		return serveWeb(ctx, dir, file, readyFile)
	case sideStore:
		return serveStore(ctx, dir, file, readyFile)
	}
	return fmt.Errorf("unknown side %q (want %s or %s)", side, sideWeb, sideStore)
}

// serveWeb builds sistercity's web server as `sistercity serve` does — SQLite in dir, migrated;
// the local media store; the locale catalog; web.New with every middleware — with one published
// video whose 720p rendition is file, and serves it with Server.Run on a free loopback port.
// Requests go through the real route GET /media/videos/{id}/{file}: the video is read from the
// database on every request, as in production.
func serveWeb(ctx context.Context, dir, file, readyFile string) error {
	cfg := config.Default()
	cfg.DataDir = dir
	addr, err := benchkit.FreePort()
	if err != nil {
		return err
	}
	cfg.Listen = addr
	if err := cfg.Validate(); err != nil {
		return err
	}
	// The request log is written as serve writes it (text, level info, one line a request),
	// to a file rather than the parent's terminal.
	logFile, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	log := slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelInfo}))

	d, err := db.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		return err
	}
	store, err := blob.Open(ctx, cfg.MediaURL, cfg.DataDir)
	if err != nil {
		return err
	}
	defer store.Close()
	key, err := publishVideo(ctx, d, store, file)
	if err != nil {
		return err
	}
	cat, err := i18n.Load()
	if err != nil {
		return err
	}
	// No job queue: web.New only keeps it for the handlers that enqueue (uploads, state
	// changes), and a GET of a media file enqueues nothing.
	srv, err := web.New(web.Options{Config: cfg, DB: d, Catalog: cat, Docs: store, Log: log})
	if err != nil {
		return err
	}
	// The rendition's public URL, as the watch page links it: /media/ + its key, which is
	// videos/{id}/{file}.
	u := "http://" + addr + "/media/" + key
	if err := os.WriteFile(readyFile, []byte(u), 0o600); err != nil {
		return err
	}
	// The parent waits until the port accepts connections.
	return srv.Run(ctx)
}

// publishVideo stores file as the 720p rendition of a new published video and returns the
// rendition's key. It does what processing and an editor would, without ffmpeg: the video row
// through video.Create, the rendition row by hand, then review and publication through
// video.SetState, which checks that the video has its renditions.
func publishVideo(ctx context.Context, d *db.DB, store blob.Store, file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	v := &video.Video{OriginalLang: "en", State: video.StateDraft, Processing: video.ProcReady,
		Texts: []video.Text{{Lang: "en", Title: "Delivery benchmark"}}}
	v.Normalize()
	if err := v.Validate(); err != nil {
		return "", err
	}
	var key string
	err = d.InTx(ctx, func(tx *sql.Tx) error {
		if err := video.Create(ctx, tx, v); err != nil {
			return err
		}
		// A generation prefix like processing's, so the key has a real rendition's shape.
		key = video.KeyPrefix(v.ID) + "bench0000000-720p.mp4"
		if err := store.Put(ctx, key, f); err != nil {
			return err
		}
		// No exported function records a rendition without running ffmpeg: this is the INSERT
		// that video.ProcessVideo makes in its final transaction (internal/video/process.go).
		if _, err := tx.ExecContext(ctx, `INSERT INTO video_renditions (video_id, lines, width, height, size, bitrate, storage_key)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, v.ID, 720, 1280, 720, st.Size(), 0, key); err != nil {
			return fmt.Errorf("rendition: %w", err)
		}
		got, err := video.Get(ctx, tx, v.ID)
		if err != nil {
			return err
		}
		for _, to := range []string{video.StateInReview, video.StatePublished} {
			if err := video.SetState(ctx, tx, got, to, time.Now()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("publish the video: %w", err)
	}
	return key, nil
}

// serveStore is the store-only side: blob's local store (an *os.File under http.ServeContent,
// so Linux sends the bytes with sendfile) behind the standard library's server, with the
// headers a rendition gets, and nothing else — no database, no middleware.
func serveStore(ctx context.Context, dir, file, readyFile string) error {
	store, err := blob.NewLocal(filepath.Join(dir, "media"))
	if err != nil {
		return err
	}
	defer store.Close()
	if err := putFile(ctx, store, mediaKey, file); err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /media/{key...}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", cacheControl)
		err := store.Serve(w, r, r.PathValue("key"), "video/mp4")
		switch {
		case errors.Is(err, blob.ErrNotFound), errors.Is(err, blob.ErrBadKey):
			http.NotFound(w, r)
		case err != nil:
			http.Error(w, "error", http.StatusInternalServerError)
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}
	if err := os.WriteFile(readyFile, []byte("http://"+ln.Addr().String()+"/media/"+mediaKey), 0o600); err != nil {
		return err
	}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func putFile(ctx context.Context, store blob.Store, key, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	return store.Put(ctx, key, f)
}
