package images_test

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/palisade-gitops/palisade/internal/images"
	"github.com/palisade-gitops/palisade/internal/images/sigstoretest"
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
	// Keylessly too, beside the key's signature.
	ca := newAuthority(t)
	sig, err := ca.Sign(signed, ciWorkflow, ciIssuer, signedAt, sigstoretest.SignOptions{})
	if err != nil {
		t.Fatal(err)
	}
	attach(t, signed, sig, opts...)
	push(t, repo+":unsigned", opts...)
	other := push(t, repo+":other", opts...)
	sign(t, other, newKey(t), opts...)

	cache := t.TempDir()
	refs := images.Refs(repo+":signed", signed.String(), repo+":unsigned", repo+":other", repo+":missing")
	pems := map[string][]byte{"alpha": a.pub, "beta": b.pub}
	trust := map[string]images.Keyless{"ci": {RootsPEM: ca.RootsPEM, LogPublicKeyPEM: ca.LogPublicKeyPEM, Issuer: ciIssuer, Subject: ciWorkflow}}
	v := keylessVerifier(t, trust, pems, images.Options{CacheDir: cache})
	res, err := v.Verify(t.Context(), refs)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range res[:2] {
		if !x.Verified() || strings.Join(x.VerifiedBy, ",") != "alpha,ci" || x.Digest != signed.DigestStr() {
			t.Errorf("%+v: want verified by alpha and ci", x)
		}
		if x.Identities["ci"].Subject != ciWorkflow {
			t.Errorf("%+v: want the keyless signer's identity", x)
		}
	}
	wantKind(t, res[2], images.KindUnsigned, "no signature found")
	wantKind(t, res[3], images.KindUntrusted, "tried: alpha, beta, ci")
	wantKind(t, res[4], images.KindNotFound, "tag missing not found")

	warm := keylessVerifier(t, trust, pems, images.Options{CacheDir: cache})
	if _, err := warm.Verify(t.Context(), refs[:2]); err != nil {
		t.Fatal(err)
	}
	if s := warm.Stats(); s.Lookups != 0 {
		t.Errorf("warm stats %+v: want no look-up", s)
	}
	t.Logf("cold %+v, warm %+v", v.Stats(), warm.Stats())
}
