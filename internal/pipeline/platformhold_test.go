package pipeline

import (
	"reflect"
	"testing"

	"github.com/palisade-gitops/palisade/internal/policy"
	"github.com/palisade-gitops/palisade/render"
)

func frozenInput(name, window, endLocal, freeAt string) policy.Input {
	var in policy.Input
	in.Tenant.Name = name
	in.Windows = []policy.Window{{Name: window, EndLocal: endLocal}}
	in.FreeAt, in.FreeLocal = freeAt, endLocal
	return in
}

func TestPlatformHoldBacks(t *testing.T) {
	deny := func(id, tenant, env string) policy.Result {
		return policy.Result{PolicyID: id, Severity: policy.SeverityDeny, Tenant: tenant, Environment: env}
	}
	j := &platformJudgement{
		Frozen: map[string]policy.Input{
			"bolt":  frozenInput("bolt", "black-friday", "2026-12-02 00:00 Europe/Paris", "2026-12-01T23:00:00Z"),
			"acme":  frozenInput("acme", "month-end", "2026-12-02 00:00 America/New_York", "2026-12-02T05:00:00Z"),
			"crane": frozenInput("crane", "waived", "", ""),
		},
		Reach: map[envKey][]string{
			{"bolt", "production"}:  {"clusters/eu-west-prod/platform", "clusters/eu-west-prod/gitops"},
			{"acme", "production"}:  {"clusters/eu-west-prod/platform"},
			{"acme", "staging"}:     {"clusters/eu-west-nonprod/platform"},
			{"crane", "production"}: {"clusters/us-east-prod/platform"},
		},
		Results: []policy.Result{
			deny(policy.PlatformPolicy, "bolt", "production"),
			deny(policy.PlatformPolicy, "acme", "production"),
			deny(policy.PlatformPolicy, "acme", "staging"),
			// Waived: its cluster's platform change lands.
			{PolicyID: policy.PlatformPolicy, Severity: policy.SeverityDeny, Tenant: "crane", Environment: "production", Waived: true},
			{PolicyID: policy.WaiverUsed, Severity: policy.SeverityWarn},
		},
	}
	got, ok := platformHoldBacks(j)
	if !ok {
		t.Fatal("not ok, want the clusters held back")
	}
	var clusters []string
	for _, ph := range got {
		clusters = append(clusters, ph.Cluster)
	}
	if want := []string{"eu-west-nonprod", "eu-west-prod"}; !reflect.DeepEqual(clusters, want) {
		t.Fatalf("clusters %v, want %v", clusters, want)
	}
	prod := got[1]
	if want := []string{"clusters/eu-west-prod/gitops", "clusters/eu-west-prod/platform"}; !reflect.DeepEqual(prod.Directories, want) {
		t.Errorf("directories %v, want %v", prod.Directories, want)
	}
	if want := []string{"acme", "bolt"}; !reflect.DeepEqual(prod.Serving, want) {
		t.Errorf("serving %v, want %v", prod.Serving, want)
	}
	if len(prod.Windows) != 2 || len(prod.neighbours) != 2 || prod.neighbours[0].Tenant != "acme" {
		t.Errorf("windows %+v, neighbours %+v: want both tenants'", prod.Windows, prod.neighbours)
	}
	// acme is free last (05:00 UTC against bolt's 23:00 the day before).
	if prod.Free != "2026-12-02 00:00 America/New_York" {
		t.Errorf("free %q, want acme's", prod.Free)
	}

	// A denial this cannot hold back: another rule's, or one no
	// directory carries.
	for _, r := range []policy.Result{deny(policy.NeighbourPolicy, "bolt", ""), deny(policy.PlatformPolicy, "bolt", "staging")} {
		j.Results = append(j.Results[:3:3], r)
		if _, ok := platformHoldBacks(j); ok {
			t.Errorf("%s %s/%s: ok, want none", r.PolicyID, r.Tenant, r.Environment)
		}
	}

	// A later round adds to the clusters held back.
	more := []PlatformHoldBack{{Cluster: "eu-west-prod", Directories: []string{"clusters/eu-west-prod/platform"}, Serving: []string{"delta"},
		neighbours: []policy.Neighbour{{Tenant: "delta"}}, freeAt: "2026-12-03T00:00:00Z", Free: "2026-12-03 01:00 Europe/Paris"}}
	merged := mergePlatformHoldBacks(got, more)
	if len(merged) != 2 || !reflect.DeepEqual(merged[1].Serving, []string{"acme", "bolt", "delta"}) || merged[1].Free != "2026-12-03 01:00 Europe/Paris" || len(merged[1].Directories) != 2 {
		t.Errorf("merged %+v", merged[1])
	}
}

func TestHeldPlatformInput(t *testing.T) {
	phbs := []PlatformHoldBack{{Cluster: "eu-west-prod", Directories: []string{"clusters/eu-west-prod/platform"}, Serving: []string{"bolt"},
		neighbours: []policy.Neighbour{{Tenant: "bolt"}}, Windows: []policy.Window{{Name: "black-friday"}}, freeAt: "2026-12-01T23:00:00Z", Free: "2026-12-02 00:00 Europe/Paris"}}
	inputOf := func(name string) (policy.Input, error) {
		in := policy.Input{Waivers: []policy.Waiver{{ID: "own"}}}
		in.Tenant.Name = name
		return in, nil
	}
	// Only directories on another cluster: not concerned.
	in, _, err := heldPlatformInput("acme", []string{"clusters/us-east-prod/tenants/acme/production"}, phbs, inputOf)
	if err != nil || len(in.Change.HeldPlatform) != 0 {
		t.Fatalf("got %+v, %v; want no held platform", in.Change.HeldPlatform, err)
	}
	in, hb, err := heldPlatformInput("acme", []string{"clusters/us-east-prod/tenants/acme/production", "clusters/eu-west-prod/tenants/acme/staging"}, phbs, inputOf)
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Change.HeldPlatform) != 1 || in.Change.HeldPlatform[0].Cluster != "eu-west-prod" || in.Change.HeldPlatform[0].FreeLocal != "2026-12-02 00:00 Europe/Paris" {
		t.Errorf("held platform %+v", in.Change.HeldPlatform)
	}
	if len(in.Waivers) != 0 {
		t.Errorf("waivers %+v: the tenant's own do not apply", in.Waivers)
	}
	if !reflect.DeepEqual(hb.Clusters, []string{"eu-west-prod"}) || !reflect.DeepEqual(hb.Serving, []string{"bolt"}) || hb.Free != "2026-12-02 00:00 Europe/Paris" || len(hb.Windows) != 1 {
		t.Errorf("hold-back %+v", hb)
	}
}

func TestTenantChangedDirs(t *testing.T) {
	units := []*render.Unit{
		{Dir: "clusters/a/tenants/t/production", Environment: "production"},
		{Dir: "clusters/b/tenants/t/staging", Environment: "staging"},
	}
	c := policy.Change{Environments: []string{"development", "production"}}
	have := []string{"clusters/a/tenants/t/development", "clusters/a/tenants/t/production", "clusters/b/tenants/t/staging"}
	got := tenantChangedDirs(units, c, have)
	want := []string{"clusters/a/tenants/t/production", "clusters/a/tenants/t/development"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for dir, want := range map[string]string{"clusters/eu-west-prod/platform": "eu-west-prod", "bases/shared": "", "clusters": ""} {
		if got := clusterOf(dir); got != want {
			t.Errorf("clusterOf(%q) = %q, want %q", dir, got, want)
		}
	}
}
