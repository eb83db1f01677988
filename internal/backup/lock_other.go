//go:build !unix

package backup

import (
	"errors"
	"os"
)

var errLocked = errors.New("locked")

// tryLock creates the file at path exclusively; where there is no flock, a restore killed
// mid-way leaves it behind, and the operator removes it.
func tryLock(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil, errLocked
	}
	if err != nil {
		return nil, err
	}
	return func() { f.Close(); os.Remove(path) }, nil
}
