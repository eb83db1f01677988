package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"sync"
	"time"

	"sistercity/internal/config"
)

// serve logs a line per request. Written straight to stderr that is a system call per request,
// a tenth of what answering a kept page costs; nginx buffers its access log for the same reason.
// So serve's log goes through a buffer that is written out when it fills, every logFlushEvery,
// at once for a warning or an error, and when serve stops: a crash loses at most that second of
// request lines, never an error.

const (
	logBufferBytes = 64 << 10
	logFlushEvery  = time.Second
)

// bufferedLog is an io.Writer that keeps what is written until it is flushed.
type bufferedLog struct {
	mu  sync.Mutex
	buf *bufio.Writer
}

func newBufferedLog(w io.Writer) *bufferedLog {
	return &bufferedLog{buf: bufio.NewWriterSize(w, logBufferBytes)}
}

func (b *bufferedLog) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// Flush writes out what is kept.
func (b *bufferedLog) Flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	_ = b.buf.Flush()
}

// flushEvery flushes b every interval until ctx ends, and once more then.
func (b *bufferedLog) flushEvery(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			b.Flush()
			return
		case <-t.C:
			b.Flush()
		}
	}
}

// flushOnWarn is a slog.Handler that flushes its buffer after each record at warning level or
// above, so problems are seen at once.
type flushOnWarn struct {
	slog.Handler
	buf *bufferedLog
}

func (h flushOnWarn) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		h.buf.Flush()
	}
	return err
}

func (h flushOnWarn) WithAttrs(attrs []slog.Attr) slog.Handler {
	return flushOnWarn{Handler: h.Handler.WithAttrs(attrs), buf: h.buf}
}

func (h flushOnWarn) WithGroup(name string) slog.Handler {
	return flushOnWarn{Handler: h.Handler.WithGroup(name), buf: h.buf}
}

// newBufferedLogger is newLogger writing through b.
func newBufferedLogger(cfg config.Config, b *bufferedLog) *slog.Logger {
	return slog.New(flushOnWarn{Handler: newLogger(cfg, b).Handler(), buf: b})
}
