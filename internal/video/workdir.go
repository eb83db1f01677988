package video

import (
	"fmt"
	"os"
	"path/filepath"
)

// clearStaleWork removes the work directories an earlier run of video id's processing left in
// workDir: a process killed mid-encode (kill -9, a power cut) never runs its deferred removal,
// and the copy of the source and the half-written renditions would stay for good. Only one
// run per video is under way at a time (the job is unique, and a rescue waits until the job
// timeout has cancelled the old run), so every such directory is a leftover. It belongs at the
// start of ProcessVideo, before the run makes its own directory.
func clearStaleWork(workDir string, id int64) error {
	dirs, err := filepath.Glob(filepath.Join(workDir, fmt.Sprintf("video-%d-*", id)))
	if err != nil {
		return fmt.Errorf("video: %d work leftovers: %w", id, err)
	}
	for _, d := range dirs {
		if err := os.RemoveAll(d); err != nil {
			return fmt.Errorf("video: %d work leftovers: %w", id, err)
		}
	}
	return nil
}
