package policy

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/palisade-gitops/palisade/internal/calendar"
	"github.com/palisade-gitops/palisade/internal/estate"
)

func testEstate() *estate.Estate {
	return &estate.Estate{
		Platform: estate.Platform{
			Name:       "palisade-example",
			TimeZone:   "Europe/Paris",
			Registries: estate.Registries{Allowed: []string{"registry.palisade.example/odoo"}},
			Keys:       map[string]estate.SigningKey{"palisade-example": {Name: "palisade-example"}, "nordlys-release": {Name: "nordlys-release"}},
			Segments:   map[string]estate.Segment{"fashion-eu": {Name: "fashion-eu"}},
		},
		Tiers: map[string]*estate.Tier{"dedicated": {
			Name: "dedicated", Isolation: estate.IsolationDedicated, SigningKeys: []string{"palisade-example"},
			Environments: map[string]*estate.TierEnvironment{estate.Production: {
				Class: estate.Production, Zones: 3,
				Replicas: map[string]estate.ReplicaBounds{"web": {Min: 3, Default: 4, Max: 12}},
				Backup:   estate.Backup{RPO: "5m", Schedule: "0 */6 * * *", PITR: true},
				Quota:    estate.Quota{CPU: "64", Memory: "160Gi", Pods: 150},
			}},
		}},
		Tenants: map[string]*estate.Tenant{"maison-laurent": {
			Name: "maison-laurent", Brand: "Maison Laurent", Tier: "dedicated", TimeZone: "Europe/Paris",
			File: "tenants/maison-laurent.cue",
			Waivers: map[string]estate.Waiver{"hotfix": {
				Policy: FreezePolicy, Scope: estate.WaiverScope{Window: "black-friday-2026"},
				Reason: "payment outage hotfix", Ticket: "INC-1", Approver: "cto@example.com",
				Expires: time.Date(2026, 11, 28, 18, 0, 0, 0, time.FixedZone("CET", 3600)), BreakGlass: true,
			}},
		}},
	}
}

func TestNewInput(t *testing.T) {
	e := testEstate()
	in, err := NewInput(e, "maison-laurent", time.Date(2026, 11, 27, 10, 0, 0, 0, time.FixedZone("CET", 3600)))
	if err != nil {
		t.Fatal(err)
	}
	if in.At != "2026-11-27T09:00:00Z" {
		t.Errorf("At = %q", in.At)
	}
	if !slices.Equal(in.Platform.Keys, []string{"nordlys-release", "palisade-example"}) {
		t.Errorf("Keys = %v", in.Platform.Keys)
	}
	wantNS := []string{"argocd", "cnpg-system", "flux-system", "kube-system", "monitoring", "postgres-fashion-eu", "postgres-shared", "redis-shared", "traefik"}
	if !slices.Equal(in.Platform.Namespaces, wantNS) {
		t.Errorf("Namespaces = %v", in.Platform.Namespaces)
	}
	if in.Tenant != (Tenant{Name: "maison-laurent", Brand: "Maison Laurent", Tier: "dedicated", TimeZone: "Europe/Paris", File: "tenants/maison-laurent.cue"}) {
		t.Errorf("Tenant = %+v", in.Tenant)
	}
	if te := in.Tier.Environments[estate.Production]; te.Zones != 3 || te.Replicas["web"].Min != 3 || te.Backup.RPO != "5m" {
		t.Errorf("tier production = %+v", te)
	}
	want := []Waiver{{
		ID: "hotfix", Policy: FreezePolicy, Scope: WaiverScope{Window: "black-friday-2026"},
		Reason: "payment outage hotfix", Ticket: "INC-1", Approver: "cto@example.com",
		Expires: "2026-11-28T17:00:00Z", BreakGlass: true,
	}}
	if !slices.Equal(in.Waivers, want) {
		t.Errorf("Waivers = %+v", in.Waivers)
	}
	// The empty parts marshal as empty lists, not null: rules iterate them.
	b, _ := json.Marshal(in)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	for _, k := range []string{"environments", "images", "windows"} {
		if _, ok := m[k].([]any); !ok {
			t.Errorf("%s = %v, want a list", k, m[k])
		}
	}
	if _, err := NewInput(e, "nobody", testAt); err == nil {
		t.Error("unknown tenant: want an error")
	}
	// The input evaluates: no environments, so nothing to report but
	// nothing to fail on either.
	if _, err := newTestEngine(t).Evaluate(context.Background(), []Input{in}); err != nil {
		t.Error(err)
	}
}

