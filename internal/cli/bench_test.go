package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/palisade-gitops/palisade/internal/estategen"
)

// BenchmarkRender measures `palisade render` end to end — load and
// validate the estate, render every tenant environment, write the tree —
// on synthetic estates. The ns/tenant metric shows whether the cost per
// tenant stays flat as the estate grows.
//
//	go test -run '^$' -bench BenchmarkRender -benchtime 3x ./internal/cli/
func BenchmarkRender(b *testing.B) {
	for _, n := range []int{100, 1000, 5000} {
		b.Run(fmt.Sprintf("tenants=%d", n), func(b *testing.B) {
			if n > 1000 && testing.Short() {
				b.Skip("large estate skipped in -short mode")
			}
			root := b.TempDir()
			if err := estategen.Write(root, estategen.Options{Tenants: n, Seed: 1}); err != nil {
				b.Fatal(err)
			}
			out := filepath.Join(b.TempDir(), "out")
			args := []string{"render", "--root", root, "--out", out, "--at", "2026-10-14T09:00:00Z"}
			for b.Loop() {
				if code := Run(args, io.Discard, os.Stderr); code != 0 {
					b.Fatalf("render exited %d", code)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/tenant")
		})
	}
}
