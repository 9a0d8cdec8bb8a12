package world

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// idSet is the set of the ids a model has given (Slack ts, Message-IDs,
// ServiceNow numbers), which a new id must not take (ids.go). Replaying a
// log, a run per event adds some, so each is kept in the 8 bytes it packs
// into exactly — when it has the shape the model generates, which pack
// checks by unpacking it again — and any other spelling as itself. The
// packed keys live in a sorted slice (8 bytes each, binary search), the
// newest in a small map merged into it once it holds a 32nd as many, so
// that adding stays amortised constant (a map of them cost about 20 bytes
// an id). A merge makes a new slice, so a clone shares the old one.
type idSet struct {
	kind   idKind
	sorted []uint64
	recent map[uint64]struct{}
	other  map[string]struct{}
	// prefixes numbers the ServiceNow number prefixes (kindNumber).
	prefixes map[string]uint64
}

type idKind int

const (
	// kindTS: a Slack ts, seconds and six digits ("1700000000.000001").
	kindTS idKind = iota
	// kindMessageID: "<" 16 hex digits ".jml@world.invalid>".
	kindMessageID
	// kindNumber: upper-case letters and seven digits ("SCTASK1234567").
	kindNumber
)

const messageIDSuffix = ".jml@world.invalid>"

func newIDSet(kind idKind) idSet {
	return idSet{kind: kind, recent: map[uint64]struct{}{}, other: map[string]struct{}{}, prefixes: map[string]uint64{}}
}

// pack returns id's packed form; ok is false when it has none. add is set
// when a new number prefix may be given a number.
func (s *idSet) pack(id string, add bool) (key uint64, ok bool) {
	switch s.kind {
	case kindTS:
		sec, frac, found := strings.Cut(id, ".")
		if !found || len(frac) != 6 {
			return 0, false
		}
		a, err1 := strconv.ParseUint(sec, 10, 64)
		b, err2 := strconv.ParseUint(frac, 10, 64)
		if err1 != nil || err2 != nil || a >= (1<<64-1)/1000000 {
			return 0, false
		}
		key = a*1e6 + b
		ok = s.unpack(key) == id
	case kindMessageID:
		hex, found := strings.CutPrefix(id, "<")
		if hex, found = strings.CutSuffix(hex, messageIDSuffix); !found || len(hex) != 16 {
			return 0, false
		}
		v, err := strconv.ParseUint(hex, 16, 64)
		if err != nil {
			return 0, false
		}
		key = v
		ok = s.unpack(key) == id
	case kindNumber:
		if len(id) < 8 {
			return 0, false
		}
		prefix, digits := id[:len(id)-7], id[len(id)-7:]
		n, err := strconv.ParseUint(digits, 10, 32)
		if err != nil || strings.IndexFunc(prefix, func(r rune) bool { return r < 'A' || r > 'Z' }) >= 0 {
			return 0, false
		}
		p, known := s.prefixes[prefix]
		if !known {
			if !add {
				return 0, false
			}
			p = uint64(len(s.prefixes))
			s.prefixes[prefix] = p
		}
		key = p<<32 | n
		ok = s.unpack(key) == id
	}
	return key, ok
}

// unpack is the id a packed key stands for.
func (s *idSet) unpack(key uint64) string {
	switch s.kind {
	case kindTS:
		f := strconv.FormatUint(key%1e6, 10)
		return strconv.FormatUint(key/1e6, 10) + "." + strings.Repeat("0", 6-len(f)) + f
	case kindMessageID:
		h := strconv.FormatUint(key, 16)
		return "<" + strings.Repeat("0", 16-len(h)) + h + messageIDSuffix
	}
	for prefix, p := range s.prefixes {
		if p == key>>32 {
			d := strconv.FormatUint(key&(1<<32-1), 10)
			if len(d) > 7 {
				return ""
			}
			return prefix + strings.Repeat("0", 7-len(d)) + d
		}
	}
	return ""
}

func (s *idSet) add(id string) {
	if key, ok := s.pack(id, true); ok {
		if s.hasKey(key) {
			return
		}
		s.recent[key] = struct{}{}
		if len(s.recent) >= max(idSetMinMerge, len(s.sorted)/32) {
			s.merge()
		}
		return
	}
	s.other[id] = struct{}{}
}

func (s *idSet) has(id string) bool {
	if key, ok := s.pack(id, false); ok {
		return s.hasKey(key)
	}
	_, in := s.other[id]
	return in
}

// idSetMinMerge is the size of recent below which it is never merged.
const idSetMinMerge = 1024

func (s *idSet) hasKey(key uint64) bool {
	if _, in := s.recent[key]; in {
		return true
	}
	_, in := slices.BinarySearch(s.sorted, key)
	return in
}

// merge moves recent into a new sorted slice.
func (s *idSet) merge() {
	keys := make([]uint64, 0, len(s.sorted)+len(s.recent))
	for k := range s.recent {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	s.sorted = mergeSorted(s.sorted, keys, cmp.Compare[uint64])
	clear(s.recent)
}

// mergeSorted returns a new slice holding a and b, both sorted by cmp, in
// that order; of equal elements a's come first. The sorted halves of the
// world's packed sets (ids, ServiceNow records) merge their newest through
// it.
func mergeSorted[T any](a, b []T, cmp func(x, y T) int) []T {
	merged := make([]T, len(a)+len(b))
	i, j := 0, 0
	for n := range merged {
		if j >= len(b) || (i < len(a) && cmp(a[i], b[j]) <= 0) {
			merged[n] = a[i]
			i++
		} else {
			merged[n] = b[j]
			j++
		}
	}
	return merged
}

// packedLen is the number of packed ids.
func (s *idSet) packedLen() int { return len(s.sorted) + len(s.recent) }

func (s *idSet) clone() idSet {
	c := idSet{kind: s.kind, sorted: s.sorted, recent: make(map[uint64]struct{}, len(s.recent)), other: make(map[string]struct{}, len(s.other)),
		prefixes: make(map[string]uint64, len(s.prefixes))}
	for k := range s.recent {
		c.recent[k] = struct{}{}
	}
	for k := range s.other {
		c.other[k] = struct{}{}
	}
	for k, v := range s.prefixes {
		c.prefixes[k] = v
	}
	return c
}
