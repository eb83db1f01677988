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

// TestLintGate shows that the gate fails on a Go finding, on a function no command reaches and
// on a JavaScript finding, naming each, and passes once they are fixed; a testing package's
// functions, which only tests call, are not findings.
func TestLintGate(t *testing.T) {
	config, err := os.ReadFile("../eslint.config.js")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write(t, filepath.Join(dir, "go.mod"), "module lintprobe\n\ngo 1.26\n")
	write(t, filepath.Join(dir, "eslint.config.js"), string(config))
	write(t, filepath.Join(dir, "cmd/probe/main.go"), `package main

import (
	"fmt"

	"lintprobe"
)

func main() { fmt.Println(lintprobe.Parse("1")) }
`)
	write(t, filepath.Join(dir, "internal/probetest/probetest.go"), `// Package probetest serves tests only.
package probetest

// Clip is called by tests alone.
func Clip() string { return "clip" }
`)
	// A function that only tests call, outside a testing package: deadcode's finding.
	write(t, filepath.Join(dir, "listing.go"), `package lintprobe

// List is called by tests alone.
func List() []int { return []int{1} }
`)
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
	for _, want := range []string{"probe.go:6:2", "SA4006", "listing.go:4:6: unreachable func: List", "probe.js",
		"no-useless-assignment", "no-undef"} {
		if !strings.Contains(out, want) {
			t.Errorf("the output does not name %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "probetest") {
		t.Errorf("the gate counts a testing package's functions:\n%s", out)
	}
	if err := os.Remove(filepath.Join(dir, "listing.go")); err != nil {
		t.Fatal(err)
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
