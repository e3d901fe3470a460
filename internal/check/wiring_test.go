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
	signedWith := func(argocd bool, suffix string, keyIDs ...string) estate.GitOps {
		g := base
		// Loaded twice, an estate's keys are other values at other
		// addresses: only what is rendered from them counts.
		cs := &estate.CommitSigning{PublicKeys: []string{"keys/a.asc"}, FluxSecret: "palisade-env-signing", ArgoCDKeys: argocd}
		for _, id := range keyIDs {
			cs.Keys = append(cs.Keys, estate.CommitKey{KeyID: id, Armored: []byte(id + suffix)})
		}
		g.CommitSigning = cs
		return g
	}
	signed := func(keyIDs ...string) estate.GitOps { return signedWith(false, "", keyIDs...) }
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
		{"a key added", signed("AAAA"), signed("AAAA", "BBBB"), true},
		{"a key's expiry extended", signed("AAAA"), signedWith(false, " extended", "AAAA"), true},
		{"Argo CD's keyring rendered", signed("AAAA"), signedWith(true, "", "AAAA"), true},
	} {
		if got := wiringInputsDiffer(est(tc.base), est(tc.head)); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
