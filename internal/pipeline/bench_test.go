package pipeline_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/palisade-gitops/palisade/internal/estate"
	"github.com/palisade-gitops/palisade/internal/estategen"
	"github.com/palisade-gitops/palisade/internal/pipeline"
	"github.com/palisade-gitops/palisade/internal/tree"
	"github.com/palisade-gitops/palisade/render"
)

var benchAt = time.Date(2026, 10, 14, 9, 0, 0, 0, time.UTC)

func synthetic(b *testing.B, n int) string {
	root := b.TempDir()
	if err := estategen.Write(root, estategen.Options{Tenants: n, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	return root
}

// BenchmarkRenderToDisk is the render stage alone: load the estate, render
// every tenant environment (kustomize layout) and write the tree.
//
//	go test -run '^$' -bench BenchmarkRenderToDisk -benchtime 3x ./internal/pipeline/
func BenchmarkRenderToDisk(b *testing.B) {
	for _, n := range []int{100, 1000, 5000} {
		b.Run(fmt.Sprintf("tenants=%d", n), func(b *testing.B) {
			root := synthetic(b, n)
			out := filepath.Join(b.TempDir(), "out")
			for b.Loop() {
				e, err := estate.Load(root)
				if err != nil {
					b.Fatal(err)
				}
				res, err := render.Render(e, render.Options{At: benchAt, SkipManifests: true})
				if err != nil {
					b.Fatal(err)
				}
				files, err := res.Tree(render.LayoutKustomize)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := tree.Write(out, files, tree.Options{Owned: []string{"bases", "clusters"}}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/tenant")
		})
	}
}

// BenchmarkRun is the whole main job, policies included.
func BenchmarkRun(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("tenants=%d", n), func(b *testing.B) {
			root := synthetic(b, n)
			out := filepath.Join(b.TempDir(), "out")
			for b.Loop() {
				rep, err := pipeline.Run(context.Background(), pipeline.Options{
					Root: root, Out: out, Target: render.TargetArgoCD, Layout: render.LayoutKustomize, At: benchAt,
				})
				if err != nil || rep.Denied {
					b.Fatalf("run: %v (denied %v)", err, rep != nil && rep.Denied)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/tenant")
		})
	}
}

// BenchmarkPlatformHoldBack renders the 1,000-tenant estate after a
// platform change — a new backup bucket for one region — while summer
// sales freeze some of its tenants: the render holds the change back on
// the region's clusters, with the tenants whose directories there change,
// and lets the rest through. Against the render of the same change with
// no window active, it is the cost of deciding the hold-back.
//
//	go test -run '^$' -bench BenchmarkPlatformHoldBack -benchtime 3x ./internal/pipeline/
func BenchmarkPlatformHoldBack(b *testing.B) {
	root := synthetic(b, 1000)
	ctx := context.Background()
	before := time.Date(2027, 5, 10, 9, 0, 0, 0, time.UTC)
	prepare := func(at time.Time) *pipeline.Prepared {
		p, err := pipeline.Prepare(ctx, pipeline.Options{Root: root, Target: render.TargetArgoCD, Layout: render.LayoutKustomize, At: at})
		if err != nil {
			b.Fatal(err)
		}
		return p
	}
	out, err := prepare(before).Render(ctx, pipeline.NewMapBaseline(nil))
	if err != nil || out.Report.Denied {
		b.Fatalf("baseline: %v", err)
	}
	base := pipeline.NewMapBaseline(out.Files)
	pf := filepath.Join(root, "platform.cue")
	data, err := os.ReadFile(pf)
	if err != nil {
		b.Fatal(err)
	}
	changed := strings.Replace(string(data), `bucket: "backups-eu-west"`, `bucket: "backups-eu-west-2"`, 1)
	if changed == string(data) {
		b.Fatal("no eu-west bucket in the synthetic platform")
	}
	if err := os.WriteFile(pf, []byte(changed), 0o644); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		at   time.Time
		held bool
	}{
		{"no-window", before, false},
		{"summer-sales", time.Date(2027, 6, 25, 9, 0, 0, 0, time.UTC), true},
	} {
		b.Run(c.name, func(b *testing.B) {
			p := prepare(c.at)
			var out *pipeline.Outcome
			for b.Loop() {
				var err error
				out, err = p.Render(ctx, base)
				if err != nil || out.Report.Denied {
					b.Fatalf("render: %v (denied %v)", err, out != nil && out.Report.Denied)
				}
				if held := len(out.Report.PlatformHeldBack) > 0; held != c.held {
					b.Fatalf("platform held back: %v, want %v", out.Report.PlatformHeldBack, c.held)
				}
			}
			b.Logf("%d clusters held back, %d tenants held back, %d rendered", len(out.Report.PlatformHeldBack), len(out.Report.HeldBack), len(out.Report.Rendered))
		})
	}
}
