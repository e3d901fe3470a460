package render

import (
	"maps"
	"slices"
	"testing"

	"github.com/palisade-gitops/palisade/internal/estate"
)

// TestEnginesAgree builds every directory of synthetic estates with the
// direct engine and with krusty (Kustomize in memory) and requires the same
// bytes: the direct engine's whole claim is that it prints what `kustomize
// build` prints.
func TestEnginesAgree(t *testing.T) {
	for _, se := range syntheticEstates(t) {
		e := se.e
		for _, target := range []string{TargetArgoCD, TargetFlux} {
			t.Run(se.name+"/"+target, func(t *testing.T) {
				direct := mustRender(t, e, Options{Target: target, Engine: EngineDirect})
				krusty := mustRender(t, e, Options{Target: target, Engine: EngineKrusty})
				requireUnitsOfEveryTier(t, e, direct)
				requireSameResult(t, direct, krusty)
			})
		}
	}
}

// requireUnitsOfEveryTier fails unless the render has tenant units of every
// isolation, a standby among them, and platform and GitOps units.
func requireUnitsOfEveryTier(t *testing.T, e *estate.Estate, r *Result) {
	t.Helper()
	seen := map[string]bool{}
	for _, u := range r.Units {
		switch u.Kind {
		case KindTenant:
			seen[e.Tiers[e.Tenants[u.Tenant].Tier].Isolation] = true
			if u.Environment == estate.Production+"-standby" {
				seen["standby"] = true
			}
		default:
			seen[u.Kind] = true
		}
	}
	for _, want := range []string{estate.IsolationShared, estate.IsolationSegmented, estate.IsolationDedicated, "standby", KindPlatform, KindGitOps} {
		if !seen[want] {
			t.Errorf("render has no %s unit", want)
		}
	}
}

// requireSameResult compares two renders unit by unit: directories, files
// and manifests byte for byte.
func requireSameResult(t *testing.T, got, want *Result) {
	t.Helper()
	if !slices.Equal(got.Clusters, want.Clusters) {
		t.Errorf("clusters differ: %v, want %v", got.Clusters, want.Clusters)
	}
	if !maps.EqualFunc(got.Bases, want.Bases, func(a, b []byte) bool { return string(a) == string(b) }) {
		t.Errorf("bases differ")
	}
	dirs := func(r *Result) []string {
		var out []string
		for _, u := range r.Units {
			out = append(out, u.Dir)
		}
		return out
	}
	if g, w := dirs(got), dirs(want); !slices.Equal(g, w) {
		t.Fatalf("unit directories differ:\n got %v\nwant %v", g, w)
	}
	bad := 0
	for i, g := range got.Units {
		w := want.Units[i]
		if g.Kind != w.Kind || g.Cluster != w.Cluster || g.Tenant != w.Tenant || g.Environment != w.Environment || g.Objects != w.Objects {
			t.Errorf("%s: unit %+v, want %+v", g.Dir,
				[]any{g.Kind, g.Cluster, g.Tenant, g.Environment, g.Objects}, []any{w.Kind, w.Cluster, w.Tenant, w.Environment, w.Objects})
		}
		for _, name := range slices.Sorted(maps.Keys(w.Files)) {
			if d := firstDiff(g.Files[name], w.Files[name]); d != "" {
				t.Errorf("%s/%s: %s", g.Dir, name, d)
			}
		}
		for name := range g.Files {
			if _, ok := w.Files[name]; !ok {
				t.Errorf("%s/%s: unexpected file", g.Dir, name)
			}
		}
		if d := firstDiff(g.Manifest, w.Manifest); d != "" {
			bad++
			if bad <= 5 {
				t.Errorf("%s: manifests differ (first is direct, second krusty): %s", g.Dir, d)
			}
		}
	}
	if bad > 5 {
		t.Errorf("... and %d more units whose manifests differ", bad-5)
	}
}
