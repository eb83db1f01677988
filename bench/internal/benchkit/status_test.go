package benchkit

import (
	"os"
	"testing"
)

// TestParseStatus reads resident memory from the text of /proc/PID/status and refuses a text
// without it.
func TestParseStatus(t *testing.T) {
	const status = "Name:\tsistercity\nVmPeak:\t 1300000 kB\nVmHWM:\t   88764 kB\nVmRSS:\t   61234 kB\nThreads:\t8\n"
	m, err := ParseStatus(status)
	if err != nil {
		t.Fatal(err)
	}
	if m.RSS != 61234 || m.HWM != 88764 {
		t.Fatalf("got %+v, want rss 61234 hwm 88764", m)
	}
	if _, err := ParseStatus("Name:\tx\nVmRSS:\t12 kB\n"); err == nil {
		t.Fatal("a status without VmHWM was accepted")
	}
	if _, err := ParseStatus("VmRSS:\tlots kB\nVmHWM:\t1 kB\n"); err == nil {
		t.Fatal("a malformed VmRSS was accepted")
	}
}

// TestProcMemory reads this test process's own resident memory.
func TestProcMemory(t *testing.T) {
	m, err := ProcMemory(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if m.RSS <= 0 || m.HWM < m.RSS {
		t.Fatalf("implausible: %+v", m)
	}
}
