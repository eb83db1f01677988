// Package sharedtest finds the project's shared folder (conformance cases and real data from
// outside projects), which sits beside the repository's directory — here and in CI alike —
// rather than inside it. Tests that need it fail, never skip, when it is missing.
package sharedtest

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the absolute path of rel inside the shared folder: $SISTERCITY_SHARED_DIR when
// set, else the first "shared" folder found walking up from the working directory.
func Dir(tb testing.TB, rel string) string {
	tb.Helper()
	if root := os.Getenv("SISTERCITY_SHARED_DIR"); root != "" {
		return check(tb, filepath.Join(root, rel))
	}
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		candidate := filepath.Join(dir, "shared", rel)
		if _, err := os.Stat(candidate); err == nil {
			return candidate
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatalf("shared data %q not found above the working directory (set SISTERCITY_SHARED_DIR)", rel)
		}
		dir = parent
	}
}

func check(tb testing.TB, path string) string {
	tb.Helper()
	if _, err := os.Stat(path); err != nil {
		tb.Fatalf("shared data missing: %v", err)
	}
	return path
}
