package evidence

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/palisade-gitops/palisade/internal/pipeline"
	"github.com/palisade-gitops/palisade/internal/policy"
)

func TestNameDigest(t *testing.T) {
	for p, want := range map[string]string{
		".palisade/records/20261014T070000Z-0123456789ab.json": "0123456789ab",
		".palisade/records/latest.json":                        "",
		".palisade/records/20261014T070000Z-0123.json":         "",
	} {
		if got := nameDigest(p); got != want {
			t.Errorf("nameDigest(%q) = %q, want %q", p, got, want)
		}
	}
}

func TestParseRecord(t *testing.T) {
	for data, want := range map[string]string{
		`{"schema": "palisade.io/decision-record/v1", "tenants": []}`: "",
		`{"schema": "palisade.io/decision-record/v2"}`:                `schema "palisade.io/decision-record/v2"`,
		`{"schema": `: "not a decision record: unexpected EOF",
		`[]`:          "not a decision record: json: cannot unmarshal array",
	} {
		_, problem := parseRecord([]byte(data))
		if want == "" && problem != "" || !strings.Contains(problem, want) {
			t.Errorf("parseRecord(%s): problem %q, want %q", data, problem, want)
		}
	}
}

func TestTrailerProblems(t *testing.T) {
	rec := &pipeline.Record{Source: pipeline.Source{Repo: "git@example.test:estate", Commit: "abc"}, Palisade: "v1", RenderDigest: "sha256:r", PolicyDigest: "sha256:p"}
	msg := "palisade: render acme\n\nDecision record: .palisade/records/x.json\n\n" +
		"Palisade-Source-Repo: git@example.test:estate\nPalisade-Source-Commit: abc\nPalisade-Version: v1\n" +
		"Palisade-Render-Digest: sha256:r\nPalisade-Policy-Digest: sha256:p\n"
	if p := trailerProblems(msg, ".palisade/records/x.json", rec); p != "" {
		t.Errorf("a matching message: %s", p)
	}
	if p := trailerProblems(msg, ".palisade/records/y.json", rec); p != "the message does not name the record" {
		t.Errorf("another record: %q", p)
	}
	forged := strings.Replace(msg, "Source-Commit: abc", "Source-Commit: def", 1)
	if p := trailerProblems(forged, ".palisade/records/x.json", rec); p != `trailer Palisade-Source-Commit is "def", the record says "abc"` {
		t.Errorf("another source commit: %q", p)
	}
}

func TestTouchesTenants(t *testing.T) {
	for _, tc := range []struct {
		paths   []string
		tenants []string
		want    bool
	}{
		{[]string{"clusters/c/tenants/acme/production/x.yaml"}, nil, true},
		{[]string{"clusters/c/tenants/acme/production/x.yaml"}, []string{"acme"}, true},
		{[]string{"clusters/c/tenants/acme/production/x.yaml"}, []string{"globex"}, false},
		// A platform or base file serves every tenant.
		{[]string{"clusters/c/platform/db.yaml"}, []string{"globex"}, true},
		{[]string{"bases/shared/x.yaml"}, []string{"globex"}, true},
	} {
		if got := touchesTenants(tc.paths, tc.tenants); got != tc.want {
			t.Errorf("touchesTenants(%v, %v) = %v, want %v", tc.paths, tc.tenants, got, tc.want)
		}
	}
}

// TestNarrow keeps what a record says of the tenants asked for: their
// entries, removals, hold-backs, waiver uses, the images they run and the
// platform hold-backs serving them; a render about none of them is
// dropped.
func TestNarrow(t *testing.T) {
	img := func(digest string) policy.Image {
		return policy.Image{Ref: "r@" + digest, Digest: digest, Verified: true}
	}
	rec := &pipeline.Record{
		Tenants: []pipeline.TenantRecord{
			{Name: "acme", Changed: true, Images: []policy.Image{img("sha256:a")}},
			{Name: "globex", Changed: true, Images: []policy.Image{img("sha256:g")}},
		},
		Removed:          []string{"initech"},
		HeldBack:         []pipeline.HoldBack{{Tenant: "globex"}},
		PlatformHeldBack: []pipeline.PlatformHoldBack{{Cluster: "c1", Serving: []string{"acme", "hooli"}}, {Cluster: "c2", Serving: []string{"globex"}}},
		WaiversUsed:      []pipeline.WaiverUse{{Tenant: "acme", Waiver: "w1"}, {Tenant: "globex", Waiver: "w2"}},
		Images:           []pipeline.ImageFact{{Ref: "r:1", Digest: "sha256:a"}, {Ref: "r:2", Digest: "sha256:g"}},
		Suspended:        []string{"globex", "umbrella-flux"},
	}
	r := Render{Record: rec}
	if !narrow(&r, []string{"acme"}) {
		t.Fatal("acme's render dropped")
	}
	got := r.Record
	if len(got.Tenants) != 1 || got.Tenants[0].Name != "acme" || len(got.Removed) != 0 || len(got.HeldBack) != 0 ||
		len(got.PlatformHeldBack) != 1 || got.PlatformHeldBack[0].Cluster != "c1" ||
		len(got.WaiversUsed) != 1 || got.WaiversUsed[0].Waiver != "w1" ||
		len(got.Images) != 1 || got.Images[0].Digest != "sha256:a" || len(got.Suspended) != 0 {
		t.Errorf("narrowed to acme: %+v", got)
	}
	if len(rec.Tenants) != 2 || len(rec.Images) != 2 {
		t.Errorf("narrow changed the record it was given: %+v", rec)
	}
	r = Render{Record: rec}
	if !narrow(&r, []string{"initech"}) || !slices.Equal(r.Record.Removed, []string{"initech"}) {
		t.Errorf("a removal: %+v", r.Record)
	}
	r = Render{Record: &pipeline.Record{Suspended: []string{"umbrella-flux"}}}
	if !narrow(&r, []string{"umbrella-flux"}) || !slices.Equal(r.Record.Suspended, []string{"umbrella-flux"}) {
		t.Errorf("a render that only suspended the tenant: %+v", r.Record)
	}
	r = Render{Record: rec}
	if narrow(&r, []string{"umbrella"}) {
		t.Errorf("a render about no tenant asked for kept: %+v", r.Record)
	}
}

