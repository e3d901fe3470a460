package pipeline_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-gitops/palisade/internal/envrepo"
	"github.com/palisade-gitops/palisade/internal/gitsrc"
	"github.com/palisade-gitops/palisade/internal/gitstore"
	"github.com/palisade-gitops/palisade/internal/pipeline"
	"github.com/palisade-gitops/palisade/internal/pipeline/pipelinetest"
	"github.com/palisade-gitops/palisade/render"
)

func publish(b *testing.B, root, env string) *pipeline.Published {
	return pipelinetest.Publish(b, root, env, benchAt)
}

// toggleTenant returns a function that changes tenant-00007 of the
// synthetic estate at root (a new domain), or changes it back, each time
// it is called.
func toggleTenant(b *testing.B, root string) func() {
	tenant := filepath.Join(root, "tenants", "tenant-00007.cue")
	orig, err := os.ReadFile(tenant)
	if err != nil {
		b.Fatal(err)
	}
	changed := []byte(strings.Replace(string(orig), `domains: ["`, `domains: ["www.tenant-00007.synthetic.test", "`, 1))
	on := false
	return func() {
		on = !on
		data := orig
		if on {
			data = changed
		}
		if err := os.WriteFile(tenant, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPublish is the main job committing into a 1,000-tenant
// environment repository: one tenant changed per iteration, or nothing.
//
//	go test -run '^$' -bench BenchmarkPublish -benchtime 3x -count 5 ./internal/pipeline/
func BenchmarkPublish(b *testing.B) {
	root := synthetic(b, 1000)
	env := filepath.Join(b.TempDir(), "env")
	publish(b, root, env)
	toggle := toggleTenant(b, root)
	b.Run("one-tenant", func(b *testing.B) {
		for b.Loop() {
			gitstore.ClearCache() // as a run, which reads the repositories afresh
			toggle()
			if pub := publish(b, root, env); pub.Outcome.Unchanged || len(pub.Report.Changed) != 1 {
				b.Fatalf("want one tenant changed, got %v (unchanged %v)", pub.Report.Changed, pub.Outcome.Unchanged)
			}
		}
	})
	b.Run("unchanged", func(b *testing.B) {
		for b.Loop() {
			gitstore.ClearCache() // as a run, which reads the repositories afresh
			if pub := publish(b, root, env); !pub.Outcome.Unchanged {
				b.Fatal("an unchanged estate committed")
			}
		}
	})
}

// BenchmarkPublishFromGit is the main job as it runs on a merge: a
// one-tenant change committed to the estate's git repository, rendered
// into a 1,000-tenant environment repository. With the previous estate,
// the render also loads, from git, the estate commit the tip was rendered
// from, to judge calendar edits (freeze.window-lifted): only the tenant
// that differs is evaluated again, beside the estate being rendered
// (gitsrc.Repo.LoadEstateBeside); without, it does not: the difference is
// what that judgement costs. Both repositories are packed, as CI's clones
// of them are; the benchmark's own commits add loose objects.
//
//	go test -run '^$' -bench BenchmarkPublishFromGit -benchtime 3x -count 5 ./internal/pipeline/
func BenchmarkPublishFromGit(b *testing.B) {
	root := synthetic(b, 1000)
	git := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-C", root, "-c", "user.name=bench", "-c", "user.email=bench@example.test"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q", "-b", "main")
	git("add", "-A")
	git("commit", "-q", "-m", "estate")
	env := filepath.Join(b.TempDir(), "env")
	toggle := toggleTenant(b, root)
	publish := func(b *testing.B, previous bool) *pipeline.Published {
		ctx := context.Background()
		c := pipelinetest.GitCommit(b, root, "bench", benchAt)
		// As the command line does: the tip, and the estate it was
		// rendered from, are read while the estate loads.
		if _, err := os.Stat(env); err == nil {
			c.Prefetched = pipeline.PrefetchTip(env, "main")
		}
		if previous {
			own, err := gitsrc.Open(root)
			if err != nil {
				b.Fatal(err)
			}
			c.Previous = c.Prefetched.Previous(c.Source.Clean(), own)
		}
		p, err := pipeline.Prepare(ctx, pipeline.Options{Root: root, Target: render.TargetArgoCD, Layout: render.LayoutKustomize, At: benchAt})
		if err != nil {
			b.Fatal(err)
		}
		repo, err := envrepo.Open(ctx, env, envrepo.Options{})
		if err != nil {
			b.Fatal(err)
		}
		pub, err := p.Publish(ctx, repo, c)
		if err != nil || pub.Report.Denied {
			b.Fatalf("publish: %v (denied %v)", err, pub != nil && pub.Report.Denied)
		}
		return pub
	}
	publish(b, true)
	git("gc", "-q")
	if out, err := exec.Command("git", "-C", env, "gc", "-q").CombinedOutput(); err != nil {
		b.Fatalf("git gc: %v\n%s", err, out)
	}
	for _, previous := range []bool{true, false} {
		b.Run(fmt.Sprintf("previous-estate=%v", previous), func(b *testing.B) {
			for b.Loop() {
				gitstore.ClearCache() // as a run, which reads the repositories afresh
				b.StopTimer()
				toggle()
				git("commit", "-q", "-am", "one tenant")
				b.StartTimer()
				if pub := publish(b, previous); len(pub.Report.Changed) != 1 {
					b.Fatalf("want one tenant changed, got %v", pub.Report.Changed)
				}
			}
		})
	}
}

// BenchmarkPublishAged is BenchmarkPublish's one-tenant render into a
// repository that has aged: ten earlier renders of every tenant left their
// decision records (about 5.7 MB each at 1,000 tenants), which a render
// keeps without reading them.
//
//	go test -run '^$' -bench BenchmarkPublishAged -benchtime 3x -benchmem ./internal/pipeline/
func BenchmarkPublishAged(b *testing.B) {
	root := synthetic(b, 1000)
	env := filepath.Join(b.TempDir(), "env")
	publish(b, root, env)
	dir := filepath.Join(env, ".palisade", "records")
	ents, _ := os.ReadDir(dir)
	big, err := os.ReadFile(filepath.Join(dir, ents[0].Name()))
	if err != nil {
		b.Fatal(err)
	}
	// Ten copies of the first render's record, each its own blob.
	for i := range 10 {
		data := bytes.Replace(big, []byte(`"at"`), []byte(fmt.Sprintf(`"copy": %d, "at"`, i)), 1)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("20261015T%06dZ-copy.json", i)), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	for _, args := range [][]string{{"add", "-A"}, {"-c", "user.name=bench", "-c", "user.email=bench@example.test", "commit", "-qm", "aged"}, {"gc", "-q"}} {
		if out, err := exec.Command("git", append([]string{"-C", env}, args...)...).CombinedOutput(); err != nil {
			b.Fatal(string(out))
		}
	}
	toggle := toggleTenant(b, root)
	for b.Loop() {
		gitstore.ClearCache()
		toggle()
		if pub := publish(b, root, env); pub.Outcome.Unchanged || len(pub.Report.Changed) != 1 {
			b.Fatalf("want one tenant changed, got %v", pub.Report.Changed)
		}
	}
}
