package policy

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

// The references dataRefProblems judges, and those it leaves alone,
// beside the built-in modules.
func TestDataRefProblems(t *testing.T) {
	data := map[string]any{"acme": map[string]any{
		"ownerLabel": "acme.example/owner",
		"centres":    map[string]any{"shop": "CC-100"},
		"brands":     []any{"shop", "outlet"},
	}}
	for _, tt := range []struct {
		name, body string
		want       []string // "line:col ref"
	}{
		{"found", `r if data.acme.centres.shop == "CC-100"`, nil},
		{"missing key", `r if data.acme.centers.shop`, []string{"4:6 data.acme.centers"}},
		{"missing below", `r if data.acme.centres.shpo`, []string{"4:6 data.acme.centres.shpo"}},
		{"missing root", `r if data.acm.ownerLabel`, []string{"4:6 data.acm"}},
		{"in a head", `r := data.acme.owner`, []string{"4:6 data.acme.owner"}},
		{"in a comprehension", `r := [b | some b in data.acme.brand]`, []string{"4:21 data.acme.brand"}},
		{"under not", `r if not data.acme.strict`, []string{"4:10 data.acme.strict"}},
		{"nested", `r if input.tenant.name == input.x[data.acme.ownr]`, []string{"4:35 data.acme.ownr"}},
		{"twice, at each place", `r if { data.acme.x; data.acme.x }`, []string{"4:8 data.acme.x", "4:21 data.acme.x"}},
		{"imported", "import data.acme as a\nr if a.ownerLable", []string{"5:6 data.acme.ownerLable"}},
		{"imported by name", "import data.acme.centres\nr if centres.shpo", []string{"5:6 data.acme.centres.shpo"}},
		{"with value", `r if input.x with input.y as data.acme.owner`, []string{"4:30 data.acme.owner"}},
		{"with target", `r if data.acme.ownerLabel with data.acme.extra as 1`, nil},
		{"read where a with gives it", `r if data.acme.extra.x with data.acme.extra as {"x": 1}`, nil},
		{"read above a with target", `r if data.acme.extra with data.acme.extra.x as 1`, nil},
		{"a with in another expression", "r if {\n\tdata.acme.extra with data.acme.extra as 1\n\tdata.acme.extra\n}", []string{"6:2 data.acme.extra"}},
		{"a with target imported", "import data.acme as a\nr if a.extra with a.extra as 1", nil},
		{"a with value reads under its target", `r if input.x with data.acme.extra as data.acme.extra`, []string{"4:38 data.acme.extra"}},
		{"object.get", `r if object.get(data.acme, "strict", false)`, nil},
		{"variable key", `r if data.acme[input.x]`, nil},
		{"array index", `r if data.acme.brands[5]`, nil},
		{"into a scalar", `r if data.acme.ownerLabel.x`, nil},
		{"a package's rule", "r if data.palisade.rules.acme.s\ns := true", nil},
		{"into a rule", "r if data.palisade.rules.acme.s.x\ns := {\"x\": 1}", nil},
		{"a rule with a ref head", "r if data.palisade.rules.acme.s\ns.x := 1", nil},
		{"a built-in helper", "import data.palisade.lib\nr if lib.pods", nil},
		{"a missing rule", `r if data.palisade.rules.acme.other`, []string{"4:6 data.palisade.rules.acme.other"}},
		{"a missing helper", "import data.palisade.lib\nr if lib.pod", []string{"5:6 data.palisade.lib.pod"}},
		{"a missing package", `r if data.palisade.rulez.acme`, []string{"4:6 data.palisade.rulez"}},
		{"above a package", `r if data.palisade`, nil},
		{"between packages", `r if data.palisade.rules`, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src := "package palisade.rules.acme\n\n# line 3\n" + tt.body + "\n"
			m, err := ast.ParseModuleWithOpts("user.rego", src, parserOptions)
			if err != nil {
				t.Fatal(err)
			}
			mods, err := builtinModules()
			if err != nil {
				t.Fatal(err)
			}
			mods["user.rego"] = m
			var got []string
			for _, p := range dataRefProblems(mods, []string{"user.rego"}, data) {
				if p.File != "user.rego" || p.Code != "palisade_undefined_data" {
					t.Errorf("problem %+v", p)
				}
				got = append(got, itoa(p.Line)+":"+itoa(p.Column)+" "+strings.Fields(p.Message)[0])
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// A policy directory whose rules read its data in the ways the check
// allows compiles.
func TestDataRefsAllowed(t *testing.T) {
	if _, err := New(context.Background(), []string{"testdata/data-refs"}); err != nil {
		t.Fatal(err)
	}
}
