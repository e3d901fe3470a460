package suggest

import "testing"

func TestDistance(t *testing.T) {
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
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestClosest(t *testing.T) {
	tiers := []string{"essential", "premium", "enterprise"}
	tenants := []string{"maison-laurent", "maison-laurier", "doree-lyon", "acme"}
	for _, tt := range []struct {
		word       string
		candidates []string
		want       string
	}{
		{"premum", tiers, "premium"},
		{"premuim", tiers, "premium"},
		{"premium", tiers, ""}, // not a typo
		{"gold", tiers, ""},
		{"maison-laurant", tenants, "maison-laurent"},
		{"doree-lyons", tenants, "doree-lyon"},
		{"acne", tenants, "acme"},
		{"acn", tenants, ""}, // two edits are too many for a short word
		{"eu", []string{"us"}, ""},
		{"doree", tenants, "doree-lyon"}, // cut short
		{"maison", tenants, ""},          // two names begin so
		{"ac", tenants, ""},              // too short to tell
		{"x", nil, ""},
	} {
		if got := Closest(tt.word, tt.candidates); got != tt.want {
			t.Errorf("Closest(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
	if got, want := Hint("premum", tiers), " (did you mean premium?)"; got != want {
		t.Errorf("Hint = %q, want %q", got, want)
	}
	if got := Hint("gold", tiers); got != "" {
		t.Errorf("Hint(gold) = %q, want none", got)
	}
}
