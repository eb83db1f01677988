package main

import (
	"os"
	"testing"
)

// TestParseStatus reads resident memory from the text of /proc/PID/status and refuses a text
// without it.
func TestParseStatus(t *testing.T) {
	const status = "Name:\tsistercity\nVmPeak:\t 1300000 kB\nVmHWM:\t   88764 kB\nVmRSS:\t   61234 kB\nThreads:\t8\n"
	m, err := parseStatus(status)
	if err != nil {
		t.Fatal(err)
	}
	if m.rss != 61234 || m.hwm != 88764 {
		t.Fatalf("got %+v, want rss 61234 hwm 88764", m)
	}
	if _, err := parseStatus("Name:\tx\nVmRSS:\t12 kB\n"); err == nil {
		t.Fatal("a status without VmHWM was accepted")
	}
	if _, err := parseStatus("VmRSS:\tlots kB\nVmHWM:\t1 kB\n"); err == nil {
		t.Fatal("a malformed VmRSS was accepted")
	}
}

// TestProcMemory reads this test process's own resident memory.
func TestProcMemory(t *testing.T) {
	m, err := procMemory(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if m.rss <= 0 || m.hwm < m.rss {
		t.Fatalf("implausible: %+v", m)
	}
}
