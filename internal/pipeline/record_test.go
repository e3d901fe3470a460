package pipeline

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/palisade-gitops/palisade/internal/estate"
	"github.com/palisade-gitops/palisade/internal/policy"
)

// TestRecordPathsDiffer: records of the same rendered tree at the same
// instant but of different renders have different paths; the same record
// always has the same one.
func TestRecordPathsDiffer(t *testing.T) {
	at := time.Date(2026, 10, 14, 7, 0, 0, 0, time.UTC)
	a := &Record{Schema: "v1", At: at, RenderDigest: "sha256:" + strings.Repeat("ab", 32), Source: Source{Repo: "estate", Commit: "1111"}}
	b := *a
	b.Source.Commit = "2222"
	if a.Path() == b.Path() {
		t.Fatalf("two sources' records of one tree share %s", a.Path())
	}
	if !strings.HasPrefix(a.Path(), RecordsDir+"/2026/10/20261014T070000Z-") || !strings.HasSuffix(a.Path(), ".json") {
		t.Errorf("path %s", a.Path())
	}
	c := *a
	if c.Path() != a.Path() {
		t.Error("equal records have different paths")
	}
	// The month is UTC's, as the instant in the name.
	c.At = time.Date(2026, 11, 1, 0, 30, 0, 0, time.FixedZone("CET", 3600))
	if !strings.HasPrefix(c.Path(), RecordsDir+"/2026/10/20261031T233000Z-") {
		t.Errorf("path %s", c.Path())
	}
}

// TestRecordWaiverUses: a waiver is recorded once per tenant and policy
// however many environments it waived, a platform waiver's use is marked
// as one, and the engine's notes about the platform's waivers (no
// tenant) are kept with the record's platform results.
func TestRecordWaiverUses(t *testing.T) {
	at := time.Date(2026, 10, 30, 16, 0, 0, 0, time.UTC)
	p := &Prepared{
		Options: Options{Root: t.TempDir(), At: at},
		Estate: &estate.Estate{
			Tenants: map[string]*estate.Tenant{"acme": {Name: "acme", Tier: "shared", Waivers: map[string]estate.Waiver{
				"hotfix": {ID: "hotfix", Policy: policy.FreezePolicy, Approver: "cto@acme.example", Ticket: "OPS-7", Reason: "payment outage", Expires: at.Add(48 * time.Hour), BreakGlass: true},
			}}},
			Platform: estate.Platform{Waivers: map[string]estate.Waiver{
				"pg-cve": {ID: "pg-cve", Policy: policy.PlatformPolicy, Approver: "sre-lead@palisade.example", Ticket: "SEC-1", Reason: "PostgreSQL CVE", Expires: at.Add(24 * time.Hour)},
			}},
		},
	}
	waived := func(env, id, waiver string) policy.Result {
		return policy.Result{PolicyID: id, Severity: policy.SeverityDeny, Tenant: "acme", Environment: env, Waived: true, WaiverID: waiver}
	}
	note := policy.Result{PolicyID: policy.WaiverUsed, Severity: policy.SeverityWarn, Message: "platform break-glass waiver", WaiverID: "pg-cve", Path: []string{"platform", "waivers", "pg-cve"}}
	rs := []policy.Result{
		waived("production", policy.PlatformPolicy, "pg-cve"), waived("production", policy.FreezePolicy, "hotfix"),
		waived("staging", policy.PlatformPolicy, "pg-cve"), waived("staging", policy.FreezePolicy, "hotfix"),
		note,
	}
	policy.SortResults(rs)
	out := &Outcome{Report: &Report{Results: rs}, Tenants: map[string]TenantState{"acme": {Changed: true}}}
	r, err := p.NewRecord(out, Source{}, "test", "sha256:"+strings.Repeat("ab", 32))
	if err != nil {
		t.Fatal(err)
	}
	in48h, in24h := at.Add(48*time.Hour), at.Add(24*time.Hour)
	want := []WaiverUse{
		{Tenant: "acme", Waiver: "hotfix", Policy: policy.FreezePolicy, Approver: "cto@acme.example", Ticket: "OPS-7", Reason: "payment outage", Expires: &in48h, BreakGlass: true},
		{Tenant: "acme", Waiver: "pg-cve", Policy: policy.PlatformPolicy, Platform: true, Approver: "sre-lead@palisade.example", Ticket: "SEC-1", Reason: "PostgreSQL CVE", Expires: &in24h},
	}
	if !slices.EqualFunc(r.WaiversUsed, want, func(a, b WaiverUse) bool {
		return a.Tenant == b.Tenant && a.Waiver == b.Waiver && a.Policy == b.Policy && a.Platform == b.Platform &&
			a.Approver == b.Approver && a.Ticket == b.Ticket && a.Reason == b.Reason && a.BreakGlass == b.BreakGlass &&
			a.Expires != nil && a.Expires.Equal(*b.Expires)
	}) {
		t.Errorf("waivers used %+v, want %+v", r.WaiversUsed, want)
	}
	if len(r.Platform) != 1 || r.Platform[0].PolicyID != policy.WaiverUsed {
		t.Errorf("platform results %+v, want the waiver.used note", r.Platform)
	}
	if len(r.Tenants) != 1 || len(r.Tenants[0].Results) != 4 {
		t.Errorf("tenant records %+v, want acme's 4 results", r.Tenants)
	}
	msg := r.CommitMessage()
	if !strings.Contains(msg, "Waivers used:\n  acme: hotfix (freeze.window-active)\n  acme: pg-cve (freeze.platform-change, a platform waiver)\n\n") {
		t.Errorf("commit message:\n%s", msg)
	}
}

// TestRecordHeldRemoval: a tenant whose removal a freeze holds back is
// no longer in the estate; its record entry names the tier the previous
// render labelled it with.
func TestRecordHeldRemoval(t *testing.T) {
	at := time.Date(2026, 10, 30, 10, 0, 0, 0, time.UTC)
	p := &Prepared{Options: Options{Root: t.TempDir(), At: at}, Estate: &estate.Estate{}}
	out := &Outcome{
		Report:       &Report{HeldBack: []HoldBack{{Tenant: "gone", Removal: true}}},
		Tenants:      map[string]TenantState{},
		removedTiers: map[string]string{"gone": "solo"},
	}
	r, err := p.NewRecord(out, Source{}, "test", "sha256:"+strings.Repeat("ab", 32))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Tenants) != 1 || r.Tenants[0].Name != "gone" || r.Tenants[0].Tier != "solo" || r.Tenants[0].Verdict != "held-back" {
		t.Errorf("tenant records %+v, want gone (solo) held back", r.Tenants)
	}
}
