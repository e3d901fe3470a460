package render

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/palisade-gitops/palisade/internal/estate"
)

// trees lays a result out in both layouts.
func trees(t *testing.T, r *Result) map[string]map[string][]byte {
	t.Helper()
	out := map[string]map[string][]byte{}
	for _, layout := range []string{LayoutKustomize, LayoutHydrated} {
		tr, err := r.Tree(layout)
		if err != nil {
			t.Fatalf("Tree(%q): %v", layout, err)
		}
		out[layout] = tr
	}
	return out
}

// requireSameTrees compares two renders' trees file by file.
func requireSameTrees(t *testing.T, what string, got, want map[string]map[string][]byte) {
	t.Helper()
	for _, layout := range slices.Sorted(maps.Keys(want)) {
		g, w := got[layout], want[layout]
		if gk, wk := slices.Sorted(maps.Keys(g)), slices.Sorted(maps.Keys(w)); !slices.Equal(gk, wk) {
			t.Errorf("%s: %s tree has files %v, want %v", what, layout, gk, wk)
			continue
		}
		bad := 0
		for _, p := range slices.Sorted(maps.Keys(w)) {
			if d := firstDiff(g[p], w[p]); d != "" {
				if bad++; bad <= 3 {
					t.Errorf("%s: %s tree: %s: %s", what, layout, p, d)
				}
			}
		}
		if bad > 3 {
			t.Errorf("%s: %s tree: %d more files differ", what, layout, bad-3)
		}
	}
}

// TestDeterministic renders the same estate several times, one after the
// other and concurrently, with different worker counts: the trees must be
// byte-identical (run it under -race too).
func TestDeterministic(t *testing.T) {
	e := firstSyntheticEstate(t)
	for _, target := range []string{TargetArgoCD, TargetFlux} {
		t.Run(target, func(t *testing.T) {
			want := trees(t, mustRender(t, e, Options{Target: target}))
			if len(want[LayoutHydrated]) == 0 {
				t.Fatal("empty tree")
			}
			requireSameTrees(t, "second render (1 worker)", trees(t, mustRender(t, e, Options{Target: target, Workers: 1})), want)

			var wg sync.WaitGroup
			results := make([]*Result, 4)
			errs := make([]error, 4)
			for i := range results {
				wg.Go(func() {
					results[i], errs[i] = Render(e, Options{Target: target, At: testAt, Workers: []int{0, 1, 3, 16}[i]})
				})
			}
			wg.Wait()
			for i, r := range results {
				if errs[i] != nil {
					t.Fatalf("concurrent render %d: %v", i, errs[i])
				}
				requireSameTrees(t, fmt.Sprintf("concurrent render %d", i), trees(t, r), want)
			}
		})
	}
}

// pickOnePerTier returns the first tenant (by name) of each isolation.
func pickOnePerTier(e *estate.Estate) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range e.TenantNames() {
		iso := e.Tiers[e.Tenants[n].Tier].Isolation
		if !seen[iso] {
			seen[iso] = true
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// TestTenantsFilter renders a few tenants: exactly their units, the same as
// in a full render, and the platform and GitOps units of the whole estate.
func TestTenantsFilter(t *testing.T) {
	e := firstSyntheticEstate(t)
	picked := pickOnePerTier(e)
	for _, target := range []string{TargetArgoCD, TargetFlux} {
		t.Run(target, func(t *testing.T) {
			full := mustRender(t, e, Options{Target: target})
			part := mustRender(t, e, Options{Target: target, Tenants: picked})
			if got := part.Tenants(); !slices.Equal(got, picked) {
				t.Errorf("Tenants() = %v, want %v", got, picked)
			}
			want := map[string]*Unit{}
			for _, u := range full.Units {
				if u.Kind != KindTenant || slices.Contains(picked, u.Tenant) {
					want[u.Dir] = u
				}
			}
			got := map[string]*Unit{}
			for _, u := range part.Units {
				got[u.Dir] = u
			}
			if g, w := slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)); !slices.Equal(g, w) {
				t.Fatalf("units:\n got %v\nwant %v", g, w)
			}
			for dir, w := range want {
				g := got[dir]
				if d := firstDiff(g.Manifest, w.Manifest); d != "" {
					t.Errorf("%s (%s): manifest differs from the full render's: %s", dir, g.Kind, d)
				}
				for name, data := range w.Files {
					if d := firstDiff(g.Files[name], data); d != "" {
						t.Errorf("%s/%s: differs from the full render's: %s", dir, name, d)
					}
				}
			}
			kinds := map[string]int{}
			for _, u := range part.Units {
				kinds[u.Kind]++
			}
			if kinds[KindPlatform] != len(full.Clusters) || kinds[KindGitOps] != len(full.Clusters) {
				t.Errorf("units by kind %v, want a platform and a gitops unit for each of %d clusters", kinds, len(full.Clusters))
			}
			if !slices.Equal(part.Clusters, full.Clusters) {
				t.Errorf("Clusters = %v, want %v", part.Clusters, full.Clusters)
			}
			if !slices.Equal(part.Dirs(), full.Dirs()) {
				t.Errorf("Dirs() differ from the full render's")
			}
		})
	}
	t.Run("unknown", func(t *testing.T) {
		for _, tenants := range [][]string{{"no-such-tenant"}, {picked[0], "no-such-tenant"}} {
			_, err := Render(e, Options{At: testAt, Tenants: tenants})
			if err == nil || !strings.Contains(err.Error(), `unknown tenant "no-such-tenant"`) {
				t.Errorf("Render(Tenants: %q) error = %v, want unknown tenant", tenants, err)
			}
		}
	})
}

func TestUnknownTargetEngine(t *testing.T) {
	e := syntheticEstate(t, 4, 1)
	tests := []struct {
		name string
		o    Options
		want string // "" for success
	}{
		{"defaults", Options{At: testAt}, ""},
		{"flux-krusty", Options{At: testAt, Target: TargetFlux, Engine: EngineKrusty}, ""},
		{"unknown-target", Options{At: testAt, Target: "argo"}, `unknown target "argo"`},
		{"target-case", Options{At: testAt, Target: "ArgoCD"}, `unknown target "ArgoCD"`},
		{"unknown-engine", Options{At: testAt, Engine: "kustomize"}, `unknown engine "kustomize"`},
		{"engine-case", Options{At: testAt, Target: TargetFlux, Engine: "Direct"}, `unknown engine "Direct"`},
		{"argocd-without-instant", Options{Target: TargetArgoCD}, "instant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Render(e, tt.o)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Render: %v", err)
				}
				if len(r.Units) == 0 {
					t.Fatal("no units")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Render error = %v, want one containing %q", err, tt.want)
			}
			if r != nil {
				t.Errorf("Render returned a result with its error")
			}
		})
	}
	t.Run("unknown-layout", func(t *testing.T) {
		r := mustRender(t, e, Options{})
		if _, err := r.Tree("flat"); err == nil || !strings.Contains(err.Error(), `unknown layout "flat"`) {
			t.Errorf("Tree(flat) error = %v", err)
		}
	})
}

func TestDistinctErrors(t *testing.T) {
	a, b := errors.New(`tenant "acme": window "w": invalid`), errors.New("other")
	got := errors.Join(distinct([]error{nil, a, errors.New(a.Error()), nil, b, a})...)
	if want := "tenant \"acme\": window \"w\": invalid\nother"; got == nil || got.Error() != want {
		t.Errorf("joined %q, want %q", got, want)
	}
	if distinct([]error{nil, nil}) != nil {
		t.Error("no errors should join to nil")
	}
}
