package policy

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/loader"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/palisade-gitops/palisade/policies"
)

// Query is the document the rules give: the set every rule package under
// palisade.rules contributes its violations to (main.rego).
const Query = "data.palisade.violations"

// evalQuery is what the engine evaluates for Query: the same violations,
// each with the package that gave it (bound to originVar), so that a user
// rule giving a built-in rule's id at run time is caught.
const evalQuery = "violation := data.palisade.rules[" + originVar + "].violations[_]"

// originVar is the variable evalQuery binds to the package name under
// palisade.rules that gave a violation.
const originVar = "palisade_package"

// builtinDir is the directory the embedded policies are named under, so
// that positions in them read "policies/isolation.rego:12:3".
const builtinDir = "policies"

// PlatformQuery is the document the engine evaluates, once a render is
// final, for the tenants whose platform objects it changes while a freeze
// window applies to them (Change.Platform): the built-in rule
// freeze.platform-change alone, which user rules do not extend.
const PlatformQuery = "data.palisade.rules.freeze.platform_violations"

// Engine evaluates the built-in and the user's policies. It is compiled
// once by New and safe for concurrent use.
type Engine struct {
	query rego.PreparedEvalQuery
	// platform is PlatformQuery, compiled when first needed.
	platform struct {
		once  sync.Once
		query rego.PreparedEvalQuery
		err   error
	}
	// modules are every module, tests included, by file name.
	modules map[string]*ast.Module
	// user are the names of the modules the user's directories hold,
	// sorted.
	user []string
	// data are the user's data documents.
	data map[string]any
	// untyped leaves input unchecked (NewFromUntyped).
	untyped bool
	// userPackages are the packages under palisade.rules that only the
	// user's modules declare, by last name, each with the position of
	// its first violations rule: where a violation evalQuery finds there
	// comes from.
	userPackages map[string]Problem
}

// New loads the embedded policies and the Rego modules and data files
// (.json, .yaml, .yml) under each of userDirs, and compiles them. Problems
// with the policies come back as a *CompileError listing each with its
// file, line and column.
func New(ctx context.Context, userDirs []string) (*Engine, error) {
	dirs := make([]Dir, len(userDirs))
	for i, d := range userDirs {
		dirs[i] = Dir{Path: d}
	}
	return NewFrom(ctx, dirs)
}

// A Dir is a directory of user policies: Path in FS, or on disk when FS
// is nil. Files are named by their path as it reads here, in positions
// and errors: a git revision's policies, extracted and read through
// os.DirFS with a repository-relative Path, read as the repository names
// them.
type Dir struct {
	FS   fs.FS
	Path string
}

func (d Dir) stat() (fs.FileInfo, error) {
	if d.FS == nil {
		return os.Stat(d.Path)
	}
	return fs.Stat(d.FS, d.Path)
}

// NewFrom is New with directories that may be read from a file system
// other than the disk.
func NewFrom(ctx context.Context, userDirs []Dir) (*Engine, error) {
	return newEngine(ctx, userDirs, false)
}

// NewFromUntyped is NewFrom without checking the rules' use of input
// against InputSchema: a rule reading a field the input lacks compiles,
// and never fires, as OPA has it without a schema. A check judges the
// head revision by the base revision's policies with it, so that a
// mistake in the base's rules does not set them all aside.
func NewFromUntyped(ctx context.Context, userDirs []Dir) (*Engine, error) {
	return newEngine(ctx, userDirs, true)
}

func newEngine(ctx context.Context, userDirs []Dir, untyped bool) (*Engine, error) {
	mods, err := builtinModules()
	if err != nil {
		return nil, err
	}
	builtin := sortedKeys(mods)
	data, err := loadUserDirs(userDirs, mods)
	if err != nil {
		return nil, err
	}
	user := slices.DeleteFunc(sortedKeys(mods), func(name string) bool {
		_, found := slices.BinarySearch(builtin, name)
		return found
	})
	if !untyped {
		probs := userRuleProblems(mods, user)
		if probs = append(probs, dataRefProblems(mods, user, data)...); len(probs) > 0 {
			return nil, &CompileError{Problems: probs}
		}
	}
	e := &Engine{modules: mods, user: user, data: data, untyped: untyped, userPackages: userPackages(mods, builtin)}
	if e.query, err = e.prepare(ctx, evalQuery); err != nil {
		return nil, err
	}
	return e, nil
}

