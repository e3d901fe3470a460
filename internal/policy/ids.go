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
		if !isTest(name) {
			policyIDs(m, func(id string, _ *ast.Location) { seen[id] = true })
		}
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
})

// ClosestID returns the built-in policy id a waiver's policy was most
// likely meant to be — one within two edits of it — or "" when it is a
// built-in id itself or none is that close (a user rule's id, say). The
// ids the engine reports itself are among them: the freeze rules give
// them too.
func ClosestID(policyID string) string {
	return suggest.Closest(policyID, BuiltinIDs())
}

// policyIDs calls f with each policy id module m gives literally, and
// where: the first argument of a function whose name ends in "violation"
// (lib.violation(...), lib.object_violation(...), a package's own
// container_violation(...)) and the "id" of an object literal that also
// has a "severity": a violation written out.
func policyIDs(m *ast.Module, f func(id string, loc *ast.Location)) {
	ast.WalkTerms(m, func(t *ast.Term) bool {
		switch v := t.Value.(type) {
		case ast.Call:
			if len(v) < 2 {
				return false
			}
			op, ok := v[0].Value.(ast.Ref)
			if !ok {
				return false
			}
			// lib.violation(...) ends in a string, a package's own
			// container_violation(...) is a variable.
			fn := ""
			switch n := op[len(op)-1].Value.(type) {
			case ast.String:
				fn = string(n)
			case ast.Var:
				fn = string(n)
			}
			if id, ok := v[1].Value.(ast.String); ok && strings.HasSuffix(fn, "violation") {
				f(string(id), v[1].Location)
			}
		case ast.Object:
			// A violation written out: an object with an id and a severity.
			if id := v.Get(ast.InternedTerm("id")); id != nil && v.Get(ast.InternedTerm("severity")) != nil {
				if s, ok := id.Value.(ast.String); ok {
					f(string(s), id.Location)
				}
			}
		}
		return false
	})
}

// Rule is a rule id the policies give: where it is first given, and by
// which package.
type Rule struct {
	ID string `json:"id"`
	// Package is the Rego package giving it; Title that package's
	// METADATA title, when it has one.
	Package string `json:"package"`
	Title   string `json:"title,omitempty"`
	File    string `json:"file"`
	Line    int    `json:"line"`
	// User is set for a rule of the user's policies (--policy).
	User bool `json:"user,omitempty"`
}

// Family is the rule's package's title, or its name when it has none.
func (r Rule) Family() string {
	if r.Title != "" {
		return r.Title
	}
	return strings.TrimPrefix(r.Package, "data.")
}

// Rules returns the ids the engine's rules give (the built-in ones and
// the user's, tests excluded), sorted, each at the first place of the
// first module, by file name, that gives it: the rules in force, which an
// evaluation passes unless it reports them. Ids built at run time are not
// among them.
func (e *Engine) Rules() []Rule {
	seen := map[string]bool{}
	var rules []Rule
	for _, name := range sortedKeys(e.modules) {
		if isTest(name) {
			continue
		}
		m := e.modules[name]
		_, user := slices.BinarySearch(e.user, name)
		title := ""
		for _, a := range m.Annotations {
			if a.Scope == "package" && a.Title != "" {
				title = a.Title
			}
		}
		policyIDs(m, func(id string, loc *ast.Location) {
			if seen[id] {
				return
			}
			seen[id] = true
			r := Rule{ID: id, Package: m.Package.Path.String(), Title: title, File: name, User: user}
			if loc != nil {
				r.Line = loc.Row
			}
			rules = append(rules, r)
		})
	}
	slices.SortFunc(rules, func(a, b Rule) int { return strings.Compare(a.ID, b.ID) })
	return rules
}

// RuleDiff are the ids of the rules after has and before has not (added),
// and those before has and after has not (removed), sorted: what a change
// of policies did to the rules in force.
func RuleDiff(before, after []Rule) (added, removed []string) {
	ids := func(rules []Rule) map[string]bool {
		m := make(map[string]bool, len(rules))
		for _, r := range rules {
			m[r.ID] = true
		}
		return m
	}
	had, has := ids(before), ids(after)
	for id := range has {
		if !had[id] {
			added = append(added, id)
		}
	}
	for id := range had {
		if !has[id] {
			removed = append(removed, id)
		}
	}
	slices.Sort(added)
	slices.Sort(removed)
	return added, removed
}
