package pipeline_test

import (
	"context"
	"fmt"
	"path/filepath"
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
