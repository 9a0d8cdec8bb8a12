//go:build unix

package history

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestSQLiteFileModes: the history directory is created 0700 and the
// database 0600, whatever the umask allows beyond that: it holds every
// run's logins, profiles and tickets.
func TestSQLiteFileModes(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	s, err := Open(context.Background(), "sqlite://.jml/history.db", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for path, want := range map[string]os.FileMode{
		filepath.Join(dir, ".jml"):            0o700,
		filepath.Join(dir, ".jml/history.db"): 0o600,
	} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %v, want %v", path, got, want)
		}
	}
	// The WAL files SQLite makes beside it are not readable by others.
	matches, _ := filepath.Glob(filepath.Join(dir, ".jml/history.db-*"))
	for _, m := range matches {
		if fi, err := os.Stat(m); err == nil && fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s: mode %v readable by others", m, fi.Mode().Perm())
		}
	}
}
