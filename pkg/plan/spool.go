package plan

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
)

// spoolMemory is how much a Spool holds in memory before it moves to a
// temporary file: a small plan (every test, most pull requests) never
// touches the disk, a large one costs at most this much memory.
const spoolMemory = 1 << 20

// Spool holds the part of a streamed document that must be written after
// something not known yet — the -o file's inputs after the summary, a
// markdown comment's sections after its summary table — in memory up to
// 1 MiB, then in a temporary file (Dir, or the system's), so that memory
// stays flat in the number of events. Close removes the file.
type Spool struct {
	// Dir is where the temporary file goes ("": os.TempDir).
	Dir  string
	mem  bytes.Buffer
	f    *os.File
	w    *bufio.Writer
	size int64
}

// Write appends p.
func (s *Spool) Write(p []byte) (int, error) {
	if s.f == nil && s.mem.Len()+len(p) <= spoolMemory {
		s.size += int64(len(p))
		return s.mem.Write(p)
	}
	if s.f == nil {
		f, err := os.CreateTemp(s.Dir, "jml-spool-*")
		if err != nil {
			return 0, err
		}
		s.f, s.w = f, bufio.NewWriterSize(f, 64<<10)
		if _, err := s.w.Write(s.mem.Bytes()); err != nil {
			return 0, err
		}
		s.mem = bytes.Buffer{}
	}
	n, err := s.w.Write(p)
	s.size += int64(n)
	return n, err
}

// Len is the number of bytes written.
func (s *Spool) Len() int64 { return s.size }

// CopyTo writes everything spooled to w, in writes that each end at a
// newline (or at the end): terminal-safe writers and the secret redactor
// see whole lines, as from a renderer, never a character cut in two.
func (s *Spool) CopyTo(w io.Writer) error {
	if s.f == nil {
		return writeLines(w, s.mem.Bytes())
	}
	if err := s.w.Flush(); err != nil {
		return err
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	buf := make([]byte, 64<<10)
	carry := 0
	for {
		n, err := s.f.Read(buf[carry:])
		n += carry
		cut := bytes.LastIndexByte(buf[:n], '\n') + 1
		if errors.Is(err, io.EOF) || (cut == 0 && n == len(buf)) {
			// The end, or one line longer than the buffer: write it as is.
			cut = n
		}
		if cut > 0 {
			if _, werr := w.Write(buf[:cut]); werr != nil {
				return werr
			}
		}
		carry = copy(buf, buf[cut:n])
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// writeLines writes b to w in pieces that end at a newline, of about
// 64 KiB (a longer line is one piece).
func writeLines(w io.Writer, b []byte) error {
	for len(b) > 0 {
		cut := len(b)
		if cut > 64<<10 {
			if i := bytes.LastIndexByte(b[:64<<10], '\n'); i >= 0 {
				cut = i + 1
			} else if j := bytes.IndexByte(b[64<<10:], '\n'); j >= 0 {
				cut = 64<<10 + j + 1
			}
		}
		if _, err := w.Write(b[:cut]); err != nil {
			return err
		}
		b = b[cut:]
	}
	return nil
}

// Close removes the temporary file, if there is one.
func (s *Spool) Close() error {
	if s.f == nil {
		return nil
	}
	name := s.f.Name()
	err := s.f.Close()
	if rerr := os.Remove(name); err == nil {
		err = rerr
	}
	s.f, s.w = nil, nil
	return err
}
