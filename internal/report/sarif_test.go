package report

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/owenrumney/go-sarif/v3/pkg/report/v210/sarif"

	"github.com/palisade-gitops/palisade/internal/policy"
)

func readSARIF(t *testing.T, c *Check) (*sarif.Report, string) {
	t.Helper()
	out := write(t, c, FormatSARIF, Options{Version: "v1.2.3"})
	rep, err := sarif.FromString(out)
	if err != nil {
		t.Fatalf("output is not SARIF: %v\n%s", err, out)
	}
	if err := rep.Validate(); err != nil {
		t.Fatalf("output does not validate against the SARIF 2.1.0 schema: %v", err)
	}
	return rep, out
}

func TestSARIF(t *testing.T) {
	rep, out := readSARIF(t, sample())
	if rep.Version != "2.1.0" || len(rep.Runs) != 1 {
		t.Fatalf("version %q, %d runs", rep.Version, len(rep.Runs))
	}
	run := rep.Runs[0]
	d := run.Tool.Driver
	if *d.Name != "palisade" || *d.Version != "v1.2.3" || *d.InformationURI != InformationURI {
		t.Errorf("driver %q %q %q", *d.Name, *d.Version, *d.InformationURI)
	}

	// One rule per policy id, sorted, with the remediation as help.
	var ids []string
	for _, r := range d.Rules {
		ids = append(ids, *r.ID)
	}
	if want := []string{RuleWindowEndedEarly, "freeze.window-active", "images.signed", "platform.note", "replicas.min-production"}; !slices.Equal(ids, want) {
		t.Errorf("rules %q, want %q", ids, want)
	}
	if h := d.Rules[4].Help; h == nil || *h.Text != "set replicas.web to 2" {
		t.Errorf("rule help %+v", h)
	}
	if lvl := d.Rules[4].DefaultConfiguration.Level; lvl != "error" {
		t.Errorf("deny rule default level %q", lvl)
	}

	type loc struct {
		uri        string
		line, col  int
		suppressed string
	}
	got := map[string]loc{}
	for _, r := range run.Results {
		if *r.RuleID != ids[r.RuleIndex] {
			t.Errorf("result for %s has rule index %d (%s)", *r.RuleID, r.RuleIndex, ids[r.RuleIndex])
		}
		key := *r.RuleID + " " + r.Level
		var l loc
		if len(r.Locations) > 1 {
			t.Errorf("%s: %d locations", key, len(r.Locations))
		}
		if len(r.Locations) == 1 {
			p := r.Locations[0].PhysicalLocation
			l.uri = *p.ArtifactLocation.URI
			if *p.ArtifactLocation.URIBaseID != "%SRCROOT%" {
				t.Errorf("%s: uriBaseId %q", key, *p.ArtifactLocation.URIBaseID)
			}
			if p.Region != nil {
				l.line, l.col = *p.Region.StartLine, *p.Region.StartColumn
			}
		}
		for _, s := range r.Suppressions {
			l.suppressed = *s.Kind + " " + *s.Status + " " + *s.Justification
		}
		if r.PartialFingerprints[fingerprintKey] == "" {
			t.Errorf("%s: no fingerprint", key)
		}
		got[key] = l
	}
	want := map[string]loc{
		// At the CUE position of the result, under the estate directory.
		"replicas.min-production error": {uri: "estate/tenants/nordlys-kids.cue", line: 14, col: 9},
		// No position: the tenant's file, no region.
		"images.signed warning": {uri: "estate/tenants/acme.cue"},
		// Waived: still an error, suppressed by the waiver.
		"freeze.window-active error": {uri: "estate/tenants/acme.cue", suppressed: "inSource accepted waiver bg-1"},
		// Neither position nor a known tenant file: no location at all.
		"platform.note warning": {},
		// A freeze window the change ends early: at its definition.
		RuleWindowEndedEarly + " warning": {uri: "estate/platform.cue", line: 40, col: 3},
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: got %+v, want %+v", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("results %v", got)
	}

	// The validation is real: a level SARIF does not know fails it.
	run.Results[0].Level = "fatal"
	if err := rep.Validate(); err == nil {
		t.Error("Validate accepts an unknown level")
	}

	// Never a location in rendered YAML.
	if strings.Contains(out, ".yaml") || strings.Contains(out, ".yml") {
		t.Error("SARIF points at YAML")
	}
	msg := *run.Results[3].Message.Text
	if msg != "nordlys-kids/production Deployment nordlys-kids-prod/web: web has 1 replica | want >= 2 <b>now</b>\nFix: set replicas.web to 2" {
		t.Errorf("message %q", msg)
	}
}

// With a platform file, every result has a location, as GitHub requires.
func TestSARIFPlatformFallback(t *testing.T) {
	c := sample()
	c.PlatformFile = "platform.cue"
	rep, _ := readSARIF(t, c)
	for _, r := range rep.Runs[0].Results {
		if len(r.Locations) != 1 {
			t.Fatalf("%s: %d locations", *r.RuleID, len(r.Locations))
		}
		u := *r.Locations[0].PhysicalLocation.ArtifactLocation.URI
		if *r.RuleID == "platform.note" && u != "estate/platform.cue" {
			t.Errorf("result without position or tenant file points at %q", u)
		}
		if *r.RuleID == "replicas.min-production" && u != "estate/tenants/nordlys-kids.cue" {
			t.Errorf("result with a position points at %q", u)
		}
	}
	gh := write(t, c, FormatGitHub, Options{})
	if !strings.Contains(gh, "::warning file=estate/platform.cue,title=platform.note · ghost::ghost: no file known\n") {
		t.Errorf("github annotation does not fall back to the platform file:\n%s", gh)
	}
}

