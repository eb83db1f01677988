package video

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestClearStaleWork removes the leftovers of video 1's killed runs and nothing else: not
// video 12's, whose name starts alike, nor other files.
func TestClearStaleWork(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"video-1-123/out/.360p.mp4.1.part", "video-1-456/source.mp4", "video-12-789/source.mp4", "keep.txt"} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte("x"), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	if err := clearStaleWork(dir, 1); err != nil {
		t.Fatal(err)
	}
	left, _ := os.ReadDir(dir)
	var names []string
	for _, e := range left {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"keep.txt", "video-12-789"}) {
		t.Errorf("left %q", names)
	}
	if err := clearStaleWork(filepath.Join(dir, "missing"), 1); err != nil {
		t.Errorf("a missing work directory: %v", err)
	}
}
