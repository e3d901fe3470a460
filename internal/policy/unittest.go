package policy

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/open-policy-agent/opa/v1/tester"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// TestReport is the outcome of the policies' unit tests.
type TestReport struct {
	Tests  []TestResult `json:"tests"`
	Passed int          `json:"passed"`
	Failed int          `json:"failed"`
	// Coverage is the percentage of the lines of the rule modules (test
	// modules excluded) the tests evaluated.
	Coverage float64 `json:"coverage"`
	// UserCoverage is Coverage for the rule modules of the user's
	// directories alone; absent when they hold none.
	UserCoverage *float64 `json:"userCoverage,omitempty"`
	// Files is the coverage of each rule module, by file name.
	Files []FileCoverage `json:"files"`
	// Run is the TestOptions.Run the tests were selected by, if any: the
	// coverage is then that of the tests it selected.
	Run string `json:"run,omitempty"`
}

// OK reports whether every test passed.
func (r *TestReport) OK() bool { return r.Failed == 0 }

// TestResult is one test rule's outcome.
type TestResult struct {
	Package string `json:"package"`
	Name    string `json:"name"`
	File    string `json:"file"`
	Row     int    `json:"row"`
	Pass    bool   `json:"pass"`
	Skip    bool   `json:"skip,omitempty"`
	// Error is set when the test could not be evaluated, e.g. a conflict.
	Error string `json:"error,omitempty"`
	// Output is what the test printed (print()). Duration is not part of
	// the JSON report, which stays the same from run to run.
	Output string `json:"output,omitempty"`
	// FailedAt is, for a failed test, the expression that failed ("file:row:"
	// and the expression, with the values of its variables under it).
	FailedAt string        `json:"failedAt,omitempty"`
	Duration time.Duration `json:"-"`
}

// FileCoverage is one rule module's coverage.
type FileCoverage struct {
	File       string  `json:"file"`
	Coverage   float64 `json:"coverage"`
	NotCovered []int   `json:"notCovered,omitempty"`
	// User is set for a module of the user's directories.
	User bool `json:"user,omitempty"`
}

// TestOptions select the tests Test runs.
type TestOptions struct {
	// Run, when set, is a regular expression: only the tests whose full
	// name (data.<package>.<rule>, as opa test --run reads it) it
	// matches run.
	Run string
}

// testTimeout bounds each test rule.
const testTimeout = 30 * time.Second

// Test runs the unit tests (rules named test_*) of the built-in and the
// user's policies, or those opts.Run selects, with coverage. A failing
// test is reported, not returned as an error; a test module that does not
// compile is a *CompileError, and a Run that selects no test an error.
//
// A module's coverage is that by the tests of its side: the built-in
// tests' for the built-in modules, the user's tests' for the user's. The
// built-in tests evaluate every package's violations through the entry
// point (data.palisade.violations), so counted together they would cover
// a user's rule that none of the user's tests exercises. The user's
// tests run apart, after the built-in ones, with the built-in modules
// beside them (fixtures included).
func (e *Engine) Test(ctx context.Context, opts TestOptions) (*TestReport, error) {
	var run *regexp.Regexp
	if opts.Run != "" {
		var err error
		if run, err = regexp.Compile(opts.Run); err != nil {
			return nil, fmt.Errorf("test selection %q is not a regular expression: %w", opts.Run, err)
		}
	}
	// The built-in side is every module but the user's tests; the user's
	// side every module, the built-in tests' modules without their tests
	// (their helpers and fixtures stay, for the user's tests to use).
	builtinSide, userSide := map[string]*ast.Module{}, map[string]*ast.Module{}
	builtinRules, userRules := map[string]*ast.Module{}, map[string]*ast.Module{}
	var userTests []string
	userTestModules := 0
	for name, m := range e.modules {
		_, user := slices.BinarySearch(e.user, name)
		switch {
		case user && isTest(name):
			userTests = append(userTests, testNames(m, run)...)
			userTestModules++
			userSide[name] = m
			continue
		case user:
			userRules[name] = m
		case !isTest(name):
			builtinRules[name] = m
		}
		builtinSide[name] = m
		userSide[name] = m
		if !user && isTest(name) {
			userSide[name] = withoutTests(m)
		}
	}
	rep := &TestReport{Run: opts.Run}
	builtinCov := cover.New()
	if err := e.collectTests(ctx, rep, builtinSide, builtinCov, opts.Run); err != nil {
		return nil, err
	}
	// The user's test modules are compiled even when Run selects none of
	// their tests: a mistake in them is reported either way. The filter
	// then matches no test name.
	userCov := cover.New()
	if userTestModules > 0 {
		filter := "^$"
		if len(userTests) > 0 {
			slices.Sort(userTests)
			filter = namesFilter(slices.Compact(userTests))
		}
		if err := e.collectTests(ctx, rep, userSide, userCov, filter); err != nil {
			return nil, err
		}
	}
	if run != nil && len(rep.Tests) == 0 {
		return nil, &NoTestsError{Run: opts.Run}
	}
	if err := e.explainFailures(ctx, rep.Tests); err != nil {
		return nil, err
	}
	slices.SortFunc(rep.Tests, func(a, b TestResult) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Row, b.Row), cmp.Compare(a.Name, b.Name))
	})
	// The reports also count the lines of the test modules the tests
	// ran; only the rule modules count here.
	builtinReport, userReport := builtinCov.Report(builtinRules), userCov.Report(userRules)
	var all, user lines
	for _, name := range sortedKeys(e.modules) {
		if isTest(name) {
			continue
		}
		_, isUser := userRules[name]
		f := builtinReport.Files[name]
		if isUser {
			f = userReport.Files[name]
		}
		all.add(f)
		if isUser {
			user.add(f)
		}
		fc := FileCoverage{File: name, Coverage: f.Coverage, User: isUser}
		for _, r := range f.NotCovered {
			for row := r.Start.Row; row <= r.End.Row; row++ {
				fc.NotCovered = append(fc.NotCovered, row)
			}
		}
		rep.Files = append(rep.Files, fc)
	}
	rep.Coverage = all.percent()
	if len(userRules) > 0 {
		p := user.percent()
		rep.UserCoverage = &p
	}
	return rep, nil
}

