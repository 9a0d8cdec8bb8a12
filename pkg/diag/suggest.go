package diag

import (
	"strings"
	"unicode/utf8"
)

// Closest returns the candidate a mistyped name most likely meant — the
// one did-you-mean of every check (unknown keys, actions, steps, vars,
// inputs, instances, CEL functions): nearest by case-insensitive edit
// distance within SuggestLimit; else a candidate the name inflects
// (retries for retry); else the first candidate the name is a
// subsequence of when it has at least 4 letters (clearSessions for
// clearUserSessions). Event types, dotted and a thousand of them, have a
// search of their own in eventtypes, segment by segment, with this
// Distance and this SuggestLimit (of the whole name and of each segment).
func Closest(s string, candidates []string) (string, bool) {
	ls := strings.ToLower(s)
	n := utf8.RuneCountInString(s)
	limit := SuggestLimit(n)
	best, bestD := "", -1
	for _, c := range candidates {
		// The distance is at least the difference in length: a name much
		// longer or shorter is not measured.
		if m := utf8.RuneCountInString(c); n-m > limit || m-n > limit {
			continue
		}
		if d := Distance(ls, strings.ToLower(c)); bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if bestD >= 0 && bestD <= limit {
		return best, true
	}
	// Another inflection of the same word: the name starts with all of a
	// candidate but its last letter (retries for retry, inputs for input).
	for _, c := range candidates {
		lc := strings.ToLower(c)
		stem := lc[:len(lc)-len(lastRune(lc))]
		if utf8.RuneCountInString(stem) >= 4 && strings.HasPrefix(ls, stem) {
			return c, true
		}
	}
	if n >= 4 {
		for _, c := range candidates {
			if subsequence(ls, strings.ToLower(c)) {
				return c, true
			}
		}
	}
	return "", false
}

// SuggestLimit is the largest edit distance a suggestion may be from a
// name of n runes: a third of it, at least 1, at most 3.
func SuggestLimit(n int) int { return max(1, min(3, (n+1)/3)) }

func lastRune(s string) string {
	if s == "" {
		return ""
	}
	_, size := utf8.DecodeLastRuneInString(s)
	return s[len(s)-size:]
}

// subsequence reports whether every rune of s appears in t, in order.
func subsequence(s, t string) bool {
	rs := []rune(s)
	i := 0
	for _, r := range t {
		if i < len(rs) && rs[i] == r {
			i++
		}
	}
	return i == len(rs)
}

// Distance is the edit distance between a and b, in runes: insertions,
// deletions, substitutions and swaps of two adjacent runes (nmae for
// name) each cost one (the optimal string alignment distance).
//
// Names are short: up to 32 runes each, it works in arrays on the stack,
// so that a file of thousands of misspelt keys, each measured against
// every candidate, does not allocate per comparison.
func Distance(a, b string) int {
	var abuf, bbuf [32]rune
	var rows [3][33]int
	ra, rb := appendRunes(abuf[:0], a), appendRunes(bbuf[:0], b)
	prev2, prev, cur := rows[0][:], rows[1][:], rows[2][:]
	if len(rb) >= len(rows[0]) {
		prev2, prev, cur = make([]int, len(rb)+1), make([]int, len(rb)+1), make([]int, len(rb)+1)
	}
	prev2, prev, cur = prev2[:len(rb)+1], prev[:len(rb)+1], cur[:len(rb)+1] // prev2: the row before prev
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// appendRunes appends the runes of s to buf (which grows past its capacity
// only for a long s).
func appendRunes(buf []rune, s string) []rune {
	for _, r := range s {
		buf = append(buf, r)
	}
	return buf
}
