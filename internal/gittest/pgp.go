package gittest

import (
	"bytes"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// PGPKey is an Ed25519 OpenPGP key for signing commits, made at born
// (before the instants the test signs at, as no verifier accepts a
// signature older than its key), with its ASCII-armored private half
// (encrypted with passphrase if not empty) and public half, as gpg
// --armor exports them. The returned entity is not encrypted. A lifetime
// other than zero makes the key expire that long after born.
func PGPKey(name string, born time.Time, lifetime time.Duration, passphrase string) (key *openpgp.Entity, private, public []byte, err error) {
	cfg := &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Time: func() time.Time { return born }, KeyLifetimeSecs: uint32(lifetime / time.Second)}
	e, err := openpgp.NewEntity(name, "", name+"@example.test", cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	var pub, priv bytes.Buffer
	if err := e.Serialize(&pub); err != nil {
		return nil, nil, nil, err
	}
	if err := e.SerializePrivateWithoutSigning(&priv, cfg); err != nil {
		return nil, nil, nil, err
	}
	if passphrase != "" {
		// Encrypt a copy: the entity returned stays usable.
		c, err := openpgp.ReadEntity(packet.NewReader(bytes.NewReader(priv.Bytes())))
		if err != nil {
			return nil, nil, nil, err
		}
		if err := c.EncryptPrivateKeys([]byte(passphrase), cfg); err != nil {
			return nil, nil, nil, err
		}
		priv.Reset()
		if err := c.SerializePrivateWithoutSigning(&priv, cfg); err != nil {
			return nil, nil, nil, err
		}
	}
	if public, err = armored(openpgp.PublicKeyType, pub.Bytes()); err != nil {
		return nil, nil, nil, err
	}
	if private, err = armored(openpgp.PrivateKeyType, priv.Bytes()); err != nil {
		return nil, nil, nil, err
	}
	return e, private, public, nil
}

// armored is data in an ASCII-armored block ending with a newline.
func armored(blockType string, data []byte) ([]byte, error) {
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, blockType, nil)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return append(buf.Bytes(), '\n'), nil
}