func TestWindows(t *testing.T) {
	e := testEstate()
	tn := e.Tenants["maison-laurent"]
	active := []calendar.Active{
		{Scoped: calendar.Scoped{Window: estate.Window{Name: "black-friday-2026", Kind: estate.KindPromotion}, Calendar: estate.ScopeTenant, Zone: "Europe/Paris"},
			Interval: calendar.Interval{Start: time.Date(2026, 11, 26, 23, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 1, 23, 0, 0, 0, time.UTC)}},
		{Scoped: calendar.Scoped{Window: estate.Window{Name: "winter-sales", Kind: estate.KindPromotion}, Calendar: estate.ScopeTier, Zone: "Europe/Paris"},
			Interval: calendar.Interval{Start: time.Date(2027, 1, 13, 5, 0, 0, 0, time.UTC), End: time.Date(2027, 1, 17, 5, 0, 0, 0, time.UTC)}},
		{Scoped: calendar.Scoped{Window: estate.Window{Name: "us-close", Kind: estate.KindFinancialClose, Scope: estate.WindowScope{Level: estate.ScopeSegment, Name: "fashion-eu"}}, Calendar: estate.ScopePlatform, Zone: "America/New_York"},
			Interval: calendar.Interval{Start: time.Date(2026, 11, 30, 5, 0, 0, 0, time.UTC), End: time.Date(2026, 12, 2, 5, 0, 0, 0, time.UTC)}},
		{Scoped: calendar.Scoped{Window: estate.Window{Name: "everyone", Kind: estate.KindMaintenance}, Calendar: estate.ScopePlatform, Zone: "Europe/Paris"},
			Interval: calendar.Interval{Start: time.Date(2026, 11, 30, 5, 0, 0, 0, time.UTC), End: time.Date(2029, 12, 2, 5, 0, 0, 0, time.UTC), OpenEnd: true}},
	}
	got, err := Windows(active, tn)
	if err != nil {
		t.Fatal(err)
	}
	want := []Window{
		{Name: "black-friday-2026", Kind: "promotion", Calendar: "tenant", Scope: WindowScope{Level: "tenant", Name: "maison-laurent"}, Zone: "Europe/Paris",
			Start: "2026-11-26T23:00:00Z", End: "2026-12-01T23:00:00Z", EndLocal: "2026-12-02 00:00 Europe/Paris"},
		{Name: "winter-sales", Kind: "promotion", Calendar: "tier", Scope: WindowScope{Level: "tier", Name: "dedicated"}, Zone: "Europe/Paris",
			Start: "2027-01-13T05:00:00Z", End: "2027-01-17T05:00:00Z", EndLocal: "2027-01-17 06:00 Europe/Paris"},
		{Name: "us-close", Kind: "financial-close", Calendar: "platform", Scope: WindowScope{Level: "segment", Name: "fashion-eu"}, Zone: "America/New_York",
			Start: "2026-11-30T05:00:00Z", End: "2026-12-02T05:00:00Z", EndLocal: "2026-12-02 06:00 Europe/Paris"},
		{Name: "everyone", Kind: "maintenance", Calendar: "platform", Scope: WindowScope{Level: "platform"}, Zone: "Europe/Paris",
			Start: "2026-11-30T05:00:00Z", End: "2029-12-02T05:00:00Z", EndLocal: "2029-12-02 06:00 Europe/Paris", Endless: true},
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", got, want)
	}
	if u := got[0].Until(); u != "until 2026-12-02 00:00 Europe/Paris" {
		t.Errorf("Until() = %q for a window that ends", u)
	}
	if u := got[3].Until(); u != "until further notice (its occurrences follow one another without a gap)" {
		t.Errorf("Until() = %q for an endless window", u)
	}
	tn.TimeZone = "Mars/Olympus"
	if _, err := Windows(active, tn); err == nil {
		t.Error("unknown zone: want an error")
	}
}

func TestEmptyListsAreNotNull(t *testing.T) {
	in := Input{At: testAt.Format(time.RFC3339), Environments: []Environment{{Name: "production", Class: "production"}}}
	v, err := in.value()
	if err != nil {
		t.Fatal(err)
	}
	s := v.String()
	for _, want := range []string{`"images": []`, `"windows": []`, `"waivers": []`, `"objects": []`, `"platformObjects": []`, `"keys": []`} {
		if !strings.Contains(s, want) {
			t.Errorf("input lacks %s: %s", want, s)
		}
	}
}

// Document is the value the engine evaluates, as JSON: read back into
// OPA, it is the same value, the indexes the engine adds included.
func TestDocumentIsWhatRulesRead(t *testing.T) {
	in := testInput("acme", "dedicated")
	doc, err := in.Document()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ast.InterfaceToValue(doc)
	if err != nil {
		t.Fatal(err)
	}
	want, err := in.value()
	if err != nil {
		t.Fatal(err)
	}
	if got.Compare(want) != 0 {
		t.Fatalf("the document differs from the evaluated input")
	}
	envs := doc.(map[string]any)["environments"].([]any)
	if _, ok := envs[0].(map[string]any)["kinds"]; !ok {
		t.Error("no kinds index in the document")
	}
}
