package main

import (
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/palisade-gitops/palisade/internal/estate"
	"github.com/palisade-gitops/palisade/internal/images"
	"github.com/palisade-gitops/palisade/internal/images/sigstoretest"
	"github.com/palisade-gitops/palisade/internal/pipeline"
)

// Keyless signatures of the fixture: every mirrored image is also signed
// without a key, by fixtureIdentity of fixtureIssuer, under a fresh test
// CA and transparency log whose root and log key signFixture writes to
// keys/ci-roots.pem and keys/ci-rekor.pub (and its certificate transparency
// log's key to keys/ci-ctlog.pub, its timestamping authority's chain to
// keys/ci-tsa-chain.pem: the signatures carry its timestamps too), and as a
// Sigstore trusted root to keys/ci-trusted-root.json. A script trusts them by adding
// a keyless platform key.
const (
	fixtureIssuer   = "https://issuer.test"
	fixtureIdentity = "https://ci.test/odoo-build/release@refs/heads/main"
)

// signFixture gives the test estate in dir what the example ships: a fresh
// signing key for each platform key name (its public half replacing the
// committed one) and an offline mirror (mirror/<host>, as platform.cue of
// the fixture names it) holding a small random image for every image the
// estate references, signed by every platform key, and keylessly (see
// fixtureIdentity). The private halves live only in this process.
func signFixture(dir string) error {
	e, err := estate.Load(dir)
	if err != nil {
		return err
	}
	signedAt := time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC)
	ca, err := sigstoretest.NewAuthority(signedAt.AddDate(-1, 0, 0))
	if err != nil {
		return err
	}
	trustedRoot, err := ca.TrustedRootJSON()
	if err != nil {
		return err
	}
	for file, data := range map[string][]byte{"keys/ci-roots.pem": ca.RootsPEM, "keys/ci-rekor.pub": ca.LogPublicKeyPEM, "keys/ci-ctlog.pub": ca.CTLogPublicKeyPEM,
		"keys/ci-tsa-chain.pem":     ca.TSAChainPEM,
		"keys/ci-trusted-root.json": trustedRoot} {
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(file)), data, 0o644); err != nil {
			return err
		}
	}
	var signers []signature.Signer
	for _, k := range e.Platform.Keys {
		sv, pub, err := images.GenerateKey()
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(k.PublicKey)), pub, 0o644); err != nil {
			return err
		}
		signers = append(signers, sv)
	}
	refs, err := pipeline.EstateImages(e, nil)
	if err != nil {
		return err
	}
	writers := map[string]*images.MirrorWriter{}
	for _, ref := range refs {
		tag, err := name.NewTag(ref)
		if err != nil {
			return err
		}
		host := tag.RegistryStr()
		m, ok := e.Platform.Registries.Mirrors[host]
		if !ok {
			continue
		}
		w := writers[host]
		if w == nil {
			if w, err = images.OpenMirror(filepath.Join(dir, filepath.FromSlash(m.Path)), host); err != nil {
				return err
			}
			writers[host] = w
		}
		img, err := random.Image(256, 1)
		if err != nil {
			return err
		}
		d, err := w.WriteImage(ref, img)
		if err != nil {
			return err
		}
		for _, s := range signers {
			if err := w.Sign(d, s); err != nil {
				return err
			}
		}
		sig, err := ca.Sign(d, fixtureIdentity, fixtureIssuer, signedAt, sigstoretest.SignOptions{Timestamp: true})
		if err != nil {
			return err
		}
		if err := w.Attach(d, sig); err != nil {
			return err
		}
	}
	return nil
}
