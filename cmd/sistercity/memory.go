package main

import (
	"context"
	"log/slog"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Go returns freed heap memory to the system only slowly (its background scavenger), and keeps
// the heap goal of the busiest moment until the next collection, which an idle process makes
// only every two minutes. serve releases it itself: once after start-up, whose one-time work
// (migrations, the demo's data and video, templates, catalogs) needs far more than serving does,
// and whenever the process has gone idle holding much freed memory. GOGC and GOMEMLIMIT from the
// environment are left to the runtime: nothing here sets them.

const (
	// trimEvery is how often serve looks whether it is idle.
	trimEvery = 30 * time.Second
	// idleAllocBytes is how little the heap may have allocated since the last look for the
	// process to count as idle. An idle serve on SQLite allocates about 1.5 MB in 30 s (the job
	// queue's polling); serving pages, hundreds of MB.
	idleAllocBytes = 8 << 20
	// trimFreeBytes is how much freed, not yet returned heap memory is worth a collection.
	trimFreeBytes = 4 << 20
)

// memSample is what trimming decides on, from runtime/metrics.
type memSample struct {
	allocs uint64 // bytes allocated on the heap since the start
	free   uint64 // heap memory free and not returned to the system
}

var memMetrics = []metrics.Sample{
	{Name: "/gc/heap/allocs:bytes"},
	{Name: "/memory/classes/heap/free:bytes"},
}

func readMem() memSample {
	s := make([]metrics.Sample, len(memMetrics))
	copy(s, memMetrics)
	metrics.Read(s)
	var m memSample
	if s[0].Value.Kind() == metrics.KindUint64 {
		m.allocs = s[0].Value.Uint64()
	}
	if s[1].Value.Kind() == metrics.KindUint64 {
		m.free = s[1].Value.Uint64()
	}
	return m
}

// shouldTrim tells whether, between the samples prev and now, the process was idle and holds
// enough freed memory to give back.
func shouldTrim(prev, now memSample) bool {
	return now.allocs-prev.allocs < idleAllocBytes && now.free >= trimFreeBytes
}

// releaseMemory collects and returns all freed heap memory to the system now, and the pages of
// the binary itself that are not in use (memory_linux.go).
func releaseMemory() {
	debug.FreeOSMemory()
	releaseBinaryPages()
}

// trimWhenIdle looks every interval whether the process is idle and holds freed memory, and
// returns it to the system, until ctx ends.
func trimWhenIdle(ctx context.Context, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	prev := readMem()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := readMem()
		if shouldTrim(prev, now) {
			releaseMemory()
			log.Debug("idle: returned freed memory to the system", "bytes", now.free)
			now = readMem()
		}
		prev = now
	}
}
