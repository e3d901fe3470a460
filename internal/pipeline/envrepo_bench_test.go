package pipeline_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/palisade-gitops/palisade/internal/envrepo"
	"github.com/palisade-gitops/palisade/internal/pipeline"
	"github.com/palisade-gitops/palisade/render"
)

// publish is the main job into an environment repository as the CLI runs
// it: read the branch tip ahead while the estate is prepared, render it
// against the tip, commit.
func publish(b *testing.B, root, env string) *pipeline.Published {
	ctx := context.Background()
	var pf *pipeline.Prefetch
	if _, err := os.Stat(env); err == nil {
		pf = pipeline.PrefetchTip(env, "main")
	}
	p, err := pipeline.Prepare(ctx, pipeline.Options{
		Root: root, Target: render.TargetArgoCD, Layout: render.LayoutKustomize, At: benchAt,
	})
	if err != nil {
		b.Fatal(err)
	}
	repo, err := envrepo.Open(ctx, env, envrepo.Options{})
	if err != nil {
		b.Fatal(err)
	}
	pub, err := p.Publish(ctx, repo, pipeline.Commit{
		Source: pipeline.Source{Repo: "bench"}, Version: "bench", Prefetched: pf,
		Author: object.Signature{Name: "bench", Email: "bench@example.test", When: benchAt},
	})
	if err != nil || pub.Report.Denied {
		b.Fatalf("publish: %v (denied %v)", err, pub != nil && pub.Report.Denied)
	}
	return pub
}

// BenchmarkPublish is the main job committing into a 1,000-tenant
// environment repository: one tenant changed per iteration, or nothing.
//
//	go test -run '^$' -bench BenchmarkPublish -benchtime 3x -count 5 ./internal/pipeline/
func BenchmarkPublish(b *testing.B) {
	root := synthetic(b, 1000)
	env := filepath.Join(b.TempDir(), "env")
	publish(b, root, env)
	tenant := filepath.Join(root, "tenants", "tenant-00007.cue")
	orig, err := os.ReadFile(tenant)
	if err != nil {
		b.Fatal(err)
	}
	changed := []byte(strings.Replace(string(orig), `domains: ["`, `domains: ["www.tenant-00007.synthetic.test", "`, 1))
	current := orig
	b.Run("one-tenant", func(b *testing.B) {
		for b.Loop() {
			data := changed
			if string(current) == string(changed) {
				data = orig
			}
			current = data
			if err := os.WriteFile(tenant, data, 0o644); err != nil {
				b.Fatal(err)
			}
			if pub := publish(b, root, env); pub.Outcome.Unchanged || len(pub.Report.Changed) != 1 {
				b.Fatalf("want one tenant changed, got %v (unchanged %v)", pub.Report.Changed, pub.Outcome.Unchanged)
			}
		}
	})
	b.Run("unchanged", func(b *testing.B) {
		for b.Loop() {
			if pub := publish(b, root, env); !pub.Outcome.Unchanged {
				b.Fatal("an unchanged estate committed")
			}
		}
	})
}
