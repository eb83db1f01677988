package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"

	"gocloud.dev/blob/fileblob"
)

// dirStore is a directory through fileblob, except that reads open the file itself: served
// with http.ServeContent, an *os.File goes to the socket by sendfile, with no copy through
// user space, as a web server in front would do it.
type dirStore struct {
	bucketStore
	dir string
}

func openDir(dir string) (*dirStore, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	b, err := fileblob.OpenBucket(dir, &fileblob.Options{
		CreateDir:   true,
		DirFileMode: 0o750,
		// Temporary files next to their final name, so the rename that publishes one never
		// crosses file systems (os.TempDir is often another one, in a container always).
		NoTempDir: true,
		// No .attrs files beside each object: content types live in the database, and then
		// a key is exactly the file's path under dir.
		Metadata: fileblob.MetadataDontWrite,
	})
	if err != nil {
		return nil, fmt.Errorf("blob: open %s: %w", dir, err)
	}
	return &dirStore{bucketStore: bucketStore{b: b, name: dir}, dir: dir}, nil
}

func (s *dirStore) path(key string) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	return filepath.Join(s.dir, filepath.FromSlash(key)), nil
}

// Put also syncs the directory after the rename, so a power cut cannot lose a file whose Put
// returned (the file itself was synced before the rename).
func (s *dirStore) Put(ctx context.Context, key string, r io.Reader) error {
	if err := s.bucketStore.Put(ctx, key, r); err != nil {
		return err
	}
	p, _ := s.path(key)
	return syncDir(filepath.Dir(p), key)
}

// Open returns the *os.File, so that http.ServeContent can send it with sendfile.
func (s *dirStore) Open(_ context.Context, key string) (io.ReadSeekCloser, error) {
	f, _, err := s.open(key)
	return f, err
}

func (s *dirStore) open(key string) (*os.File, os.FileInfo, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("blob: %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("blob: open %s: %w", key, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("blob: open %s: %w", key, err)
	}
	if !fi.Mode().IsRegular() {
		// A "directory" of keys is no object, as in a bucket.
		f.Close()
		return nil, nil, fmt.Errorf("blob: %s: %w", key, ErrNotFound)
	}
	return f, fi, nil
}

func (s *dirStore) Serve(w http.ResponseWriter, r *http.Request, key, contentType string) error {
	f, fi, err := s.open(key)
	if err != nil {
		return err
	}
	defer f.Close()
	h := w.Header()
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	h.Set("ETag", fileETag(fi))
	http.ServeContent(w, tidyRanges(r, fi.Size()), "", fi.ModTime(), f)
	return nil
}

// fileETag is the entity tag fileblob gives a file, so that Stat, List and Serve agree. A Put
// renames a new file into place, so a new version has a new modification time.
func fileETag(fi os.FileInfo) string {
	return fmt.Sprintf(`"%x-%x"`, fi.ModTime().UnixNano(), fi.Size())
}
