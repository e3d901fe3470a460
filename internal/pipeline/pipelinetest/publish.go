// Package pipelinetest holds what tests and benchmarks of several packages
// need of the pipeline.
package pipelinetest

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/palisade-gitops/palisade/internal/envrepo"
	"github.com/palisade-gitops/palisade/internal/gitsrc"
	"github.com/palisade-gitops/palisade/internal/pipeline"
	"github.com/palisade-gitops/palisade/render"
)

// Publish is the main job into an environment repository as the CLI runs
// it, at the instant at: the branch tip read ahead while the estate at root
// is prepared (when env exists), the render against the tip, the commit.
// It fails tb when the render fails or is denied.
func Publish(tb testing.TB, root, env string, at time.Time) *pipeline.Published {
	tb.Helper()
	ctx := context.Background()
	var pf *pipeline.Prefetch
	if _, err := os.Stat(env); err == nil {
		pf = pipeline.PrefetchTip(env, "main")
	}
	p, err := pipeline.Prepare(ctx, pipeline.Options{
		Root: root, Target: render.TargetArgoCD, Layout: render.LayoutKustomize, At: at,
	})
	if err != nil {
		tb.Fatal(err)
	}
	repo, err := envrepo.Open(ctx, env, envrepo.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	pub, err := p.Publish(ctx, repo, pipeline.Commit{
		Source: pipeline.Source{Repo: "bench", Commit: strings.Repeat("ab", 20)}, Version: "bench", Prefetched: pf,
		Author: object.Signature{Name: "bench", Email: "bench@example.test", When: at},
	})
	if err != nil || pub.Report.Denied {
		tb.Fatalf("publish: %v (denied %v)", err, pub != nil && pub.Report.Denied)
	}
	return pub
}

// GitCommit is the commit of a render of the estate at root, as the CLI
// makes it: its source is the estate's git repository at HEAD, dirty or
// not (gitsrc.Repo.Provenance).
func GitCommit(tb testing.TB, root, version string, at time.Time) pipeline.Commit {
	tb.Helper()
	sr, err := gitsrc.Open(root)
	if err != nil {
		tb.Fatal(err)
	}
	prov, err := sr.Provenance()
	if err != nil {
		tb.Fatal(err)
	}
	return pipeline.Commit{
		Source: pipeline.Source{Repo: prov.Repo, Commit: prov.Commit, Dirty: prov.Dirty}, Version: version,
		Author: object.Signature{Name: version, Email: version + "@example.test", When: at},
	}
}
