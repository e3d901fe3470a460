package check

import (
	"testing"

	"github.com/palisade-gitops/palisade/internal/estate"
)

func TestWiringInputsDiffer(t *testing.T) {
	est := func(g estate.GitOps) *estate.Estate {
		return &estate.Estate{Platform: estate.Platform{GitOps: g}}
	}
	base := estate.GitOps{RepoURL: "https://git.example.test/env.git", Revision: "main", SecretStore: "s"}
	signed := func(keyID string) estate.GitOps {
		g := base
		// Loaded twice, an estate's key is another value at another
		// address: only what is rendered from it counts.
		g.CommitSigning = &estate.CommitSigning{PublicKey: "keys/a.asc", FluxSecret: "palisade-env-signing", KeyID: keyID, Armored: []byte(keyID)}
		return g
	}
	for _, tc := range []struct {
		name       string
		base, head estate.GitOps
		want       bool
	}{
		{"same", base, base, false},
		{"same key", signed("AAAA"), signed("AAAA"), false},
		{"revision", base, estate.GitOps{RepoURL: base.RepoURL, Revision: "prod", SecretStore: "s"}, true},
		{"signing added", base, signed("AAAA"), true},
		{"signing dropped", signed("AAAA"), base, true},
		{"another key", signed("AAAA"), signed("BBBB"), true},
	} {
		if got := wiringInputsDiffer(est(tc.base), est(tc.head)); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
