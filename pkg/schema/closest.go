package schema

import "unicode/utf8"

// Closest returns the candidate nearest to s by edit distance, when it is
// close enough to be a likely typo.
func Closest(s string, candidates []string) (string, bool) {
	best, bestD := "", -1
	n := utf8.RuneCountInString(s)
	for _, c := range candidates {
		// The distance is at least the difference in length, and no
		// more than 3 is close: a long name is not measured whole.
		if m := utf8.RuneCountInString(c); n-m > 3 || m-n > 3 {
			continue
		}
		d := Distance(s, c)
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	limit := len(s) / 3
	if limit < 1 {
		limit = 1
	}
	if limit > 3 {
		limit = 3
	}
	if bestD < 0 || bestD > limit {
		return "", false
	}
	return best, true
}

// Distance is the Levenshtein distance between a and b, in runes.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
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
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
