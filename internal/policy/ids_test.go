package policy

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestBuiltinIDsAreTheDocumentedOnes holds the ids read from the embedded
// modules to the list in the README's Governance section, both ways.
func TestBuiltinIDsAreTheDocumentedOnes(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)
	start := strings.Index(section, "## Governance")
	if start < 0 {
		t.Fatal("README has no Governance section")
	}
	section = section[start:]
	section = section[:strings.Index(section, "\nA denial stops the render")]
	var documented []string
	for _, m := range regexp.MustCompile("`([a-z-]+\\.[a-z-]+)`").FindAllStringSubmatch(section, -1) {
		documented = append(documented, m[1])
	}
	slices.Sort(documented)
	documented = slices.Compact(documented)
	if got := BuiltinIDs(); !slices.Equal(got, documented) {
		t.Errorf("built-in ids %v\nREADME lists %v", got, documented)
	}
}

func TestClosestID(t *testing.T) {
	for in, want := range map[string]string{
		"freeze.window-activ":   "freeze.window-active",
		"freeze.windows-active": "freeze.window-active",
		"security.limit":        "security.limits",
		"Security.Limits":       "security.limits",
		"freeze.windows":        "",
		"freeze.window-active":  "",
		"acme.image-labels":     "",
	} {
		if got := ClosestID(in); got != want {
			t.Errorf("ClosestID(%q) = %q, want %q", in, got, want)
		}
	}
}

// Rules are the built-in ids and the user's, each where it is given.
func TestRules(t *testing.T) {
	e := newTestEngine(t, "testdata/user-rule")
	rules := e.Rules()
	var ids []string
	byID := map[string]Rule{}
	for _, r := range rules {
		ids = append(ids, r.ID)
		byID[r.ID] = r
	}
	want := append(slices.Clone(BuiltinIDs()), "acme.owner-label")
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Fatalf("ids %v\nwant %v", ids, want)
	}
	if got, want := byID["acme.owner-label"], (Rule{ID: "acme.owner-label", Package: "data.palisade.rules.acme", File: "testdata/user-rule/owner.rego", Line: 8, User: true}); got != want {
		t.Errorf("the user's rule: %+v, want %+v", got, want)
	}
	if got := byID["isolation.default-deny"]; got.User || got.File != "policies/isolation.rego" || got.Line == 0 || got.Title != "Isolation" || got.Package != "data.palisade.rules.isolation" {
		t.Errorf("a built-in rule: %+v", got)
	}
}
