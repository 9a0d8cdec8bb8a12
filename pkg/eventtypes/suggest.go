package eventtypes

import (
	"cmp"
	"slices"
	"strings"
)

// segmentOpCost is the cost, in character edits, of a wholly missing or
// extra dotted segment ("user.deactivate" for "user.lifecycle.deactivate").
const segmentOpCost = 2

// Suggest returns the known event type closest to id, for a
// "did you mean" hint, and false when nothing is close enough.
//
// Closeness is an edit distance (Levenshtein, counting a transposition of
// adjacent characters as one edit) computed case-insensitively, either
// over the whole dotted name or segment by segment, where a single missing
// or extra segment costs two edits. So "user.lifecycle.deactivated",
// "user.lifecylce.deactivate", "User.Lifecycle.Deactivate" and
// "user.deactivate" all suggest "user.lifecycle.deactivate". A suggestion
// is made only when the distance is at most a quarter of len(id) (and at
// least 1), so unrelated strings such as "foo" suggest nothing. Ties go
// to a type in the same top-level namespace as id ("user.create" suggests
// "user.lifecycle.create", not "pam.user.create"), then to the smaller
// whole-name distance, then to the smaller ID.
//
// If id is a glob (see [IsGlob]) that matches nothing, Suggest corrects
// its literal prefix, the text before the first '*': "user.lifecylce.*"
// suggests "user.lifecycle.*". The suggested glob always matches at least
// one event type.
//
// If id is already a known event type, or a glob that matches one,
// Suggest returns id itself and true.
func Suggest(id string) (string, bool) {
	if IsGlob(id) {
		return suggestGlob(id)
	}
	if _, ok := Lookup(id); ok {
		return id, true
	}
	return suggestID(id)
}

// maxDistance is the largest edit distance accepted for an input of n bytes.
func maxDistance(n int) int { return max(1, n/4) }

// maxSegmentDistance is the largest edit distance accepted between one
// dotted segment of n bytes and a known segment.
func maxSegmentDistance(n int) int { return max(1, n/3) }

func suggestID(id string) (string, bool) {
	c := cat()
	in := asciiLower(id)
	inSegs := strings.Split(in, ".")
	limit := maxDistance(len(in))

	type candidate struct {
		cost      int
		otherRoot bool // first segment differs from the input's
		whole     int  // uncapped whole-name distance
		id        string
	}
	var best *candidate
	for i, t := range c.EventTypes {
		cost := min(distance(in, c.lower[i], limit), segmentDistance(inSegs, c.segs[i], limit))
		if cost > limit {
			continue
		}
		cand := candidate{
			cost:      cost,
			otherRoot: inSegs[0] != c.segs[i][0],
			whole:     distance(in, c.lower[i], len(in)+len(c.lower[i])),
			id:        t.ID,
		}
		if best == nil || cmp.Or(
			cmp.Compare(cand.cost, best.cost),
			compareBool(cand.otherRoot, best.otherRoot),
			cmp.Compare(cand.whole, best.whole),
			strings.Compare(cand.id, best.id),
		) < 0 {
			best = &cand
		}
	}
	if best == nil {
		return "", false
	}
	return best.id, true
}

// segmentDistance compares two dotted names segment by segment. Aligned
// segments cost their edit distance, and may differ by at most
// maxSegmentDistance; at most one whole segment may be missing from, or
// extra in, a (costing segmentOpCost), and then only when a has at least
// two segments. The result exceeds limit when no such alignment is within
// limit.
func segmentDistance(a, b []string, limit int) int {
	over := limit + 1
	switch {
	case len(a) == len(b):
		return alignedDistance(a, b, over)
	case len(a) >= 2 && len(b) == len(a)+1: // a segment of b is missing from a
		best := over
		for k := range b {
			skipped := slices.Concat(b[:k], b[k+1:])
			best = min(best, segmentOpCost+alignedDistance(a, skipped, best-segmentOpCost))
		}
		return best
	case len(a) >= 3 && len(a) == len(b)+1: // a has an extra segment
		best := over
		for k := range a {
			skipped := slices.Concat(a[:k], a[k+1:])
			best = min(best, segmentOpCost+alignedDistance(skipped, b, best-segmentOpCost))
		}
		return best
	}
	return over
}

