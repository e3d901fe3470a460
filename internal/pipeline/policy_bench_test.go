package pipeline

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/palisade-gitops/palisade/internal/estategen"
	"github.com/palisade-gitops/palisade/internal/policy"
	"github.com/palisade-gitops/palisade/render"
)

// BenchmarkPolicies evaluates the built-in policies for the 1,000 tenants
// of the synthetic estate, on the inputs a real render builds (their
// rendered objects, platform objects, windows and images): the policy
// stage alone, without the render around it.
//
//	go test -run '^$' -bench BenchmarkPolicies -count 5 ./internal/pipeline/
func BenchmarkPolicies(b *testing.B) {
	root := b.TempDir()
	if err := estategen.Write(root, estategen.Options{Tenants: 1000, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	p, err := Prepare(ctx, Options{
		Root: root, Target: render.TargetArgoCD, Layout: render.LayoutKustomize,
		At: time.Date(2026, 10, 14, 9, 0, 0, 0, time.UTC),
	})
	if err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	var inputs []policy.Input
	base, pidx := NewMapBaseline(nil), &platformIndexes{}
	_, err = render.Render(p.Estate, render.Options{
		Target: p.Options.Target, At: p.Options.At, SkipManifests: true,
		Inspect: func(tenant string, units []*render.Unit, platform map[string]*render.Unit) error {
			in, err := p.inputFor(tenant, units, platform, base, pidx)
			mu.Lock()
			defer mu.Unlock()
			inputs = append(inputs, in)
			return err
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	if len(inputs) != 1000 {
		b.Fatalf("%d inputs, want 1000", len(inputs))
	}
	for i := range inputs {
		// Evaluate as an unchanged re-render would: no freeze applies.
		inputs[i].Change = policy.Change{Environments: []string{}}
	}
	if testing.Verbose() {
		n, size := 0, 0
		for _, in := range inputs {
			for _, e := range in.Environments {
				n += len(e.Objects) + len(e.PlatformObjects)
			}
			j, _ := json.Marshal(in)
			size += len(j)
		}
		b.Logf("%d objects, %d bytes of JSON per tenant input", n/len(inputs), size/len(inputs))
	}
	b.ResetTimer()
	for b.Loop() {
		res, err := p.Engine.Evaluate(ctx, inputs)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range res {
			if r.Denies() {
				b.Fatalf("deny: %+v", r)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/tenant")
}
