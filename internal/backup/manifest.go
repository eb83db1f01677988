// Package backup takes, checks and restores snapshots of a sistercity installation: the
// database (SQLite through VACUUM INTO, PostgreSQL through pg_dump), the files of the data
// directory, and a manifest that describes them with sizes and SHA-256 sums, so that a
// snapshot can be checked on its own, years later, on another machine.
package backup

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// ManifestName is the manifest's file name in a snapshot; it is written last, so a snapshot
// without one is unfinished.
const ManifestName = "manifest.json"

// Format is the version of the snapshot layout this code writes and reads.
const Format = 1

// The snapshot's layout: the database as sqliteFile or pgDumpFile, the data directory's files
// under filesDir.
const (
	sqliteFile = "sistercity.db"
	pgDumpFile = "postgres.dump"
	filesDir   = "files"
)

// Manifest describes a snapshot.
type Manifest struct {
	Format     int       `json:"format"`
	CreatedAt  time.Time `json:"created_at"`
	AppVersion string    `json:"app_version"`
	// SchemaVersion is the latest of the application's migrations applied to the database.
	SchemaVersion int64 `json:"schema_version"`
	// Database is "sqlite" or "postgres"; DatabaseFile the snapshot's file of it, empty when
	// PostgreSQL was not dumped (no pg_dump on the machine).
	Database     string `json:"database"`
	DatabaseFile string `json:"database_file,omitempty"`
	Media        Media  `json:"media"`
	// Notes are what the operator must know about what the snapshot does not hold.
	Notes []string `json:"notes,omitempty"`
	Files []File   `json:"files"`
}

// Media says where the media and documents were stored.
type Media struct {
	// Kind is "local" (copied into the snapshot under files/media) or "s3" (not copied).
	Kind   string `json:"kind"`
	Bucket string `json:"bucket,omitempty"`
	Prefix string `json:"prefix,omitempty"`
}

// File is one file of the snapshot, its path relative to the snapshot with forward slashes.
type File struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// ReadManifest reads the manifest of the snapshot in dir.
func ReadManifest(dir string) (Manifest, error) {
	var m Manifest
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if errors.Is(err, os.ErrNotExist) {
		return m, fmt.Errorf("%s has no %s: not a snapshot, or an unfinished one", dir, ManifestName)
	}
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("%s: %w", ManifestName, err)
	}
	if m.Format != Format {
		return m, fmt.Errorf("%s: snapshot format %d, this sistercity reads format %d", ManifestName, m.Format, Format)
	}
	for _, f := range m.Files {
		if !fs.ValidPath(f.Path) || f.Path == ManifestName || len(f.SHA256) != sha256.Size*2 {
			return m, fmt.Errorf("%s: bad file entry %q", ManifestName, f.Path)
		}
	}
	return m, nil
}

// Problem is one way a snapshot differs from its manifest.
type Problem struct {
	Path, What string
}

func (p Problem) String() string { return p.Path + ": " + p.What }

// VerifyError lists every problem Verify found.
type VerifyError struct {
	Dir      string
	Problems []Problem
}

func (e *VerifyError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "snapshot %s does not match its manifest (%d problems):", e.Dir, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  " + p.String())
	}
	return b.String()
}

// Verify reads every file of the snapshot in dir and checks it against the manifest: present,
// of the recorded size and SHA-256, and no file the manifest does not list.
func Verify(dir string) (Manifest, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return m, err
	}
	vErr := &VerifyError{Dir: dir}
	listed := make(map[string]bool, len(m.Files))
	for _, f := range m.Files {
		listed[f.Path] = true
		if p := checkFile(filepath.Join(dir, filepath.FromSlash(f.Path)), f); p != "" {
			vErr.Problems = append(vErr.Problems, Problem{f.Path, p})
		}
	}
	err = filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		if !e.IsDir() && rel != ManifestName && !listed[rel] {
			vErr.Problems = append(vErr.Problems, Problem{rel, "not in the manifest"})
		}
		return nil
	})
	if err != nil {
		return m, err
	}
	if len(vErr.Problems) > 0 {
		sort.Slice(vErr.Problems, func(i, j int) bool { return vErr.Problems[i].Path < vErr.Problems[j].Path })
		return m, vErr
	}
	return m, nil
}

// checkFile says how the file at path differs from f, or "" when it does not.
func checkFile(path string, f File) string {
	fh, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return "missing"
	}
	if err != nil {
		return err.Error()
	}
	defer fh.Close()
	h := sha256.New()
	n, err := io.Copy(h, fh)
	if err != nil {
		return err.Error()
	}
	if n != f.Size {
		return fmt.Sprintf("size %d, the manifest says %d", n, f.Size)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != f.SHA256 {
		return "SHA-256 " + sum + ", the manifest says " + f.SHA256
	}
	return ""
}

// copyFile copies src to dst (created, never overwritten) and syncs it, returning the copy's
// size and the SHA-256 of the bytes copied.
func copyFile(dst, src string) (int64, string, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, "", err
	}
	defer in.Close()
	return writeFile(dst, in)
}

func writeFile(dst string, r io.Reader) (int64, string, error) {
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return 0, "", err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return 0, "", err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), r)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, "", fmt.Errorf("write %s: %w", dst, err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// hashFile returns the size and SHA-256 of the file at path.
func hashFile(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// emptyDir says whether dir is missing or an empty directory.
func emptyDir(dir string) (bool, error) {
	f, err := os.Open(dir)
	if errors.Is(err, os.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return false, err
	}
	if !st.IsDir() {
		return false, fmt.Errorf("%s is not a directory", dir)
	}
	names, err := f.Readdirnames(1)
	if err != nil && !errors.Is(err, io.EOF) {
		return false, err
	}
	return len(names) == 0, nil
}
