package estate

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// PayloadSchema names the form of the payload an approver signs.
const PayloadSchema = "palisade.io/waiver/v1"

// WaiverPayload is what an approver signs to approve a waiver: the
// waiver's every field but its signature, with whose it is (owner: the
// tenant's name, empty for the platform's), so that a signature approves
// this waiver of this owner and nothing else. The expiry is in UTC. The
// encoding is canonical: the same waiver always gives the same bytes.
func WaiverPayload(owner string, w Waiver) []byte {
	w.Expires, w.Signature, w.NotApproved = w.Expires.UTC(), "", ""
	p := struct {
		Schema string `json:"schema"`
		Owner  string `json:"owner"`
		// Every field of the waiver that is in the estate, but its
		// signature: a field added to the waiver is signed too.
		Waiver
	}{PayloadSchema, waiverOwner(owner), w}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(p) // strings, bools, an instant: cannot fail
	return buf.Bytes()
}

func waiverOwner(tenant string) string {
	if tenant == "" {
		return "platform"
	}
	return "tenant/" + tenant
}

// approvals checks, when the platform names approvers, that each waiver
// names one of them and carries that approver's signature of it, and
// records on the waiver why it is not in force when it does not. An
// unapproved waiver is not an error of the estate: like an expired one,
// it is ignored, and the policy results say so.
func (c *checker) approvals() {
	pl := &c.e.Platform
	if len(pl.Approvers) == 0 {
		return
	}
	keys := map[string]any{}
	for _, email := range sortedKeys(pl.Approvers) {
		labels := p("platform", "approvers", email, "publicKey")
		_, pub, ok := c.publicKey(labels, pl.Approvers[email].PublicKey)
		if !ok {
			continue
		}
		switch pub.(type) {
		case *ecdsa.PublicKey, *rsa.PublicKey, ed25519.PublicKey:
			keys[email] = pub
		default:
			c.at(labels, "approver %s: a %T cannot sign waivers: want an ECDSA (as cosign generate-key-pair makes), RSA or Ed25519 key", email, pub)
		}
	}
	approve := func(owner string, w Waiver) string {
		v, ok := keys[w.Approver]
		switch {
		case !ok:
			return fmt.Sprintf("its approver %s is not one of the platform's approvers (%s)", w.Approver, strings.Join(sortedKeys(pl.Approvers), ", "))
		case w.Signature == "":
			return fmt.Sprintf("it carries no signature of its approver %s", w.Approver)
		}
		sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(w.Signature))
		if err != nil {
			return "its signature is not base64"
		}
		if err := verify(v, WaiverPayload(owner, w), sig); err != nil {
			return fmt.Sprintf("its signature does not verify with the key of %s: the waiver changed after it was signed, or another key signed it", w.Approver)
		}
		return ""
	}
	for id, w := range pl.Waivers {
		if w.ID == "" {
			w.ID = id
		}
		w.NotApproved = approve("", w)
		pl.Waivers[id] = w
	}
	for _, t := range c.e.Tenants {
		for id, w := range t.Waivers {
			if w.ID == "" {
				w.ID = id
			}
			w.NotApproved = approve(t.Name, w)
			t.Waivers[id] = w
		}
	}
}

// verify checks sig over msg as cosign signs a blob (and sigstore's
// verifiers check it): ECDSA (ASN.1) and RSA (PKCS #1 v1.5, or PSS) over
// the SHA-256 digest, Ed25519 over the message itself. The standard library
// does it: the estate, which render builds on, depends on no signing
// library.
func verify(pub any, msg, sig []byte) error {
	digest := sha256.Sum256(msg)
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if ecdsa.VerifyASN1(k, digest[:], sig) {
			return nil
		}
	case *rsa.PublicKey:
		if rsa.VerifyPKCS1v15(k, crypto.SHA256, digest[:], sig) == nil || rsa.VerifyPSS(k, crypto.SHA256, digest[:], sig, nil) == nil {
			return nil
		}
	case ed25519.PublicKey:
		if ed25519.Verify(k, msg, sig) {
			return nil
		}
	}
	return errors.New("invalid signature")
}