// The rules in force are grouped by policy digest, records made before
// Palisade recorded its rules apart; a tenant passed the rules its results
// do not name, a waived denial and a warning included, and the engine's
// notes (waiver.used) are not rules. Each set names the rules it added and
// removed against the one before it, when both are recorded.
func TestPolicySetsAndRulesPassed(t *testing.T) {
	rules := []policy.Rule{
		{ID: "acme.owner-label", File: "rules/owner.rego", Line: 8, User: true},
		{ID: "freeze.window-active", File: "policies/freeze.rego", Line: 137},
		{ID: "security.limits", File: "policies/security.rego", Line: 60},
	}
	at := func(day int) time.Time { return time.Date(2026, 11, day, 9, 0, 0, 0, time.UTC) }
	results := []policy.Result{
		{PolicyID: "freeze.window-active", Severity: policy.SeverityDeny, Waived: true},
		{PolicyID: "freeze.window-active", Severity: policy.SeverityDeny, Waived: true, Environment: "staging"},
		{PolicyID: "acme.owner-label", Severity: policy.SeverityWarn},
		{PolicyID: policy.WaiverUsed, Severity: policy.SeverityWarn},
	}
	rec := func(day int, digest string, rules []policy.Rule) Render {
		return Render{Record: &pipeline.Record{At: at(day), PolicyDigest: digest, Policies: rules,
			Tenants: []pipeline.TenantRecord{{Name: "acme", Changed: true, Results: results}}, Removed: []string{"gone"}}}
	}
	b := &Bundle{Renders: []Render{
		rec(1, "sha256:aaaaaaaaaaaaaaaa", nil),
		rec(2, "sha256:aaaaaaaaaaaaaaaa", rules),
		rec(3, "sha256:aaaaaaaaaaaaaaaa", rules),
		rec(4, "sha256:bbbbbbbbbbbbbbbb", rules[1:]),
		rec(5, "sha256:cccccccccccccccc", []policy.Rule{rules[1], {ID: "security.seccomp", File: "policies/security.rego", Line: 90}}),
	}}
	var got []string
	for _, s := range b.policySets() {
		got = append(got, s.String())
	}
	want := []string{
		"aaaaaaaaaaaa: 1 render commit(s), at 2026-11-01T09:00:00Z: rules not recorded (rendered before Palisade recorded them)",
		"aaaaaaaaaaaa: 2 render commit(s), 2026-11-02T09:00:00Z to 2026-11-03T09:00:00Z: 3 rules, 2 built-in; from --policy: acme.owner-label (rules/owner.rego:8)",
		"bbbbbbbbbbbb: 1 render commit(s), at 2026-11-04T09:00:00Z: 2 rules, 2 built-in; against aaaaaaaaaaaa: removed acme.owner-label",
		"cccccccccccc: 1 render commit(s), at 2026-11-05T09:00:00Z: 2 rules, 2 built-in; against bbbbbbbbbbbb: added security.seccomp; removed security.limits",
	}
	if !slices.Equal(got, want) {
		t.Errorf("policy sets\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for i, want := range []string{"acme -1 -1 ; gone -1 -1 ", "acme 3 1 1 of 3; gone -1 -1 ", "acme 3 1 1 of 3; gone -1 -1 ", "acme 2 1 1 of 2; gone -1 -1 "} {
		var rows []string
		for _, r := range tenantRows(b.Renders[i].Record) {
			rows = append(rows, fmt.Sprintf("%s %d %d %s", r.Tenant, r.InForce, r.Passed, r.Rules()))
		}
		if got := strings.Join(rows, "; "); got != want {
			t.Errorf("render %d: rows %q, want %q", i, got, want)
		}
	}
}
