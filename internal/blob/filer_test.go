package blob

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestLocalFiler: the local store lends a stored file's path for reading and takes finished
// files in by a rename, or by a copy when they are on another file system.
func TestLocalFiler(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s, err := openDir(filepath.Join(root, "media"))
	if err != nil {
		t.Fatal(err)
	}
	var _ Filer = s
	read := func(key string) string {
		t.Helper()
		r, err := s.Open(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		b, _ := io.ReadAll(r)
		return string(b)
	}
	work := filepath.Join(root, "tmp")
	if err := os.Mkdir(work, 0o750); err != nil {
		t.Fatal(err)
	}
	file := func(name, content string) string {
		p := filepath.Join(work, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}

	// A rename on one file system: the file is gone from the work directory, readable and
	// listed under its key, with the store's permissions.
	p := file("720p.mp4", "first")
	if err := s.PutFile(ctx, "videos/1/abc-720p.mp4", p); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the moved file is still in the work directory: %v", err)
	}
	if got := read("videos/1/abc-720p.mp4"); got != "first" {
		t.Errorf("stored %q", got)
	}
	path, err := s.Path("videos/1/abc-720p.mp4")
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("stored file: %v, mode %v", err, fi.Mode().Perm())
	}
	if a, err := s.Stat(ctx, "videos/1/abc-720p.mp4"); err != nil || a.Size != 5 {
		t.Errorf("stat after the move: %+v %v", a, err)
	}
	// Replacing: the whole new object.
	if err := s.PutFile(ctx, "videos/1/abc-720p.mp4", file("again.mp4", "second")); err != nil {
		t.Fatal(err)
	}
	if got := read("videos/1/abc-720p.mp4"); got != "second" {
		t.Errorf("replaced with %q", got)
	}

	// The copy across file systems, as PutFile takes it when the rename says EXDEV.
	src := file("poster.jpg", "poster")
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := s.copyFile(ctx, "videos/1/abc-poster.jpg", f, src); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(src); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the copied file was not removed: %v", err)
	}
	if got := read("videos/1/abc-poster.jpg"); got != "poster" {
		t.Errorf("copied %q", got)
	}

	// Path refuses what is not an object.
	for key, want := range map[string]error{"videos/1/none.mp4": ErrNotFound, "videos/1": ErrNotFound, "../x": ErrBadKey} {
		if _, err := s.Path(key); !errors.Is(err, want) {
			t.Errorf("Path(%q): %v, want %v", key, err, want)
		}
	}
	if err := s.PutFile(ctx, "../escape", file("x", "x")); !errors.Is(err, ErrBadKey) {
		t.Errorf("PutFile to a bad key: %v", err)
	}
}
