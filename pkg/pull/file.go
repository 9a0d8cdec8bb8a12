package pull

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Tail is what a resumed pull needs of the file it appends to.
type Tail struct {
	// Last is the published time of the file's last event ("" when the
	// file has none).
	Last string
	// UUIDs are the uuids of the events published at Last or later (the
	// events the resumed query, since=Last, returns again).
	UUIDs map[string]bool
	// Size is the length of the file's whole lines: a torn last line (a
	// pull killed mid-write) is cut off at it.
	Size int64
	// Torn is how many bytes of a torn last line were found.
	Torn int64
}

// tailChunk is how much of the file ReadTail reads at a time, from the end.
const tailChunk = 64 << 10

// ReadTail reads the end of an NDJSON file of events in published order:
// backwards, until a line published before the last one (or the start of
// the file). A missing file is an empty Tail.
func ReadTail(path string) (*Tail, error) {
	t := &Tail{UUIDs: map[string]bool{}}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return t, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := fi.Size()
	// Read chunks from the end until the window holds a line before Last.
	var buf []byte
	off := size
	for {
		n := int64(tailChunk)
		if n > off {
			n = off
		}
		off -= n
		chunk := make([]byte, n)
		if _, err := f.ReadAt(chunk, off); err != nil && err != io.EOF {
			return nil, err
		}
		buf = append(chunk, buf...)
		if off == 0 {
			break
		}
		// Enough when a whole line before the last published one is in the
		// window (the first line of the window may be cut: skip it).
		if done, _ := scanTail(buf[bytes.IndexByte(buf, '\n')+1:], size, nil); done {
			break
		}
	}
	start := 0
	if off > 0 {
		start = bytes.IndexByte(buf, '\n') + 1
	}
	_, err = scanTail(buf[start:], size, t)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return t, nil
}

// scanTail reads the whole lines of buf (the end of a file of size bytes).
// It reports whether a line published before the last line's is among
// them; with t, it fills t.
func scanTail(buf []byte, size int64, t *Tail) (bool, error) {
	whole := buf
	torn := int64(0)
	if i := bytes.LastIndexByte(buf, '\n'); i+1 < len(buf) {
		// A last line without its newline: whole when it is a complete
		// JSON value (written by hand or another tool), torn otherwise.
		last := bytes.TrimSpace(buf[i+1:])
		if len(last) > 0 && !json.Valid(last) {
			whole = buf[:i+1]
			torn = int64(len(buf) - (i + 1))
		}
	}
	type head struct {
		UUID      string `json:"uuid"`
		Published string `json:"published"`
	}
	var heads []head
	for _, line := range bytes.Split(whole, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var h head
		if err := json.Unmarshal(line, &h); err != nil {
			continue // not ours to judge: the decoder reports bad lines
		}
		heads = append(heads, h)
	}
	last := ""
	for i := len(heads) - 1; i >= 0; i-- {
		if heads[i].Published != "" {
			last = heads[i].Published
			break
		}
	}
	before := false
	for _, h := range heads {
		if h.Published != "" && last != "" && later(last, h.Published) {
			before = true
			continue
		}
		if t != nil && h.UUID != "" {
			t.UUIDs[h.UUID] = true
		}
	}
	if t != nil {
		t.Last = last
		t.Size = size - torn
		t.Torn = torn
	}
	return before, nil
}

// FileResult says what ToFile wrote.
type FileResult struct {
	Progress
	// Resumed is the Tail an --append pull continued from (nil otherwise).
	Resumed *Tail
}

// ToFile pulls into path. Without appendTo, events go to a temporary file
// in path's directory, renamed to path at the end — also when the pull
// stops early (an error, Ctrl-C) after some events, so that what was
// read is kept and --append can resume it; the file holds whole lines
// only. With appendTo, the pull resumes after the file's last event
// (since = its published time, unless opts.Query.Since is later; the
// uuids already written dropped) and appends each page with one write
// after cutting off a torn last line: what the file held stays.
func ToFile(ctx context.Context, opts Options, path string, appendTo bool) (FileResult, error) {
	var res FileResult
	if appendTo {
		t, err := ReadTail(path)
		if err != nil {
			return res, err
		}
		res.Resumed = t
		if t.Last != "" && later(t.Last, opts.Query.Since) {
			// A later --since wins.
			opts.Query.Since = t.Last
		}
		prev := opts.Seen
		opts.Seen = func(u string) bool { return t.UUIDs[u] || (prev != nil && prev(u)) }
	}
	p, err := New(opts)
	if err != nil {
		return res, err
	}
	var f *os.File
	if appendTo {
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o644)
		if err == nil && res.Resumed.Torn > 0 {
			err = f.Truncate(res.Resumed.Size)
		}
		if err == nil {
			_, err = f.Seek(0, io.SeekEnd)
		}
	} else {
		f, err = os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	}
	if err != nil {
		return res, err
	}
	written := 0
	var pullErr error
	for {
		lines, err := p.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			pullErr = err
			break
		}
		var b bytes.Buffer
		for _, l := range lines {
			b.Write(l.Raw)
			b.WriteByte('\n')
		}
		if _, err := f.Write(b.Bytes()); err != nil {
			pullErr = err
			break
		}
		written += len(lines)
	}
	res.Progress = p.Progress()
	if err := f.Sync(); err != nil && pullErr == nil {
		pullErr = err
	}
	if err := f.Close(); err != nil && pullErr == nil {
		pullErr = err
	}
	if appendTo {
		return res, pullErr
	}
	if pullErr != nil && written == 0 {
		os.Remove(f.Name())
		return res, pullErr
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		os.Remove(f.Name())
		return res, err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return res, err
	}
	return res, pullErr
}

// later reports whether RFC 3339 time a is after b ("" is the earliest);
// times that do not parse compare as strings.
func later(a, b string) bool {
	if b == "" {
		return a != ""
	}
	ta, errA := time.Parse(time.RFC3339Nano, a)
	tb, errB := time.Parse(time.RFC3339Nano, b)
	if errA != nil || errB != nil {
		return a > b
	}
	return ta.After(tb)
}
