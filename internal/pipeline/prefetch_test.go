package pipeline_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/palisade-gitops/palisade/internal/pipeline"
)

// A tip read ahead is used when the branch has not moved since, and
// ignored when another render committed in between: that render's
// change is kept, never reverted to the stale read.
func TestPrefetchedTip(t *testing.T) {
	ctx := context.Background()
	env := filepath.Join(t.TempDir(), "env")
	publish := func(p *pipeline.Prepared, source string, pf *pipeline.Prefetch) *pipeline.Published {
		t.Helper()
		c := commitOf(&racer{name: "pf", source: source})
		c.Prefetched = pf
		return publishTo(t, ctx, env, p, c)
	}
	base := prepare(t, ctx, nil, nil)
	changed := prepare(t, ctx, map[string]string{tenantA: "a"}, nil)
	publish(base, "one", nil)

	// Unchanged, from the prefetched tip.
	pf := pipeline.PrefetchTip(env, "main")
	if pub := publish(base, "one", pf); !pub.Outcome.Unchanged {
		t.Fatal("an unchanged render from a prefetched tip committed")
	}
	if pf.Pending() {
		t.Error("the prefetched tip was not used")
	}

	// The tip moves after the prefetch: another render commits tenant
	// A's change. The next render (of the changed estate too, so that
	// nothing is left to do) must see that commit, not the prefetch.
	pf = pipeline.PrefetchTip(env, "main")
	pf.Wait()
	if pub := publish(changed, "two", nil); pub.Outcome.Unchanged {
		t.Fatal("tenant A's change was not committed")
	}
	if pub := publish(changed, "two", pf); !pub.Outcome.Unchanged {
		t.Fatal("a render from a stale prefetch committed: it would revert tenant A")
	}
	if !pf.Pending() {
		t.Error("a stale prefetch was used")
	}

	// No repository: nothing prefetched, nothing breaks.
	pf = pipeline.PrefetchTip(filepath.Join(t.TempDir(), "none"), "main")
	pf.Wait()
	if pf.Pending() {
		t.Error("a missing repository was prefetched")
	}
}
