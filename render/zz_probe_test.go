package render

import (
	"testing"

	"github.com/palisade-gitops/palisade/internal/estate"
	"github.com/palisade-gitops/palisade/internal/estategen"
)

func TestZZProbe(t *testing.T) {
	for seed := uint64(1); seed <= 30; seed++ {
		dir := t.TempDir()
		if err := estategen.Write(dir, estategen.Options{Tenants: 40, Seed: seed}); err != nil {
			t.Fatal(err)
		}
		e, err := estate.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		tiers := map[string]int{}
		cal := 0
		for _, tn := range e.Tenants {
			tiers[tn.Tier]++
			if len(tn.Calendar) > 0 && tn.Tier == "dedicated" {
				cal++
			}
		}
		t.Logf("seed %d tiers %v dedcal %d", seed, tiers, cal)
	}
}
