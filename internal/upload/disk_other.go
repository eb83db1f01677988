//go:build !linux

package upload

// freeBytes does not know the free space here; the quota alone bounds uploads.
func freeBytes(string) (int64, bool) { return 0, false }
