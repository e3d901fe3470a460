package estate

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
)

// commitSigning reads the render job's OpenPGP public key
// (platform.gitops.commitSigning.publicKey).
func (c *checker) commitSigning(cs *CommitSigning) {
	labels := p("platform", "gitops", "commitSigning", "publicKey")
	data, ok := c.armoredFile(labels, cs.PublicKey)
	if !ok {
		return
	}
	e, err := ReadCommitKey(data)
	if err != nil {
		c.at(labels, "%s", err)
		return
	}
	if e.PrivateKey != nil {
		c.at(labels, "%q is a private key: the estate names the public key only (gpg --armor --export)", cs.PublicKey)
		return
	}
	cs.Armored = data
	cs.KeyID, cs.Fingerprint = KeyID(e), Fingerprint(e)
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