// withoutTests is a copy of the test module m without its test rules.
func withoutTests(m *ast.Module) *ast.Module {
	c := m.Copy()
	c.Rules = slices.DeleteFunc(c.Rules, func(r *ast.Rule) bool { return isTestRule(ruleName(r)) })
	return c
}

func isTestRule(name string) bool {
	return strings.HasPrefix(name, tester.TestPrefix) || strings.HasPrefix(name, tester.SkipTestPrefix)
}

// dupSuffix is the suffix OPA's test runner gives a test with the full
// name of another one it met before ("test_x#01"). Which one it renames
// follows map order, so the reports name each test as its module does;
// its file and line tell them apart.
var dupSuffix = regexp.MustCompile(`#[0-9]+$`)

// namesFilter is a test filter selecting the tests of the full names
// given, renamed or not: names are data.<package>.<rule> as testName
// gives them, and a renamed test's full name reads
// data.<package>["<rule>#01"].
func namesFilter(names []string) string {
	alts := make([]string, 0, 2*len(names))
	for _, full := range names {
		pkg, rule := full[:strings.LastIndexByte(full, '.')], full[strings.LastIndexByte(full, '.')+1:]
		alts = append(alts, regexp.QuoteMeta(full), regexp.QuoteMeta(pkg+`["`+rule)+`#[0-9]+"\]`)
	}
	return "^(" + strings.Join(alts, "|") + ")$"
}

// testNames are the full names of the tests of module m that run
// selects (all when it is nil).
func testNames(m *ast.Module, run *regexp.Regexp) []string {
	var names []string
	for _, r := range m.Rules {
		name := ruleName(r)
		full := m.Package.Path.String() + "." + name
		if isTestRule(name) && (run == nil || run.MatchString(full)) {
			names = append(names, full)
		}
	}
	return names
}

// collectTests runs the tests of mods that filter selects (all when it
// is empty), traced by cov, and adds their results to rep.
func (e *Engine) collectTests(ctx context.Context, rep *TestReport, mods map[string]*ast.Module, cov *cover.Cover, filter string) error {
	ch, done, err := e.runTests(ctx, mods, func(r *tester.Runner) {
		// The report gives the lines no test reached, not which
		// optimisation hid a line: the supplementary passes OPA makes
		// for that (each test again without rule indexing, and again
		// without early exit) would triple the run for nothing.
		r.SetCoverageQueryTracer(cov).SetCoverageRuns([]cover.Kind{})
		if filter != "" {
			r.Filter(filter)
		}
	})
	if err != nil {
		return err
	}
	defer done()
	for res := range ch {
		tr := TestResult{
			Package:  res.Package,
			Name:     dupSuffix.ReplaceAllString(res.Name, ""),
			Pass:     res.Pass(),
			Skip:     res.Skip,
			Output:   string(res.Output),
			Duration: res.Duration,
		}
		if res.Location != nil {
			tr.File, tr.Row = res.Location.File, res.Location.Row
		}
		if res.Error != nil {
			tr.Error = res.Error.Error()
		}
		switch {
		case tr.Skip:
		case tr.Pass:
			rep.Passed++
		default:
			rep.Failed++
		}
		rep.Tests = append(rep.Tests, tr)
	}
	return ctx.Err()
}

// lines counts the lines of rule modules the tests covered and did not.
type lines struct{ covered, notCovered int }

func (l *lines) add(f *cover.FileReport) {
	l.covered += f.CoveredLines
	l.notCovered += f.NotCoveredLines
}

func (l lines) percent() float64 {
	if l.covered+l.notCovered == 0 {
		return 0
	}
	return 100 * float64(l.covered) / float64(l.covered+l.notCovered)
}

