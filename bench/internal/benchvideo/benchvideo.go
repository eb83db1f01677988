// Package benchvideo is what the video benchmarks have in common: the state the app's video job
// finds when an upload has ended, set up in a directory of their own.
package benchvideo

import (
	"context"
	"database/sql"
	"log/slog"
	"os"
	"path/filepath"

	"sistercity/internal/blob"
	"sistercity/internal/db"
	"sistercity/internal/media"
	"sistercity/internal/video"
)

// Uploaded is a video whose source is stored and attached, in a SQLite database and the local
// media store of a data directory laid out as `sistercity serve` lays out its own.
type Uploaded struct {
	DB    *db.DB
	Store blob.Store
	ID    int64
}

// Upload makes a migrated SQLite database and the local store in dir, creates a draft video
// titled title, and does what an upload's completion does: puts the file at src into the store
// and attaches it. Close releases the database and the store.
func Upload(ctx context.Context, dir, src, title string) (*Uploaded, error) {
	d, err := db.Open(ctx, "", dir)
	if err != nil {
		return nil, err
	}
	if _, err := d.Migrate(ctx); err != nil {
		d.Close()
		return nil, err
	}
	store, err := blob.Open(ctx, "", dir)
	if err != nil {
		d.Close()
		return nil, err
	}
	u := &Uploaded{DB: d, Store: store}
	v := &video.Video{OriginalLang: "en", State: video.StateDraft, Texts: []video.Text{{Lang: "en", Title: title}}}
	v.Normalize()
	err = v.Validate()
	if err == nil {
		err = d.InTx(ctx, func(tx *sql.Tx) error {
			if err := video.Create(ctx, tx, v); err != nil {
				return err
			}
			key := video.SourceKey(v.ID, "source"+filepath.Ext(src))
			f, err := os.Open(src)
			if err != nil {
				return err
			}
			defer f.Close()
			if err := store.Put(ctx, key, f); err != nil {
				return err
			}
			return video.AttachSource(ctx, tx, v.ID, key)
		})
	}
	if err != nil {
		u.Close()
		return nil, err
	}
	u.ID = v.ID
	return u, nil
}

// Deps are the video job's dependencies as the app's worker builds them (cmd/sistercity
// worker.go), with the encoder and heights given (nil heights: the default ladder), a work
// directory under dir, and the warnings the job logs on stderr.
func (u *Uploaded) Deps(dir string, enc media.Encoder, heights []int) video.Deps {
	return video.Deps{DB: u.DB, Store: u.Store, WorkDir: filepath.Join(dir, "tmp"), Encoder: enc, Heights: heights,
		Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
}

// Close releases the store and the database.
func (u *Uploaded) Close() {
	u.Store.Close()
	u.DB.Close()
}