// alignedDistance sums the edit distances of a[i] and b[i], which must be
// of equal length. It returns a value >= over as soon as the sum reaches
// over or a segment pair differs by more than maxSegmentDistance.
func alignedDistance(a, b []string, over int) int {
	sum := 0
	for i := range a {
		segLimit := maxSegmentDistance(len(a[i]))
		d := distance(a[i], b[i], segLimit)
		if d > segLimit {
			return max(over, 1)
		}
		sum += d
		if sum >= over {
			return sum
		}
	}
	return sum
}

// suggestGlob implements Suggest for a glob.
func suggestGlob(pattern string) (string, bool) {
	if len(Match(pattern)) > 0 {
		return pattern, true
	}
	star := strings.IndexByte(pattern, '*')
	prefix, rest := pattern[:star], pattern[star:]
	if prefix == "" {
		return "", false
	}
	c := cat()
	in := asciiLower(prefix)
	limit := maxDistance(len(in))

	type candidate struct {
		dist    int
		pattern string
	}
	var cands []candidate
	seen := make(map[string]bool)
	for i, t := range c.EventTypes {
		d, j := prefixDistance(in, c.lower[i], limit)
		if d > limit {
			continue
		}
		p := t.ID[:j] + rest
		if !seen[p] {
			seen[p] = true
			cands = append(cands, candidate{d, p})
		}
	}
	slices.SortFunc(cands, func(a, b candidate) int {
		return cmp.Or(cmp.Compare(a.dist, b.dist), strings.Compare(a.pattern, b.pattern))
	})
	for _, cand := range cands {
		if len(Match(cand.pattern)) > 0 {
			return cand.pattern, true
		}
	}
	return "", false
}

// distance returns the optimal-string-alignment edit distance between a
// and b (insertions, deletions, substitutions and transpositions of
// adjacent bytes each cost 1). Any result greater than limit is reported
// as limit+1, so callers may pass a small limit to bound the work.
func distance(a, b string, limit int) int {
	if abs(len(a)-len(b)) > limit {
		return limit + 1
	}
	rows := osaRows(a, b, limit)
	if rows == nil {
		return limit + 1
	}
	return min(rows[len(b)], limit+1)
}

// prefixDistance returns the smallest edit distance between a and a
// prefix b[:j] of b, and that j (the longest, on a tie). A distance greater
// than limit is reported as limit+1.
func prefixDistance(a, b string, limit int) (dist, j int) {
	if len(a) > len(b)+limit {
		return limit + 1, 0
	}
	rows := osaRows(a, b, limit)
	if rows == nil {
		return limit + 1, 0
	}
	dist = limit + 1
	for k, d := range rows {
		if d <= dist {
			dist, j = d, k
		}
	}
	if dist > limit {
		return limit + 1, 0
	}
	return dist, j
}

// osaRows runs the optimal-string-alignment dynamic programme and returns
// its last row: element j is the distance between a and b[:j]. It returns
// nil early once every entry of a row exceeds limit.
func osaRows(a, b string, limit int) []int {
	prev2 := make([]int, len(b)+1) // row i-2
	prev := make([]int, len(b)+1)  // row i-1
	cur := make([]int, len(b)+1)   // row i
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d = min(d, prev2[j-2]+1)
			}
			cur[j] = d
			rowMin = min(rowMin, d)
		}
		if rowMin > limit {
			return nil
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev
}

// asciiLower lower-cases ASCII letters only, leaving every other byte (and
// so any invalid UTF-8) untouched.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// compareBool orders false before true.
func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
