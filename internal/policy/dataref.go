package policy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/palisade-gitops/palisade/internal/suggest"
)

// dataRefProblems reports the references of the user's modules (user
// names them, test modules aside) under data that name nothing: neither
// a package, nor a rule of one, nor a key the policy directories' data
// files give. data.acme.brandDomian where acme.yaml holds brandDomain,
// or lib.pod for data.palisade.lib's pods helper, is undefined for every
// tenant, as the engine evaluates against those modules and files alone:
// the rule reading it never fires (or, under not, always does). OPA's
// type checker sees neither: data has no schema, and a rule a package
// lacks could be base data. The modules and data files are the schema
// here: this is the silent counterpart of a type error.
//
// A reference is followed while its terms are strings: through packages,
// then into a rule (where it stops: the rule's value is not known before
// evaluation) or into data while the data reached is an object. A
// variable, a number or a scalar stops it, unjudged. An imported
// reference (import data.acme; acme.brandDomain) is followed in full; a
// with target is replaced, not read, and left alone, as is what the
// expression it modifies reads at or under it.
func dataRefProblems(mods map[string]*ast.Module, user []string, data map[string]any) []Problem {
	if len(user) == 0 {
		return nil
	}
	tree := newDocTree(mods, data)
	var probs []Problem
	for _, name := range user {
		if isTest(name) {
			continue
		}
		m := mods[name]
		imports := map[ast.Var]ast.Ref{}
		for _, imp := range m.Imports {
			ref, ok := imp.Path.Value.(ast.Ref)
			if !ok || !ref.HasPrefix(ast.DefaultRootRef) {
				continue
			}
			alias := imp.Alias
			if alias == "" {
				if s, ok := ref[len(ref)-1].Value.(ast.String); ok {
					alias = ast.Var(s)
				} else {
					continue
				}
			}
			imports[alias] = ref
		}
		resolve := func(ref ast.Ref) ast.Ref {
			if head, ok := ref[0].Value.(ast.Var); ok {
				if imp, ok := imports[head]; ok {
					return imp.Concat(ref[1:])
				}
			}
			return ref
		}
		// replaced are the with targets of the expression being walked:
		// within it, data at and under them (and the objects holding
		// them) is what the with gives, whatever the data files hold.
		var replaced []ast.Ref
		check := func(ref ast.Ref, loc *ast.Location) {
			ref = resolve(ref)
			if !ref.HasPrefix(ast.DefaultRootRef) {
				return
			}
			for _, target := range replaced {
				if ref.HasPrefix(target) || target.HasPrefix(ref) {
					return
				}
			}
			p := tree.undefined(ref)
			if p == nil {
				return
			}
			p.File = name
			if loc != nil {
				p.Line, p.Column = loc.Row, loc.Col
			}
			probs = append(probs, *p)
		}
		var visit func(x any) bool
		visit = func(x any) bool {
			switch x := x.(type) {
			case *ast.Expr:
				if len(x.With) == 0 {
					return false
				}
				outer := len(replaced)
				for _, w := range x.With {
					if ref, ok := w.Target.Value.(ast.Ref); ok {
						replaced = append(replaced, resolve(ref))
					}
				}
				ast.NewGenericVisitor(visit).Walk(x.Terms)
				replaced = replaced[:outer]
				for _, w := range x.With {
					// The target is replaced, not read; the value is
					// read outside the replacement.
					ast.NewGenericVisitor(visit).Walk(w.Value)
				}
				return true
			case *ast.Term:
				if ref, ok := x.Value.(ast.Ref); ok {
					check(ref, x.Location)
				}
			}
			return false
		}
		for _, r := range m.Rules {
			ast.NewGenericVisitor(visit).Walk(r)
		}
	}
	return probs
}

