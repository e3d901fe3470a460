package images_test

import (
	"context"
	"os"
	"testing"

	"github.com/palisade-gitops/palisade/internal/images"
)

// BenchmarkVerify1000Tenants25Images verifies 1,000 tenant references (100
// distinct tags and 25 digest references over 25 signed images) against the
// in-process registry over loopback HTTP. cold: an empty cache, every tag
// resolved and every digest looked up; warm: a filled cache, tags resolved,
// no signature look-up.
//
//	go test -run '^$' -bench Verify1000 -benchtime 20x ./internal/images
func BenchmarkVerify1000Tenants25Images(b *testing.B) {
	r := newReg(b)
	a := newKey(b)
	reqs, _ := fleet(b, r, a, 25, 4, 1000)
	keys := map[string]key{"alpha": a, "beta": newKey(b)}
	run := func(b *testing.B, v *images.Verifier) {
		res, err := v.Verify(context.Background(), reqs)
		if err != nil {
			b.Fatal(err)
		}
		if !res[0].Verified() {
			b.Fatalf("%+v", res[0])
		}
	}
	report := func(b *testing.B, lookups, requests int64) {
		b.ReportMetric(float64(lookups)/float64(b.N), "lookups/op")
		b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
	}

	b.Run("cold", func(b *testing.B) {
		base := b.TempDir()
		var lookups, requests int64
		for b.Loop() {
			dir, err := os.MkdirTemp(base, "cache")
			if err != nil {
				b.Fatal(err)
			}
			v := verifier(b, keys, images.Options{CacheDir: dir})
			run(b, v)
			lookups += v.Stats().Lookups
			requests += v.Stats().Requests
		}
		report(b, lookups, requests)
	})

	b.Run("warm", func(b *testing.B) {
		dir := b.TempDir()
		run(b, verifier(b, keys, images.Options{CacheDir: dir}))
		var lookups, requests int64
		for b.Loop() {
			v := verifier(b, keys, images.Options{CacheDir: dir})
			run(b, v)
			lookups += v.Stats().Lookups
			requests += v.Stats().Requests
		}
		report(b, lookups, requests)
	})
}
