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
	// Files is the coverage of each rule module, by file name.
	Files []FileCoverage `json:"files"`
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
}

// testTimeout bounds each test rule.
const testTimeout = 30 * time.Second

// Test runs the unit tests (rules named test_*) of the built-in and the
// user's policies with coverage. A failing test is reported, not returned
// as an error; a test module that does not compile is a *CompileError.
func (e *Engine) Test(ctx context.Context) (*TestReport, error) {
	cov := cover.New()
	ch, done, err := e.runTests(ctx, func(r *tester.Runner) { r.SetCoverageQueryTracer(cov) })
	if err != nil {
		return nil, err
	}
	defer done()
	rep := &TestReport{}
	for res := range ch {
		tr := TestResult{
			Package:  res.Package,
			Name:     res.Name,
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
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := e.explainFailures(ctx, rep.Tests); err != nil {
		return nil, err
	}
	slices.SortFunc(rep.Tests, func(a, b TestResult) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Row, b.Row), cmp.Compare(a.Name, b.Name))
	})
	rules := map[string]*ast.Module{}
	for name, m := range e.modules {
		if !isTest(name) {
			rules[name] = m
		}
	}
	// The report also counts the lines of the test modules the tests ran;
	// only the rule modules count here.
	cr := cov.Report(rules)
	covered, notCovered := 0, 0
	for _, name := range sortedKeys(rules) {
		f := cr.Files[name]
		if f == nil {
			continue
		}
		covered += f.CoveredLines
		notCovered += f.NotCoveredLines
		fc := FileCoverage{File: name, Coverage: f.Coverage}
		for _, r := range f.NotCovered {
			for row := r.Start.Row; row <= r.End.Row; row++ {
				fc.NotCovered = append(fc.NotCovered, row)
			}
		}
		rep.Files = append(rep.Files, fc)
	}
	if covered+notCovered > 0 {
		rep.Coverage = 100 * float64(covered) / float64(covered+notCovered)
	}
	return rep, nil
}

// runTests starts the tests on a fresh store, with the runner set up by
// with, and returns their results and what to call once they are read.
func (e *Engine) runTests(ctx context.Context, with func(*tester.Runner)) (<-chan *tester.Result, func(), error) {
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
		SetModules(e.modules).
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
	failed := map[string]*TestResult{}
	var names []string
	for i := range tests {
		if t := &tests[i]; !t.Pass && !t.Skip && t.Error == "" {
			full := t.Package + "." + t.Name
			failed[full] = t
			names = append(names, regexp.QuoteMeta(full))
		}
	}
	if len(names) == 0 {
		return nil
	}
	sort.Strings(names)
	ch, done, err := e.runTests(ctx, func(r *tester.Runner) {
		r.EnableTracing(true).Filter("^(" + strings.Join(names, "|") + ")$")
	})
	if err != nil {
		return err
	}
	defer done()
	for res := range ch {
		if t := failed[res.Package+"."+res.Name]; t != nil {
			t.FailedAt = failedAt(res.Trace)
		}
	}
	return ctx.Err()
}

// failedAt renders the last expression of a test's own queries that
// failed in trace: "file:row:" and the expression, with the values of
// its variables under it.
func failedAt(trace []*topdown.Event) string {
	for _, ev := range slices.Backward(trace) {
		if ev.Op != topdown.FailOp || ev.Location == nil || ev.QueryID == 0 {
			continue
		}
		if expr, ok := ev.Node.(*ast.Expr); ok {
			if _, every := expr.Terms.(*ast.Every); every {
				continue // the failing expression inside its body comes first
			}
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s:%d:\n", ev.Location.File, ev.Location.Row)
		if err := topdown.PrettyEvent(&b, ev, topdown.PrettyEventOpts{PrettyVars: true}); err != nil {
			return ""
		}
		// PrettyEvent indents with tabs; the report indents with spaces.
		return strings.ReplaceAll(strings.TrimRight(b.String(), "\n"), "\t", "  ")
	}
	return ""
}

// String summarises the report in one line.
func (r *TestReport) String() string {
	return fmt.Sprintf("%d passed, %d failed, coverage %.1f%%", r.Passed, r.Failed, r.Coverage)
}
