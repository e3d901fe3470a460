package pipeline

import (
	"slices"
	"testing"
	"time"

	"github.com/palisade-gitops/palisade/internal/estate"
)

func TestRemovedFacts(t *testing.T) {
	ns := func(zone string) []byte {
		s := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n"
		if zone != "" {
			s += "  annotations:\n    palisade.io/time-zone: " + zone + "\n"
		}
		return []byte(s + "  labels:\n    palisade.io/segment: fashion-eu\n    palisade.io/tenant: kids\n    palisade.io/tier: segmented\n  name: kids-prod\n")
	}
	base := NewMapBaseline(map[string][]byte{
		"clusters/west/tenants/kids/production/resources.yaml":     ns("Europe/Helsinki"),
		"clusters/west/tenants/kids/production/kustomization.yaml": []byte("resources:\n- resources.yaml\n"),
		"clusters/west/tenants/kids/staging/resources.yaml":        ns(""),
		"clusters/west/tenants/other/production/resources.yaml":    []byte("kind: Namespace\nmetadata:\n  labels:\n    palisade.io/tenant: other\n    palisade.io/tier: shared\n"),
	})
	r, err := removedFacts(base, "kids")
	if err != nil {
		t.Fatal(err)
	}
	if r.Tier != "segmented" || r.Segment != "fashion-eu" || r.TimeZone != "Europe/Helsinki" || !slices.Equal(r.Environments, []string{"production", "staging"}) {
		t.Errorf("got %+v", r)
	}

	// A tree rendered before the time-zone annotation: the platform's
	// zone decides, and its windows still apply.
	base = NewMapBaseline(map[string][]byte{"clusters/west/tenants/kids/staging/resources.yaml": ns("")})
	e := &estate.Estate{Platform: estate.Platform{TimeZone: "Europe/Paris", Calendar: map[string]estate.Window{
		"close": {Kind: "financial-close", Fixed: &estate.FixedRange{Start: "2026-10-29", End: "2026-11-02"}},
	}}}
	in, err := removedInput(e, base, "kids", time.Date(2026, 10, 30, 12, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if in.Tenant.TimeZone != "Europe/Paris" || len(in.Windows) != 1 || in.Windows[0].EndLocal != "2026-11-03 00:00 Europe/Paris" ||
		!in.Change.Removed || !slices.Equal(in.Change.Environments, []string{"staging"}) || len(in.Environments) != 0 {
		t.Errorf("got %+v", in)
	}
}
