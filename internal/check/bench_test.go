package check_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/palisade-gitops/palisade/internal/check"
	"github.com/palisade-gitops/palisade/internal/estategen"
	"github.com/palisade-gitops/palisade/internal/gitstore"
	"github.com/palisade-gitops/palisade/internal/report"
	"github.com/palisade-gitops/palisade/render"
)

var at = time.Date(2026, 10, 14, 9, 0, 0, 0, time.UTC)

func git(tb testing.TB, dir string, args ...string) {
	tb.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.test",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.test",
		"GIT_AUTHOR_DATE=2026-10-01T00:00:00Z", "GIT_COMMITTER_DATE=2026-10-01T00:00:00Z")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// estateRepo makes a git repository holding a synthetic estate of n
// tenants, then commits a one-tenant change (a new domain for tenant 7).
func estateRepo(tb testing.TB, n int) string {
	dir := tb.TempDir()
	if err := estategen.Write(dir, estategen.Options{Tenants: n, Seed: 1}); err != nil {
		tb.Fatal(err)
	}
	git(tb, dir, "init", "-q", "-b", "main")
	git(tb, dir, "add", "-A")
	git(tb, dir, "commit", "-q", "-m", "base")
	p := filepath.Join(dir, "tenants", "tenant-00007.cue")
	data, err := os.ReadFile(p)
	if err != nil {
		tb.Fatal(err)
	}
	s := strings.Replace(string(data), `domains: ["`, `domains: ["www.tenant-00007.synthetic.test", "`, 1)
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		tb.Fatal(err)
	}
	git(tb, dir, "commit", "-q", "-am", "tenant-00007: new domain")
	// A CI checkout is a clone: its objects are packed.
	git(tb, dir, "gc", "-q")
	return dir
}

func TestOneTenantChange(t *testing.T) {
	dir := estateRepo(t, 30)
	c, err := check.Run(context.Background(), check.Options{
		Root: dir, Base: "HEAD~1", At: at, Target: render.TargetArgoCD, Layout: render.LayoutKustomize,
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Blast.Counts.Tenants != 1 || c.Blast.Tenants[0].Tenant != "tenant-00007" {
		t.Fatalf("blast radius: %+v", c.Blast)
	}
	if c.Verdict != report.Pass {
		t.Fatalf("verdict %s: %+v", c.Verdict, c.Results)
	}
	if len(c.Diffs) == 0 || !strings.Contains(c.Diffs[0].Objects[0].Unified, "www.tenant-00007.synthetic.test") {
		t.Fatalf("diff does not show the new domain: %+v", c.Diffs)
	}
}

// BenchmarkCheckOneTenant is a PR check of a one-tenant change in a
// 1,000-tenant estate: extract both revisions, load both, render and
// evaluate the affected tenant at both.
//
//	go test -run '^$' -bench BenchmarkCheckOneTenant -count 5 ./internal/check/
func BenchmarkCheckOneTenant(b *testing.B) {
	dir := estateRepo(b, 1000)
	// During the platform's month-end close every tenant is frozen: the
	// check also renders the base's platform and GitOps directories, to
	// judge what head changes in them (freeze.platform-change).
	for _, bc := range []struct {
		name string
		at   time.Time
	}{{"outside-windows", at}, {"month-end-close", time.Date(2026, 10, 30, 12, 0, 0, 0, time.UTC)}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				gitstore.ClearCache() // as a run, which reads the repositories afresh
				c, err := check.Run(context.Background(), check.Options{
					Root: dir, Base: "HEAD~1", At: bc.at, Target: render.TargetArgoCD, Layout: render.LayoutKustomize,
				})
				if err != nil {
					b.Fatal(err)
				}
				if c.Blast.Counts.Tenants != 1 {
					b.Fatalf("blast radius %d tenants", c.Blast.Counts.Tenants)
				}
			}
		})
	}
}
