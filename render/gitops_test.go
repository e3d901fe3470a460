package render

import (
	"bytes"
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/palisade-gitops/palisade/internal/calendar"
	"github.com/palisade-gitops/palisade/internal/estate"
	"github.com/palisade-gitops/palisade/internal/k8svalidate"
)

// A weekly window becomes one cron window per weekday; Argo CD runs cron
// and duration on the local wall clock, so 00:00-24:00 is the whole day
// even across a DST switch.
func TestWeeklySyncWindows(t *testing.T) {
	tests := []struct {
		from, to string
		days     []string
		want     []calendar.SyncWindow
	}{
		{"00:00", "24:00", []string{"sun"}, []calendar.SyncWindow{{Schedule: "0 0 * * 0", Duration: "24h", TimeZone: "Europe/Paris"}}},
		{"22:30", "24:00", []string{"fri"}, []calendar.SyncWindow{{Schedule: "30 22 * * 5", Duration: "90m", TimeZone: "Europe/Paris"}}},
		{"22:00", "06:00", []string{"sat", "sun"}, []calendar.SyncWindow{
			{Schedule: "0 22 * * 6", Duration: "8h", TimeZone: "Europe/Paris"},
			{Schedule: "0 22 * * 0", Duration: "8h", TimeZone: "Europe/Paris"},
		}},
		{"16:15", "20:00", []string{"fri"}, []calendar.SyncWindow{{Schedule: "15 16 * * 5", Duration: "225m", TimeZone: "Europe/Paris"}}},
	}
	for _, tt := range tests {
		got := weeklySyncWindows(&estate.WeeklyRule{Days: tt.days, From: tt.from, To: tt.to}, "Europe/Paris")
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s-%s %v: got %+v, want %+v", tt.from, tt.to, tt.days, got, tt.want)
		}
	}
}

// Retained directories are wired like the estate's own, and only those of
// a tenant still in the estate, on a known cluster, that the estate no
// longer plans.
func TestWithRetained(t *testing.T) {
	e := syntheticEstate(t, 12, 5)
	all := planUnits(e)
	u := all[0]
	name, cluster := u.t.Name, u.place.Cluster
	var other string
	for c := range e.Platform.Clusters {
		if c != cluster {
			other = c
			break
		}
	}
	moved := "clusters/" + other + "/tenants/" + name + "/development"
	got := withRetained(e, all, []string{
		u.Dir(), // still planned
		moved,
		"clusters/" + cluster + "/tenants/no-such-tenant/production",
		"clusters/no-such-cluster/tenants/" + name + "/production",
		"clusters/" + cluster + "/tenants/" + name + "/qa",
		"clusters/" + cluster + "/platform",
		moved, // twice
	}, nil)
	if len(got) != len(all)+1 {
		t.Fatalf("%d units, want %d: one retained", len(got), len(all)+1)
	}
	var r *unit
	for i, x := range got {
		if i > 0 && got[i-1].Dir() > x.Dir() {
			t.Errorf("units not in directory order: %s before %s", got[i-1].Dir(), x.Dir())
		}
		if x.retained {
			r = x
		}
	}
	if r == nil || r.Dir() != moved || r.class != "development" || r.ns != Namespace(name, "development") || r.App() != AppName(name, "development") {
		t.Errorf("retained unit %+v, want %s", r, moved)
	}
}