// userPackages returns the packages directly under palisade.rules that
// the user's modules declare and the built-in ones (named by builtin,
// sorted) do not, by last name, each at its first violations rule.
func userPackages(mods map[string]*ast.Module, builtin []string) map[string]Problem {
	builtinPackages := map[string]bool{}
	for _, name := range builtin {
		builtinPackages[mods[name].Package.Path.String()] = true
	}
	pkgs := map[string]Problem{}
	for _, name := range sortedKeys(mods) {
		pkg := mods[name].Package.Path
		if _, found := slices.BinarySearch(builtin, name); found || isTest(name) ||
			builtinPackages[pkg.String()] || len(pkg) != len(rulesPackage)+1 || !pkg.HasPrefix(rulesPackage) {
			continue
		}
		origin := Problem{File: name}
		for _, r := range mods[name].Rules {
			if ruleName(r) == "violations" && r.Location != nil {
				origin.Line, origin.Column = r.Location.Row, r.Location.Col
				break
			}
		}
		if old, seen := pkgs[lastName(pkg)]; !seen || old.Line == 0 && origin.Line > 0 {
			pkgs[lastName(pkg)] = origin
		}
	}
	return pkgs
}

// prepare compiles the policies other than tests for query.
func (e *Engine) prepare(ctx context.Context, query string) (rego.PreparedEvalQuery, error) {
	opts := []func(*rego.Rego){
		rego.Query(query),
		rego.Store(e.store()),
		rego.Strict(true),
		rego.SetRegoVersion(ast.RegoV1),
	}
	if !e.untyped {
		opts = append(opts, rego.Schemas(schemaSet()))
	}
	for _, name := range sortedKeys(e.modules) {
		if !isTest(name) {
			opts = append(opts, rego.ParsedModule(e.modules[name]))
		}
	}
	pq, err := rego.New(opts...).PrepareForEval(ctx)
	if err != nil {
		return pq, compileError(err)
	}
	return pq, nil
}

func isTest(name string) bool { return strings.HasSuffix(name, "_test.rego") }

var parserOptions = ast.ParserOptions{RegoVersion: ast.RegoV1, ProcessAnnotation: true}

// builtinModules parses the embedded policies.
func builtinModules() (map[string]*ast.Module, error) {
	mods := map[string]*ast.Module{}
	ce := &CompileError{}
	err := fs.WalkDir(policies.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".rego" {
			return err
		}
		src, err := fs.ReadFile(policies.FS, p)
		if err != nil {
			return err
		}
		name := path.Join(builtinDir, p)
		m, err := ast.ParseModuleWithOpts(name, string(src), parserOptions)
		if err != nil {
			ce.Problems = append(ce.Problems, compileError(err).Problems...)
			return nil
		}
		mods[name] = m
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the built-in policies: %w", err)
	}
	if len(ce.Problems) > 0 {
		return nil, ce
	}
	return mods, nil
}