// docTree is what data holds before evaluation, by dotted path ("" for
// data itself): the rules of the packages, the packages below, and the
// data files' documents.
type docTree struct {
	// rules are the rule names of each package.
	rules map[string]map[string]bool
	// below are the next names of the packages under a path: at "",
	// palisade and the user's roots; at "palisade", lib and rules.
	below map[string]map[string]bool
	data  map[string]any
}

func newDocTree(mods map[string]*ast.Module, data map[string]any) *docTree {
	t := &docTree{rules: map[string]map[string]bool{}, below: map[string]map[string]bool{}, data: data}
	add := func(m map[string]map[string]bool, at, name string) {
		if m[at] == nil {
			m[at] = map[string]bool{}
		}
		m[at][name] = true
	}
	for name, m := range mods {
		if isTest(name) {
			continue
		}
		pkg := refPath(m.Package.Path)
		for i := range pkg {
			add(t.below, strings.Join(pkg[:i], "."), pkg[i])
		}
		for _, r := range m.Rules {
			add(t.rules, strings.Join(pkg, "."), ruleName(r))
		}
	}
	return t
}

// undefined follows ref (data.…) and reports the first name it gives
// that nothing defines; nil when it reaches a rule, a document it cannot
// judge, or its end.
func (t *docTree) undefined(ref ast.Ref) *Problem {
	lit := refPath(ref)
	var doc any = t.data // nil once the path has left the data
	for i, key := range lit {
		at := strings.Join(lit[:i], ".")
		if t.rules[at][key] {
			return nil
		}
		var next any
		inData := false
		switch d := doc.(type) {
		case map[string]any:
			next, inData = d[key]
		case nil:
		default:
			return nil // a scalar or an array: not judged
		}
		if !inData && !t.below[at][key] {
			return t.problem(ref[:i+2], key, at, doc)
		}
		doc = next
	}
	return nil
}

func (t *docTree) problem(ref ast.Ref, key, at string, doc any) *Problem {
	parent := ref[:len(ref)-1]
	names := slices.Concat(sortedKeys(t.rules[at]), sortedKeys(t.below[at]))
	if d, ok := doc.(map[string]any); ok {
		names = append(names, sortedKeys(d)...)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	const undefined = "reading it is undefined for every tenant, so a rule that needs it never fires"
	p := &Problem{Code: "palisade_undefined_data"}
	switch {
	case len(t.rules[at]) > 0 && len(t.below[at]) > 0:
		p.Message = fmt.Sprintf("%s is neither a rule of package %s nor a package under it%s; %s",
			ref, at, suggest.Hint(key, names), undefined)
	case len(t.rules[at]) > 0:
		p.Message = fmt.Sprintf("%s is not a rule of package %s%s; %s",
			ref, at, suggest.Hint(key, names), undefined)
	case len(t.below[at]) == 0:
		// Data alone.
		p.Message = fmt.Sprintf("%s is in no policy data file: %s holds %s%s; %s; for a key that may be absent, use object.get(%s, %q, default)",
			ref, parent, nameList(names, 8), suggest.Hint(key, names), undefined, parent, key)
	default:
		p.Message = fmt.Sprintf("%s is neither a policy package nor in a policy data file: %s holds %s%s; %s",
			ref, parent, nameList(names, 8), suggest.Hint(key, names), undefined)
	}
	return p
}

// refPath is the leading string terms of ref after its head: ["acme",
// "brandDomain"] for data.acme.brandDomain[x].
func refPath(ref ast.Ref) []string {
	var out []string
	for _, t := range ref[1:] {
		s, ok := t.Value.(ast.String)
		if !ok {
			break
		}
		out = append(out, string(s))
	}
	return out
}

// nameList lists at most limit names, and says how many more there are.
func nameList(names []string, limit int) string {
	if len(names) == 0 {
		return "no keys"
	}
	shown := names
	if len(shown) > limit {
		shown = shown[:limit]
	}
	s := strings.Join(shown, ", ")
	if more := len(names) - len(shown); more > 0 {
		s += fmt.Sprintf(" and %d more", more)
	}
	return s
}
