package images

import (
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

// trustedKey is one parsed trusted public key.
type trustedKey struct {
	name string
	// fp is the key's fingerprint: hex SHA-256 of its DER (PKIX) encoding.
	fp  string
	ver signature.Verifier
}

// KeyFingerprint returns the fingerprint the cache uses for a PEM public
// key: the hex SHA-256 of its DER (PKIX) encoding.
func KeyFingerprint(pemBytes []byte) (string, error) {
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(pemBytes)
	if err != nil {
		return "", err
	}
	return fingerprint(pub)
}

func fingerprint(pub crypto.PublicKey) (string, error) {
	der, err := cryptoutils.MarshalPublicKeyToDER(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:]), nil
}

// parseKeys parses the trusted keys, sorted by name.
func parseKeys(keys map[string][]byte) ([]trustedKey, error) {
	names := make([]string, 0, len(keys))
	for n := range keys {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]trustedKey, 0, len(names))
	for _, n := range names {
		pub, err := cryptoutils.UnmarshalPEMToPublicKey(keys[n])
		if err != nil {
			return nil, fmt.Errorf("trusted key %q: not a PEM public key: %w", n, err)
		}
		fp, err := fingerprint(pub)
		if err != nil {
			return nil, fmt.Errorf("trusted key %q: %w", n, err)
		}
		ver, err := signature.LoadVerifier(pub, crypto.SHA256)
		if err != nil {
			return nil, fmt.Errorf("trusted key %q: %w", n, err)
		}
		out = append(out, trustedKey{name: n, fp: fp, ver: ver})
	}
	return out, nil
}