// loadUserDirs adds the Rego modules under dirs to mods and returns their
// data documents, merged.
func loadUserDirs(dirs []Dir, mods map[string]*ast.Module) (map[string]any, error) {
	data := map[string]any{}
	if len(dirs) == 0 {
		return data, nil
	}
	ce := &CompileError{}
	for _, dir := range dirs {
		st, err := dir.stat()
		switch {
		case err != nil:
			ce.Problems = append(ce.Problems, Problem{File: dir.Path, Message: "policy directory does not exist or cannot be read"})
		case !st.IsDir():
			ce.Problems = append(ce.Problems, Problem{File: dir.Path, Message: "not a directory: --policy takes a directory of Rego and data files"})
		}
	}
	if len(ce.Problems) > 0 {
		return nil, ce
	}
	if ce.Problems = checkDataFiles(dirs); len(ce.Problems) > 0 {
		return nil, ce
	}
	// One load per file system, in the order the directories come: the
	// loader reads from one.
	type batch struct {
		docs map[string]any
		dirs string
	}
	var batches []batch
	for start := 0; start < len(dirs); {
		end := start + 1
		for end < len(dirs) && sameFS(dirs[end].FS, dirs[start].FS) {
			end++
		}
		paths := make([]string, 0, end-start)
		for _, d := range dirs[start:end] {
			paths = append(paths, d.Path)
		}
		fl := loader.NewFileLoader().WithRegoVersion(ast.RegoV1).WithProcessAnnotation(true)
		if dirs[start].FS != nil {
			fl = fl.WithFS(dirs[start].FS)
		}
		res, err := fl.Filtered(paths, onlyPolicyFiles)
		if err != nil {
			return nil, compileError(err)
		}
		for _, name := range sortedKeys(res.Modules) {
			m := res.Modules[name]
			file := filepath.ToSlash(m.Name)
			if _, dup := mods[file]; dup {
				ce.Problems = append(ce.Problems, Problem{File: file, Message: "has the name of a built-in policy file or of another directory's; rename it"})
				continue
			}
			mods[file] = m.Parsed
		}
		if err := mergeData(data, res.Documents, "data"); err != nil {
			ce.Problems = append(ce.Problems, Problem{File: strings.Join(paths, ", "), Message: err.Error()})
		}
		batches = append(batches, batch{res.Documents, strings.Join(paths, ", ")})
		start = end
	}
	for _, b := range batches {
		ce.Problems = append(ce.Problems, dataRuleConflicts(b.docs, mods, b.dirs)...)
	}
	if len(ce.Problems) > 0 {
		return nil, ce
	}
	return data, nil
}

// sameFS reports whether two directories are read from the same file
// system; file systems of an incomparable type never are.
func sameFS(a, b fs.FS) (same bool) {
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	return a == b
}

// mergeData merges the data documents src into dst; a value both define,
// other than an object both define, is a conflict.
func mergeData(dst, src map[string]any, at string) error {
	for _, k := range sortedKeys(src) {
		v := src[k]
		old, ok := dst[k]
		if !ok {
			dst[k] = v
			continue
		}
		om, ok1 := old.(map[string]any)
		vm, ok2 := v.(map[string]any)
		if !ok1 || !ok2 {
			return fmt.Errorf("data document %s.%s is defined by two policy directories", at, k)
		}
		if err := mergeData(om, vm, at+"."+k); err != nil {
			return err
		}
	}
	return nil
}

// onlyPolicyFiles is a loader filter (true excludes) keeping directories,
// Rego modules and JSON or YAML data files.
func onlyPolicyFiles(_ string, info fs.FileInfo, _ int) bool {
	if info.IsDir() {
		return false
	}
	return filepath.Ext(info.Name()) != ".rego" && !isDataFile(info.Name())
}

// store returns a fresh store holding the user's data documents.
func (e *Engine) store() storage.Store { return inmem.NewFromObject(e.data) }

// Evaluate evaluates the policies for each input, GOMAXPROCS tenants at a
// time, applies the tenants' waivers and returns every result, sorted.
func (e *Engine) Evaluate(ctx context.Context, inputs []Input) ([]Result, error) {
	return e.evaluateAll(ctx, &e.query, inputs)
}

// EvaluatePlatform evaluates PlatformQuery for each input, as Evaluate
// does Query.
func (e *Engine) EvaluatePlatform(ctx context.Context, inputs []Input) ([]Result, error) {
	e.platform.once.Do(func() { e.platform.query, e.platform.err = e.prepare(ctx, PlatformQuery) })
	if e.platform.err != nil {
		return nil, e.platform.err
	}
	return e.evaluateAll(ctx, &e.platform.query, inputs)
}

