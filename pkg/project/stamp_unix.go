//go:build linux || darwin

package project

import "syscall"

const stampsSupported = true

// statFile returns the stamp of the file at path (following symbolic
// links, as reading it does); false when it cannot be had or the file is
// not a regular file.
func statFile(path string) (stamp, bool) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil || st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return stamp{}, false
	}
	m, c := statTimes(&st)
	return stamp{size: st.Size, mtime: m.Nano(), ctime: c.Nano(), ino: uint64(st.Ino), dev: uint64(st.Dev), mode: uint32(st.Mode)}, true
}
