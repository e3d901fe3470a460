// Command genestate writes a synthetic estate for benchmarks and scale tests:
//
//	go run ./internal/estategen/genestate -tenants 1000 -out /tmp/estate
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/palisade-gitops/palisade/internal/estategen"
)

func main() {
	n := flag.Int("tenants", 1000, "number of tenants")
	seed := flag.Uint64("seed", 1, "seed of the tenant mix")
	out := flag.String("out", "", "directory to write the estate into (required)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "genestate: -out is required")
		os.Exit(2)
	}
	if err := estategen.Write(*out, estategen.Options{Tenants: *n, Seed: *seed}); err != nil {
		fmt.Fprintf(os.Stderr, "genestate: %v\n", err)
		os.Exit(1)
	}
}
