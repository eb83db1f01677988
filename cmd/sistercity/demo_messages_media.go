package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log/slog"
	"path/filepath"
	"time"

	"sistercity/internal/blob"
	"sistercity/internal/db"
	"sistercity/internal/media"
	"sistercity/internal/messages"
	"sistercity/internal/video"
)

// demoMessageVideoKey marks the video of the demo's video message, so that a second start
// finds it.
const demoMessageVideoKey = "message-to-busan"

// loadMessagesMediaDemo adds to the demo call a photo message and a short video message whose
// clip ffmpeg makes and the pipeline processes as an upload's; both are approved, and the
// video's sender agreed to its use in the compiled video. It runs with the demo video, which
// has the media store. Running it again changes nothing; a start that crashed half-way
// finishes the work.
func loadMessagesMediaDemo(ctx context.Context, d *db.DB, store blob.Store, dataDir string, log *slog.Logger) error {
	calls, err := messages.Calls(ctx, d.R, 0, 0)
	if err != nil {
		return err
	}
	var c *messages.Call
	for _, cc := range calls {
		if cc.Text("en").Title == demoCallTitle {
			c = cc
		}
	}
	if c == nil {
		return nil
	}
	ms, err := messages.List(ctx, d.R, c.ID, "")
	if err != nil {
		return err
	}
	photo := false
	for _, m := range ms {
		photo = photo || m.PhotoKey != ""
	}
	if !photo {
		if err := addDemoPhotoMessage(ctx, d, store, c); err != nil {
			return fmt.Errorf("demo: photo message: %w", err)
		}
	}
	deps := video.Deps{DB: d, Store: store, WorkDir: filepath.Join(dataDir, "tmp"), Log: log,
		Encoder: media.X264{Preset: "veryfast"}, Heights: []int{360}}
	vid, err := video.FindDemo(ctx, d.R, demoMessageVideoKey)
	if errors.Is(err, db.ErrNotFound) {
		vid, err = addDemoVideoMessage(ctx, deps, c)
	}
	if err != nil {
		return fmt.Errorf("demo: video message: %w", err)
	}
	v, err := video.Get(ctx, d.R, vid)
	if err != nil {
		return err
	}
	if v.Processing != video.ProcReady {
		if err := video.ProcessVideo(ctx, deps, vid); err != nil {
			return fmt.Errorf("demo: video message: %w", err)
		}
	}
	m, err := messages.ByVideo(ctx, d.R, vid)
	if err != nil {
		return err
	}
	if m.Status == messages.StatusWaiting {
		err := d.InTx(ctx, func(tx *sql.Tx) error {
			_, err := messages.Decide(ctx, tx, m.ID, messages.StatusApproved, "", time.Now())
			return err
		})
		if err != nil {
			return err
		}
	}
	log.Info("demo data", "message_call", demoCallTitle, "media_messages", 2)
	return nil
}

// addDemoPhotoMessage sends an approved message with a picture drawn here (a sun over the
// sea), re-encoded as a sender's photo is.
func addDemoPhotoMessage(ctx context.Context, d *db.DB, store blob.Store, c *messages.Call) error {
	img := image.NewRGBA(image.Rect(0, 0, 640, 400))
	for y := range 400 {
		for x := range 640 {
			col := color.RGBA{R: 120, G: uint8(170 + y/8), B: 235, A: 255} // sky
			if y > 260 {
				col = color.RGBA{R: 20, G: uint8(80 + (y-260)/4), B: 150, A: 255} // sea
			}
			if dx, dy := x-460, y-150; dx*dx+dy*dy < 60*60 {
				col = color.RGBA{R: 255, G: 205, B: 60, A: 255} // sun
			}
			img.Set(x, y, col)
		}
	}
	var raw bytes.Buffer
	if err := png.Encode(&raw, img); err != nil {
		return err
	}
	jpg, err := messages.ReencodePhoto(raw.Bytes())
	if err != nil {
		return err
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	key := fmt.Sprintf("messages/%d/%s.jpg", c.ID, hex.EncodeToString(b[:]))
	if err := store.Put(ctx, key, bytes.NewReader(jpg)); err != nil {
		return err
	}
	sub := messages.Submission{Name: "Елена", City: "Санкт-Петербург", Lang: "ru",
		Body:     "Солнце над морем — для друзей в Пусане. Скоро увидимся у моря!",
		Consents: []string{messages.PurposePublish, messages.PurposePartner}}
	if errs := sub.Validate(c, []string{"en", "ko", "ru"}); len(errs) > 0 {
		return errs
	}
	now := time.Now().UTC()
	err = d.InTx(ctx, func(tx *sql.Tx) error {
		m, _, err := messages.Submit(ctx, tx, c, &sub, key, now.Add(-5*time.Hour))
		if err != nil {
			return err
		}
		_, err = messages.Decide(ctx, tx, m.ID, messages.StatusApproved, "", now)
		return err
	})
	if err != nil {
		_ = store.Delete(context.WithoutCancel(ctx), key)
	}
	return err
}

// addDemoVideoMessage sends a message with a two-second clip made by ffmpeg as its video's
// source, and returns the video, still to be processed.
func addDemoVideoMessage(ctx context.Context, deps video.Deps, c *messages.Call) (int64, error) {
	sub := messages.Submission{Name: "Дмитрий", City: "Владивосток", Lang: "ru", Video: true,
		Body:     "Видеопривет Пусану от студентов Владивостока! Берегите себя.",
		Consents: []string{messages.PurposePublish, messages.PurposeVideo, messages.PurposePartner}}
	if errs := sub.Validate(c, []string{"en", "ko", "ru"}); len(errs) > 0 {
		return 0, errs
	}
	var vid int64
	err := withDemoClip(ctx, deps.WorkDir, "message.mp4", media.ClipOptions{Width: 640, Height: 360, Duration: 2 * time.Second,
		AudioLanguage: "rus", Title: "Видеопривет Пусану", FastStart: true}, func(clip string) error {
		return deps.DB.InTx(ctx, func(tx *sql.Tx) error {
			m, _, err := messages.Submit(ctx, tx, c, &sub, "", time.Now().UTC().Add(-4*time.Hour))
			if err != nil {
				return err
			}
			if _, err := messages.AddVideo(ctx, tx, m, c.Text("ru").Title+": видеопослание"); err != nil {
				return err
			}
			if err := messages.SpendUploadToken(ctx, tx, m.ID); err != nil {
				return err
			}
			vid = m.VideoID
			return attachDemoSource(ctx, tx, deps.Store, m.VideoID, clip, demoMessageVideoKey)
		})
	})
	return vid, err
}
