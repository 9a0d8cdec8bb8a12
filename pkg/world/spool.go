package world

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"runtime"
	"sync"
)

// The writes runs make stay in the world: a later call may read a record
// back (ServiceNow's getRecord), the sandbox and the tests read the
// messages and the outbox through State. Replaying a log, a run per event
// makes them, so they grow with the log (SPEC §11: replay's memory must
// stay flat). Their bulky part — a record's fields, a message's text, an
// email's body — is therefore kept encoded in a spool, in memory up to
// spoolMemory bytes and then in a temporary file, and decoded when read:
// the same values come back (every type a normalized input holds is
// encoded exactly; a value of any other type is simply kept in memory), so
// nothing any call or State answers changes. In memory each write keeps
// only what must be looked up without reading the spool (ids, numbers).

// spoolMemory is how much a spool holds in memory before it moves to a
// temporary file: a small world (every test, the sandbox, a pull request's
// plan) never touches the disk. A variable for the tests.
var spoolMemory = 1 << 20

// spoolFlush is how much a spool that has moved to its file buffers before
// writing it out.
const spoolFlush = 64 << 10

// spool is an append-only store of encoded writes, shared by a world and
// its clones (what is put is never changed, so sharing is safe). It is
// safe for concurrent use.
type spool struct {
	mu sync.Mutex
	// f holds the bytes [0, onDisk); mem the bytes from onDisk on.
	f      *os.File
	onDisk int64
	mem    []byte
	// failed: the temporary file could not be created or written; what is
	// put stays in memory from then on.
	failed bool
}

// blob is where put left some bytes.
type blob struct {
	off int64
	n   int
}

// put appends b and returns where it is.
func (s *spool) put(b []byte) blob {
	s.mu.Lock()
	defer s.mu.Unlock()
	at := blob{off: s.onDisk + int64(len(s.mem)), n: len(b)}
	s.mem = append(s.mem, b...)
	if !s.failed && (s.f != nil && len(s.mem) >= spoolFlush || s.f == nil && len(s.mem) > spoolMemory) {
		s.flush()
	}
	return at
}

// flush moves the bytes in memory to the file, creating it first; on any
// error they stay in memory, as everything put after.
func (s *spool) flush() {
	if s.f == nil {
		f, err := os.CreateTemp("", "jml-world-*")
		if err != nil {
			s.failed = true
			return
		}
		// Removed at once where the system allows it (the open file stays
		// readable); otherwise when the spool is unreachable.
		if os.Remove(f.Name()) != nil {
			runtime.AddCleanup(s, func(f *os.File) { f.Close(); os.Remove(f.Name()) }, f)
		}
		s.f = f
	}
	if _, err := s.f.WriteAt(s.mem, s.onDisk); err != nil {
		s.failed = true
		return
	}
	s.onDisk += int64(len(s.mem))
	if cap(s.mem) > 2*spoolFlush {
		s.mem = nil
	} else {
		s.mem = s.mem[:0]
	}
}

// get returns a copy of the bytes at b.
func (s *spool) get(b blob) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]byte, b.n)
	if b.off >= s.onDisk {
		copy(out, s.mem[b.off-s.onDisk:])
		return out
	}
	if _, err := s.f.ReadAt(out, b.off); err != nil {
		// The world's own temporary file, written by this process, cannot
		// be read back: nothing it answers can be trusted any more.
		panic(fmt.Sprintf("world: reading back its spool %s: %v", s.f.Name(), err))
	}
	return out
}

// Encoding: a value is a tag byte and its content; lengths and integers
// are varints.
const (
	tagNil byte = iota
	tagString
	tagTrue
	tagFalse
	tagInt
	tagFloat
	tagList
	tagMap
)

// encodeStrings encodes ss, for decodeStrings.
func encodeStrings(ss ...string) []byte {
	n := 0
	for _, s := range ss {
		n += len(s) + binary.MaxVarintLen64
	}
	b := make([]byte, 0, n)
	for _, s := range ss {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

// decodeStrings decodes what encodeStrings encoded into ss.
func decodeStrings(b []byte, ss ...*string) {
	for _, s := range ss {
		n, k := binary.Uvarint(b)
		*s, b = string(b[k:k+int(n)]), b[k+int(n):]
	}
}

// encodeValue appends v to b; ok is false when v holds a type other than
// those of a normalized value (nil, string, bool, int64, float64, []any,
// map[string]any).
func encodeValue(b []byte, v any) ([]byte, bool) {
	switch x := v.(type) {
	case nil:
		return append(b, tagNil), true
	case string:
		b = append(b, tagString)
		b = binary.AppendUvarint(b, uint64(len(x)))
		return append(b, x...), true
	case bool:
		if x {
			return append(b, tagTrue), true
		}
		return append(b, tagFalse), true
	case int64:
		return binary.AppendVarint(append(b, tagInt), x), true
	case float64:
		return binary.LittleEndian.AppendUint64(append(b, tagFloat), math.Float64bits(x)), true
	case []any:
		b = binary.AppendUvarint(append(b, tagList), uint64(len(x)))
		for _, e := range x {
			var ok bool
			if b, ok = encodeValue(b, e); !ok {
				return b, false
			}
		}
		return b, true
	case map[string]any:
		if x == nil {
			// A nil map and an empty one are told apart.
			return append(b, tagNil), false
		}
		b = binary.AppendUvarint(append(b, tagMap), uint64(len(x)))
		for k, e := range x {
			b = binary.AppendUvarint(b, uint64(len(k)))
			b = append(b, k...)
			var ok bool
			if b, ok = encodeValue(b, e); !ok {
				return b, false
			}
		}
		return b, true
	}
	return b, false
}

// decodeValue decodes the value encodeValue appended at the start of b and
// returns the rest.
func decodeValue(b []byte) (any, []byte) {
	tag, b := b[0], b[1:]
	switch tag {
	case tagString:
		n, k := binary.Uvarint(b)
		return string(b[k : k+int(n)]), b[k+int(n):]
	case tagTrue:
		return true, b
	case tagFalse:
		return false, b
	case tagInt:
		x, k := binary.Varint(b)
		return x, b[k:]
	case tagFloat:
		return math.Float64frombits(binary.LittleEndian.Uint64(b)), b[8:]
	case tagList:
		n, k := binary.Uvarint(b)
		b = b[k:]
		l := make([]any, n)
		for i := range l {
			l[i], b = decodeValue(b)
		}
		return l, b
	case tagMap:
		n, k := binary.Uvarint(b)
		b = b[k:]
		m := make(map[string]any, n)
		for range n {
			kn, kk := binary.Uvarint(b)
			key := string(b[kk : kk+int(kn)])
			b = b[kk+int(kn):]
			m[key], b = decodeValue(b)
		}
		return m, b
	}
	return nil, b
}

// storedMap is a map[string]any kept in a spool: fields a later call may
// read. A map holding a value encodeValue does not take stays in memory.
type storedMap struct {
	at  blob // n is -1 when the map is in mem
	mem map[string]any
}

// storeMap keeps m (which the caller gives up) in sp.
func storeMap(sp *spool, m map[string]any) storedMap {
	b, ok := encodeValue(nil, m)
	if !ok {
		return storedMap{at: blob{n: -1}, mem: m}
	}
	return storedMap{at: sp.put(b)}
}

// load returns a copy of the map stored.
func (s storedMap) load(sp *spool) map[string]any {
	if s.at.n < 0 {
		return copyMap(s.mem)
	}
	v, _ := decodeValue(sp.get(s.at))
	m, _ := v.(map[string]any)
	return m
}
