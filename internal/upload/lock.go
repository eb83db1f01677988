package upload

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"time"

	"github.com/tus/tusd/v2/pkg/handler"
)

// Defaults of Options.LockWait and Options.StallAfter.
const (
	defaultLockWait   = 5 * time.Second
	defaultStallAfter = 10 * time.Second
)

// yieldingLocker puts the application's rules over a tusd locker (in-process or PostgreSQL):
//
//   - A request that cannot take an upload's lock within LockWait is answered 423 Locked, which
//     tus clients retry, rather than tusd's 500 after its own 20 seconds.
//   - A holder gives way to a release request only when its client has stalled: a PATCH whose
//     body has brought no byte for StallAfter (a dropped connection that the client resumes,
//     perhaps through another replica). A PATCH that is receiving, or an upload being
//     attached, keeps its lock — a second writer then hears 423, and nothing is cut off
//     half-way by a duplicate request.
type yieldingLocker struct {
	inner handler.Locker
	h     *Handler
}

func (l yieldingLocker) NewLock(id string) (handler.Lock, error) {
	lock, err := l.inner.NewLock(id)
	if err != nil {
		return nil, err
	}
	return yieldingLock{inner: lock, id: id, h: l.h}, nil
}

type yieldingLock struct {
	inner handler.Lock
	id    string
	h     *Handler
}

func (k yieldingLock) Lock(ctx context.Context, requestRelease func()) error {
	wctx, cancel := context.WithTimeout(ctx, k.h.o.LockWait)
	defer cancel()
	err := k.inner.Lock(wctx, func() {
		if k.h.stalled(k.id) {
			k.h.o.Log.Info("upload: a stalled request gives its upload's lock way", "upload", k.id)
			requestRelease()
		}
	})
	if errors.Is(err, handler.ErrLockTimeout) && ctx.Err() == nil {
		return handler.ErrFileLocked
	}
	return err
}

func (k yieldingLock) Unlock() error { return k.inner.Unlock() }

// activity is when a request for an upload last received a byte of its body.
type activity struct {
	last atomic.Int64 // Unix nanoseconds
	n    int          // requests reading, guarded by Handler.mu
}

// stalled tells whether this process holds upload id for a request whose client has sent
// nothing for StallAfter. An upload being attached, or held by a request that reads no body
// (HEAD, DELETE, a sweep), is not stalled: those end on their own.
func (h *Handler) stalled(id string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, busy := h.busy[id]; busy {
		return false
	}
	a, ok := h.reading[id]
	if !ok {
		return false
	}
	return h.o.Now().Sub(time.Unix(0, a.last.Load())) >= h.o.StallAfter
}

// watchBody counts the reads of a PATCH body for upload id; the returned function ends the
// watch. Only the lock's holder reads a body, so what is recorded is the holder's progress.
func (h *Handler) watchBody(id string, body io.ReadCloser) (io.ReadCloser, func()) {
	w := &watchedBody{ReadCloser: body, h: h, id: id}
	return w, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if w.a == nil {
			return
		}
		if w.a.n--; w.a.n == 0 {
			delete(h.reading, id)
		}
	}
}

type watchedBody struct {
	io.ReadCloser
	h  *Handler
	id string
	a  *activity
}

func (w *watchedBody) Read(p []byte) (int, error) {
	if w.a == nil {
		// The first read: this request holds the lock now.
		w.h.mu.Lock()
		a, ok := w.h.reading[w.id]
		if !ok {
			a = &activity{}
			w.h.reading[w.id] = a
		}
		a.n++
		w.a = a
		w.h.mu.Unlock()
		a.last.Store(w.h.o.Now().UnixNano())
	}
	n, err := w.ReadCloser.Read(p)
	if n > 0 {
		w.a.last.Store(w.h.o.Now().UnixNano())
	}
	return n, err
}
