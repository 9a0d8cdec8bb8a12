package diag

import (
	"bytes"
	"unicode/utf8"
)

// Lines indexes the line starts of a source once, so that finding line n
// is a slice lookup instead of a scan from the top: printing a snippet for
// each of many diagnostics, or mapping many positions, stays linear in the
// size of the file.
type Lines struct {
	src   []byte
	start []int32 // byte offset of each line's first byte; files are under 2 GiB
}

// NewLines indexes src. It does not copy src, which must not change.
func NewLines(src []byte) *Lines {
	l := &Lines{src: src, start: make([]int32, 1, bytes.Count(src, []byte{'\n'})+1)}
	for off := 0; ; {
		i := bytes.IndexByte(src[off:], '\n')
		if i < 0 {
			break
		}
		off += i + 1
		l.start = append(l.start, int32(off))
	}
	return l
}

// Line returns line n (1-based) without its line end (\n or \r\n), and false
// when the source has no line n. The bytes are src's own: do not modify them.
func (l *Lines) Line(n int) ([]byte, bool) {
	if l == nil || n < 1 || n > len(l.start) {
		return nil, false
	}
	b := l.src[l.start[n-1]:]
	if n < len(l.start) {
		b = b[:int(l.start[n])-int(l.start[n-1])-1]
	}
	return bytes.TrimSuffix(b, []byte{'\r'}), true
}

// ByteIndex returns the byte index of 1-based character column col in b,
// len(b) for the column just past its end, and -1 for a column further
// out. Invalid UTF-8 bytes count as one character each.
func ByteIndex(b []byte, col int) int {
	if col < 1 {
		return -1
	}
	i := 0
	for c := 1; c < col; c++ {
		if i >= len(b) {
			return -1
		}
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		_, size := utf8.DecodeRune(b[i:])
		i += size
	}
	return i
}
