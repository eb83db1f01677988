package blob

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Filer is what a store that keeps its objects as files on this machine (the local directory)
// offers besides Store: video processing reads a stored source in place and moves its finished
// files in, instead of copying tens of megabytes each way.
type Filer interface {
	// Path returns the file that holds key, to be read only.
	Path(key string) (string, error)
	// PutFile moves the file at path under key and syncs it: a rename when both are on one
	// file system, else a copy through Put and a removal. As with Put, the object under key is
	// the old one or the whole new one.
	PutFile(ctx context.Context, key, path string) error
}

// Path returns the file of key; ErrNotFound when there is none.
func (s *dirStore) Path(key string) (string, error) {
	p, err := s.path(key)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && !fi.Mode().IsRegular()) {
		return "", fmt.Errorf("blob: %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("blob: %s: %w", key, err)
	}
	return p, nil
}

// PutFile syncs the file, renames it into place and syncs the directory, so a power cut cannot
// lose it once PutFile returns. Across file systems it falls back to Put.
func (s *dirStore) PutFile(ctx context.Context, key, path string) error {
	dst, err := s.path(key)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	err = os.Rename(path, dst)
	if errors.Is(err, syscall.EXDEV) {
		return s.copyFile(ctx, key, f, path)
	}
	if err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	// A renamed file keeps its permissions (0600 from the work directory); fileblob writes
	// 0666 less the umask, usually 0644.
	_ = os.Chmod(dst, 0o644)
	return syncDir(filepath.Dir(dst), key)
}

// copyFile is PutFile across file systems: Put from the open file, then the file removed.
func (s *dirStore) copyFile(ctx context.Context, key string, f *os.File, path string) error {
	if err := s.Put(ctx, key, f); err != nil {
		return err
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("blob: put %s: removing the moved file: %w", key, err)
	}
	return nil
}

func syncDir(dir, key string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	return nil
}
