package pipeline_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/palisade-gitops/palisade/internal/envrepo"
	"github.com/palisade-gitops/palisade/internal/pipeline"
)

// The state of the last render is trusted only by the same version and
// build: a rebuilt development build, whose version stays "(devel)",
// renders every tenant again, as Full does. A render that then commits
// nothing keeps its state beside the repository for the next render at
// the same tip.
func TestStateKeyedOnBuild(t *testing.T) {
	ctx := context.Background()
	env := filepath.Join(t.TempDir(), "env")
	publish := func(p *pipeline.Prepared, build string, full bool) *pipeline.Published {
		t.Helper()
		c := commitOf(&racer{name: "dev", source: "dev"})
		c.Version, c.Build, c.Full = "(devel)", build, full
		return publishTo(t, ctx, env, p, c)
	}
	base := prepare(t, ctx, nil, nil)
	for i, step := range []struct {
		p         *pipeline.Prepared
		build     string
		full      bool
		rendered  int
		unchanged bool
	}{
		{base, "go:one", false, raceTenants, false},
		{base, "go:one", false, 0, true},
		// Another build of the same version: the tree is the same, but
		// every tenant was rendered again to know.
		{base, "go:two", false, raceTenants, true},
		// That render committed nothing but kept its state beside the
		// repository, for this tip: the next one redoes nothing.
		{base, "go:two", false, 0, true},
		{base, "go:one", true, raceTenants, true},
		// Build two again, at the same tip, with tenant A changed: only
		// A is redone, and the commit's state holds every tenant...
		{prepare(t, ctx, map[string]string{tenantA: "dev"}, nil), "go:two", false, 1, false},
		// ...so that undoing the change redoes A alone too.
		{base, "go:two", false, 1, false},
		{base, "go:two", false, 0, true},
	} {
		pub := publish(step.p, step.build, step.full)
		if got := len(pub.Report.Rendered); got != step.rendered || pub.Outcome.Unchanged != step.unchanged {
			t.Fatalf("step %d (build %s, full %v): rendered %d tenants, unchanged %v; want %d, %v",
				i, step.build, step.full, got, pub.Outcome.Unchanged, step.rendered, step.unchanged)
		}
	}
}

// publishTo publishes the render p into the local environment repository
// env, opened afresh as each run of the CLI does.
func publishTo(t *testing.T, ctx context.Context, env string, p *pipeline.Prepared, c pipeline.Commit) *pipeline.Published {
	t.Helper()
	repo, err := envrepo.Open(ctx, env, envrepo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := p.Publish(ctx, repo, c)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}
