package main

import (
	"fmt"
	"runtime"
	"testing"

	"sistercity/internal/polltest"
)

// TestShouldTrim: only an idle process holding enough freed memory gives it back.
func TestShouldTrim(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		prev, now memSample
		want      bool
	}{
		{memSample{allocs: 100 << 20}, memSample{allocs: 100<<20 + 1000, free: 30 << 20}, true},            // idle, much free
		{memSample{allocs: 100 << 20}, memSample{allocs: 100<<20 + 1000, free: 1 << 20}, false},            // idle, little free
		{memSample{allocs: 100 << 20}, memSample{allocs: 180 << 20, free: 30 << 20}, false},                // busy
		{memSample{allocs: 100 << 20}, memSample{allocs: 100<<20 + idleAllocBytes, free: 30 << 20}, false}, // just not idle
	} {
		if got := shouldTrim(c.prev, c.now); got != c.want {
			t.Errorf("shouldTrim(%+v, %+v) = %v, want %v", c.prev, c.now, got, c.want)
		}
	}
}

// TestReleaseMemory: after a large allocation is dropped, releaseMemory leaves less freed heap
// memory held than the threshold, so an idle process no longer holds it.
func TestReleaseMemory(t *testing.T) {
	big := make([][]byte, 64)
	for i := range big {
		big[i] = make([]byte, 1<<20)
		big[i][0] = byte(i)
	}
	runtime.KeepAlive(big)
	big = nil
	runtime.GC()
	// What other goroutines of the test binary free between the release and the reading counts
	// too; on a busy machine that can be megabytes, so the release is tried until it holds.
	polltest.Until(t, "releaseMemory to give the freed heap back", func() (bool, string) {
		releaseMemory()
		m := readMem()
		return m.free < trimFreeBytes, fmt.Sprintf("%d bytes of freed heap memory still held", m.free)
	})
}
