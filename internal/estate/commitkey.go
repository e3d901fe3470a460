package estate

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
)

// commitSigning reads the render job's OpenPGP public keys
// (platform.gitops.commitSigning.publicKeys).
func (c *checker) commitSigning(cs *CommitSigning) {
	seen := map[string]int{}
	for i, v := range cs.PublicKeys {
		labels := p("platform", "gitops", "commitSigning", "publicKeys", strconv.Itoa(i))
		data, ok := c.armoredFile(labels, v)
		if !ok {
			continue
		}
		e, err := ReadCommitKey(data)
		if err != nil {
			c.at(labels, "%s", err)
			continue
		}
		if e.PrivateKey != nil {
			c.at(labels, "%q is a private key: the estate names public keys only (gpg --armor --export)", clipKey(v))
			continue
		}
		k := CommitKey{KeyID: KeyID(e), Fingerprint: Fingerprint(e), Armored: data}
		if j, dup := seen[k.Fingerprint]; dup {
			c.at(labels, "key %s is listed twice (publicKeys[%d] is the same key)", k.KeyID, j)
			continue
		}
		seen[k.Fingerprint] = i
		cs.Keys = append(cs.Keys, k)
	}
}

// clipKey names a key value in a message: its path, or the start of the
// armored text.
func clipKey(v string) string {
	if len(v) > 40 {
		return v[:40] + "…"
	}
	return v
}

// armoredFile reads an armored value of the estate: a path relative to
// the estate root, or the armored text.
func (c *checker) armoredFile(labels []string, v string) ([]byte, bool) {
	if strings.HasPrefix(strings.TrimSpace(v), "-----BEGIN PGP") {
		return []byte(v), true
	}
	return c.file(labels, v)
}

// ReadCommitKey reads one ASCII-armored OpenPGP key, public or private.
func ReadCommitKey(armored []byte) (*openpgp.Entity, error) {
	list, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(armored))
	switch {
	case err != nil:
		return nil, fmt.Errorf("not an ASCII-armored OpenPGP key (gpg --armor --export): %v", err)
	case len(list) != 1:
		return nil, fmt.Errorf("holds %d OpenPGP keys; want one", len(list))
	}
	return list[0], nil
}

// KeyID is an OpenPGP key's ID as Argo CD's signatureKeys name it: 16
// upper-case hex digits.
func KeyID(e *openpgp.Entity) string {
	return fmt.Sprintf("%016X", e.PrimaryKey.KeyId)
}

// Fingerprint is an OpenPGP key's fingerprint in upper-case hex.
func Fingerprint(e *openpgp.Entity) string {
	return fmt.Sprintf("%X", e.PrimaryKey.Fingerprint)
}
