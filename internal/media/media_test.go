package media

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// clipDir holds the clips generated for this run, shared by the tests that need the same one.
var clipDir string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "sistercity-media-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	clipDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var clips = struct {
	sync.Mutex
	m map[string]*clipEntry
}{m: map[string]*clipEntry{}}

type clipEntry struct {
	once sync.Once
	err  error
}

// clip returns the path of a test clip named name (its extension picks the container), made
// once per test run however many tests ask for it.
func clip(t testing.TB, name string, opts ClipOptions) string {
	t.Helper()
	clips.Lock()
	e := clips.m[name]
	if e == nil {
		e = &clipEntry{}
		clips.m[name] = e
	}
	clips.Unlock()
	path := filepath.Join(clipDir, name)
	e.once.Do(func() { e.err = TestClip(context.Background(), path, opts) })
	if e.err != nil {
		t.Fatalf("make clip %s: %v", name, e.err)
	}
	return path
}

// golden compares args, one per line, with testdata/<name>.golden; -update rewrites the file.
func golden(t *testing.T, name string, args []string) {
	t.Helper()
	got := strings.Join(args, "\n") + "\n"
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s: argument list differs from the golden file (run with -update if the change is meant)\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

// probeOK probes a clip that must be a valid video.
func probeOK(t *testing.T, path string) *Info {
	t.Helper()
	info, err := Probe(context.Background(), path)
	if err != nil {
		t.Fatalf("probe %s: %v", filepath.Base(path), err)
	}
	if err := info.Check(Limits{}); err != nil {
		t.Fatalf("check %s: %v", filepath.Base(path), err)
	}
	return info
}
