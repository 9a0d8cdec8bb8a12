//go:build !unix && !windows

package history

import (
	"context"
	"fmt"
	"runtime"
)

type fileLock struct{}

// lockFile: this system has no file lock jml knows.
func lockFile(path string) (*fileLock, error) {
	return nil, fmt.Errorf("SQLite histories cannot be locked on %s: use a PostgreSQL history", runtime.GOOS)
}

func (l *fileLock) check(context.Context) error { return nil }

func (l *fileLock) unlock() error { return nil }
