package pipeline

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/palisade-gitops/palisade/internal/estategen"
	"github.com/palisade-gitops/palisade/internal/policy"
	"github.com/palisade-gitops/palisade/render"
)

// TestInputsMatchTheSchema holds the inputs a render builds, from the
// example estate and a synthetic one (every tier and kind of tenant), to
// the schema the rules are type-checked against (policy.InputSchema):
// first renders, and re-renders against an output during month-end
// close, when windows apply.
func TestInputsMatchTheSchema(t *testing.T) {
	synthetic := t.TempDir()
	if err := estategen.Write(synthetic, estategen.Options{Tenants: 12, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	for name, root := range map[string]string{"example": filepath.Join("..", ".."), "synthetic": synthetic} {
		t.Run(name, func(t *testing.T) { inputsMatchTheSchema(t, root) })
	}
}

func inputsMatchTheSchema(t *testing.T, root string) {
	out := filepath.Join(t.TempDir(), "out")
	ctx := context.Background()
	opts := Options{Root: root, Out: out, Target: render.TargetArgoCD, Layout: render.LayoutKustomize,
		At: time.Date(2026, 10, 14, 9, 0, 0, 0, time.UTC)}
	if rep, err := Run(ctx, opts); err != nil || rep.Denied {
		t.Fatalf("first render: %v (denied %v)", err, rep != nil && rep.Denied)
	}
	windows := 0
	for _, at := range []time.Time{opts.At, time.Date(2026, 10, 30, 12, 0, 0, 0, time.UTC)} {
		opts.At = at
		p, err := Prepare(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range p.Estate.TenantNames() {
			for _, base := range []Baseline{NewMapBaseline(nil), NewDirBaseline(out)} {
				in, err := p.TenantInput(name, base)
				if err != nil {
					t.Fatal(err)
				}
				windows += len(in.Windows)
				doc, err := in.Document()
				if err != nil {
					t.Fatal(err)
				}
				if err := policy.CheckDocument(doc); err != nil {
					t.Errorf("%s at %s: the input does not match the schema:\n%v", name, at.Format(time.RFC3339), err)
				}
			}
		}
	}
	if windows == 0 {
		t.Error("no input had a window: the test does not cover them")
	}
}
