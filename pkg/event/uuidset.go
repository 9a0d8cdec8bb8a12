package event

import (
	"bytes"
	"math"
	"slices"
	"sort"
)

// uuidSet is the set of the uuids a Stream has returned, to drop a
// redelivered event (SPEC §5: the same uuid twice is one event). It is
// exact — a uuid is never mistaken for another — and compact, since it
// grows with every distinct event of a log (issue #12, SPEC §11):
//
//   - a canonical uuid (8-4-4-4-12 lower-case hex digits, as Okta writes
//     them) is kept as its 16 bytes. The mapping is one to one, so two
//     uuids share a key exactly when their strings are equal; an
//     upper-case or otherwise different spelling stays a string, as
//     before, and is a different uuid from its lower-case twin;
//   - the 16-byte keys live in a sorted slice (16 bytes each, binary
//     search), with the newest in a small map merged into it once it holds
//     a 32nd as many, so that adding stays amortised constant;
//   - any other uuid is kept as its string, the same way: the newest in a
//     map, merged once it holds a 32nd as many into one sorted arena of
//     their bytes (its length and 4 bytes of offset a uuid).
//
// A string-keyed map cost about 90 bytes a uuid (13.5 MB at 150,000
// events); this costs about 16.
type uuidSet struct {
	sorted []uuidKey
	recent map[uuidKey]struct{}
	other  map[string]struct{}
	// otherData holds the merged other uuids, sorted, back to back; the
	// i-th is otherData[otherEnd[i-1]:otherEnd[i]] (from 0 for the first).
	otherData []byte
	otherEnd  []uint32
}

type uuidKey [16]byte

// minMerge is the size of recent below which it is never merged.
const minMerge = 4096

// add adds uuid and reports whether it was already in the set.
func (s *uuidSet) add(uuid string) (dup bool) {
	k, ok := parseUUID(uuid)
	if !ok {
		if _, dup := s.other[uuid]; dup {
			return true
		}
		if _, found := s.searchOther(uuid); found {
			return true
		}
		if s.other == nil {
			s.other = map[string]struct{}{}
		}
		s.other[uuid] = struct{}{}
		if len(s.other) >= max(minMerge, len(s.otherEnd)/32) {
			s.mergeOther()
		}
		return false
	}
	if _, dup := s.recent[k]; dup {
		return true
	}
	if _, found := slices.BinarySearchFunc(s.sorted, k, compareKeys); found {
		return true
	}
	if s.recent == nil {
		s.recent = map[uuidKey]struct{}{}
	}
	s.recent[k] = struct{}{}
	if len(s.recent) >= max(minMerge, len(s.sorted)/32) {
		s.merge()
	}
	return false
}

// merge moves recent into sorted.
func (s *uuidSet) merge() {
	add := make([]uuidKey, 0, len(s.recent))
	for k := range s.recent {
		add = append(add, k)
	}
	slices.SortFunc(add, compareKeys)
	merged := make([]uuidKey, 0, len(s.sorted)+len(add))
	i, j := 0, 0
	for i < len(s.sorted) && j < len(add) {
		if compareKeys(s.sorted[i], add[j]) < 0 {
			merged = append(merged, s.sorted[i])
			i++
		} else {
			merged = append(merged, add[j])
			j++
		}
	}
	merged = append(merged, s.sorted[i:]...)
	merged = append(merged, add[j:]...)
	s.sorted = merged
	clear(s.recent)
}

// otherAt is the i-th merged other uuid.
func (s *uuidSet) otherAt(i int) []byte {
	start := uint32(0)
	if i > 0 {
		start = s.otherEnd[i-1]
	}
	return s.otherData[start:s.otherEnd[i]]
}

// searchOther finds uuid among the merged other uuids.
func (s *uuidSet) searchOther(uuid string) (int, bool) {
	i := sort.Search(len(s.otherEnd), func(i int) bool { return string(s.otherAt(i)) >= uuid })
	return i, i < len(s.otherEnd) && string(s.otherAt(i)) == uuid
}

// mergeOther moves other into the sorted arena, unless the arena would
// pass the 4 GiB its offsets can reach.
func (s *uuidSet) mergeOther() {
	size := len(s.otherData)
	for u := range s.other {
		size += len(u)
	}
	if size > math.MaxUint32 {
		return
	}
	add := make([]string, 0, len(s.other))
	for u := range s.other {
		add = append(add, u)
	}
	slices.Sort(add)
	data := make([]byte, 0, size)
	end := make([]uint32, 0, len(s.otherEnd)+len(add))
	push := func(b []byte) {
		data = append(data, b...)
		end = append(end, uint32(len(data)))
	}
	i, j := 0, 0
	for i < len(s.otherEnd) && j < len(add) {
		if old := s.otherAt(i); string(old) < add[j] {
			push(old)
			i++
		} else {
			push([]byte(add[j]))
			j++
		}
	}
	for ; i < len(s.otherEnd); i++ {
		push(s.otherAt(i))
	}
	for ; j < len(add); j++ {
		push([]byte(add[j]))
	}
	s.otherData, s.otherEnd = data, end
	clear(s.other)
}

func compareKeys(a, b uuidKey) int { return bytes.Compare(a[:], b[:]) }

// parseUUID returns the 16 bytes of a canonical uuid: 36 characters,
// hyphens at 8, 13, 18 and 23, lower-case hex digits elsewhere.
func parseUUID(s string) (uuidKey, bool) {
	var k uuidKey
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return k, false
	}
	n := 0
	for i := 0; i < 36; i += 2 {
		if s[i] == '-' {
			i--
			continue
		}
		hi, ok1 := lowerHex(s[i])
		lo, ok2 := lowerHex(s[i+1])
		if !ok1 || !ok2 {
			return k, false
		}
		k[n] = hi<<4 | lo
		n++
	}
	return k, n == 16
}

func lowerHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}
