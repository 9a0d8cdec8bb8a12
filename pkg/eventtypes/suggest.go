package eventtypes

import (
	"cmp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/jml-dev/jml/pkg/diag"
)

// segmentOpCost is the cost, in character edits, of a wholly missing or
// extra dotted segment ("user.deactivate" for "user.lifecycle.deactivate").
const segmentOpCost = 2

// Suggest returns the known event type closest to id, for a
// "did you mean" hint, and false when nothing is close enough.
//
// Closeness is jml's one edit distance, diag.Distance (a transposition of
// adjacent characters counts as one edit), computed case-insensitively,
// either over the whole dotted name or segment by segment, where a single
// missing or extra segment costs two edits. So
// "user.lifecycle.deactivated", "user.lifecylce.deactivate",
// "User.Lifecycle.Deactivate" and "user.deactivate" all suggest
// "user.lifecycle.deactivate". Close enough is jml's one limit,
// diag.SuggestLimit: of id's length for the whole cost, and of each
// segment's length for each aligned segment, so unrelated strings such as
// "foo" suggest nothing. Ties go
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

// suggestLimit is the largest edit distance accepted from s:
// diag.SuggestLimit, the limit of every did-you-mean.
func suggestLimit(s string) int { return diag.SuggestLimit(utf8.RuneCountInString(s)) }

func suggestID(id string) (string, bool) {
	c := cat()
	in := asciiLower(id)
	inSegs := strings.Split(in, ".")
	limit := suggestLimit(in)

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
			whole:     diag.Distance(in, c.lower[i]),
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
// segments cost their edit distance, and may differ by at most the limit
// of a's segment; at most one whole segment may be missing from, or
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
// over or a segment pair differs by more than the limit of a's segment.
func alignedDistance(a, b []string, over int) int {
	sum := 0
	for i := range a {
		segLimit := suggestLimit(a[i])
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
	limit := suggestLimit(in)

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

// distance is diag.Distance between a and b, except that any result
// greater than limit is reported as limit+1: names whose lengths differ by
// more than limit are not measured.
func distance(a, b string, limit int) int {
	if d := utf8.RuneCountInString(a) - utf8.RuneCountInString(b); d > limit || -d > limit {
		return limit + 1
	}
	return min(diag.Distance(a, b), limit+1)
}

// prefixDistance returns the smallest edit distance (diag.Distance)
// between a and a prefix b[:j] of b, and that j (the longest, on a tie). A
// distance greater than limit is reported as limit+1.
func prefixDistance(a, b string, limit int) (dist, j int) {
	n := utf8.RuneCountInString(a)
	dist = limit + 1
	for k := max(0, n-limit); k <= min(len(b), n+limit); k++ {
		if !utf8.ValidString(b[:k]) {
			continue // not a prefix at a rune boundary
		}
		if d := diag.Distance(a, b[:k]); d <= dist {
			dist, j = d, k
		}
	}
	if dist > limit {
		return limit + 1, 0
	}
	return dist, j
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