func (e *Engine) evaluateAll(ctx context.Context, q *rego.PreparedEvalQuery, inputs []Input) ([]Result, error) {
	per := make([][]Result, len(inputs))
	errs := make([]error, len(inputs))
	workers := min(runtime.GOMAXPROCS(0), len(inputs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				per[i], errs[i] = e.evaluate(ctx, q, &inputs[i])
			}
		})
	}
	for i := range inputs {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []Result
	for i := range inputs {
		if errs[i] != nil {
			return nil, errs[i]
		}
		out = append(out, per[i]...)
	}
	SortResults(out)
	return out, nil
}

// evaluate evaluates the policies for one tenant and applies its waivers.
func (e *Engine) evaluate(ctx context.Context, q *rego.PreparedEvalQuery, in *Input) ([]Result, error) {
	v, err := in.value()
	if err != nil {
		return nil, fmt.Errorf("tenant %q: building the policy input: %w", in.Tenant.Name, err)
	}
	rs, err := q.Eval(ctx, rego.EvalParsedInput(v))
	if err != nil {
		return nil, evalError(ctx, in.Tenant.Name, err)
	}
	var vs []any
	var origins []string
	if q == &e.query {
		// One result per violation and package; a set gives each entry
		// once, as Query does.
		seen := map[string]bool{}
		for _, r := range rs {
			x := r.Bindings["violation"]
			if len(rs) > 1 {
				key, err := json.Marshal(x)
				if err != nil || seen[string(key)] {
					continue
				}
				seen[string(key)] = true
			}
			pkg, _ := r.Bindings[originVar].(string)
			vs, origins = append(vs, x), append(origins, pkg)
		}
	} else if len(rs) > 0 && len(rs[0].Expressions) > 0 {
		vs, _ = rs[0].Expressions[0].Value.([]any)
	}
	results := make([]Result, 0, len(vs))
	var probs []Problem
	for i, x := range vs {
		r, err := resultOf(in.Tenant.Name, x)
		if err != nil {
			return nil, &EvalError{Tenant: in.Tenant.Name, Problems: []Problem{{Message: err.Error()}}}
		}
		if i < len(origins) {
			if p, ok := e.borrowedID(origins[i], r.PolicyID); ok {
				probs = append(probs, p)
			}
		}
		results = append(results, r)
	}
	if len(probs) > 0 {
		slices.SortFunc(probs, func(a, b Problem) int { return strings.Compare(a.String(), b.String()) })
		return nil, &EvalError{Tenant: in.Tenant.Name, Problems: slices.Compact(probs)}
	}
	return applyWaivers(in, results)
}

// borrowedID reports a violation a user package under palisade.rules
// gave with a built-in rule's id: one its rules built at run time, since
// one written literally does not compile (palisade_builtin_id). It would
// be reported, waived and counted as the built-in rule's.
func (e *Engine) borrowedID(pkg, id string) (Problem, bool) {
	origin, user := e.userPackages[pkg]
	if !user {
		return Problem{}, false
	}
	if _, builtin := slices.BinarySearch(BuiltinIDs(), id); !builtin {
		return Problem{}, false
	}
	_, rule, _ := strings.Cut(id, ".")
	p := origin
	p.Code = "palisade_builtin_id"
	p.Message = fmt.Sprintf(
		"package palisade.rules.%s gave a violation with id %q, a built-in rule's: it would be reported, waived and counted as that rule's; give it an id of your own (%s.%s, say)",
		pkg, id, pkg, rule)
	return p, true
}

// EvalError is returned when a policy fails while it is evaluated for a
// tenant, e.g. a rule giving two values or a violation that breaks the
// violations contract: a mistake in the policies, exit 2.
type EvalError struct {
	Tenant   string
	Problems []Problem
}

func (e *EvalError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = fmt.Sprintf("evaluating policies for tenant %q: %s", e.Tenant, p)
	}
	return strings.Join(lines, "\n")
}

func evalError(ctx context.Context, tenant string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var probs []Problem
	collect(err, &probs)
	sort.SliceStable(probs, func(i, j int) bool { return probs[i].String() < probs[j].String() })
	return &EvalError{Tenant: tenant, Problems: probs}
}
