package policy

import (
	"context"
	"fmt"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"testing"
)

// benchInputs are n tenants, every other one dedicated (production, its
// standby and staging: 3 × ~43 objects) and the others shared (production
// and staging: 2 × ~38 objects): about 100 objects per tenant.
func benchInputs(n int) []Input {
	ins := make([]Input, n)
	for i := range ins {
		iso := "shared"
		if i%2 == 0 {
			iso = "dedicated"
		}
		ins[i] = testInput(fmt.Sprintf("tenant-%04d", i), iso)
	}
	return ins
}

// benchValues are benchInputs(n) converted to AST values.
func benchValues(b *testing.B, n int) []ast.Value {
	ins := benchInputs(n)
	vals := make([]ast.Value, len(ins))
	for i := range ins {
		v, err := ins[i].value()
		if err != nil {
			b.Fatal(err)
		}
		vals[i] = v
	}
	return vals
}

// BenchmarkEvaluate evaluates 1,000 tenants per operation.
func BenchmarkEvaluate(b *testing.B) {
	e := newTestEngine(b)
	ins := benchInputs(1000)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		res, err := e.Evaluate(ctx, ins)
		if err != nil {
			b.Fatal(err)
		}
		if len(res) != 0 {
			b.Fatalf("%d results, want none: %+v", len(res), res[0])
		}
	}
}

// BenchmarkConvert converts 1,000 tenant inputs to AST values per
// operation, serially: the part of Evaluate before OPA.
func BenchmarkConvert(b *testing.B) {
	ins := benchInputs(1000)
	b.ResetTimer()
	for b.Loop() {
		for i := range ins {
			if _, err := ins[i].value(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkEvalOnly evaluates 1,000 pre-converted tenant inputs per
// operation, serially: OPA alone.
func BenchmarkEvalOnly(b *testing.B) {
	e := newTestEngine(b)
	vals := benchValues(b, 1000)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		for _, v := range vals {
			if _, err := e.query.Eval(ctx, rego.EvalParsedInput(v)); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkEvaluatePackages evaluates each built-in rule package alone
// for 1,000 pre-converted tenant inputs per operation, serially: where
// OPA's time goes. Each query counts the package's violations, so that
// what is measured is the rules, not the conversion of their results to
// Go values; helpers the packages share (data.palisade.lib) count in
// each package that reads them.
func BenchmarkEvaluatePackages(b *testing.B) {
	e := newTestEngine(b)
	vals := benchValues(b, 1000)
	ctx := context.Background()
	for _, pkg := range []string{"isolation", "supplychain", "freeze", "resilience", "security", "capacity"} {
		b.Run(pkg, func(b *testing.B) {
			q, err := e.prepare(ctx, fmt.Sprintf("count(data.palisade.rules.%s.violations)", pkg))
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				for _, v := range vals {
					if _, err := q.Eval(ctx, rego.EvalParsedInput(v)); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// BenchmarkNew compiles the built-in policies, as every command that
// evaluates them does once: with the rules type-checked against
// InputSchema, and without (NewFromUntyped), for what the check costs.
func BenchmarkNew(b *testing.B) {
	ctx := context.Background()
	for _, c := range []struct {
		name string
		new  func(context.Context, []Dir) (*Engine, error)
	}{{"typed", NewFrom}, {"untyped", NewFromUntyped}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := c.new(ctx, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTest runs the built-in policies' unit tests with coverage, as
// `palisade policy test` does.
func BenchmarkTest(b *testing.B) {
	e := newTestEngine(b)
	ctx := context.Background()
	for b.Loop() {
		rep, err := e.Test(ctx, TestOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if !rep.OK() || rep.Coverage < 90 {
			b.Fatalf("the built-in tests: %s", rep)
		}
	}
}