// A held-back tenant is wired, and keeps its databases in the platform
// clusters, as the previous render made it: neither its tier switch nor
// its removal changes a platform or GitOps directory while it is held,
// and none of its environments is rendered.
func TestHeld(t *testing.T) {
	e := syntheticEstate(t, 12, 5)
	at := time.Date(2026, 10, 14, 9, 0, 0, 0, time.UTC)
	before, err := Render(e, Options{At: at, SkipManifests: true})
	if err != nil {
		t.Fatal(err)
	}
	var name string
	for _, n := range e.TenantNames() {
		if e.Tenants[n].Tier == "shared" {
			name = n
			break
		}
	}
	if name == "" {
		t.Fatal("no shared tenant in the synthetic estate")
	}
	orig := e.Tenants[name]
	h := Held{Tier: orig.Tier, Segment: orig.Segment, TimeZone: orig.TimeZone}
	for _, u := range before.Units {
		if u.Tenant == name {
			h.Dirs = append(h.Dirs, u.Dir)
		}
	}
	switched := *orig
	switched.Tier = "dedicated"
	withSwitch, withoutTenant := *e, *e
	withSwitch.Tenants, withoutTenant.Tenants = maps.Clone(e.Tenants), maps.Clone(e.Tenants)
	withSwitch.Tenants[name] = &switched
	delete(withoutTenant.Tenants, name)
	shared := func(r *Result) map[string][]byte {
		files := map[string][]byte{}
		for _, u := range r.Units {
			if u.Kind == KindTenant {
				continue
			}
			for f, data := range u.Files {
				files[u.Dir+"/"+f] = data
			}
		}
		return files
	}
	for what, est := range map[string]*estate.Estate{"tier switch": &withSwitch, "removal": &withoutTenant} {
		unheld, err := Render(est, Options{At: at, SkipManifests: true})
		if err != nil {
			t.Fatal(err)
		}
		if reflect.DeepEqual(shared(unheld), shared(before)) {
			t.Fatalf("%s: the platform and GitOps directories do not change even unheld", what)
		}
		held, err := Render(est, Options{At: at, SkipManifests: true, Held: map[string]Held{name: h}})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := shared(held), shared(before); !reflect.DeepEqual(got, want) {
			for f := range want {
				if !bytes.Equal(got[f], want[f]) {
					t.Errorf("%s, held: %s changed", what, f)
				}
			}
		}
		for _, u := range held.Units {
			if u.Tenant == name {
				t.Errorf("%s, held: %s rendered", what, u.Dir)
			}
		}
	}
}

// With Flux, the Kustomizations of a tenant a window applies to at the
// render's instant are suspended, and only those; the manifests stay
// valid against kustomize-controller's CRD.
func TestFluxSuspendsFrozenTenants(t *testing.T) {
	e, err := estate.Load("..") // the example estate
	if err != nil {
		t.Fatal(err)
	}
	v := k8svalidate.ForTest(t)
	for _, tt := range []struct {
		at     time.Time
		frozen string // "" when no window applies to any tenant
	}{
		{time.Date(2026, 10, 14, 7, 0, 0, 0, time.UTC), ""},
		{time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC), "maison-laurent"}, // Black Friday
	} {
		r := mustRender(t, e, Options{Target: TargetFlux, At: tt.at})
		seen := 0
		for _, u := range r.Units {
			if u.Kind != KindGitOps {
				continue
			}
			for _, err := range v.Validate(u.Manifest) {
				t.Errorf("%s: %v", u.Dir, err)
			}
			var onCluster []string
			for _, o := range decodeObjects(t, u.Manifest) {
				tenant := str(o, "metadata", "labels", LabelTenant)
				if str(o, "kind") != "Kustomization" || tenant == "" {
					continue
				}
				spec, _ := o["spec"].(map[string]any)
				if got, want := spec["suspend"] == true, tenant == tt.frozen; got != want {
					t.Errorf("at %s: %s/%s suspended %v, want %v", tt.at.Format(time.RFC3339), u.Dir, str(o, "metadata", "name"), got, want)
				}
				if tenant == tt.frozen {
					seen++
					onCluster = []string{tenant}
				}
			}
			if !slices.Equal(u.Suspended, onCluster) {
				t.Errorf("at %s: %s reports %v suspended, want %v", tt.at.Format(time.RFC3339), u.Dir, u.Suspended, onCluster)
			}
		}
		if tt.frozen != "" && seen == 0 {
			t.Errorf("at %s: no Kustomization of %s", tt.at.Format(time.RFC3339), tt.frozen)
		}
	}
}
