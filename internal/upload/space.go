package upload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tus/tusd/v2/pkg/filestore"
	"github.com/tus/tusd/v2/pkg/handler"
)

// space is where unfinished uploads wait: a directory of the data directory (one server), or
// the media bucket (any replica continues an upload another began). tusd's store keeps the
// bytes; space adds what sistercity needs around them: the list of uploads, when one was last
// written, the reading of a finished one and the marks of completed ones.
type space interface {
	// store is tusd's data store over the space.
	store() handler.DataStore
	terminater() handler.TerminaterDataStore
	// prepare makes the space ready for a new upload.
	prepare(ctx context.Context) error
	// ids lists the uploads in the space, finished or not.
	ids(ctx context.Context) ([]string, error)
	// touched is when upload info last received a byte (its creation when none came).
	touched(ctx context.Context, info handler.FileInfo) (time.Time, error)
	// open reads a finished upload.
	open(ctx context.Context, info handler.FileInfo) (io.ReadCloser, error)
	// markDone records that upload id of size bytes is attached; doneSize reads the mark.
	markDone(ctx context.Context, id string, size int64) error
	doneSize(ctx context.Context, id string) (string, bool)
	// sweepMarks forgets completion marks older than cutoff, and leftovers of crashed creations.
	sweepMarks(ctx context.Context, cutoff time.Time) error
	// free is the room left for uploads, when the space is bounded by a local disk.
	free() (int64, bool)
}

// diskSpace is a directory, with tusd's file store: IDs are 32 hexadecimal digits.
type diskSpace struct {
	dir   string
	files filestore.FileStore
}

func newDiskSpace(dir string) *diskSpace {
	return &diskSpace{dir: dir, files: filestore.New(dir)}
}

func (d *diskSpace) store() handler.DataStore                { return d.files }
func (d *diskSpace) terminater() handler.TerminaterDataStore { return d.files }

func (d *diskSpace) prepare(context.Context) error {
	if err := os.MkdirAll(d.dir, 0o750); err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	return nil
}

func (d *diskSpace) ids(context.Context) ([]string, error) {
	entries, err := os.ReadDir(d.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("upload: %w", err)
	}
	var out []string
	for _, e := range entries {
		if id, ok := strings.CutSuffix(e.Name(), ".info"); ok && diskID.MatchString(id) {
			out = append(out, id)
		}
	}
	return out, nil
}

// touched is the time of the data file: made empty with the upload, written by every byte.
func (d *diskSpace) touched(_ context.Context, info handler.FileInfo) (time.Time, error) {
	fi, err := os.Stat(info.Storage[filestoreBinPath])
	if err != nil {
		return time.Time{}, err
	}
	return fi.ModTime(), nil
}

func (d *diskSpace) open(_ context.Context, info handler.FileInfo) (io.ReadCloser, error) {
	return os.Open(info.Storage[filestoreBinPath])
}

// donePath marks an upload completed and attached: a client that lost the answer to its last
// PATCH asks HEAD and learns that everything arrived, instead of sending the file again.
func (d *diskSpace) donePath(id string) string { return filepath.Join(d.dir, id+".done") }

func (d *diskSpace) markDone(_ context.Context, id string, size int64) error {
	if err := os.WriteFile(d.donePath(id), []byte(strconv.FormatInt(size, 10)), 0o640); err != nil {
		return fmt.Errorf("upload: %s: %w", id, err)
	}
	return nil
}

func (d *diskSpace) doneSize(_ context.Context, id string) (string, bool) {
	b, err := os.ReadFile(d.donePath(id))
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(b)), true
}

func (d *diskSpace) sweepMarks(_ context.Context, cutoff time.Time) error {
	entries, err := os.ReadDir(d.dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	for _, e := range entries {
		// Completion marks, and data files whose .info was never written (a crash at creation).
		name := e.Name()
		id, mark := strings.CutSuffix(name, ".done")
		if !diskID.MatchString(id) {
			continue
		}
		if !mark {
			if _, err := os.Stat(filepath.Join(d.dir, id+".info")); !errors.Is(err, os.ErrNotExist) {
				continue
			}
		}
		if fi, err := e.Info(); err == nil && fi.ModTime().Before(cutoff) {
			_ = os.Remove(filepath.Join(d.dir, name))
		}
	}
	return nil
}

func (d *diskSpace) free() (int64, bool) { return freeBytes(d.dir) }

// filestoreBinPath is where tusd's file store records the path of an upload's data.
const filestoreBinPath = "Path"
