package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"sistercity/internal/config"
	"sistercity/internal/polltest"
)

// lockedBuffer is a bytes.Buffer safe to read while the log writes to it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestBufferedLog: request lines wait in the buffer, a warning brings them out at once (in
// order, before it), and the flusher writes out what is left when it stops.
func TestBufferedLog(t *testing.T) {
	t.Parallel()
	var out lockedBuffer
	b := newBufferedLog(&out)
	log := newBufferedLogger(config.Default(), b)
	log.Info("request", "path", "/ko/")
	if out.String() != "" {
		t.Fatalf("an info line was written at once: %q", out.String())
	}
	log.With("part", "queue").Warn("trouble")
	got := out.String()
	if !strings.Contains(got, "path=/ko/") || !strings.Contains(got, "trouble") || strings.Index(got, "path=/ko/") > strings.Index(got, "trouble") {
		t.Fatalf("after a warning: %q", got)
	}
	log.Info("request", "path", "/ru/")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { b.flushEvery(ctx, time.Hour); close(done) }()
	cancel()
	<-done
	if !strings.Contains(out.String(), "path=/ru/") {
		t.Fatalf("left in the buffer when the flusher stopped: %q", out.String())
	}
	// And on the clock, without a warning.
	log.Info("request", "path", "/en/")
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	go b.flushEvery(ctx, 10*time.Millisecond)
	polltest.Until(t, "the flusher writes the line", func() (bool, string) {
		s := out.String()
		return strings.Contains(s, "path=/en/"), s
	})
}