// NoTestsError is a test selection that selects no test: most likely a
// misspelt name, which must not pass a CI job as "0 failed".
type NoTestsError struct{ Run string }

func (e *NoTestsError) Error() string {
	return fmt.Sprintf("no test's name matches '%s' (names read data.<package>.<rule>, e.g. data.palisade.tests.capacity.test_capacity_ok)", e.Run)
}

// runTests starts the tests of mods on a fresh store, with the runner set
// up by with, and returns their results and what to call once they are
// read.
func (e *Engine) runTests(ctx context.Context, mods map[string]*ast.Module, with func(*tester.Runner)) (<-chan *tester.Result, func(), error) {
	store := e.store()
	txn, err := store.NewTransaction(ctx)
	if err != nil {
		return nil, nil, err
	}
	done := func() { store.Abort(ctx, txn) }
	// The tests are compiled as the policies are, input type-checked
	// against InputSchema.
	compiler := ast.NewCompiler().
		WithCapabilities(ast.CapabilitiesForThisVersion()).
		WithEnablePrintStatements(true).
		WithDefaultRegoVersion(ast.RegoV1)
	if !e.untyped {
		compiler = compiler.WithSchemas(schemaSet())
	}
	runner := tester.NewRunner().
		SetCompiler(compiler).
		SetStore(store).
		SetModules(mods).
		SetDefaultRegoVersion(ast.RegoV1).
		CapturePrintOutput(true).
		SetTimeout(testTimeout)
	with(runner)
	ch, err := runner.RunTests(ctx, txn)
	if err != nil {
		done()
		return nil, nil, compileError(err)
	}
	return ch, done, nil
}

// explainFailures runs the failed tests of tests again, traced, and sets
// each one's FailedAt to the expression that failed last, with the values
// of its variables, as opa test --explain fails does. Only failures pay
// for the trace.
func (e *Engine) explainFailures(ctx context.Context, tests []TestResult) error {
	// By position: tests of one full name are told apart by it alone.
	type at struct {
		file string
		row  int
	}
	failed := map[at]*TestResult{}
	var names []string
	for i := range tests {
		if t := &tests[i]; !t.Pass && !t.Skip && t.Error == "" {
			failed[at{t.File, t.Row}] = t
			names = append(names, t.Package+"."+t.Name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	sort.Strings(names)
	ch, done, err := e.runTests(ctx, e.modules, func(r *tester.Runner) {
		r.EnableTracing(true).Filter(namesFilter(slices.Compact(names)))
	})
	if err != nil {
		return err
	}
	defer done()
	for res := range ch {
		if res.Location == nil {
			continue
		}
		if t := failed[at{res.Location.File, res.Location.Row}]; t != nil {
			t.FailedAt = failedAt(res.Trace, t.File)
		}
	}
	return ctx.Err()
}

// failedAt renders the last expression of a test's own queries that
// failed in trace: "file:row:" and the expression, with the values of
// its variables under it. An expression of the test's own file comes
// first: a with input as fx.dedicated, say, evaluates the fixture's
// rules after the test's expression, and their failing branches say
// nothing of the test's.
func failedAt(trace []*topdown.Event, file string) string {
	if s := lastFailure(trace, func(loc *ast.Location) bool { return loc.File == file }); s != "" {
		return s
	}
	return lastFailure(trace, func(*ast.Location) bool { return true })
}

func lastFailure(trace []*topdown.Event, where func(*ast.Location) bool) string {
	for _, ev := range slices.Backward(trace) {
		if ev.Op != topdown.FailOp || ev.Location == nil || ev.QueryID == 0 || !where(ev.Location) {
			continue
		}
		if expr, ok := ev.Node.(*ast.Expr); ok {
			if _, every := expr.Terms.(*ast.Every); every {
				continue // the failing expression inside its body comes first
			}
		}
		var b strings.Builder
		if err := topdown.PrettyEvent(&b, ev, topdown.PrettyEventOpts{PrettyVars: true}); err != nil {
			return ""
		}
		// PrettyEvent indents with tabs, by the depth of the query: an
		// expression in a function the test called stands far to the
		// right. The report indents it by two spaces.
		lines := strings.Split(strings.TrimRight(strings.ReplaceAll(b.String(), "\t", "  "), "\n"), "\n")
		indent := -1
		for _, l := range lines {
			if strings.TrimSpace(l) != "" {
				n := len(l) - len(strings.TrimLeft(l, " "))
				if indent < 0 || n < indent {
					indent = n
				}
			}
		}
		for i, l := range lines {
			lines[i] = "  " + l[min(indent, len(l)-len(strings.TrimLeft(l, " "))):]
		}
		return fmt.Sprintf("%s:%d:\n%s", ev.Location.File, ev.Location.Row, strings.Join(lines, "\n"))
	}
	return ""
}

// String summarises the report in one line.
func (r *TestReport) String() string {
	return fmt.Sprintf("%d passed, %d failed, coverage %.1f%%", r.Passed, r.Failed, r.Coverage)
}
