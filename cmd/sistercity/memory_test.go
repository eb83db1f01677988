package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
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
// memory held than the threshold, so an idle process no longer holds it. The freed memory of a
// process is the whole process's: the other tests of this package, running in parallel, free
// megabytes at any moment. So the measurement runs in a child process of its own, which does
// nothing else.
func TestReleaseMemory(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^TestReleaseMemoryChild$", "-test.v")
	cmd.Env = append(os.Environ(), releaseMemoryEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), releaseMemoryDone) {
		t.Fatalf("child did not measure:\n%s", out)
	}
	t.Logf("%s", out)
}

const (
	releaseMemoryEnv  = "SISTERCITY_TEST_RELEASE_MEMORY_CHILD"
	releaseMemoryDone = "freed heap given back"
)

// TestReleaseMemoryChild is TestReleaseMemory's child process; run by itself it does nothing.
func TestReleaseMemoryChild(t *testing.T) {
	if os.Getenv(releaseMemoryEnv) == "" {
		return
	}
	big := make([][]byte, 64)
	for i := range big {
		big[i] = make([]byte, 1<<20)
		big[i][0] = byte(i)
	}
	runtime.KeepAlive(big)
	before := readMem()
	big = nil
	runtime.GC()
	held := readMem()
	if held.free < trimFreeBytes {
		// Without the freed 64 MiB held, the release below proves nothing.
		t.Fatalf("after dropping 64 MiB only %d bytes of freed heap are held (before: %d)", held.free, before.free)
	}
	// The runtime's own goroutines (the scavenger, the test framework) may free a little between
	// the release and the reading, so the release is tried until it holds.
	polltest.Until(t, "releaseMemory to give the freed heap back", func() (bool, string) {
		releaseMemory()
		m := readMem()
		return m.free < trimFreeBytes, fmt.Sprintf("%d bytes of freed heap memory still held", m.free)
	})
	t.Logf("%s: %d bytes held after dropping 64 MiB, fewer than %d after releaseMemory", releaseMemoryDone, held.free, trimFreeBytes)
}
