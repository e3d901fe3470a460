package policy

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/open-policy-agent/opa/v1/tester"
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
	Output   string        `json:"output,omitempty"`
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
	store := e.store()
	txn, err := store.NewTransaction(ctx)
	if err != nil {
		return nil, err
	}
	defer store.Abort(ctx, txn)
	cov := cover.New()
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
		SetCoverageQueryTracer(cov).
		CapturePrintOutput(true).
		SetTimeout(testTimeout)
	ch, err := runner.RunTests(ctx, txn)
	if err != nil {
		return nil, compileError(err)
	}
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

// String summarises the report in one line.
func (r *TestReport) String() string {
	return fmt.Sprintf("%d passed, %d failed, coverage %.1f%%", r.Passed, r.Failed, r.Coverage)
}
