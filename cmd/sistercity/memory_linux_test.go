package main

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestReleaseBinaryPages: the program's own read-only mappings are advised out, and their
// resident pages drop (the test binary's code and data that the tests are not using).
func TestReleaseBinaryPages(t *testing.T) {
	before := rssFileKB(t)
	if n := releaseBinaryPages(); n <= 0 {
		t.Fatalf("releaseBinaryPages advised %d bytes", n)
	}
	if after := rssFileKB(t); after >= before {
		t.Errorf("file-backed resident memory %d kB before, %d kB after", before, after)
	}
}

func rssFileKB(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "RssFile:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no RssFile in /proc/self/status")
	return 0
}
