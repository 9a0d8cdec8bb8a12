//go:build unix

package history

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
)

// fileLock is an exclusive flock(2) on a lock file. The kernel holds it
// for the open file, not for a pid: it is freed when the file is closed,
// which the process's death does, whatever PID namespace it ran in. The
// file is opened close-on-exec (as Go opens every file), so no child
// process keeps it.
type fileLock struct {
	f    *os.File
	path string
}

// lockFile locks the file at path, creating it, or returns nil, nil when
// another open file holds the lock.
func lockFile(path string) (*fileLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if errors.Is(err, syscall.EWOULDBLOCK) {
		f.Close()
		return nil, nil
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %v", path, err)
	}
	return &fileLock{f: f, path: path}, nil
}

// check fails once the lock file was removed or replaced: another apply
// would lock the new file.
func (l *fileLock) check(context.Context) error {
	mine, err := l.f.Stat()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrLockLost, err)
	}
	now, err := os.Stat(l.path)
	if err != nil || !os.SameFile(mine, now) {
		return fmt.Errorf("%w: its lock file %s was removed or replaced", ErrLockLost, l.path)
	}
	return nil
}

// unlock closes the file, which frees the lock. The file stays: removing
// it would let two appliers lock two different files.
func (l *fileLock) unlock() error { return l.f.Close() }
