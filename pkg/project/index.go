package project

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The stat index lets a run that changed nothing skip reading the flow
// files. For each file it read and hashed, it keeps what the file system
// said of the file just before (size, modification and change times,
// inode, device, mode: a stamp) and when that was; a later run that finds
// the same stamp takes the hash from the index instead of reading the
// file — the rule git's index follows. A file is read when it is needed:
// to check or compile it again, or to quote it under a diagnostic.
//
// Racy files: a file changed within the resolution of its change time
// right after it was hashed could keep its stamp. So an entry is trusted
// only when the file's change time is at least IndexRacyWindow before the
// moment its stamp was taken; a file changed more recently is read and
// hashed again (and trusted on a later run). The change time (ctime) is
// set by the kernel on every write, rename or chmod, and no program can
// set it back, unlike the modification time.
//
// A file whose bytes turn out, when they are read, not to be those the
// index named (it changed between the stat and the read) makes the run
// stale: Load writes nothing of it and validates again, reading every
// file.
//
// The index is one sealed file (pack.go), IndexName in the cache
// directory, written whole (a temporary file renamed) when an entry
// changed:
//
//	jml-validate-index/1
//	SHA256 SIZE MTIME CTIME INODE DEVICE MODE STAMPED "PATH"     one a file
//	…
//	end CRC32C             of every byte before this line
//
// times in Unix nanoseconds, PATH absolute and quoted (strconv.Quote).
// An index cut short, of another shape, or whose bytes do not hash to its
// last line holds nothing: every file is read.

// IndexName is the stat index's file in the cache directory.
const IndexName = "stat.index"

const indexHead = "jml-validate-index/1\n"

// IndexRacyWindow is how long before its stamp was taken a file must have
// last changed for its entry to be trusted: longer than the coarsest
// time stamps of common file systems (FAT's 2 s) and than the lag of the
// kernel's coarse clock behind the wall clock.
const IndexRacyWindow = 3 * time.Second

// stamp is what the file system says of a file, without reading it.
type stamp struct {
	size, mtime, ctime int64
	ino, dev           uint64
	mode               uint32
}

// indexEntry is one file's stamp, when it was taken, and the sha256 of
// the bytes read right after.
type indexEntry struct {
	sum     [sha256.Size]byte
	st      stamp
	stamped int64
}

// fileIndex is the stat index of one run: the entries read (in) and the
// entries of the files this run saw (out), the next index.
type fileIndex struct {
	path string // "" when there is no cache directory
	now  func() time.Time

	in map[string]indexEntry

	mu      sync.Mutex
	out     map[string]indexEntry
	changed bool
	// stale: a file's bytes were not those its entry named.
	stale atomic.Bool
	// reads counts the flow files read (for tests).
	reads atomic.Int64
	// unvouched, when set, is called when a file is not vouched for.
	unvouched func()
}

// openIndex reads the cache's stat index (none without a cache
// directory, or where the platform gives no stamps). Unless trust, its
// entries are not read: every file is read, and the index written anew.
func openIndex(c *cache, now func() time.Time, trust bool) *fileIndex {
	x := &fileIndex{now: now, in: map[string]indexEntry{}, out: map[string]indexEntry{}}
	if c == nil || c.dir == "" || !stampsSupported {
		return x
	}
	x.path = filepath.Join(c.dir, IndexName)
	if !trust {
		x.changed = true
		return x
	}
	if data, err := os.ReadFile(x.path); err == nil {
		x.in = parseIndex(data)
	}
	x.out = make(map[string]indexEntry, len(x.in))
	return x
}

// lookup returns the hash of the file at path (absolute) when the index
// vouches for it: its stamp is the entry's, and the entry is not racy.
func (x *fileIndex) lookup(path string) ([sha256.Size]byte, bool) {
	if x.path == "" {
		return [sha256.Size]byte{}, false
	}
	e, ok := x.in[path]
	if !ok || e.st.ctime > e.stamped-int64(IndexRacyWindow) {
		return [sha256.Size]byte{}, false
	}
	st, ok := statFile(path)
	if !ok || st != e.st {
		return [sha256.Size]byte{}, false
	}
	x.mu.Lock()
	x.out[path] = e
	x.mu.Unlock()
	return e.sum, true
}

// stamp takes a file's stamp before it is read; record keeps it with the
// hash of the bytes read.
func (x *fileIndex) stamp(path string) (stamp, int64, bool) {
	if x.path == "" {
		return stamp{}, 0, false
	}
	t := x.now().UnixNano()
	st, ok := statFile(path)
	return st, t, ok
}

func (x *fileIndex) record(path string, st stamp, at int64, sum [sha256.Size]byte) {
	x.reads.Add(1)
	if x.path == "" {
		return
	}
	e := indexEntry{sum: sum, st: st, stamped: at}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.out[path] = e
	if old, ok := x.in[path]; !ok || old != e {
		x.changed = true
	}
}

// flush writes the next index when it differs from the one read: an entry
// added or changed, or a file gone.
func (x *fileIndex) flush(c *cache) {
	if x.path == "" || x.stale.Load() {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.changed && len(x.out) == len(x.in) {
		return
	}
	paths := make([]string, 0, len(x.out))
	for p := range x.out {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	c.writeSealed(IndexName, indexHead, func(w io.Writer) {
		var b []byte
		for _, p := range paths {
			e := x.out[p]
			b = hex.AppendEncode(b[:0], e.sum[:])
			for _, n := range []int64{e.st.size, e.st.mtime, e.st.ctime} {
				b = strconv.AppendInt(append(b, ' '), n, 10)
			}
			for _, n := range []uint64{e.st.ino, e.st.dev, uint64(e.st.mode)} {
				b = strconv.AppendUint(append(b, ' '), n, 10)
			}
			b = strconv.AppendInt(append(b, ' '), e.stamped, 10)
			b = strconv.AppendQuote(append(b, ' '), p)
			w.Write(append(b, '\n'))
		}
	})
}

// parseIndex returns the entries of an index file; none when it is not
// whole or not of this shape.
func parseIndex(data []byte) map[string]indexEntry {
	body, ok := unseal(data, indexHead)
	if !ok {
		return map[string]indexEntry{}
	}
	out := make(map[string]indexEntry, bytes.Count(body, []byte{'\n'}))
	for rest := body; len(rest) > 0; {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			return map[string]indexEntry{}
		}
		p, e, ok := parseIndexLine(rest[:i])
		if !ok {
			return map[string]indexEntry{}
		}
		out[p] = e
		rest = rest[i+1:]
	}
	return out
}

func parseIndexLine(line []byte) (string, indexEntry, bool) {
	var e indexEntry
	f := bytes.SplitN(line, []byte{' '}, 9)
	if len(f) != 9 || len(f[0]) != 2*sha256.Size {
		return "", e, false
	}
	if _, err := hex.Decode(e.sum[:], f[0]); err != nil {
		return "", e, false
	}
	var is [8]int64
	var us [8]uint64
	for k := 1; k < 8; k++ {
		var err error
		if k >= 4 && k <= 6 {
			us[k], err = strconv.ParseUint(string(f[k]), 10, 64)
		} else {
			is[k], err = strconv.ParseInt(string(f[k]), 10, 64)
		}
		if err != nil {
			return "", e, false
		}
	}
	p, err := strconv.Unquote(string(f[8]))
	if err != nil || !filepath.IsAbs(p) || us[6] > 1<<32-1 {
		return "", e, false
	}
	e.st = stamp{size: is[1], mtime: is[2], ctime: is[3], ino: us[4], dev: us[5], mode: uint32(us[6])}
	e.stamped = is[7]
	return p, e, true
}
