//go:build windows

package history

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
)

// errSharingViolation is ERROR_SHARING_VIOLATION: another open handle
// shares nothing.
const errSharingViolation syscall.Errno = 32

// fileLock is a lock file opened with no sharing: no other handle can
// open it until this one is closed, which the process's death does.
type fileLock struct {
	f *os.File
}

// lockFile opens the file at path for this process alone, creating it, or
// returns nil, nil when another handle has it open.
func lockFile(path string) (*fileLock, error) {
	p, err := syscall.UTF16PtrFromString(path)
	if err != nil {
		return nil, err
	}
	h, err := syscall.CreateFile(p, syscall.GENERIC_READ|syscall.GENERIC_WRITE, 0, nil, syscall.OPEN_ALWAYS, syscall.FILE_ATTRIBUTE_NORMAL, 0)
	if errors.Is(err, errSharingViolation) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("locking %s: %v", path, err)
	}
	return &fileLock{f: os.NewFile(uintptr(h), path)}, nil
}

// check: an open file shared with no one cannot be removed or replaced.
func (l *fileLock) check(context.Context) error { return nil }

func (l *fileLock) unlock() error { return l.f.Close() }
