package policy

import (
	"slices"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
)

// BuiltinIDs returns the ids of the built-in rules, sorted: the policy
// ids the embedded modules give as the first argument of a function whose
// name ends in "violation" (lib.violation, lib.object_violation,
// lib.tenant_violation, a package's own container_violation...).
var BuiltinIDs = sync.OnceValue(func() []string {
	mods, err := builtinModules()
	if err != nil {
		return nil // the engine reports it
	}
	seen := map[string]bool{}
	for name, m := range mods {
		if isTest(name) {
			continue
		}
		ast.WalkTerms(m, func(t *ast.Term) bool {
			call, ok := t.Value.(ast.Call)
			if !ok || len(call) < 2 {
				return false
			}
			op, ok := call[0].Value.(ast.Ref)
			if !ok {
				return false
			}
			// lib.violation(...) ends in a string, a package's own
			// container_violation(...) is a variable.
			fn := ""
			switch v := op[len(op)-1].Value.(type) {
			case ast.String:
				fn = string(v)
			case ast.Var:
				fn = string(v)
			}
			if id, ok := call[1].Value.(ast.String); ok && strings.HasSuffix(fn, "violation") {
				seen[string(id)] = true
			}
			return false
		})
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
})

// didYouMean returns the built-in policy id a waiver's policy was most
// likely meant to be — one within two edits of it — or "" when it is a
// built-in id itself or none is that close (a user rule's id, say).
func didYouMean(policyID string) string {
	ids := BuiltinIDs()
	if slices.Contains(ids, policyID) {
		return ""
	}
	return closest(policyID, ids)
}

// closest returns the candidate within two edits of word that is nearest
// to it (the first of equals), or "" when none is that close.
func closest(word string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := editDistance(word, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the number of edits between a and b, in bytes: an
// insertion, a deletion, a substitution or a swap of two neighbours each
// count one (the optimal string alignment distance), so that "tire" is one
// edit from "tier" and two from "file".
func editDistance(a, b string) int {
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
