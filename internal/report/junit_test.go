package report

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/jstemmer/go-junit-report/v2/junit"

	"github.com/palisade-gitops/palisade/internal/policy"
)

func readJUnit(t *testing.T, c *Check) junit.Testsuites {
	t.Helper()
	out := write(t, c, FormatJUnit, Options{})
	if !strings.HasPrefix(out, xml.Header) {
		t.Errorf("no XML declaration: %.60q", out)
	}
	if again := write(t, c, FormatJUnit, Options{}); again != out {
		t.Error("two writes differ")
	}
	var got junit.Testsuites
	if err := xml.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	return got
}

// The JUnit report holds a suite per tenant, in name order, then the
// calendar's: a denial that stands fails its case, a waived denial, a
// warning and a review item pass with their text as output, and a tenant
// without results passes one case.
func TestJUnit(t *testing.T) {
	c := sample()
	c.Blast.Tenants = append(c.Blast.Tenants, TenantImpact{Tenant: "quiet", Tier: "shared", Change: Changed, File: "tenants/quiet.cue"})
	c.Policies = &PolicyChange{Files: []string{"org-policies/net.rego"}, Relaxed: []Relaxed{{InputsChanged: true, Finding: Finding{
		Result: policy.Result{PolicyID: "isolation.network-policy", Severity: policy.SeverityDeny, Tenant: "acme",
			Environment: "production", Message: "no default-deny NetworkPolicy"}}}}}
	got := readJUnit(t, c)
	type tcase struct{ suite, file, name, outcome, text string }
	var cases []tcase
	for _, s := range got.Suites {
		for _, tc := range s.Testcases {
			if tc.Classname != s.Name {
				t.Errorf("%s: class %q", tc.Name, tc.Classname)
			}
			outcome, text := "pass", ""
			if tc.SystemOut != nil {
				text = tc.SystemOut.Data
			}
			if tc.Failure != nil {
				outcome, text = "fail "+tc.Failure.Type+": "+tc.Failure.Message, tc.Failure.Data
			}
			cases = append(cases, tcase{s.Name, s.File, tc.Name, outcome, text})
		}
	}
	want := []tcase{
		{"acme", "estate/tenants/acme.cue", "images.signed acme", "pass",
			"at estate/tenants/acme.cue\nacme: image odoo:17 is not signed by a trusted key"},
		{"acme", "estate/tenants/acme.cue", "freeze.window-active acme/production", "pass",
			"waived by bg-1\nat estate/tenants/acme.cue\nacme/production: freeze window black-friday is active"},
		{"acme", "estate/tenants/acme.cue", "check.policy-relaxed isolation.network-policy acme/production",
			"fail check.policy-relaxed: acme/production: the base revision's policies deny it (isolation.network-policy: no default-deny NetworkPolicy); " +
				"this change's policy files (org-policies/net.rego) let it through: the change also alters the tenant, so it may not relax its own policies",
			"at estate/tenants/acme.cue\nacme/production: the base revision's policies deny it (isolation.network-policy: no default-deny NetworkPolicy); " +
				"this change's policy files (org-policies/net.rego) let it through: the change also alters the tenant, so it may not relax its own policies"},
		{"ghost", "", "platform.note ghost", "pass", "ghost: no file known"},
		{"nordlys-kids", "estate/tenants/nordlys-kids.cue", "replicas.min-production nordlys-kids/production Deployment nordlys-kids-prod/web",
			"fail replicas.min-production: nordlys-kids/production Deployment nordlys-kids-prod/web: web has 1 replica | want >= 2 <b>now</b>",
			"at estate/tenants/nordlys-kids.cue:14:9\nnordlys-kids/production Deployment nordlys-kids-prod/web: web has 1 replica | want >= 2 <b>now</b>\nFix: set replicas.web to 2"},
		{"quiet", "estate/tenants/quiet.cue", "policies", "pass", ""},
		{"calendar", "", "check.window-ended-early window black-friday", "pass",
			"at estate/platform.cue:40:3\nwindow \"black-friday\" (platform) ends earlier: it froze nordlys-kids until 2026-11-30T23:00:00Z, now until 2026-11-29T23:00:00Z\n" +
				"Review: editing the calendar is how a change gets through a freeze."},
	}
	if len(cases) != len(want) {
		t.Fatalf("%d cases, want %d: %+v", len(cases), len(want), cases)
	}
	for i := range want {
		if cases[i] != want[i] {
			t.Errorf("case %d:\n got %+v\nwant %+v", i, cases[i], want[i])
		}
	}
	if got.Tests != len(want) || got.Failures != 2 || got.Errors != 0 {
		t.Errorf("totals: %d tests, %d failures, %d errors", got.Tests, got.Failures, got.Errors)
	}
}

// A check of nothing still says so: no suites, no failures.
func TestJUnitEmpty(t *testing.T) {
	got := readJUnit(t, &Check{Verdict: Pass})
	if len(got.Suites) != 0 || got.Tests != 0 || got.Failures != 0 || got.Name != "palisade check" {
		t.Errorf("%+v", got)
	}
}

// A head that does not load is one errored case per problem.
func TestJUnitProblems(t *testing.T) {
	var b bytes.Buffer
	probs := []Problem{
		{Pos: Position{File: "ops/tenants/a.cue", Line: 3, Column: 7}, Message: "tenants.a: wrong\nsee the schema"},
		{Message: "policy directory does not exist"},
	}
	if err := WriteProblems(&b, FormatJUnit, probs); err != nil {
		t.Fatal(err)
	}
	var got junit.Testsuites
	if err := xml.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Errors != 2 || len(got.Suites) != 1 || len(got.Suites[0].Testcases) != 2 {
		t.Fatalf("%+v", got)
	}
	e := got.Suites[0].Testcases[0].Error
	if e == nil || e.Message != "ops/tenants/a.cue:3:7 tenants.a: wrong" || e.Data != "tenants.a: wrong\nsee the schema" {
		t.Errorf("first problem: %+v", e)
	}
	if e := got.Suites[0].Testcases[1].Error; e == nil || e.Message != "policy directory does not exist" {
		t.Errorf("second problem: %+v", e)
	}
}