func TestSARIFEstateAtRoot(t *testing.T) {
	c := sample()
	c.EstateDir = ""
	rep, _ := readSARIF(t, c)
	for _, r := range rep.Runs[0].Results {
		for _, l := range r.Locations {
			if u := *l.PhysicalLocation.ArtifactLocation.URI; !strings.HasPrefix(u, "tenants/") && u != "platform.cue" {
				t.Errorf("uri %q, want relative to the repository root", u)
			}
		}
	}
}

func TestSARIFEmpty(t *testing.T) {
	rep, out := readSARIF(t, &Check{At: at})
	if len(rep.Runs[0].Results) != 0 {
		t.Errorf("results in an empty check")
	}
	// GitHub requires the results array even when it is empty.
	var raw struct {
		Runs []map[string]json.RawMessage `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	if string(raw.Runs[0]["results"]) != "[]" {
		t.Errorf("results = %s, want []", raw.Runs[0]["results"])
	}
}

// The review items of a check: relaxed denials (an error when the change
// also alters the tenant, as the check fails) and freeze windows ended
// early, each under a rule of its own, where the text formats put them.
func TestSARIFReviewItems(t *testing.T) {
	c := sample()
	c.Results = nil
	kids := Finding{Result: policy.Result{PolicyID: "isolation.network-policy", Severity: policy.SeverityDeny, Tenant: "nordlys-kids",
		Environment: "production", Message: "no default-deny NetworkPolicy"},
		Position: Position{File: "tenants/nordlys-kids.cue", Line: 3, Column: 1}}
	acme := Finding{Result: policy.Result{PolicyID: "security.run-as-non-root", Severity: policy.SeverityDeny, Tenant: "acme",
		Environment: "staging", Message: "runs as root"}}
	c.Policies = &PolicyChange{Files: []string{"org-policies/net.rego"}, Relaxed: []Relaxed{
		{Finding: kids, InputsChanged: true}, {Finding: acme},
	}}
	rep, _ := readSARIF(t, c)
	run := rep.Runs[0]
	var ids []string
	for _, r := range run.Tool.Driver.Rules {
		ids = append(ids, *r.ID)
	}
	if want := []string{RuleRelaxed, RuleWindowEndedEarly}; !slices.Equal(ids, want) {
		t.Fatalf("rules %q, want %q", ids, want)
	}
	if lvl := run.Tool.Driver.Rules[0].DefaultConfiguration.Level; lvl != "error" {
		t.Errorf("relaxed rule level %q, want error: one relaxation fails the check", lvl)
	}
	got := map[string]string{}
	for _, r := range run.Results {
		if len(r.Locations) != 1 {
			t.Fatalf("%s: %d locations", *r.RuleID, len(r.Locations))
		}
		l := r.Locations[0].PhysicalLocation
		key := fmt.Sprintf("%s %s %s", *r.RuleID, r.Level, *l.ArtifactLocation.URI)
		if l.Region != nil {
			key += fmt.Sprintf(":%d", *l.Region.StartLine)
		}
		got[key] = *r.Message.Text
	}
	want := map[string]string{
		RuleRelaxed + " error estate/tenants/nordlys-kids.cue:3": "nordlys-kids/production: the base revision's policies deny it (isolation.network-policy: no default-deny NetworkPolicy); " +
			"this change's policy files (org-policies/net.rego) let it through: the change also alters the tenant, so it may not relax its own policies",
		RuleRelaxed + " warning estate/tenants/acme.cue": "acme/staging: the base revision's policies deny it (security.run-as-non-root: runs as root); " +
			"this change's policy files (org-policies/net.rego) let it through: review the policy change",
		RuleWindowEndedEarly + " warning estate/platform.cue:40": `window "black-friday" (platform) ends earlier: it froze nordlys-kids until 2026-11-30T23:00:00Z, now until 2026-11-29T23:00:00Z` +
			"\nReview: editing the calendar is how a change gets through a freeze.",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s:\n got %q\nwant %q", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("results %q", got)
	}
}

// The fingerprint follows what a finding is about, not its wording or
// place, and tells different findings apart.
func TestSARIFFingerprint(t *testing.T) {
	c := sample()
	a := fingerprint(c.Results[0].Result)
	moved := c.Results[0]
	moved.Message = "reworded"
	moved.Position.Line = 99
	if fingerprint(moved.Result) != a {
		t.Error("fingerprint changes with the wording")
	}
	other := c.Results[0]
	other.Environment = "staging"
	if fingerprint(other.Result) == a {
		t.Error("fingerprint ignores the environment")
	}
}

func TestRuleName(t *testing.T) {
	for in, want := range map[string]string{
		"replicas.min-production": "ReplicasMinProduction",
		"freeze.window-active":    "FreezeWindowActive",
		"a_b.c9":                  "ABC9",
	} {
		if got := ruleName(in); got != want {
			t.Errorf("ruleName(%q) = %q, want %q", in, got, want)
		}
	}
}
