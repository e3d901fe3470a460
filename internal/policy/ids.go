package policy

import (
	"slices"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/palisade-gitops/palisade/internal/suggest"
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
	return suggest.Closest(policyID, BuiltinIDs())
}
