package evidence_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/palisade-gitops/palisade/internal/envrepo"
	"github.com/palisade-gitops/palisade/internal/estategen"
	"github.com/palisade-gitops/palisade/internal/evidence"
	"github.com/palisade-gitops/palisade/internal/gitstore"
	"github.com/palisade-gitops/palisade/internal/pipeline"
	"github.com/palisade-gitops/palisade/internal/pipeline/pipelinetest"
)

// BenchmarkExport exports and verifies the history of a 1,000-tenant
// environment repository: a first render of every tenant and then
// renders of one changed tenant each, every render commit's rendered tree
// hashed in full (each distinct tree once).
//
//	go test -run '^$' -bench BenchmarkExport -benchtime 3x -count 5 ./internal/evidence/
func BenchmarkExport(b *testing.B) {
	const renders = 6
	root := b.TempDir()
	if err := estategen.Write(root, estategen.Options{Tenants: 1000, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	env := filepath.Join(b.TempDir(), "env")
	at := time.Date(2026, 10, 14, 9, 0, 0, 0, time.UTC)
	for i := range renders {
		if i > 0 {
			// Another tenant each time: every render commit's tree is
			// new, and hashed.
			tenant := filepath.Join(root, "tenants", fmt.Sprintf("tenant-%05d.cue", i))
			orig, err := os.ReadFile(tenant)
			if err != nil {
				b.Fatal(err)
			}
			changed := strings.Replace(string(orig), `domains: ["`, fmt.Sprintf(`domains: ["www.tenant-%05d.synthetic.test", "`, i), 1)
			if err := os.WriteFile(tenant, []byte(changed), 0o644); err != nil {
				b.Fatal(err)
			}
		}
		publish(b, root, env, at.Add(time.Duration(i)*time.Hour))
	}
	tip, err := envrepo.ReadTip(env, "main")
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		gitstore.ClearCache() // as a run, which reads the repositories afresh
		bundle, err := evidence.Export(context.Background(), tip, env, evidence.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if !bundle.Verified || len(bundle.Renders) != renders || bundle.Summary.New != 1000 || bundle.Summary.Changed != renders-1 {
			b.Fatalf("verified %v, %d renders, summary %+v", bundle.Verified, len(bundle.Renders), bundle.Summary)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N)/renders, "ms/render-commit")
}

// BenchmarkReproduce renders again the last of two render commits of a
// 1,000-tenant environment repository, as evidence export --reproduce does
// for each render commit: a full render of the estate against the tree
// before it, compared file by file with the committed tree.
//
//	go test -run '^$' -bench BenchmarkReproduce -benchtime 3x -count 5 ./internal/evidence/
func BenchmarkReproduce(b *testing.B) {
	root := b.TempDir()
	if err := estategen.Write(root, estategen.Options{Tenants: 1000, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	env := filepath.Join(b.TempDir(), "env")
	at := time.Date(2026, 10, 14, 9, 0, 0, 0, time.UTC)
	publish(b, root, env, at)
	tenant := filepath.Join(root, "tenants", "tenant-00001.cue")
	orig, err := os.ReadFile(tenant)
	if err != nil {
		b.Fatal(err)
	}
	changed := strings.Replace(string(orig), `domains: ["`, `domains: ["www.tenant-00001.synthetic.test", "`, 1)
	if err := os.WriteFile(tenant, []byte(changed), 0o644); err != nil {
		b.Fatal(err)
	}
	publish(b, root, env, at.Add(time.Hour))
	tip, err := envrepo.ReadTip(env, "main")
	if err != nil {
		b.Fatal(err)
	}
	var last *envrepo.HistoryCommit
	if err := tip.History(func(c *envrepo.HistoryCommit) error { last = c; return envrepo.ErrStop }); err != nil {
		b.Fatal(err)
	}
	recs, err := last.ChangedPaths(last.Parent, pipeline.RecordsDir)
	if err != nil || len(recs) != 1 {
		b.Fatalf("records %v: %v", recs, err)
	}
	data, err := last.Read(recs[0])
	if err != nil {
		b.Fatal(err)
	}
	var rec pipeline.Record
	if err := json.Unmarshal(data, &rec); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		gitstore.ClearCache() // as a run, which reads the repositories afresh
		prev, err := last.Parent.Files("")
		if err != nil {
			b.Fatal(err)
		}
		files, err := pipeline.Reproduce(ctx, &rec, root, nil, prev, last.Parent.Message(), nil)
		if err != nil {
			b.Fatal(err)
		}
		if d := pipeline.TreeDigest(files); d != rec.RenderDigest {
			b.Fatalf("reproduced %s, the record says %s", d, rec.RenderDigest)
		}
	}
}

func publish(b *testing.B, root, env string, at time.Time) {
	if pub := pipelinetest.Publish(b, root, env, at); pub.Outcome.Unchanged {
		b.Fatal("publish: nothing changed")
	}
}
