package upload

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tus/tusd/v2/pkg/handler"

	"sistercity/internal/auth"
	"sistercity/internal/db"
	"sistercity/internal/problem"
	"sistercity/internal/video"
)

// finishWait is how long the last PATCH waits for its upload to be attached. Copying a file
// of many GiB into a bucket can take minutes, longer than proxies and tusd's own write
// deadline keep a request open; past this the client is answered and the copy goes on.
const finishWait = 30 * time.Second

// finished runs when the last byte of an upload is written, before the client hears so.
func (h *Handler) finished(ev handler.HookEvent) (handler.HTTPResponse, error) {
	// The client may go away once the last byte is in; attaching must not stop with it. The
	// file is safe on disk: if attaching fails, the next Sweep tries again, so the client is
	// told the upload is complete either way.
	ctx := context.WithoutCancel(ev.Context)
	id := ev.Upload.ID
	done := make(chan error, 1)
	go func() { done <- h.complete(ctx, id) }()
	logErr := func(err error) {
		var pe *problem.Error
		if errors.Is(err, errProcessing) {
			h.o.Log.Info("upload: finished while the video is processed; attached by a later sweep", "upload", id)
		} else if errors.As(err, &pe) {
			h.o.Log.Info("upload: finished upload refused", "upload", id, "reason", pe.Msg.Key)
		} else if err != nil {
			h.o.Log.Error("upload: attaching a finished upload, left for the sweeper", "upload", id, "err", err)
		}
	}
	select {
	case err := <-done:
		var pe *problem.Error
		if errors.As(err, &pe) {
			// Refused (the video was published meanwhile): the client hears why, in its language.
			h.o.Log.Info("upload: finished upload refused", "upload", id, "reason", pe.Msg.Key)
			return handler.HTTPResponse{}, h.tusRefusal(ev, pe)
		}
		logErr(err)
	case <-time.After(finishWait):
		h.o.Log.Info("upload: still storing a finished upload; the client is answered", "upload", id)
		go func() { logErr(<-done) }()
	}
	return handler.HTTPResponse{}, nil
}

// errProcessing postpones a completion while the video's previous source is being processed:
// that job would swallow the new one (a video has one unfinished processing job at a time) and
// finish on the old file. The next Sweep attaches the upload.
var errProcessing = errors.New("upload: the video's previous source is being processed")

// errAttached ends an attaching transaction that finds the upload attached already (by
// another replica): nothing more to do but clean up.
var errAttached = errors.New("upload: attached already")

// sourceRecord is what the audit log keeps of an attached source.
type sourceRecord struct {
	SourceKey string `json:"source_key,omitempty"`
	Filename  string `json:"filename,omitempty"`
	Size      int64  `json:"size,omitempty"`
	Upload    string `json:"upload,omitempty"`
	By        string `json:"by,omitempty"`
}

