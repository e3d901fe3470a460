package render

import (
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/palisade-gitops/palisade/internal/estate"
	"github.com/palisade-gitops/palisade/internal/estategen"
)

// TestDedicatedPoolerOnOwnPool: a dedicated tenant's CloudNativePG Pooler
// (pgbouncer) pods carry its database traffic, so they must be placed on
// the tenant's node pool like the Cluster's. The overlay's placement
// patches only reach Deployments, StatefulSets and CronJobs; the Pooler's
// pods are placed by its spec.template. (Found by this test: the Pooler
// had no template and its pods scheduled on the shared pool.)
func TestDedicatedPoolerOnOwnPool(t *testing.T) {
	checked := 0
	for _, p := range renderParsed(t, TargetArgoCD) {
		for _, u := range p.tenantUnits() {
			if u.tier.Isolation != estate.IsolationDedicated {
				continue
			}
			for _, o := range u.objs {
				if !cnpg(o, "Pooler") {
					continue
				}
				checked++
				ps := mapAt(o, "spec", "template", "spec")
				if got := str(ps, "nodeSelector", LabelTenant); got != u.Tenant {
					t.Errorf("%s: Pooler %s: pod nodeSelector %s = %q, want %q", u, nameOfObj(o), LabelTenant, got, u.Tenant)
				}
				if !hasToleration(ps, TaintDedicated, u.Tenant) {
					t.Errorf("%s: Pooler %s: pods do not tolerate the dedicated pool's taint", u, nameOfObj(o))
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no Pooler of a dedicated tenant rendered")
	}
}

// renameTenant rewrites a written synthetic estate so that tenant from is
// called to.
func renameTenant(t *testing.T, dir, from, to string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(strings.ReplaceAll(string(data), from, to)), 0o644); err != nil {
			return err
		}
		if strings.Contains(d.Name(), from) {
			return os.Rename(p, filepath.Join(filepath.Dir(p), strings.ReplaceAll(d.Name(), from, to)))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// requireProjectDestinationsOwnTenants checks that no Argo CD AppProject
// lets its applications deploy into the namespace of a tenant of another
// tier.
func requireProjectDestinationsOwnTenants(t *testing.T, p *parsed) {
	t.Helper()
	tierOfNS := map[string]map[string]string{} // cluster → namespace → tier
	for _, u := range p.tenantUnits() {
		if tierOfNS[u.Cluster] == nil {
			tierOfNS[u.Cluster] = map[string]string{}
		}
		tierOfNS[u.Cluster][u.ns] = u.t.Tier
	}
	for _, c := range p.r.Clusters {
		for _, proj := range find(p.objs["clusters/"+c+"/gitops"], "AppProject", "") {
			tier, ok := strings.CutSuffix(nameOfObj(proj), "-"+c)
			if !ok || p.e.Tiers[tier] == nil {
				continue // the platform's project
			}
			for _, x := range listAt(proj, "spec", "destinations") {
				pattern := str(x.(map[string]any), "namespace")
				for ns, other := range tierOfNS[c] {
					if m, _ := path.Match(pattern, ns); m && other != tier {
						t.Errorf("%s: AppProject %s (tier %s) destination %q admits namespace %q of a %s tenant",
							c, nameOfObj(proj), tier, pattern, ns, other)
					}
				}
			}
		}
	}
}

// TestAppProjectDestinationsOwnTenants: an AppProject admits only the
// namespaces of its tier's tenants, also when one tenant's name is another
// one's prefix followed by "-" (tenant names are DNS labels, so
// "tenant-00000" and "tenant-00000-eu" are both valid). (Found by this
// test: destinations were "<tenant>-*", and the dedicated tier's project
// admitted "tenant-00000-eu-prod" of a shared tenant.)
func TestAppProjectDestinationsOwnTenants(t *testing.T) {
	t.Run("synthetic", func(t *testing.T) {
		for _, p := range renderParsed(t, TargetArgoCD) {
			requireProjectDestinationsOwnTenants(t, p)
		}
	})
	t.Run("prefixed-names", func(t *testing.T) {
		dir := t.TempDir()
		// Seed 4 makes tenant-00000 dedicated and tenant-00003 shared, both
		// in eu-west.
		if err := estategen.Write(dir, estategen.Options{Tenants: 6, Seed: 4}); err != nil {
			t.Fatal(err)
		}
		renameTenant(t, dir, "tenant-00003", "tenant-00000-eu")
		e, err := estate.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		a, b := e.Tenants["tenant-00000"], e.Tenants["tenant-00000-eu"]
		if a == nil || b == nil || a.Tier == b.Tier || a.Environments[estate.Production].Placement != b.Environments[estate.Production].Placement {
			t.Fatal("the estate no longer has two tenants of different tiers with prefixed names on one cluster")
		}
		requireProjectDestinationsOwnTenants(t, parseResult(t, e, mustRender(t, e, Options{})))
	})
}
