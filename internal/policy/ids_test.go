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

func TestDidYouMean(t *testing.T) {
	for in, want := range map[string]string{
		"freeze.window-activ":   "freeze.window-active",
		"freeze.windows-active": "freeze.window-active",
		"security.limit":        "security.limits",
		"Security.Limits":       "security.limits",
		"freeze.windows":        "",
		"freeze.window-active":  "",
		"acme.image-labels":     "",
	} {
		if got := didYouMean(in); got != want {
			t.Errorf("didYouMean(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"tier", "tier", 0},
		{"tire", "tier", 1}, // a swap is one edit
		{"tire", "file", 2},
		{"ab", "ba", 1},
		{"", "ab", 2},
		{"ab", "", 2},
		{"kitten", "sitting", 3},
		{"ca", "abc", 3}, // optimal string alignment: no edit of a swapped pair
	} {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