// complete moves finished upload id into the media store, attaches it to its video, queues
// the processing and records it in the audit log in one transaction, then deletes the
// temporary upload. Every step may be repeated after a crash: the store key is unique to the
// upload and written whole or not at all, and a video already pointing at it is not attached
// twice. An upload that is gone or not finished is left alone.
func (h *Handler) complete(ctx context.Context, id string) error {
	unlock := h.lock(id)
	defer unlock()
	info, err := h.info(ctx, id)
	if errors.Is(err, handler.ErrNotFound) {
		return nil // completed by someone else meanwhile
	}
	if err != nil {
		return err
	}
	if info.Offset != info.Size {
		return nil
	}
	vid, _ := strconv.ParseInt(info.MetaData[MetaVideo], 10, 64)
	name := info.MetaData[MetaFilename]
	key := video.SourceKey(vid, safeName(id, name))
	v, err := video.Get(ctx, h.o.DB.R, vid)
	if errors.Is(err, db.ErrNotFound) {
		// Deleted while its source was on its way: the file has no video to belong to.
		h.o.Log.Warn("upload: the video of a finished upload is gone; the upload is deleted", "upload", id, "video", vid)
		return h.terminate(ctx, id, info.Size)
	}
	if err != nil {
		return err
	}
	if !acceptsSource(v) {
		// Published (or scheduled, or withdrawn) since the upload began: its renditions stay.
		return h.refuseFinished(ctx, id, vid, v.State)
	}
	if v.Processing == video.ProcProcessing {
		return errProcessing
	}
	previous := v.SourceKey
	if previous != key && h.o.Check != nil {
		err := h.o.Check(ctx, vid, info.MetaData[MetaCheck], func() (io.ReadCloser, error) { return h.sp.open(ctx, info) })
		var pe *problem.Error
		if errors.As(err, &pe) {
			h.o.Log.Info("upload: finished upload refused by its check; deleted", "upload", id, "video", vid, "reason", pe.Msg.Key)
			if err := h.discard(ctx, id); err != nil {
				return err
			}
			return pe
		}
		if err != nil {
			return fmt.Errorf("upload: check %s: %w", id, err)
		}
	}
	if previous != key {
		if err := h.store(ctx, info, key); err != nil {
			return err
		}
		uid, _ := strconv.ParseInt(info.MetaData[metaUserID], 10, 64)
		err := h.o.DB.InTx(ctx, func(tx *sql.Tx) error {
			// The uploader's account may have gone since; the entry then names them only.
			actor, err := auth.GetUser(ctx, tx, uid)
			if errors.Is(err, db.ErrNotFound) {
				actor = nil
			} else if err != nil {
				return err
			}
			// Replicas attach one at a time per video: a sweep on one may finish the upload
			// whose last PATCH another is still attaching. (SQLite's single writer already
			// serialises transactions.)
			if h.o.DB.Dialect == db.Postgres {
				if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
					"sistercity:video-source:"+strconv.FormatInt(vid, 10)); err != nil {
					return err
				}
			}
			// Checked again where it counts: a publication committed since the check above
			// must not lose its renditions to this source.
			now, err := video.Get(ctx, tx, vid)
			if err != nil {
				return err
			}
			if now.SourceKey == key {
				return errAttached
			}
			if !acceptsSource(now) {
				return errPublished
			}
			if err := video.AttachSource(ctx, tx, vid, key); err != nil {
				return err
			}
			if err := video.EnqueueProcessing(ctx, tx, h.o.Queue, vid); err != nil {
				return err
			}
			return auth.Audit(ctx, tx, actor, auth.ActionUploadSource, auth.EntityVideo, vid, sourceRecord{SourceKey: previous},
				sourceRecord{SourceKey: key, Filename: name, Size: info.Size, Upload: id, By: info.MetaData[metaUsername]})
		})
		if errors.Is(err, errAttached) {
			h.o.Log.Info("upload: attached meanwhile by another replica", "upload", id, "video", vid)
			return h.terminate(ctx, id, info.Size)
		}
		if err != nil {
			// Nothing is attached: the copy in the store belongs to no video.
			if derr := h.o.Store.Delete(ctx, key); derr != nil {
				h.o.Log.Warn("upload: deleting the copy of an unattached upload", "upload", id, "key", key, "err", derr)
			}
			if errors.Is(err, errPublished) || errors.Is(err, db.ErrNotFound) {
				return h.refuseFinished(ctx, id, vid, "")
			}
			return fmt.Errorf("upload: attach %s to video %d: %w", id, vid, err)
		}
		h.o.Log.Info("upload: source attached", "upload", id, "video", vid, "key", key, "size", info.Size)
		// The replaced source is no longer referenced; a failure here only leaves a file.
		if previous != "" {
			if err := h.o.Store.Delete(ctx, previous); err != nil {
				h.o.Log.Warn("upload: deleting the replaced source", "video", vid, "key", previous, "err", err)
			}
		}
	}
	return h.terminate(ctx, id, info.Size)
}

// refuseFinished deletes finished upload id, whose video no longer accepts a source, without
// the completion mark: a HEAD then answers that it is gone, not that it arrived.
func (h *Handler) refuseFinished(ctx context.Context, id string, vid int64, state string) error {
	h.o.Log.Warn("upload: the video no longer accepts a source; the finished upload is deleted",
		"upload", id, "video", vid, "state", state)
	if err := h.discard(ctx, id); err != nil {
		return err
	}
	return errPublished
}

// discard deletes upload id's temporary files, leaving no completion mark.
func (h *Handler) discard(ctx context.Context, id string) error {
	return h.remove(ctx, id)
}

// remove deletes upload id's data from the space.
func (h *Handler) remove(ctx context.Context, id string) error {
	u, err := h.sp.store().GetUpload(ctx, id)
	if errors.Is(err, handler.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("upload: %s: %w", id, err)
	}
	if err := h.sp.terminater().AsTerminatableUpload(u).Terminate(ctx); err != nil {
		return fmt.Errorf("upload: delete %s: %w", id, err)
	}
	return nil
}

// tusRefusal is pe as tusd answers a request: the message in the language of the request
// that sent the last byte, as plain text the upload page shows.
func (h *Handler) tusRefusal(ev handler.HookEvent, pe *problem.Error) error {
	r, err := http.NewRequestWithContext(ev.Context, ev.HTTPRequest.Method, ev.HTTPRequest.URI, nil)
	if err != nil {
		r, _ = http.NewRequestWithContext(ev.Context, http.MethodPatch, "/", nil)
	}
	r.Header = ev.HTTPRequest.Header.Clone()
	l := h.o.Localize(r)
	return handler.Error{ErrorCode: "ERR_REFUSED", Message: pe.Msg.Key, HTTPResponse: handler.HTTPResponse{
		StatusCode: pe.Status,
		Body:       l.Msg(pe.Msg),
		Header: handler.HTTPHeader{"Content-Type": "text/plain; charset=utf-8", "Content-Language": l.Lang,
			"Cache-Control": "no-store"},
	}}
}

