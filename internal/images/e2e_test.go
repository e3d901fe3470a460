package images_test

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/palisade-gitops/palisade/internal/images"
)

// TestE2ERegistry pushes, signs and verifies through a real registry: set
// PALISADE_E2E_REGISTRY to the host:port of a running registry (Debian's
// docker-registry on loopback, plain HTTP), e.g.
//
//	PALISADE_E2E_REGISTRY=127.0.0.1:5000 go test -run E2E ./internal/images
func TestE2ERegistry(t *testing.T) {
	host := os.Getenv("PALISADE_E2E_REGISTRY")
	if host == "" {
		t.Skip("PALISADE_E2E_REGISTRY not set")
	}
	var nonce [6]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		t.Fatal(err)
	}
	repo := host + "/palisade-e2e/odoo-" + hex.EncodeToString(nonce[:])
	a, b := newKey(t), newKey(t)
	opts := []remote.Option{remote.WithAuthFromKeychain(anonymous)}

	signed := push(t, repo+":signed", opts...)
	sign(t, signed, a, opts...)
	push(t, repo+":unsigned", opts...)
	other := push(t, repo+":other", opts...)
	sign(t, other, newKey(t), opts...)

	cache := t.TempDir()
	keys := map[string]key{"alpha": a, "beta": b}
	refs := images.Refs(repo+":signed", signed.String(), repo+":unsigned", repo+":other", repo+":missing")
	v := verifier(t, keys, images.Options{CacheDir: cache})
	res, err := v.Verify(t.Context(), refs)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range res[:2] {
		if !x.Verified() || x.VerifiedBy[0] != "alpha" || x.Digest != signed.DigestStr() {
			t.Errorf("%+v: want verified by alpha", x)
		}
	}
	wantKind(t, res[2], images.KindUnsigned, "no signature found")
	wantKind(t, res[3], images.KindUntrusted, "tried: alpha, beta")
	wantKind(t, res[4], images.KindNotFound, "tag missing not found")

	warm := verifier(t, keys, images.Options{CacheDir: cache})
	if _, err := warm.Verify(t.Context(), refs[:2]); err != nil {
		t.Fatal(err)
	}
	if s := warm.Stats(); s.Lookups != 0 {
		t.Errorf("warm stats %+v: want no look-up", s)
	}
	t.Logf("cold %+v, warm %+v", v.Stats(), warm.Stats())
}
