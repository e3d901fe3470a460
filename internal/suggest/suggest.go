// Package suggest finds the name a mistyped one was most likely meant to
// be, for "did you mean" hints in errors.
package suggest

import (
	"fmt"
	"strings"
)

// Closest returns the candidate nearest to word, the first of equals, when
// it is close enough to be a typo of it: one edit for a word of up to
// four bytes, two for a longer one (see Distance). Failing that, the one
// candidate word begins, when it is at least three bytes long: a name cut
// short ("kaffeehaus" for "kaffeehaus-distribution"). Otherwise, or when
// word is a candidate itself, it returns "".
func Closest(word string, candidates []string) string {
	limit := 2
	if len(word) <= 4 {
		limit = 1
	}
	best, bestD := "", limit+1
	for _, c := range candidates {
		d := Distance(word, c)
		if d == 0 {
			return ""
		}
		if d < bestD {
			best, bestD = c, d
		}
	}
	if best != "" || len(word) < 3 {
		return best
	}
	for _, c := range candidates {
		if strings.HasPrefix(c, word) {
			if best != "" {
				return "" // two names begin so
			}
			best = c
		}
	}
	return best
}

// Hint is " (did you mean X?)" for the closest candidate to word, or "".
func Hint(word string, candidates []string) string {
	if c := Closest(word, candidates); c != "" {
		return fmt.Sprintf(" (did you mean %s?)", c)
	}
	return ""
}

// Distance is the number of edits between a and b, in bytes: an
// insertion, a deletion, a substitution or a swap of two neighbours each
// count one (the optimal string alignment distance), so that "tire" is one
// edit from "tier" and two from "file".
func Distance(a, b string) int {
	before := make([]int, len(b)+1) // row i-2
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], before[j-2]+1)
			}
		}
		before, prev, cur = prev, cur, before
	}
	return prev[len(b)]
}