// store copies the finished upload into the media store under key.
func (h *Handler) store(ctx context.Context, info handler.FileInfo, key string) error {
	f, err := h.sp.open(ctx, info)
	if err != nil {
		return fmt.Errorf("upload: %s: %w", info.ID, err)
	}
	defer f.Close()
	if err := h.o.Store.Put(ctx, key, f); err != nil {
		return fmt.Errorf("upload: store %s as %s: %w", info.ID, key, err)
	}
	return nil
}

// terminate deletes the temporary files of an attached upload and leaves the mark that HEAD
// reports as complete.
func (h *Handler) terminate(ctx context.Context, id string, size int64) error {
	if err := h.sp.markDone(ctx, id, size); err != nil {
		return err
	}
	return h.remove(ctx, id)
}

// lock holds upload id for one completion at a time; it returns the release.
func (h *Handler) lock(id string) func() {
	for {
		h.mu.Lock()
		wait, held := h.busy[id]
		if !held {
			release := make(chan struct{})
			h.busy[id] = release
			h.mu.Unlock()
			return func() {
				h.mu.Lock()
				delete(h.busy, id)
				h.mu.Unlock()
				close(release)
			}
		}
		h.mu.Unlock()
		<-wait
	}
}

var unsafeRun = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// safeName makes the store name of an upload's file from the name the client declared: the
// upload's ID (so that a new upload never overwrites an earlier source) and the name reduced
// to the characters a store key allows, with its extension.
func safeName(id, name string) string {
	name = filepath.Base(strings.ReplaceAll(name, `\`, "/"))
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(name), "."))
	if len(ext) > 8 || unsafeRun.MatchString(ext) || ext == "tmp" || ext == "attrs" {
		ext = ""
	}
	base := strings.Trim(unsafeRun.ReplaceAllString(strings.TrimSuffix(name, filepath.Ext(name)), "-"), "-")
	if len(base) > 60 {
		base = strings.Trim(base[:60], "-")
	}
	out := id[:12]
	if base != "" {
		out += "-" + base
	}
	if ext != "" {
		out += "." + ext
	}
	return out
}

// Sweep finishes the uploads that are complete but not attached (the server stopped between
// the last byte and the attach), deletes unfinished uploads untouched for Expiry, and forgets
// completion marks and stray data files older than that.
func (h *Handler) Sweep(ctx context.Context) error {
	pending, err := h.pending(ctx)
	if err != nil {
		return err
	}
	cutoff := h.o.Now().Add(-h.o.Expiry)
	var errs []error
	for _, info := range pending {
		if info.Offset == info.Size {
			var pe *problem.Error
			if err := h.completeLocked(ctx, info.ID); err != nil && !errors.Is(err, errProcessing) && !errors.As(err, &pe) {
				errs = append(errs, err)
			}
			continue
		}
		if t, err := h.sp.touched(ctx, info); err != nil || t.After(cutoff) {
			continue
		}
		if err := h.expire(ctx, info.ID, cutoff); err != nil {
			errs = append(errs, err)
		}
	}
	if err := h.sp.sweepMarks(ctx, cutoff); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// completeLocked completes upload id under its lock, which a request holding it (on this
// replica or another, perhaps attaching it right now) keeps: then the upload is left to it.
func (h *Handler) completeLocked(ctx context.Context, id string) error {
	lock, err := h.locker.NewLock(id)
	if err != nil {
		return err
	}
	if err := lock.Lock(ctx, func() {}); err != nil {
		if errors.Is(err, handler.ErrFileLocked) {
			return nil
		}
		return err
	}
	defer func() {
		if err := lock.Unlock(); err != nil {
			h.o.Log.Warn("upload: unlock", "upload", id, "err", err)
		}
	}()
	return h.complete(ctx, id)
}

// expire deletes an abandoned upload, holding tusd's lock on it so that no PATCH writes
// meanwhile, and checking again under the lock that it is still untouched.
func (h *Handler) expire(ctx context.Context, id string, cutoff time.Time) error {
	lock, err := h.locker.NewLock(id)
	if err != nil {
		return err
	}
	if err := lock.Lock(ctx, func() {}); err != nil {
		return nil // in use: not abandoned
	}
	defer func() {
		if err := lock.Unlock(); err != nil {
			h.o.Log.Warn("upload: unlock", "upload", id, "err", err)
		}
	}()
	u, err := h.sp.store().GetUpload(ctx, id)
	if errors.Is(err, handler.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("upload: %s: %w", id, err)
	}
	info, err := u.GetInfo(ctx)
	if err != nil {
		return err
	}
	if t, err := h.sp.touched(ctx, info); err != nil || t.After(cutoff) {
		return nil
	}
	if err := h.sp.terminater().AsTerminatableUpload(u).Terminate(ctx); err != nil {
		return fmt.Errorf("upload: expire %s: %w", id, err)
	}
	h.o.Log.Info("upload: abandoned upload deleted", "upload", id, "video", info.MetaData[MetaVideo],
		"received", info.Offset, "size", info.Size)
	return nil
}

// Run sweeps now — finishing what a previous run left complete — and then every interval
// until ctx ends.
func (h *Handler) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := h.Sweep(ctx); err != nil && ctx.Err() == nil {
			h.o.Log.Error("upload: sweep", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
