package policy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// rulesPackage is the package path under which a package's violations
// are evaluated (main.rego's data.palisade.rules[_].violations).
var rulesPackage = ast.MustParseRef("data.palisade.rules")

// otherConventions are the rule names other policy tools read —
// conftest's deny, warn and violation, Gatekeeper's violation — which a
// rule ported from them may keep.
var otherConventions = []string{"deny", "warn", "violation"}

// userRuleProblems reports the mistakes in the user's modules (user names
// them; the others are built-in) that OPA compiles but that would make a
// policy silently not do what it says: builtinPackageReuse, unreadRules
// and builtinIDReuse.
func userRuleProblems(mods map[string]*ast.Module, user []string) []Problem {
	if len(user) == 0 {
		return nil
	}
	probs := builtinPackageReuse(mods, user)
	probs = append(probs, unreadRules(mods, user)...)
	return append(probs, builtinIDReuse(mods, user)...)
}

// builtinPackageReuse reports the user's modules (tests aside: the engine
// does not load them) that declare a package of the built-in policies.
// Rego merges every module of a package: a rule defined there joins the
// built-in rule of its name — "has_quota(_) if true" in
// palisade.rules.isolation would satisfy the quota check of every tenant,
// "removed if …" in palisade.rules.freeze would turn frozen changes into
// removals — so a policy directory could weaken the built-in rules
// without a word. User policies add to the built-in ones; they do not
// reach into them.
func builtinPackageReuse(mods map[string]*ast.Module, user []string) []Problem {
	builtin := map[string]bool{}
	for name, m := range mods {
		if !isTest(name) && !slices.Contains(user, name) {
			builtin[m.Package.Path.String()] = true
		}
	}
	var probs []Problem
	for _, name := range user {
		m := mods[name]
		if isTest(name) || !builtin[m.Package.Path.String()] {
			continue
		}
		pkg := packageName(m.Package.Path)
		p := Problem{File: name, Code: "palisade_builtin_package", Message: fmt.Sprintf(
			"package %s is a built-in policy package: rules declared here would join its rules of the same name and could change what the built-in policies decide; put your rules in a package of your own (package palisade.rules.acme, say)",
			pkg)}
		if loc := m.Package.Location; loc != nil {
			p.Line, p.Column = loc.Row, loc.Col
		}
		probs = append(probs, p)
	}
	return probs
}

// builtinIDReuse reports the violations the user's rules give under a
// built-in rule's id: they would be reported, waived and counted as the
// built-in rule's, and a waiver of one would waive the other. The
// built-in ids are read from the modules already parsed, as BuiltinIDs
// reads them.
func builtinIDReuse(mods map[string]*ast.Module, user []string) []Problem {
	ids := map[string]bool{}
	for name, m := range mods {
		if !isTest(name) && !slices.Contains(user, name) {
			policyIDs(m, func(id string, _ *ast.Location) { ids[id] = true })
		}
	}
	var probs []Problem
	for _, name := range user {
		if isTest(name) {
			continue
		}
		m := mods[name]
		policyIDs(m, func(id string, loc *ast.Location) {
			if !ids[id] {
				return
			}
			_, rule, _ := strings.Cut(id, ".")
			p := Problem{File: name, Code: "palisade_builtin_id", Message: fmt.Sprintf(
				"policy id %q is a built-in rule's: your violations would be reported, waived and counted as its; give them an id of your own (%s.%s, say)",
				id, lastName(m.Package.Path), rule)}
			if loc != nil {
				p.Line, p.Column = loc.Row, loc.Col
			}
			probs = append(probs, p)
		})
	}
	return probs
}

// unreadRules reports the rules of the user's modules (user names them,
// test modules aside) that look like governance rules but that the
// engine never evaluates: a violations rule outside palisade.rules, and
// a deny, warn or violation rule in a palisade.rules package that has
// no violations. Either would pass every render without a word, so each
// is a mistake at its line: the silent counterpart of a type error.
func unreadRules(mods map[string]*ast.Module, user []string) []Problem {
	hasViolations := map[string]bool{}
	for _, m := range mods {
		for _, r := range m.Rules {
			if ruleName(r) == "violations" {
				hasViolations[m.Package.Path.String()] = true
			}
		}
	}
	var probs []Problem
	for _, name := range user {
		m := mods[name]
		if isTest(name) {
			continue
		}
		pkg := m.Package.Path
		under := len(pkg) > len(rulesPackage) && pkg.HasPrefix(rulesPackage)
		seen := map[string]bool{}
		for _, r := range m.Rules {
			n := ruleName(r)
			var msg string
			switch {
			case seen[n]:
				continue
			case !under && n == "violations":
				msg = fmt.Sprintf("rule violations of package %s is never evaluated: only packages under palisade.rules contribute violations (package palisade.rules.%s, say)",
					packageName(pkg), lastName(pkg))
			case under && nestedViolations(pkg, r) != "":
				msg = fmt.Sprintf("rule %s of package %s is never evaluated: Palisade reads the violations of each package directly under palisade.rules, not of those nested deeper (package palisade.rules.%s, say)",
					r.Head.Ref(), packageName(pkg), nestedViolations(pkg, r))
			case under && !hasViolations[pkg.String()] && slices.Contains(otherConventions, n):
				msg = fmt.Sprintf("rule %s is never evaluated: Palisade reads the violations of each palisade.rules package, which %s does not define; contribute to violations (policies/README.md)",
					n, packageName(pkg))
			case under && slices.Contains(otherConventions, n) && !referenced(mods, pkg, n):
				msg = fmt.Sprintf("rule %s is never evaluated: Palisade reads the violations of %s, and no rule refers to %s; contribute to violations, or use %s in the violations rule",
					n, packageName(pkg), n, n)
			default:
				continue
			}
			seen[n] = true
			p := Problem{File: name, Code: "palisade_unread_rule", Message: msg}
			if r.Location != nil {
				p.Line, p.Column = r.Location.Row, r.Location.Col
			}
			probs = append(probs, p)
		}
	}
	return probs
}

