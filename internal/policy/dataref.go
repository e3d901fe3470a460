package policy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/palisade-gitops/palisade/internal/suggest"
)

// dataRefProblems reports the references of the user's modules (user
// names them, test modules aside) into the data documents the policy
// directories load (data) that name a key those documents lack:
// data.acme.brandDomian where acme.yaml holds brandDomain. The engine
// evaluates against those files alone, so such a reference is undefined
// for every tenant, and the rule reading it never fires (or, under not,
// always does): the silent counterpart of a type error, which OPA's type
// checker cannot see, as data has no schema. The documents themselves
// are the schema here.
//
// A reference is followed from data while its terms are strings and the
// document it reaches is an object; a variable, a number or a
// non-object stops it, unjudged. References that reach into, or above,
// a package's rules are left alone: rules are not data. An imported
// document (import data.acme; acme.brandDomain) is followed as its full
// reference. An optional key is read with object.get, as the message
// says.
func dataRefProblems(mods map[string]*ast.Module, user []string, data map[string]any) []Problem {
	var pkgs [][]string
	for name, m := range mods {
		if !isTest(name) {
			pkgs = append(pkgs, refPath(m.Package.Path))
		}
	}
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
		check := func(ref ast.Ref, loc *ast.Location) {
			if head, ok := ref[0].Value.(ast.Var); ok {
				if imp, ok := imports[head]; ok {
					ref = imp.Concat(ref[1:])
				}
			}
			if !ref.HasPrefix(ast.DefaultRootRef) {
				return
			}
			p := missingDataKey(ref, data, pkgs)
			if p == nil {
				return
			}
			p.File = name
			if loc != nil {
				p.Line, p.Column = loc.Row, loc.Col
			}
			probs = append(probs, *p)
		}
		for _, r := range m.Rules {
			ast.NewGenericVisitor(func(x any) bool {
				switch x := x.(type) {
				case *ast.With:
					// The target is replaced, not read.
					ast.WalkRefs(x.Value, func(ref ast.Ref) bool {
						check(ref, refLocation(ref, x.Location))
						return false
					})
					return true
				case *ast.Term:
					if ref, ok := x.Value.(ast.Ref); ok {
						check(ref, x.Location)
					}
				}
				return false
			}).Walk(r)
		}
	}
	return probs
}

// missingDataKey follows ref (data.…) through data and reports the first
// key it names that the document it reaches lacks; nil when it finds
// them all, or cannot judge.
func missingDataKey(ref ast.Ref, data map[string]any, pkgs [][]string) *Problem {
	lit := refPath(ref)
	for _, pkg := range pkgs {
		n := min(len(pkg), len(lit))
		if slices.Equal(pkg[:n], lit[:n]) {
			return nil // the package's rules, or a document above them
		}
	}
	var doc any = data
	for i, key := range lit {
		obj, ok := doc.(map[string]any)
		if !ok {
			return nil
		}
		v, ok := obj[key]
		if !ok {
			return missingKey(ref[:i+2], key, obj, i == 0)
		}
		doc = v
	}
	return nil
}

func missingKey(ref ast.Ref, key string, obj map[string]any, root bool) *Problem {
	keys := sortedKeys(obj)
	const undefined = "reading it is undefined for every tenant, so a rule that needs it never fires"
	p := &Problem{Code: "palisade_undefined_data"}
	if root {
		given := "which give nothing"
		if len(keys) > 0 {
			given = "which give " + quoteList(keys, 8)
		}
		p.Message = fmt.Sprintf("%s is neither a policy package nor in a policy data file, %s%s; %s",
			ref, given, suggest.Hint(key, keys), undefined)
		return p
	}
	parent := ref[:len(ref)-1]
	p.Message = fmt.Sprintf("%s is in no policy data file: %s holds %s%s; %s; for a key that may be absent, use object.get(%s, %q, default)",
		ref, parent, quoteList(keys, 8), suggest.Hint(key, keys), undefined, parent, key)
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

// refLocation is ref's location, or loc when it has none.
func refLocation(ref ast.Ref, loc *ast.Location) *ast.Location {
	if len(ref) > 0 && ref[0].Location != nil {
		return ref[0].Location
	}
	return loc
}

// quoteList lists at most limit names, and how many more there are.
func quoteList(names []string, limit int) string {
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
