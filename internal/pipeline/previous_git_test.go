package pipeline_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/palisade-gitops/palisade/internal/envrepo"
	"github.com/palisade-gitops/palisade/internal/estate"
	"github.com/palisade-gitops/palisade/internal/estategen"
	"github.com/palisade-gitops/palisade/internal/gitsrc"
	"github.com/palisade-gitops/palisade/internal/pipeline"
	"github.com/palisade-gitops/palisade/internal/pipeline/pipelinetest"
	"github.com/palisade-gitops/palisade/internal/policy"
	"github.com/palisade-gitops/palisade/render"
)

// countingSource is a git estate source that counts whole loads and
// loads beside the estate being rendered.
type countingSource struct {
	*gitsrc.Repo
	whole, beside int
}

func (s *countingSource) LoadEstate(c string) (*estate.Estate, error) {
	s.whole++
	return s.Repo.LoadEstate(c)
}

func (s *countingSource) LoadEstateBeside(c string, beside *estate.Estate) (*estate.Estate, error) {
	s.beside++
	return s.Repo.LoadEstateBeside(c, beside)
}

// TestPreviousFromGit: a merge that cuts a running window short, in an
// estate kept in git, is judged against the estate the last render was
// made from — loaded beside the estate being rendered, as only a tenant
// file differs — and stops the render (freeze.window-lifted); a merge
// that changes a tier's file loads that estate whole, ahead.
func TestPreviousFromGit(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	if err := estategen.Write(root, estategen.Options{Tenants: 6, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", root, "-c", "user.name=t", "-c", "user.email=t@example.test"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	edit := func(rel, old, new string) {
		t.Helper()
		p := filepath.Join(root, rel)
		data, err := os.ReadFile(p)
		if err != nil || !strings.Contains(string(data), old) {
			t.Fatalf("%s: %v, or no %q", rel, err, old)
		}
		if err := os.WriteFile(p, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		git("commit", "-q", "-am", "edit "+rel)
	}
	git("init", "-q", "-b", "main")
	git("add", "-A")
	git("commit", "-q", "-m", "estate")
	env := filepath.Join(t.TempDir(), "env")
	publish := func(at time.Time) (*pipeline.Published, *countingSource) {
		t.Helper()
		c := pipelinetest.GitCommit(t, root, "test", at)
		own, err := gitsrc.Open(root)
		if err != nil {
			t.Fatal(err)
		}
		src := &countingSource{Repo: own}
		if _, err := os.Stat(env); err == nil {
			c.Prefetched = pipeline.PrefetchTip(env, "main")
		}
		c.Previous = c.Prefetched.Previous(c.Source.Clean(), src)
		p, err := pipeline.Prepare(ctx, pipeline.Options{Root: root, Target: render.TargetArgoCD, Layout: render.LayoutKustomize, At: at})
		if err != nil {
			t.Fatal(err)
		}
		repo, err := envrepo.Open(ctx, env, envrepo.Options{})
		if err != nil {
			t.Fatal(err)
		}
		pub, err := p.Publish(ctx, repo, c)
		if err != nil && (pub == nil || !pub.Report.Denied) {
			t.Fatalf("publish: %v", err)
		}
		return pub, src
	}
	may := time.Date(2027, 5, 12, 9, 0, 0, 0, time.UTC)
	if pub, _ := publish(may); pub.Report.Denied || pub.Outcome.Unchanged {
		t.Fatalf("first render: denied %v, unchanged %v", pub.Report.Denied, pub.Outcome.Unchanged)
	}

	// Summer sale, 6 June to 9 July, cut short on 8 June.
	edit("tenants/tenant-00003.cue", `end: "2027-07-09"`, `end: "2027-06-10"`)
	june := time.Date(2027, 6, 8, 9, 0, 0, 0, time.UTC)
	pub, src := publish(june)
	if !denies(pub, "freeze.window-lifted", "tenant-00003") {
		t.Errorf("the shortened window went through: denied %v", pub.Report.Denied)
	}
	if src.whole != 0 || src.beside != 1 {
		t.Errorf("loaded %d whole and %d beside, want the last render's estate beside this one", src.whole, src.beside)
	}

	// A tier's file changes too: the last render's estate loads whole.
	edit("tiers/shared.cue", "package estate", "package estate\n\n// edited")
	pub, src = publish(june)
	if !denies(pub, "freeze.window-lifted", "tenant-00003") {
		t.Error("the shortened window went through")
	}
	if src.whole != 1 || src.beside != 0 {
		t.Errorf("loaded %d whole and %d beside, want the last render's estate whole, ahead", src.whole, src.beside)
	}
}

func denies(pub *pipeline.Published, policyID, tenant string) bool {
	return slices.ContainsFunc(pub.Report.Results, func(r policy.Result) bool {
		return r.PolicyID == policyID && r.Tenant == tenant && r.Denies()
	})
}