// nestedViolations tells whether rule r of package pkg, under
// palisade.rules, gives a violations document more than one package deep
// there, which main.rego's data.palisade.rules[_].violations does not
// read: "violations" in package palisade.rules.acme.pci, or
// "pci.violations" in package palisade.rules.acme. If it does, it returns
// the name of a package directly under palisade.rules to use instead
// (acme_pci); if not, "".
func nestedViolations(pkg ast.Ref, r *ast.Rule) string {
	head := r.Head.Ref().GroundPrefix()
	if len(head) == 0 || len(pkg)+len(head) <= len(rulesPackage)+2 {
		return ""
	}
	last := head[len(head)-1].Value
	if last.Compare(ast.String("violations")) != 0 && last.Compare(ast.Var("violations")) != 0 {
		return ""
	}
	var names []string
	for _, t := range append(pkg[len(rulesPackage):].Copy(), head[:len(head)-1]...) {
		switch v := t.Value.(type) {
		case ast.String:
			names = append(names, string(v))
		case ast.Var:
			names = append(names, string(v))
		}
	}
	return strings.Join(names, "_")
}

// referenced reports whether a rule of a policy module (tests do not
// count: the engine does not run them) refers to rule name of package
// pkg: by its name within the package, or by a data reference from
// anywhere (data.palisade.rules.acme.deny, data.palisade.rules[_].deny,
// the whole package), an import included.
func referenced(mods map[string]*ast.Module, pkg ast.Ref, name string) bool {
	target := pkg.Copy().Append(ast.StringTerm(name))
	for file, m := range mods {
		if isTest(file) {
			continue
		}
		same := m.Package.Path.Equal(pkg)
		found := false
		visit := func(ref ast.Ref) bool {
			if found {
				return true
			}
			if same && len(ref) > 0 && ref[0].Equal(ast.VarTerm(name)) || refMatches(ref, target) {
				found = true
			}
			return found
		}
		for _, imp := range m.Imports {
			if ref, ok := imp.Path.Value.(ast.Ref); ok {
				visit(ref)
			}
		}
		for _, r := range m.Rules {
			for rule := r; rule != nil && !found; rule = rule.Else {
				ast.WalkRefs(rule.Body, visit)
				for _, t := range []*ast.Term{rule.Head.Key, rule.Head.Value} {
					if t != nil {
						ast.WalkRefs(t, visit)
					}
				}
				for _, t := range rule.Head.Args {
					ast.WalkRefs(t, visit)
				}
				for _, t := range rule.Head.Ref()[1:] {
					ast.WalkRefs(t, visit)
				}
			}
		}
		if found {
			return true
		}
	}
	return false
}

// refMatches reports whether ref may read target or a part of it: one is
// a prefix of the other, a variable matching any element.
func refMatches(ref, target ast.Ref) bool {
	if len(ref) == 0 || !ref[0].Equal(target[0]) {
		return false
	}
	for i := 1; i < min(len(ref), len(target)); i++ {
		if _, ok := ref[i].Value.(ast.Var); ok {
			continue
		}
		if !ref[i].Equal(target[i]) {
			return false
		}
	}
	return true
}

// ruleName is the first name of a rule's head: violations for
// "violations contains v if …", a for "a.b := 1".
func ruleName(r *ast.Rule) string {
	if ref := r.Head.Ref(); len(ref) > 0 {
		switch v := ref[0].Value.(type) {
		case ast.Var:
			return string(v)
		case ast.String:
			return string(v)
		}
	}
	return ""
}

// packageName is a package path as the package clause writes it.
func packageName(pkg ast.Ref) string {
	return pkg[1:].String()
}

// lastName is the last element of a package path.
func lastName(pkg ast.Ref) string {
	if s, ok := pkg[len(pkg)-1].Value.(ast.String); ok {
		return string(s)
	}
	return pkg[len(pkg)-1].String()
}
