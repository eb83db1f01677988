// Package scripts holds the tests of the shell scripts that gate the build.
package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// lintTree runs scripts/lint.sh on a small module in dir and returns its output and whether it passed.
func lintTree(t *testing.T, dir string) (string, bool) {
	t.Helper()
	cmd := exec.Command("bash", "lint.sh")
	cmd.Env = append(os.Environ(), "SISTERCITY_LINT_DIR="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("lint.sh did not run: %v\n%s", err, out)
		}
	}
	return string(out), err == nil
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLintGate shows that the gate fails on a Go finding and on a JavaScript finding, naming
// each, and passes once they are fixed.
func TestLintGate(t *testing.T) {
	config, err := os.ReadFile("../eslint.config.js")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write(t, filepath.Join(dir, "go.mod"), "module lintprobe\n\ngo 1.26\n")
	write(t, filepath.Join(dir, "eslint.config.js"), string(config))
	// Both findings are the kinds the tree had: a response never looked at, a dead assignment.
	write(t, filepath.Join(dir, "probe.go"), `package lintprobe

import "strconv"

func Parse(s string) int {
	n, err := strconv.Atoi(s)
	n, err = strconv.Atoi(s + "0")
	if err != nil {
		return 0
	}
	return n
}
`)
	write(t, filepath.Join(dir, "internal/web/static/probe.js"), `export function load(url) {
  let answer = null;
  answer = fetch(url);
  return undefinedName(answer);
}
`)
	out, ok := lintTree(t, dir)
	if ok {
		t.Fatalf("lint passed a tree with findings:\n%s", out)
	}
	for _, want := range []string{"probe.go:6:2", "SA4006", "probe.js", "no-useless-assignment", "no-undef"} {
		if !strings.Contains(out, want) {
			t.Errorf("the output does not name %q:\n%s", want, out)
		}
	}

	write(t, filepath.Join(dir, "probe.go"), `package lintprobe

import "strconv"

func Parse(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0
	}
	return n
}
`)
	write(t, filepath.Join(dir, "internal/web/static/probe.js"), `export function load(url) {
  return fetch(url);
}
`)
	if out, ok := lintTree(t, dir); !ok {
		t.Fatalf("lint failed a clean tree:\n%s", out)
	}
}
