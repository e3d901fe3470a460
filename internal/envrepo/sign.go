package envrepo

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// OpenPGPSigner signs commits (Change.Sign) with an OpenPGP private key,
// decrypted, as git commit -S would: an ASCII-armored detached signature
// of the commit object, created at the commit's time (the clock is never
// read) — or at the key's, for a commit dated (--at) before the key
// existed, as no verifier accepts a signature older than its key. The
// library's random salt notation is kept: it guards EdDSA keys against
// fault attacks, so two signatures of one commit differ, as the record's
// ECDSA signatures do; the tree committed does not.
func OpenPGPSigner(key *openpgp.Entity) func(commit []byte, when time.Time) (string, error) {
	born := keyTime(key)
	return func(commit []byte, when time.Time) (string, error) {
		var sig bytes.Buffer
		if when.Before(born) {
			when = born
		}
		cfg := &packet.Config{Time: func() time.Time { return when }}
		if err := openpgp.ArmoredDetachSign(&sig, key, bytes.NewReader(commit), cfg); err != nil {
			return "", err
		}
		return sig.String(), nil
	}
}

// keyTime is when the key, its user IDs' and subkeys' self-signatures
// included, was last made or changed.
func keyTime(e *openpgp.Entity) time.Time {
	t := e.PrimaryKey.CreationTime
	later := func(s *packet.Signature) {
		if s != nil && s.CreationTime.After(t) {
			t = s.CreationTime
		}
	}
	for _, id := range e.Identities {
		later(id.SelfSignature)
	}
	for _, sub := range e.Subkeys {
		if sub.PublicKey.CreationTime.After(t) {
			t = sub.PublicKey.CreationTime
		}
		later(sub.Sig)
	}
	return t
}

// unsignedBytes is the commit as git encodes it without its signature:
// what a commit signature signs.
func unsignedBytes(c *object.Commit) ([]byte, error) {
	o := &plumbing.MemoryObject{}
	if err := c.EncodeWithoutSignature(o); err != nil {
		return nil, err
	}
	rd, err := o.Reader()
	if err != nil {
		return nil, err
	}
	return io.ReadAll(rd)
}

// Signature states who signed a commit.
type Signature struct {
	// Signed is true when the commit carries an OpenPGP signature.
	Signed bool
	// KeyID is the ID (16 upper-case hex digits) of the key in the
	// keyring that verified the signature; empty when none did.
	KeyID string
	// Problem says why no key of the keyring verified it.
	Problem string
}

// VerifySignature checks the snapshot's commit's OpenPGP signature with
// the public keys of keyring: one or more ASCII-armored blocks (several
// keys exported at once, or files concatenated).
func (s *Snapshot) VerifySignature(keyring string) Signature {
	if s.commit == nil || s.commit.PGPSignature == "" {
		return Signature{Problem: "the commit is not signed"}
	}
	if !strings.Contains(s.commit.PGPSignature, "BEGIN PGP SIGNATURE") {
		return Signature{Signed: true, Problem: "the commit's signature is not an OpenPGP signature (an SSH or X.509 one?)"}
	}
	ring, err := ReadKeyRing(keyring)
	if err != nil {
		return Signature{Signed: true, Problem: err.Error()}
	}
	unsigned, err := unsignedBytes(s.commit)
	if err != nil {
		return Signature{Signed: true, Problem: err.Error()}
	}
	// Judged as of when it was made, not by the clock: a key that has
	// expired since still made a valid signature then, as GnuPG also
	// holds. A signature's time is the signer's word, so a key that was
	// compromised belongs out of the keyring, not merely revoked.
	made, err := signatureTime(s.commit.PGPSignature)
	if err != nil {
		return Signature{Signed: true, Problem: fmt.Sprintf("the commit's signature cannot be read: %v", err)}
	}
	cfg := &packet.Config{Time: func() time.Time { return made }}
	e, err := openpgp.CheckArmoredDetachedSignature(ring, bytes.NewReader(unsigned), strings.NewReader(s.commit.PGPSignature), cfg)
	switch {
	case errors.Is(err, pgperrors.ErrUnknownIssuer):
		return Signature{Signed: true, Problem: "another key signed the commit, not the commit key"}
	case err != nil:
		return Signature{Signed: true, Problem: fmt.Sprintf("the commit's signature does not verify with the commit key: %v", err)}
	}
	return Signature{Signed: true, KeyID: fmt.Sprintf("%016X", e.PrimaryKey.KeyId)}
}

// signatureTime is when an armored OpenPGP signature says it was made.
func signatureTime(armored string) (time.Time, error) {
	block, err := armor.Decode(strings.NewReader(armored))
	if err != nil {
		return time.Time{}, err
	}
	p, err := packet.Read(block.Body)
	if err != nil {
		return time.Time{}, err
	}
	sig, ok := p.(*packet.Signature)
	if !ok {
		return time.Time{}, fmt.Errorf("not a signature packet")
	}
	return sig.CreationTime, nil
}

// ReadKeyRing reads every key of one or more ASCII-armored blocks.
func ReadKeyRing(armored string) (openpgp.EntityList, error) {
	var ring openpgp.EntityList
	rest := armored
	for {
		i := strings.Index(rest, "-----BEGIN PGP")
		if i < 0 {
			break
		}
		end := strings.Index(rest[i:], "-----END PGP")
		if end < 0 {
			return nil, fmt.Errorf("an armored block is not terminated")
		}
		// The end line's closing dashes end the block.
		next := i + end + len("-----END PGP")
		closing := strings.Index(rest[next:], "-----")
		if closing < 0 {
			return nil, fmt.Errorf("an armored block is not terminated")
		}
		next += closing + len("-----")
		list, err := openpgp.ReadArmoredKeyRing(strings.NewReader(rest[i:next]))
		if err != nil {
			return nil, err
		}
		ring = append(ring, list...)
		rest = rest[next:]
	}
	if len(ring) == 0 {
		return nil, fmt.Errorf("no ASCII-armored OpenPGP key")
	}
	return ring, nil
}
