package pipeline_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-gitops/palisade/internal/pipeline"
	"github.com/palisade-gitops/palisade/internal/pipeline/pipelinetest"
)

func publish(b *testing.B, root, env string) *pipeline.Published {
	return pipelinetest.Publish(b, root, env, benchAt)
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
